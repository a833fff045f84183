//! Numbers stated in goal text: `不低于85%`, `完成120次以上`, `受益人数达5万人`.

use crate::Op;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A measurable promise found in a goal's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatedNumber {
    /// What is measured: the words before the number (`智能预填比例`, `“随申办”月活`).
    pub subject: String,
    pub op: Option<Op>,
    pub value: Decimal,
    /// As written, magnitude included (`%`, `万`, `万人`, `次`).
    pub unit: String,
    /// The phrase as written (`智能预填比例不低于70%`).
    pub text: String,
}

/// Operator words that may stand right before a number, longest first.
const BEFORE: [(&str, Op); 22] = [
    ("大于或等于", Op::Ge),
    ("不低于", Op::Ge),
    ("不少于", Op::Ge),
    ("不小于", Op::Ge),
    ("提高到", Op::Ge),
    ("提高至", Op::Ge),
    ("提升至", Op::Ge),
    ("提升到", Op::Ge),
    ("达到", Op::Ge),
    ("至少", Op::Ge),
    ("超过", Op::Gt),
    ("不超过", Op::Le),
    ("不高于", Op::Le),
    ("控制在", Op::Le),
    ("降低到", Op::Le),
    ("降至", Op::Le),
    ("低于", Op::Lt),
    ("少于", Op::Lt),
    ("达", Op::Ge),
    ("≥", Op::Ge),
    ("≤", Op::Le),
    ("完成", Op::Ge),
];

/// Base units that follow numbers in goal text.
const UNITS: [&str; 44] = [
    "人次",
    "公里",
    "平方米",
    "立方米",
    "千米",
    "小时",
    "分钟",
    "工作日",
    "个月",
    "余人",
    "余个",
    "余项",
    "万元",
    "元",
    "个",
    "项",
    "次",
    "人",
    "家",
    "件",
    "座",
    "台",
    "套",
    "所",
    "名",
    "条",
    "户",
    "场",
    "篇",
    "份",
    "本",
    "册",
    "辆",
    "张",
    "部",
    "天",
    "日",
    "周",
    "月",
    "米",
    "起",
    "批",
    "类",
    "期",
];

fn is_break(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '；' | ';' | '！' | '？' | '\n' | '、' | ',' | '：' | ':'
    )
}

/// Finds the numbers a goal promises: those with an operator word before them (`不低于`,
/// `达到`, `达`, `完成` …), `以上`/`以内` after them, or a `%`. Years, list numbers and
/// versions are not promises and are left out.
pub fn stated_numbers(text: &str) -> Vec<StatedNumber> {
    let mut out = Vec::new();
    let mut clause_start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = match text[i..].chars().next() {
            Some(c) => c,
            None => break,
        };
        if is_break(c) {
            clause_start = i + c.len_utf8();
            i += c.len_utf8();
            continue;
        }
        if !c.is_ascii_digit() {
            i += c.len_utf8();
            continue;
        }
        // A number: digits with at most one decimal point.
        let start = i;
        let mut end = i;
        let mut dot = false;
        while end < bytes.len() {
            let b = bytes[end];
            if b.is_ascii_digit() {
                end += 1;
            } else if b == b'.' && !dot && end + 1 < bytes.len() && bytes[end + 1].is_ascii_digit()
            {
                dot = true;
                end += 1;
            } else {
                break;
            }
        }
        i = end;
        // Part of a longer token (`2.0版`, `AI+`, `5G`), or a list number `1.`?
        let prev = text[..start].chars().next_back();
        if prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '.') {
            continue;
        }
        let Ok(value) = Decimal::from_str(&text[start..end]) else {
            continue;
        };
        let prefix = &text[clause_start..start];
        let after = &text[end..];
        let mut op = None;
        let mut subject = prefix;
        for (w, o) in BEFORE {
            if let Some(s) = prefix.strip_suffix(w) {
                op = Some(o);
                subject = s;
                break;
            }
        }
        let (unit, unit_len) = unit_after(after);
        let rest = &after[unit_len..];
        let mut suffix_len = 0;
        for (w, o) in [
            ("及以上", Op::Ge),
            ("以上", Op::Ge),
            ("以内", Op::Le),
            ("以下", Op::Le),
        ] {
            if rest.starts_with(w) {
                op = Some(op.unwrap_or(o));
                suffix_len = w.len();
                break;
            }
        }
        if unit == "年" || unit == "版" || (op.is_none() && unit != "%") {
            continue;
        }
        let subject = tidy_subject(subject);
        if subject.is_empty() {
            continue;
        }
        let phrase_start = clause_start + (subject_start(&text[clause_start..start], &subject));
        out.push(StatedNumber {
            subject,
            op,
            value: value.normalize(),
            unit: unit.to_string(),
            text: text[phrase_start..end + unit_len + suffix_len].to_string(),
        });
        i = end + unit_len + suffix_len;
    }
    out
}

