//! A graded standard in place of a target (an old Hebei 绩效目标表: 绩效指标分类 | 绩效指标 |
//! 绩效指标描述 | 绩效指标评价标准 优 良 中 差 | 评价标准确定依据), its cells run together with
//! no separator: `救助覆盖率困难群众…应救尽救100%90%85%85%按临时救助标准评价农村低保…`.
//!
//! The grades are the one thing the text marks: as many values as the standard has grades,
//! each with the same unit (`100%90%85%85%`). Between two rows' grades stand the row
//! before's basis (评价标准确定依据) and the next row's name and description, with nothing
//! between them: the basis is cut after the word that ends such a sentence (`按…评价`), the
//! name after the first word that ends a measure (`…率`, `…度(%)`). Both are guesses, and the
//! reader says so for every row.

use crate::layout::folded_chars;

/// One row read from a run: each part as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GradedRow {
    /// The name and description as written, run together.
    pub written: String,
    pub name: String,
    /// Empty where no cut was found: the name is then the whole text.
    pub description: String,
    /// The grade values, best first, as written (`100%`).
    pub grades: Vec<String>,
    /// The grades as written together (`100%90%85%85%`).
    pub grades_written: String,
    /// 评价标准确定依据, empty where none was found.
    pub basis: String,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Row(GradedRow),
    /// Text that is no row (no grades after it, or a basis with no end): reported.
    Unread(String, &'static str),
}

pub(crate) const NO_GRADES: &str = "连写的文字后没有评价标准各档的值，未读入（可能是下一张表的开头或被截断的行）/ run-together text with no grade values after it, not read (perhaps the next table's start, or a row cut off)";
pub(crate) const NO_BASIS_END: &str = "评价标准确定依据与下一行的指标名称连写，无法分开，该行未读入 / the basis of the row before runs into this row's name with no recognisable end: this row is not read";

/// Words that end a basis (`按临时救助标准评价`, `以…为准`).
const BASIS_ENDS: [&str; 9] = [
    "评价", "评定", "确定", "认定", "核定", "为准", "计算", "考核", "测算",
];

/// Characters that end a measure's name (`…覆盖率`, `…满意度`, `…人数`, `…比例`).
const NAME_ENDS: &str = "率度数量例重额积值";

/// Splits a run into graded rows; `n` is the number of grades (4 for 优 良 中 差).
pub(crate) fn decode(text: &str, n: usize) -> Vec<Piece> {
    let runs = grade_runs(text, n);
    let mut out = vec![];
    let Some(first) = runs.first() else {
        if !text.trim().is_empty() {
            out.push(Piece::Unread(text.to_string(), NO_GRADES));
        }
        return out;
    };
    // The name and description of the row whose grades come next.
    let mut pending: Option<String> = Some(text[..first.0].to_string());
    for (k, (a, b, grades)) in runs.iter().enumerate() {
        let next_start = runs.get(k + 1).map_or(text.len(), |r| r.0);
        let after = &text[*b..next_start];
        let last = k + 1 == runs.len();
        // The basis, and what follows it: the next row's name and description.
        let (basis, rest) = match basis_end(after) {
            Some(e) => (&after[..e], &after[e..]),
            None if last => (after, ""),
            None => ("", after),
        };
        match pending.take() {
            Some(written) if !written.trim().is_empty() => {
                let (name, description) = split_name(&written);
                out.push(Piece::Row(GradedRow {
                    written,
                    name,
                    description,
                    grades: grades.clone(),
                    grades_written: text[*a..*b].to_string(),
                    basis: basis.to_string(),
                }));
            }
            Some(_) => out.push(Piece::Unread(text[*a..*b].to_string(), NO_GRADES)),
            None => {
                // The row's name could not be cut from the basis before it: reported whole.
                out.push(Piece::Unread(text[*a..*b].to_string(), NO_BASIS_END));
                if !basis.is_empty() {
                    out.push(Piece::Unread(basis.to_string(), NO_BASIS_END));
                }
            }
        }
        if last {
            if !rest.trim().is_empty() {
                out.push(Piece::Unread(rest.to_string(), NO_GRADES));
            }
        } else if basis.is_empty() && basis_end(after).is_none() {
            out.push(Piece::Unread(after.to_string(), NO_BASIS_END));
        } else {
            pending = Some(rest.to_string());
        }
    }
    out
}

