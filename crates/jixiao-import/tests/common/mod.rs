//! What the "nothing is lost" checks share: everything a reading put somewhere, and what of a
//! written cell none of it accounts for.

use jixiao_import::ReadOutput;
use rust_decimal::Decimal;

/// Everything a reading put somewhere: fields, rows, amounts, warnings.
pub fn accounted(out: &ReadOutput) -> Vec<String> {
    let mut acc: Vec<String> = vec![];
    let money = |m: Option<jixiao_core::Money>, acc: &mut Vec<String>| {
        if let Some(m) = m {
            let y = m.to_yuan();
            acc.push(y.to_string());
            acc.push(y.normalize().to_string());
            let wan = (y / Decimal::from(10_000)).normalize();
            acc.push(wan.to_string());
            let mut w2 = wan;
            if w2.scale() < 2 {
                w2.rescale(2);
            }
            acc.push(w2.to_string());
        }
    };
    for f in &out.forms {
        let x = &f.form;
        acc.extend([
            x.name.clone(),
            x.nature.clone(),
            x.category.clone(),
            x.department.clone(),
            x.implementer.clone(),
            x.goal_overall.clone(),
            x.goal_annual.clone(),
            x.year.to_string(),
        ]);
        for d in [x.start_date, x.end_date].into_iter().flatten() {
            // A date as forms write it, whole or as its month (a period written as a range).
            for f in [
                "%Y-%m-%d",
                "%Y年%-m月%-d日",
                "%Y年%-m月",
                "%Y%m",
                "%Y.%-m",
                "%Y/%-m/%-d",
            ] {
                acc.push(d.format(f).to_string());
            }
        }
        for (_, _, m) in x.funds.fields() {
            money(m, &mut acc);
        }
        for i in &x.indicators {
            acc.push(i.name.clone());
            acc.push(i.raw.clone());
            acc.extend(i.weight.map(|w| w.to_string()));
            acc.extend(i.direction.clone());
        }
        acc.extend(f.warnings.iter().map(|w| w.text.clone()));
    }
    for t in &out.tables {
        let x = &t.table;
        acc.extend([
            x.name.clone(),
            x.department.clone(),
            x.implementer.clone(),
            x.goal_expected.clone(),
            x.goal_actual.clone(),
            x.grade.clone().unwrap_or_default(),
        ]);
        let b = &x.budget;
        for d in [
            b.initial,
            b.annual,
            b.spent,
            b.weight,
            b.self_score,
            x.total_weight,
            x.self_total,
        ]
        .into_iter()
        .flatten()
        {
            acc.push(d.to_string());
        }
        acc.extend(b.rate.clone());
        for r in &x.rows {
            acc.extend([
                r.name.clone(),
                r.target.clone(),
                r.actual.clone(),
                r.deviation.clone(),
            ]);
            for d in [r.weight, r.self_score].into_iter().flatten() {
                acc.push(d.to_string());
            }
        }
        acc.extend(t.warnings.iter().map(|w| w.text.clone()));
    }
    acc.extend(out.warnings.iter().map(|w| w.text.clone()));
    let mut acc: Vec<String> = acc
        .into_iter()
        .map(|a| fold(&a))
        .filter(|a| !a.is_empty())
        .collect();
    acc.sort_by_key(|a| std::cmp::Reverse(a.chars().count()));
    acc.dedup();
    acc
}

/// A text as `residue` compares it. The pinyin is left out on both sides as the reader leaves
/// it out when it matches the layout's words: it holds only Latin letters, which `residue`
/// never counts, but it cuts the words it stands in (`績(jī)效指標(biāo)`).
fn fold(a: &str) -> String {
    strip_points(&jixiao_import::layout_key(&jixiao_import::without_pinyin(a)).replace(',', ""))
}

/// What of a written cell no reading accounts for: its Chinese characters and digits left
/// after every accounted text and layout word is taken out.
pub fn residue(token: &str, acc: &[String]) -> String {
    if jixiao_import::is_layout_word(token) {
        return String::new();
    }
    // Compared as the reader matches: the layout's key (traditional script simplified,
    // brackets and colons folded, the pinyin mirror sites put after characters left out), on
    // both sides.
    let mut t = jixiao_import::layout_key(&jixiao_import::without_pinyin(token)).replace(',', "");
    // `部门:…`, `项目名称:…`: a label with its value in one cell.
    if let Some((label, _)) = t.split_once(':') {
        if jixiao_import::is_layout_word(label) {
            t = t[label.len()..].trim_start_matches(':').to_string();
        }
    }
    // A group's points after its level name (`产出指标(70分)`, `满意度指标(10分)`): the
    // layout's too (taken out of what the reading holds as well).
    let t = strip_points(&t);
    if t.is_empty() || acc.iter().any(|a| a.contains(&t)) {
        return String::new();
    }
    // What the reading holds and the layout's words, longest first (a level name before a
    // shorter one inside it: 经济效益指标 before 效益指标); single characters say nothing.
    let mut words: Vec<&str> = acc
        .iter()
        .map(String::as_str)
        .filter(|a| a.chars().count() > 1)
        .chain(jixiao_import::layout_words().iter().copied())
        .collect();
    words.sort_by_key(|a| std::cmp::Reverse(a.chars().count()));
    // Each piece taken out leaves a gap, so that what is left on either side never joins.
    let mut rest = t;
    for a in words {
        if rest.contains(a) {
            rest = rest.replace(a, " ");
        }
    }
    // Numbers left whole (a weight or score of one digit, `5`): those the reading holds.
    let rest: String = rest
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|n| !n.is_empty() && !acc.iter().any(|a| a == n))
        .collect::<Vec<_>>()
        .join(" ")
        + &rest
            .split(|c: char| c.is_ascii_digit() || c == '.')
            .collect::<Vec<_>>()
            .join(" ");
    rest.chars()
        .filter(|c| c.is_ascii_digit() || (jixiao_core::text::is_cjk(*c) && c.is_alphanumeric()))
        .collect()
}

/// `产出指标(70分)数量指标` → `产出指标数量指标`: points right after a level name's last
/// character.
fn strip_points(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut s = t;
    while let Some(i) = s.find('(') {
        let level_end = s[..i]
            .chars()
            .last()
            .is_some_and(|c| "标益度出量效本响".contains(c));
        let after = &s[i + 1..];
        let n = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        out.push_str(&s[..i]);
        if level_end && n > 0 && after[n..].starts_with("分)") {
            s = &after[n + "分)".len()..];
        } else {
            out.push('(');
            s = after;
        }
    }
    out.push_str(s);
    out
}
