//! Target values (指标值) and the grammar that reads them as users write them.
//!
//! One grammar reads every writing seen in published forms: `≥30.00(项)`, `=100.00 (%)`,
//! `$\geq 60\%$`, `>=85%`, `不少于120次`, `120次以上`, `10分钟内`, `0起`, `=0万元。`,
//! full-width `＞＝`, lookalikes `≧ ═ ﹦`. Whatever is not a quantity is a qualitative target,
//! kept as text. Reading never fails and never panics.
//!
//! Typed input (the editor, the API, monitoring and self-evaluation files) is read exactly as
//! written: `260%` is 260 %. Only text extracted from published scans may carry OCR damage
//! (`^95%`, `工95%` for `≥95%`): `Target::parse_published` repairs those, and every repair is
//! a note that the reader turns into a warning quoting the original.

use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The operator of a quantitative target (计算符号).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Ge,
    Gt,
    Eq,
    Lt,
    Le,
}

impl Op {
    pub const ALL: [Op; 5] = [Op::Ge, Op::Gt, Op::Eq, Op::Lt, Op::Le];

    /// The exchange format's spelling: `>=`, `>`, `=`, `<`, `<=`.
    pub fn ascii(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Eq => "=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }

    /// The form's spelling: `≥`, `＞`, `=`, `＜`, `≤`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => "≥",
            Op::Gt => "＞",
            Op::Eq => "=",
            Op::Lt => "＜",
            Op::Le => "≤",
        }
    }

    /// Positive (正向, more is better) for ≥ and ＞; reverse (反向) for ≤ and ＜.
    pub fn is_positive(self) -> bool {
        matches!(self, Op::Ge | Op::Gt)
    }

    pub fn is_reverse(self) -> bool {
        matches!(self, Op::Le | Op::Lt)
    }

    pub fn from_ascii(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.ascii() == s)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Serialize for Op {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.ascii())
    }
}

impl<'de> Deserialize<'de> for Op {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Op::from_ascii(&s).ok_or_else(|| {
            de::Error::custom(format!(
                "“{s}”不是计算符号，应为 >= > = < <= 之一 / “{s}” is not an operator: use one of >= > = < <="
            ))
        })
    }
}

/// A target value: a quantity with its operator and unit, or a qualitative text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    Quantitative {
        op: Op,
        /// Exact, without trailing zeros (`30.00` is stored as `30`).
        #[serde(with = "decimal_plain")]
        value: Decimal,
        /// As written, magnitude included (`亿条`, `万人`, `%`); empty when none was written.
        unit: String,
        /// Text written before the quantity (`新设企业通过全程网办方式占比 ≥60%`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        /// True when no operator was written (`85%`, `0起`) and `=` was assumed.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        op_implied: bool,
    },
    Qualitative {
        text: String,
    },
}

mod decimal_plain {
    use rust_decimal::Decimal;
    use serde::{de, Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.normalize())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        Decimal::from_str(s.trim())
            .map(|v| v.normalize())
            .map_err(|_| de::Error::custom(format!("“{s}”不是数值 / “{s}” is not a number")))
    }
}

/// What the grammar did beyond plain reading, for the reader's warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// An OCR-damaged operator was read as ≥ (`^95%`, `工95%`, `295%` for a percentage).
    OcrOperator,
    /// No operator was written; `=` was assumed.
    OpImplied,
}

impl Note {
    pub fn message(self) -> &'static str {
        match self {
            Note::OcrOperator => "疑似识别错误的符号已按“≥”读取 / a damaged operator was read as ≥",
            Note::OpImplied => "未写计算符号，按“=”读取 / no operator written, read as =",
        }
    }
}

/// A quantity as written: optional operator, exact value, unit (also used for actual values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    pub op: Option<Op>,
    pub value: Decimal,
    pub unit: String,
    pub subject: Option<String>,
    pub notes: Vec<Note>,
}

impl Target {
    /// Reads a target exactly as typed. Anything that is not a quantity is qualitative.
    pub fn parse(raw: &str) -> Target {
        Target::parse_with_notes(raw).0
    }

    /// Reads a typed target, noting an implied operator.
    pub fn parse_with_notes(raw: &str) -> (Target, Vec<Note>) {
        Target::parse_inner(raw, false)
    }