/// Runs of `n` values with the same unit each (`100%90%85%85%`): (start, end, the values).
fn grade_runs(text: &str, n: usize) -> Vec<(usize, usize, Vec<String>)> {
    let mut out = vec![];
    if n < 2 {
        return out;
    }
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let starts =
            b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_digit() || b[i - 1] == b'.'));
        if starts {
            if let Some((end, vals)) = grades_at(text, i, n) {
                out.push((i, end, vals));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// `n` values from `at`, each a number and the same short unit: where they end, and each.
fn grades_at(text: &str, at: usize, n: usize) -> Option<(usize, Vec<String>)> {
    let num_end = |from: usize| {
        let t = &text[from..];
        let len = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        (len > 0 && !t[..len].ends_with('.')).then_some(from + len)
    };
    let first_num = num_end(at)?;
    // The unit: what stands between the first number and the second, at most three
    // characters, no digit.
    let after = &text[first_num..];
    let unit_len = after.find(|c: char| c.is_ascii_digit())?;
    let unit = &after[..unit_len];
    if unit.is_empty() || unit.chars().count() > 3 || unit.chars().any(char::is_whitespace) {
        return None;
    }
    let mut vals = vec![];
    let mut p = at;
    for _ in 0..n {
        let e = num_end(p)?;
        if !text[e..].starts_with(unit) {
            return None;
        }
        vals.push(text[p..e + unit.len()].to_string());
        p = e + unit.len();
    }
    // A digit right after the last grade: the run is something else.
    if text[p..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((p, vals))
}

/// Where a basis ends: after the first word that ends one, at least two characters in.
fn basis_end(t: &str) -> Option<usize> {
    let chars = folded_chars(t);
    let key: String = chars.iter().map(|c| c.0).collect();
    let mut best: Option<usize> = None;
    for w in BASIS_ENDS {
        let mut from = 0;
        while let Some(i) = key[from..].find(w) {
            let e = from + i + w.len();
            if key[..from + i].chars().count() >= 1 {
                best = Some(best.map_or(e, |b| b.min(e)));
                break;
            }
            from = e;
        }
    }
    let e = best?;
    // Back to the text as written: the end of the key's character before `e`.
    let k = key[..e].chars().count();
    chars.get(k - 1).map(|c| c.2)
}

/// The name and the description of a row run together, cut after the first word that ends a
/// measure's name (and a unit in brackets after it, `满意度(%)`), before any punctuation.
/// Where there is none, the whole is the name.
fn split_name(t: &str) -> (String, String) {
    let chars = folded_chars(t);
    for (k, (c, _, end)) in chars.iter().enumerate() {
        if matches!(c, ',' | '，' | '。' | '；' | ';' | '、' | ':') {
            break;
        }
        if k < 1 || !NAME_ENDS.contains(*c) {
            continue;
        }
        let mut end = *end;
        // `(%)`, `(万元)`: the name's unit.
        if chars.get(k + 1).is_some_and(|x| x.0 == '(') {
            if let Some(close) = chars[k + 1..].iter().take(6).position(|x| x.0 == ')') {
                end = chars[k + 1 + close].2;
            }
        }
        let rest = &t[end..];
        if rest.chars().count() >= 2 {
            return (t[..end].to_string(), rest.to_string());
        }
    }
    (t.to_string(), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graded_rows_run_together() {
        let t = "救助覆蓋率困難群眾救助是否應(yīng)救盡救100%90%85%85%按臨時(shí)救助標(biāo)準(zhǔn)評(píng)價(jià)農(nóng)村低保資金發(fā)放的比率救助資金按標(biāo)準(zhǔn)發(fā)放的比率90%80%70%70%按臨時(shí)救助標(biāo)準(zhǔn)評(píng)價(jià)";
        let p = decode(t, 4);
        let rows: Vec<&GradedRow> = p
            .iter()
            .filter_map(|x| match x {
                Piece::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(rows.len(), 2, "{p:?}");
        assert_eq!(rows[0].name, "救助覆蓋率");
        assert_eq!(rows[0].grades, ["100%", "90%", "85%", "85%"]);
        assert_eq!(
            rows[0].basis,
            "按臨時(shí)救助標(biāo)準(zhǔn)評(píng)價(jià)"
        );
        assert_eq!(rows[1].name, "農(nóng)村低保資金發(fā)放的比率");
        assert_eq!(
            rows[1].description,
            "救助資金按標(biāo)準(zhǔn)發(fā)放的比率"
        );
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn a_unit_after_the_name_and_text_with_no_grades() {
        let p = decode(
            "對救助工作滿(mǎn)意度(%)問卷調查中的比率85%80%70%70%按滿意度評價邯財社2018號",
            4,
        );
        match &p[0] {
            Piece::Row(r) => {
                assert_eq!(r.name, "對救助工作滿(mǎn)意度(%)");
                assert_eq!(r.basis, "按滿意度評價");
            }
            x => panic!("{x:?}"),
        }
        assert_eq!(p[1], Piece::Unread("邯財社2018號".into(), NO_GRADES));
        // Values of different units are no grades.
        assert!(matches!(
            decode("甲乙丙100%90个85%85%", 4)[0],
            Piece::Unread(..)
        ));
    }
}