/// The unit right after a number: `%`, a magnitude (`万`, `亿`) with an optional base unit.
fn unit_after(after: &str) -> (&str, usize) {
    if after.starts_with('%') || after.starts_with('％') {
        let n = after.chars().next().map_or(1, char::len_utf8);
        return ("%", n);
    }
    let mut len = 0;
    for m in ["千万", "百万", "万", "亿"] {
        if after.starts_with(m) {
            len = m.len();
            break;
        }
    }
    for u in UNITS {
        if after[len..].starts_with(u) {
            len += u.len();
            return (&after[..len], len);
        }
    }
    if after.starts_with('年') {
        return ("年", '年'.len_utf8());
    }
    if after.starts_with('版') {
        return ("版", '版'.len_utf8());
    }
    (&after[..len], len)
}

/// Drops the leading verbs and connectives that are not the measured thing.
fn tidy_subject(s: &str) -> String {
    let mut s = s.trim();
    loop {
        let before = s;
        for w in [
            "其中", "实现", "确保", "力争", "全年", "年度", "使", "并", "和", "且", "将", "推动",
            "保障", "达到", "累计", "共",
        ] {
            if let Some(r) = s.strip_prefix(w) {
                s = r.trim_start();
            }
        }
        if s == before {
            break;
        }
    }
    s.trim_end_matches(['的', '为', ' ']).to_string()
}

fn subject_start(prefix: &str, subject: &str) -> usize {
    prefix.find(subject).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief(text: &str) -> Vec<(String, Option<Op>, String, String)> {
        stated_numbers(text)
            .into_iter()
            .map(|n| (n.subject, n.op, n.value.to_string(), n.unit))
            .collect()
    }

    #[test]
    fn promises_in_goal_text() {
        assert_eq!(
            brief(
                "实现智能预填比例不低于70%，智能预审比例不低于90%，其中50项实现人工智能自动审批。"
            ),
            vec![
                ("智能预填比例".into(), Some(Op::Ge), "70".into(), "%".into()),
                ("智能预审比例".into(), Some(Op::Ge), "90".into(), "%".into()),
            ]
        );
        // No subject before the number: nothing to match an indicator with.
        assert!(brief("完成120次以上巡检").is_empty());
        assert_eq!(
            brief("首次申请受理（收件）率不低于80%")[0].0,
            "首次申请受理（收件）率"
        );
        assert_eq!(
            brief("全年巡检完成120次以上"),
            vec![("巡检".into(), Some(Op::Ge), "120".into(), "次".into())]
        );
        assert_eq!(
            brief("受益人数达5万人"),
            vec![("受益人数".into(), Some(Op::Ge), "5".into(), "万人".into())]
        );
        assert_eq!(
            brief("“随申办”月活达2000万，"),
            vec![(
                "“随申办”月活".into(),
                Some(Op::Ge),
                "2000".into(),
                "万".into()
            )]
        );
        assert_eq!(
            brief("事项100%入驻自助终端"),
            vec![("事项".into(), None, "100".into(), "%".into())]
        );
    }

    #[test]
    fn years_versions_and_list_numbers_are_not_promises() {
        assert!(brief("2023年，打造“一网通办”智慧好办2.0版。1. 在接入服务体量方面").is_empty());
        assert!(brief("推出企业和个人“双100”高频事项，十四五期间").is_empty());
        assert!(brief("达到2025年目标").is_empty());
    }
}