    /// Reads a target from published (extracted or scanned) text: as `parse_with_notes`, and
    /// an operator damaged by OCR (`^95%`, `工95%`) is read as ≥ with `Note::OcrOperator`.
    pub fn parse_published(raw: &str) -> (Target, Vec<Note>) {
        Target::parse_inner(raw, true)
    }

    fn parse_inner(raw: &str, ocr: bool) -> (Target, Vec<Note>) {
        let norm = normalize(raw);
        if let Some(rest) = norm.strip_prefix("定性") {
            let text = rest.trim_start_matches([':', '：', ' ', '-']).trim();
            let text = if text.is_empty() { norm.trim() } else { text };
            return (
                Target::Qualitative {
                    text: text.to_string(),
                },
                vec![],
            );
        }
        match parse_quantity_normalized(&norm, ocr) {
            Some(q) => {
                let mut notes = q.notes;
                let op_implied = q.op.is_none();
                if op_implied {
                    notes.push(Note::OpImplied);
                }
                (
                    Target::Quantitative {
                        op: q.op.unwrap_or(Op::Eq),
                        value: q.value,
                        unit: q.unit,
                        subject: q.subject,
                        op_implied,
                    },
                    notes,
                )
            }
            None => {
                let text = crate::text::tidy_paragraphs(raw);
                (Target::Qualitative { text }, vec![])
            }
        }
    }

    pub fn is_quantitative(&self) -> bool {
        matches!(self, Target::Quantitative { .. })
    }

    /// The target written the way forms print it: `≥30项`, `=100%`, `完善`.
    pub fn display(&self) -> String {
        match self {
            Target::Quantitative {
                op,
                value,
                unit,
                subject,
                op_implied,
            } => {
                let subject = subject
                    .as_deref()
                    .map(|s| format!("{s} "))
                    .unwrap_or_default();
                // An operator nobody wrote is not printed: `85%` stays `85%`.
                let op = if *op_implied { "" } else { op.symbol() };
                format!("{subject}{op}{}{}", value.normalize(), unit)
            }
            Target::Qualitative { text } => text.clone(),
        }
    }
}

/// Reads a quantity as typed (`≥266米`, `3200份`, `6.47亿元`, `85%`, `260%`). `None` when the
/// text is not one.
pub fn parse_quantity(raw: &str) -> Option<Quantity> {
    parse_quantity_normalized(&normalize(raw), false)
}

/// Folds the spellings of the wild into one: full-width forms to ASCII, lookalike and LaTeX
/// operators to ≥ ≤, HTML-free, trailing punctuation dropped.
fn normalize(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                // A LaTeX command: read its name and map the ones forms use.
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphabetic() {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                match name.as_str() {
                    "geq" | "ge" | "geqslant" => s.push('≥'),
                    "leq" | "le" | "leqslant" => s.push('≤'),
                    "gt" => s.push('>'),
                    "lt" => s.push('<'),
                    "" => {
                        // `\%` and `\,` and the like: keep the escaped character unless spacing.
                        if let Some(&n) = chars.peek() {
                            chars.next();
                            if !matches!(n, ',' | ';' | ' ' | '!') {
                                s.push(n);
                            }
                        }
                    }
                    // \text{..}, \mathrm{..}: keep their argument (braces are dropped below).
                    _ => {}
                }
            }
            '$' | '{' | '}' => {}
            '\u{FF01}'..='\u{FF5E}' => s.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
            '\u{3000}' | '\u{a0}' => s.push(' '),
            '≧' | '⩾' | '≽' => s.push('≥'),
            '≦' | '⩽' | '≼' => s.push('≤'),
            '═' | '﹦' | '〓' => s.push('='),
            '﹥' => s.push('>'),
            '﹤' => s.push('<'),
            _ => s.push(c),
        }
    }
    let s = if s.contains('=') {
        s.replace(">=", "≥")
            .replace("=>", "≥")
            .replace("<=", "≤")
            .replace("=<", "≤")
            .replace("≥=", "≥")
            .replace("≤=", "≤")
    } else {
        s
    };
    s.trim()
        .trim_end_matches(['。', '.', ',', '，', ';', '；', '!', '！', '、'])
        .trim()
        .to_string()
}

const OP_WORDS: [(&str, Op); 24] = [
    ("大于或等于", Op::Ge),
    ("大于等于", Op::Ge),
    ("不少于", Op::Ge),
    ("不低于", Op::Ge),
    ("不小于", Op::Ge),
    ("至少", Op::Ge),
    ("达到", Op::Ge),
    ("小于或等于", Op::Le),
    ("小于等于", Op::Le),
    ("不超过", Op::Le),
    ("不高于", Op::Le),
    ("不大于", Op::Le),
    ("不多于", Op::Le),
    ("最多", Op::Le),
    ("至多", Op::Le),
    ("控制在", Op::Le),
    ("大于", Op::Gt),
    ("高于", Op::Gt),
    ("超过", Op::Gt),
    ("多于", Op::Gt),
    ("小于", Op::Lt),
    ("低于", Op::Lt),
    ("少于", Op::Lt),
    ("等于", Op::Eq),
];

/// Suffix words after the unit: `120次以上`, `10分钟内`, `9月前`.
const SUFFIX_WORDS: [(&str, Op); 9] = [
    ("及以上", Op::Ge),
    ("以上", Op::Ge),
    ("及以下", Op::Le),
    ("以下", Op::Le),
    ("以内", Op::Le),
    ("之内", Op::Le),
    ("之前", Op::Le),
    ("内", Op::Le),
    ("前", Op::Le),
];

fn leading_op(s: &str, ocr: bool) -> Option<(Op, &str, bool)> {
    let first = s.chars().next()?;
    let sym = match first {
        '≥' => Some(Op::Ge),
        '≤' => Some(Op::Le),
        '>' => Some(Op::Gt),
        '<' => Some(Op::Lt),
        '=' => Some(Op::Eq),
        _ => None,
    };
    if let Some(op) = sym {
        return Some((op, &s[first.len_utf8()..], false));
    }
    // OCR damage in published scans: ≥ read as ^ or 工 before a number.
    if ocr && matches!(first, '^' | '工') {
        let rest = &s[first.len_utf8()..];
        if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
            return Some((Op::Ge, rest, true));
        }
    }
    for (w, op) in OP_WORDS {
        if let Some(rest) = s.strip_prefix(w) {
            return Some((op, rest, false));
        }
    }
    None
}

/// Reads `[+-]digits[,digits][.digits]` at the start; returns the value and the rest.
fn leading_number(s: &str) -> Option<(Decimal, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    let mut digits = String::new();
    if i > 0 && b[0] == b'-' {
        digits.push('-');
    }
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => digits.push(b[i] as char),
            // A thousands separator only between digits, followed by three digits.
            b',' if i > digits_start
                && b.len() >= i + 4
                && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
                && b.get(i + 4).is_none_or(|c| !c.is_ascii_digit()) => {}
            b'.' if i + 1 < b.len() && b[i + 1].is_ascii_digit() && !digits.contains('.') => {
                digits.push('.')
            }
            _ => break,
        }
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    let value = Decimal::from_str(&digits).ok()?.normalize();
    Some((value, &s[i..]))
}

/// Reads the unit (`(项)`, ` (%)`, `亿条`, `元/平方米`) and any suffix word; the whole rest
/// must be consumed.
fn unit_and_suffix(rest: &str) -> Option<(String, Option<Op>)> {
    let rest = rest.trim();
    let (unit, after) = if let Some(inner) = rest.strip_prefix('(') {
        let close = inner.find(')')?;
        (inner[..close].trim(), inner[close + 1..].trim())
    } else {
        (rest, "")
    };
    // A suffix word may follow the unit in or after the parentheses.
    let mut unit = unit.to_string();
    let mut suffix = None;
    let mut tail = after.to_string();
    if tail.is_empty() {
        for (w, op) in SUFFIX_WORDS {
            if let Some(u) = unit.strip_suffix(w) {
                // `内` alone is not a unit with a suffix (`内` as in 以内 already matched).
                unit = u.trim().to_string();
                suffix = Some(op);
                break;
            }
        }
    } else {
        for (w, op) in SUFFIX_WORDS {
            if tail == w {
                suffix = Some(op);
                tail.clear();
                break;
            }
        }
    }
    if !tail.is_empty() {
        return None;
    }
    let unit = unit.trim();
    if !is_unit(unit) {
        return None;
    }
    let unit = match unit {
        "百分比" | "百分率" | "百分之" => "%",
        u => u,
    };
    Some((unit.to_string(), suffix))
}

/// A plausible unit: short, no sentence punctuation, no digits after CJK text.
fn is_unit(u: &str) -> bool {
    if u.chars().count() > 8 {
        return false;
    }
    // `2023年底`, `2021年全年`, `9月底`: a date, not a number of years or months.
    if u.chars().count() > 1 && u.starts_with(['年', '月']) && u != "年度" {
        return false;
    }
    // Digits belong to a unit only after a Latin letter (`m3`, `km2`), never in a date or a
    // range (`-2024.01`).
    if u.chars().any(|c| c.is_ascii_digit()) && !u.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return false;
    }
    !u.chars().any(|c| {
        matches!(
            c,
            '，' | ','
                | '。'
                | '；'
                | ';'
                | '：'
                | ':'
                | '、'
                | '('
                | ')'
                | '≥'
                | '≤'
                | '<'
                | '>'
                | '='
        ) || c.is_whitespace()
            || c.is_ascii_digit() && u.chars().any(crate::text::is_cjk)
    })
}

fn parse_quantity_normalized(s: &str, ocr: bool) -> Option<Quantity> {
    if s.is_empty() {
        return None;
    }
    if let Some(q) = parse_plain_quantity(s, ocr) {
        return Some(q);
    }
    // Text before the quantity: `新设企业通过全程网办方式占比 ≥60%`, `满意度不低于90%`.
    // Only when an operator follows the text and the rest is a whole quantity.
    for (i, _) in s.char_indices().skip(1) {
        let rest = &s[i..];
        if let Some((op, after, repaired)) = leading_op(rest, false) {
            if repaired {
                continue;
            }
            if let Some(mut q) = parse_after_op(op, after) {
                let subject = s[..i].trim();
                if subject.is_empty() || subject.ends_with(|c: char| c.is_ascii_digit()) {
                    return None;
                }
                q.subject = Some(subject.to_string());
                return Some(q);
            }
        }
    }
    None
}

fn parse_after_op(op: Op, after: &str) -> Option<Quantity> {
    let (value, rest) = leading_number(after.trim_start())?;
    let (unit, suffix) = unit_and_suffix(rest)?;
    // `不超过10分钟内`: the suffix repeats the operator; a contradicting one is not a quantity.
    if suffix.is_some_and(|sfx| sfx != op && !(op == Op::Eq)) {
        return None;
    }
    let op = match (op, suffix) {
        (Op::Eq, Some(sfx)) => sfx,
        (op, _) => op,
    };
    Some(Quantity {
        op: Some(op),
        value,
        unit,
        subject: None,
        notes: vec![],
    })
}

fn parse_plain_quantity(s: &str, ocr: bool) -> Option<Quantity> {
    if let Some((op, after, repaired)) = leading_op(s, ocr) {
        let mut q = parse_after_op(op, after)?;
        if repaired {
            q.notes.push(Note::OcrOperator);
        }
        return Some(q);
    }
    let (value, rest) = leading_number(s)?;
    let (unit, suffix) = unit_and_suffix(rest)?;
    Some(Quantity {
        op: suffix,
        value,
        unit,
        subject: None,
        notes: vec![],
    })
}

/// OCR damage that only the indicator's name can reveal: `≥95%` scanned as `295%`. A rate or a
/// share (`…率`, `满意度`, `占比`) of more than 100 % whose leading `2` leaves a percentage of
/// at most 100 is read as `≥` that percentage. Returns `None` when the text shows no such
/// damage. Only for published text; the caller warns with the original.
pub fn ocr_percent_repair(name: &str, raw: &str) -> Option<Target> {
    let rate_like = ["率", "满意度", "占比", "比例", "知晓度"]
        .iter()
        .any(|w| name.contains(w));
    if !rate_like {
        return None;
    }
    let norm = normalize(raw);
    let q = parse_plain_quantity(&norm, false)?;
    if q.op.is_some() || q.unit != "%" || q.value <= Decimal::ONE_HUNDRED {
        return None;
    }
    let after = norm.trim_start().strip_prefix('2')?;
    if after.starts_with(['.', '0']) {
        return None;
    }
    let (v, _) = leading_number(after)?;
    (v <= Decimal::ONE_HUNDRED).then_some(Target::Quantitative {
        op: Op::Ge,
        value: v,
        unit: q.unit,
        subject: None,
        op_implied: false,
    })
}

#[cfg(test)]
mod tests;
