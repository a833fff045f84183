//! Tables whose cells run together with no separator at all (a document site's preview, a
//! PDF copied as one line): `安装坡面水标尺10≥266米≥266米10水标尺宽度10≥50厘米…`.
//!
//! The reader already splits such text at the level names and labels it knows
//! (`layout::split_run_together`); what is left between them is a run of rows. This module
//! splits a run into rows and cells by the shapes of the values (operators, numbers with
//! units, percentages, dates, qualitative words) in the column order the table's heads give.
//! Where the digits of two adjacent cells are fused (weight `10` and target `20万元` written
//! `1020万元`), every split is tried and kept only when the columns allow it (no leading
//! zero, a weight within the points of its group, a score within its weight); a row is read
//! only when exactly one reading survives. Anything else is given back as text to report,
//! never guessed. The same holds for a budget line run together (`split_budget_run`: the rate
//! must equal spent ÷ budget) and for fused totals (split by the builder at the rows' sum).
//! Readings made on a rule the user should know of (an OCR-damaged score or digit, targets
//! alike in every place's column, a name that may hold the row before's reason) come with a
//! note that the builder turns into a warning.

use crate::layout::{key_of, simplify, BudgetCol, Role};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Column heads that may run together in a header row (`一级指标二级指标三级指标分值年度指标值`).
/// A piece of text made of nothing but these is the table's header.
pub(crate) const HEAD_WORDS: [&str; 56] = [
    "区域目标值",
    "得分计算方法",
    "全年预算数",
    "全年执行数",
    "年初预算数",
    "调整后预算数",
    "执行率",
    "未完成原因及拟采取的改进措施",
    "未完成原因分析及改进措施",
    "偏差原因分析及改进措施",
    "未完成原因和改进措施",
    "未完成原因分析",
    "偏差原因分析",
    "偏差原因",
    "当年预期实现值",
    "年度(项目)指标值",
    "全年实际完成值",
    "实际完成值",
    "全年实际值",
    "年度指标值",
    "指标值内容",
    "指标值类型",
    "指标值",
    "绩效目标值",
    "指标目标值",
    "年度目标值",
    "目标值",
    "累计完成率",
    "评(扣)分标准",
    "评(扣分标准)",
    "评分标准",
    "指标解释",
    "指标说明",
    "绩效标准",
    "度量单位",
    "计量单位",
    "指标性质",
    "指标方向",
    "参考分值",
    "分值",
    "权重",
    "自评得分",
    "得分",
    "备注",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标名称",
    "指标内容",
    "评价指标",
    "评价内容",
    "绩效内容",
    "绩效指标",
    "实际值",
    "完成值",
    "计算符号",
];

/// Splits a header run together from column heads only (`指标值指标值内容评(扣分标准)`) into
/// its heads: each as written and the head it is. `None` unless the whole text is heads, at
/// least two of them. A short bracket after a head is its own (`指标值(A)`, OCR `指标值(八)`),
/// and a head whose characters OCR put out of order (`考值参分` for 参考分值) is that head.
pub(crate) fn split_heads(text: &str) -> Option<Vec<(String, &'static str)>> {
    if text.len() > 400 || text.contains(char::is_whitespace) {
        return None;
    }
    // A header starts with a head, its characters perhaps out of order: its first two
    // characters are characters of heads (a quick refusal of ordinary text).
    static CHARS: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    let chars = CHARS.get_or_init(|| {
        let mut c: Vec<char> = HEAD_WORDS.iter().flat_map(|w| w.chars()).collect();
        c.sort_unstable();
        c.dedup();
        c
    });
    let lead = text.trim_start_matches(['(', '（']);
    let lead = match short_bracket(text) {
        Some(n) => &text[n..],
        None => lead,
    };
    if lead.chars().take(2).count() < 2
        || !lead
            .chars()
            .take(2)
            .all(|c| chars.binary_search(&simplify(c)).is_ok())
    {
        return None;
    }
    let simple: String = text.chars().map(simplify).collect();
    let mut pieces = vec![];
    let mut at = 0;
    // `(B)分值执行率(B/A)得分`: the bracket of the head before, cut from it.
    if let Some(len) = short_bracket(&simple) {
        pieces.push((text[..len].to_string(), ""));
        at = len;
    }
    while at < simple.len() {
        let rest = &simple[at..];
        let (w, mut len) = match HEAD_WORDS
            .iter()
            .filter(|w| rest.starts_with(**w))
            .max_by_key(|w| w.len())
        {
            Some(w) => (*w, w.len()),
            // `区域目标值` | `新罗区` | `永定区` …: a target column per place.
            None if pieces.last().is_some_and(|p| p.1 == REGION_HEAD) => {
                let end = rest
                    .char_indices()
                    .take(4)
                    .skip(1)
                    .find(|(_, c)| matches!(c, '区' | '县' | '市' | '旗' | '镇' | '乡'))
                    .map(|(b, c)| b + c.len_utf8())?;
                (REGION_HEAD, end)
            }
            None => {
                let first = rest.chars().next()?;
                let w = HEAD_WORDS.iter().find(|w| {
                    let n = w.chars().count();
                    n >= 4 && w.contains(first) && {
                        let mut a: Vec<char> = rest.chars().take(n).collect();
                        let mut b: Vec<char> = w.chars().collect();
                        a.sort_unstable();
                        b.sort_unstable();
                        a == b
                    }
                })?;
                let len = rest
                    .char_indices()
                    .nth(w.chars().count())
                    .map_or(rest.len(), |(b, _)| b);
                (*w, len)
            }
        };
        // `(A)`, `(B)`, `(八)` after a head.
        len += short_bracket(&rest[len..]).unwrap_or(0);
        // `simplify` keeps byte lengths, so the cut is the original's.
        if !text.is_char_boundary(at + len) {
            return None;
        }
        pieces.push((text[at..at + len].to_string(), w));
        at += len;
    }
    (pieces.len() >= 2).then_some(pieces)
}

/// The head over one target column per place (县, 区, 市).
pub(crate) const REGION_HEAD: &str = "区域目标值";

pub(crate) const PLACE_COLUMN: &str = "一个地区的目标值列：各地区相同时读作一个目标，不同时该行报告而不读入 / a target column of one place: read as one target where all places agree, else the row is reported";

/// The length of a short bracket at the start of `s`: `(A)`, `(B/A)`, `(八)`.
fn short_bracket(s: &str) -> Option<usize> {
    let after = s.strip_prefix(['(', '（'])?;
    let close = after.find([')', '）'])?;
    let inner = &after[..close];
    if inner.is_empty() || inner.chars().count() > 3 {
        return None;
    }
    let open = s.len() - after.len();
    let shut = after[close..].chars().next().map_or(1, char::len_utf8);
    Some(open + close + shut)
}

/// Units a value may end with, longest first where one begins another.
const UNITS: [&str; 86] = [
    "个百分点",
    "百分比",
    "百分率",
    "平方公里",
    "平方米",
    "立方米",
    "万人次",
    "人次",
    "户次",
    "车次",
    "万元",
    "亿元",
    "千元",
    "万人",
    "万亩",
    "公里",
    "千米",
    "厘米",
    "毫米",
    "公顷",
    "公斤",
    "小时",
    "分钟",
    "个月",
    "课时",
    "学时",
    "元",
    "万",
    "亿",
    "人",
    "户",
    "次",
    "个",
    "個",
    "项",
    "項",
    "米",
    "亩",
    "畝",
    "吨",
    "噸",
    "辆",
    "輛",
    "台",
    "套",
    "件",
    "所",
    "家",
    "座",
    "天",
    "日",
    "月",
    "年",
    "批",
    "场",
    "場",
    "期",
    "篇",
    "册",
    "冊",
    "本",
    "张",
    "張",
    "名",
    "株",
    "头",
    "頭",
    "只",
    "份",
    "条",
    "條",
    "处",
    "處",
    "间",
    "間",
    "栋",
    "盏",
    "棵",
    "斤",
    "床",
    "倍",
    "周",
    "岁",
    "例",
    "%",
    "％",
];

const SYMBOL_OPS: [&str; 17] = [
    ">=", "<=", "=>", "=<", "≥=", "＞＝", "＜＝", "≥", "≤", "≧", "≦", ">", "<", "=", "＞", "＜",
    "＝",
];

/// Operators written as words; only before a number (`大于90%`).
const WORD_OPS: [&str; 16] = [
    "大于或等于",
    "小于或等于",
    "大于等于",
    "小于等于",
    "不低于",
    "不少于",
    "不小于",
    "不高于",
    "不超过",
    "不大于",
    "不多于",
    "大于",
    "小于",
    "高于",
    "低于",
    "超过",
];

/// Words after a quantity that belong to it: `95%以上`.
const SUFFIXES: [&str; 6] = ["及以上", "及以下", "以上", "以下", "以内", "左右"];

/// Words after a date that belong to it: `2021年12月完成`, `12月底前`.
const DATE_SUFFIXES: [&str; 8] = ["底前", "完成", "以前", "之前", "前", "底", "末", "内"];

/// Qualitative targets that follow a name directly (`残疾学生生活质量有所提升`): an adverb of
/// degree and a verb of change.
const QUAL_HEADS: [&str; 9] = [
    "有所",
    "显著",
    "明显",
    "逐步",
    "稳步",
    "持续",
    "不断",
    "进一步",
    "大幅",
];
const QUAL_VERBS: [&str; 14] = [
    "提升", "提高", "改善", "减轻", "降低", "减少", "增加", "增强", "下降", "上升", "好转", "优化",
    "加强", "缓解",
];

/// Words that open an explanation cell (指标解释, 指标说明, 绩效标准) after a name.
const EXPLANATION_OPENERS: [&str; 3] = ["反映", "达到", "衡量"];

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Text(String),
    /// A quantity: operator, digits, unit, suffix as written.
    Val {
        op: String,
        num: String,
        unit: String,
        suffix: String,
    },
    /// `2021年12月完成`, `2023年12月31日`.
    Date(String),
    /// `IO`, `lO`: a number as OCR misreads it.
    Ocr(String),
    /// `M.8万元`: a value whose first digit OCR read as a letter.
    Damaged(String),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Text(t) | Tok::Date(t) | Tok::Ocr(t) | Tok::Damaged(t) => t.clone(),
            Tok::Val {
                op,
                num,
                unit,
                suffix,
            } => format!("{op}{num}{unit}{suffix}"),
        }
    }
}

fn starts_any<'a>(s: &str, words: &[&'a str]) -> Option<&'a str> {
    words
        .iter()
        .filter(|w| s.starts_with(**w))
        .max_by_key(|w| w.len())
        .copied()
}

fn digits_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut n = 0;
    while n < b.len() && b[n].is_ascii_digit() {
        n += 1;
    }
    // Thousands grouped with commas: `1,000`, `12,345,678` (three digits after each comma).
    if (1..=3).contains(&n) {
        while n + 3 < b.len() + 1
            && b.get(n) == Some(&b',')
            && b.get(n + 1..n + 4)
                .is_some_and(|g| g.iter().all(u8::is_ascii_digit))
            && !b.get(n + 4).is_some_and(u8::is_ascii_digit)
        {
            n += 4;
        }
    }
    if n > 0 && n + 1 < b.len() && b[n] == b'.' && b[n + 1].is_ascii_digit() {
        n += 1;
        while n < b.len() && b[n].is_ascii_digit() {
            n += 1;
        }
    }
    n
}

/// A unit at the start of `s`, with `/人`, `.每天` after it: `元/人.每天`.
fn unit_len(s: &str) -> usize {
    let Some(u) = starts_any(s, &UNITS) else {
        return 0;
    };
    let mut n = u.len();
    loop {
        let rest = &s[n..];
        let Some(c) = rest.chars().next() else { break };
        if !matches!(c, '/' | '.' | '·') {
            break;
        }
        let after = &rest[c.len_utf8()..];
        let after_each = after.strip_prefix('每').unwrap_or(after);
        let skip = after.len() - after_each.len();
        match starts_any(after_each, &UNITS) {
            Some(u2) if u2 != "%" && u2 != "％" => n += c.len_utf8() + skip + u2.len(),
            _ => break,
        }
    }
    n
}

/// A date at the start of `s`: `2021年12月`, `2023年12月31日`, with `完成`/`前` after it.
fn date_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) {
        return 0;
    }
    let Some(rest) = s[4..].strip_prefix('年') else {
        return 0;
    };
    let m = digits_len(rest);
    if m == 0 || m > 2 || rest[..m].contains('.') {
        return 0;
    }
    let Some(mut r) = rest[m..].strip_prefix('月') else {
        return 0;
    };
    let d = digits_len(r);
    if (1..=2).contains(&d) && !r[..d].contains('.') {
        if let Some(x) = r[d..].strip_prefix(['日', '号']) {
            r = x;
        }
    }
    if let Some(suf) = starts_any(r, &DATE_SUFFIXES) {
        r = &r[suf.len()..];
    }
    s.len() - r.len()
}

/// An OCR-damaged number of two or three characters: `IO` for 10, `l0` for 10.
fn ocr_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut n = 0;
    while n < b.len() && n < 3 && matches!(b[n], b'I' | b'l' | b'O' | b'0'..=b'9') {
        n += 1;
    }
    let letters = b[..n].iter().any(|c| matches!(c, b'I' | b'l' | b'O'));
    let ends = n == b.len() || !b[n].is_ascii_alphanumeric();
    if letters && ends && n >= 2 {
        n
    } else {
        0
    }
}

fn ocr_number(t: &str) -> Option<Decimal> {
    let d: String = t
        .chars()
        .map(|c| match c {
            'I' | 'l' => '1',
            'O' => '0',
            c => c,
        })
        .collect();
    Decimal::from_str(&d).ok()
}

fn tokens(s: &str) -> Vec<Tok> {
    let mut out = vec![];
    let mut text = String::new();
    let mut at = 0;
    let mut after_value = false;
    while at < s.len() {
        let rest = &s[at..];
        // A date.
        let dl = date_len(rest);
        if dl > 0 {
            flush(&mut text, &mut out);
            out.push(Tok::Date(rest[..dl].to_string()));
            at += dl;
            after_value = true;
            continue;
        }
        // An operator and a quantity.
        let op = starts_any(rest, &SYMBOL_OPS).or_else(|| starts_any(rest, &WORD_OPS));
        let after_op = &rest[op.map_or(0, str::len)..];
        let mut nl = digits_len(after_op);
        // `52021年12月`: a number fused with the year of a date after it.
        if op.is_none()
            && nl > 4
            && !after_op[..nl].contains('.')
            && date_len(&after_op[nl - 4..]) > 0
        {
            nl -= 4;
            flush(&mut text, &mut out);
            out.push(Tok::Val {
                op: String::new(),
                num: after_op[..nl].to_string(),
                unit: String::new(),
                suffix: String::new(),
            });
            at += nl;
            after_value = true;
            continue;
        }
        if nl > 0 {
            flush(&mut text, &mut out);
            let num = &after_op[..nl];
            let ul = unit_len(&after_op[nl..]);
            let unit = &after_op[nl..nl + ul];
            let sl = starts_any(&after_op[nl + ul..], &SUFFIXES).map_or(0, str::len);
            let suffix = &after_op[nl + ul..nl + ul + sl];
            out.push(Tok::Val {
                op: op.unwrap_or("").to_string(),
                num: num.to_string(),
                unit: unit.to_string(),
                suffix: suffix.to_string(),
            });
            at += op.map_or(0, str::len) + nl + ul + sl;
            after_value = true;
            continue;
        }
        if after_value {
            let ol = ocr_len(rest);
            if ol > 0 {
                flush(&mut text, &mut out);
                out.push(Tok::Ocr(rest[..ol].to_string()));
                at += ol;
                continue;
            }
            // `3M.8万元14.8万元`: a letter for the first digit of a decimal, right after a value.
            let b = rest.as_bytes();
            if b.len() > 2 && b[0].is_ascii_uppercase() && b[1] == b'.' && b[2].is_ascii_digit() {
                let nl = 2 + rest[2..].bytes().take_while(u8::is_ascii_digit).count();
                let ul = unit_len(&rest[nl..]);
                if ul > 0 {
                    flush(&mut text, &mut out);
                    out.push(Tok::Damaged(rest[..nl + ul].to_string()));
                    at += nl + ul;
                    continue;
                }
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        text.push(c);
        at += c.len_utf8();
        after_value = false;
    }
    flush(&mut text, &mut out);
    out
}

fn flush(text: &mut String, out: &mut Vec<Tok>) {
    if !text.is_empty() {
        out.push(Tok::Text(std::mem::take(text)));
    }
}

/// How a cell of a reading was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Plain,
    /// A score OCR damaged (`IO`), read as the number.
    OcrScore,
    /// A value with a digit OCR damaged (`M.8万元`), kept as written.
    Damaged,
}

/// A reading of a row's value columns: (column, text, how it was read), and the token after
/// the row.
type Reading = (Vec<(Role, String, Mark)>, usize);

/// One row read from a run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RunRow {
    pub name: String,
    pub vals: Vec<(Role, String)>,
    /// Readings made on a rule the reader reports (an OCR-damaged score or value, a name
    /// that may hold a reason, targets alike in every place): the text and why.
    pub notes: Vec<(String, &'static str)>,
}

/// What a run holds, in order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Row(RunRow),
    /// Text that is no row: reported with why.
    Unread(String, &'static str),
    /// `总分` and what follows it up to the end of the table (digits of fused totals).
    Total(String),
    /// The table has ended (a section heading of prose, `(二)…`, or the totals): the text
    /// from here on is not the table's.
    End(String),
}

pub(crate) const UNREAD: &str =
    "连写的单元格无法确定地分开，未读入 / cells run together that cannot be split with certainty: not read";
pub(crate) const EMPTY_ROW: &str =
    "表格中的空行（只有类型或占位符），未读入 / an empty row of the table (a type or a placeholder only): not read";
/// Words of a deviation reason (偏差原因): in a run, they may open what looks like a name.
const REASON_WORDS: [&str; 6] = ["原因", "由于", "因为", "改进措施", "未完成", "未达到"];
pub(crate) const REASON_IN_NAME: &str =
    "指标名称中可能含有上一行的偏差原因（连写，无法分开） / the name may hold the row before's deviation reason (run together, not separable)";
pub(crate) const SAME_TARGETS: &str =
    "各列（如各区县）的目标值相同，读作一个目标 / the same target in every column (place): read as one";
pub(crate) const DAMAGED: &str =
    "数值中一位疑为识别错误（字母代替数字），按原文保留 / a value with a digit OCR-damaged into a letter, kept as written";
pub(crate) const OCR_SCORE: &str =
    "得分疑为识别错误（I/l 作 1，O 作 0），已按数字读取 / the score read as an OCR-damaged number (I/l as 1, O as 0)";

pub(crate) const GUESSED: &str =
    "连写的数字有多种拆法，已按列的顺序和数值的合理性推定，请核对 / digits run together split in more than one way: split by the column order and the plausibility of the values, a guess to check";

/// A row that no reading splits with certainty (digits of several columns fused with more
/// than one valid split: `2010010020`): the longest run of digits that splits into the value
/// columns after the name, split the most plausible way (a target met is scored in full,
/// target and actual alike, weights of whole or half points), and the text before it the
/// name. Said to be a guess, with the digits quoted.
pub(crate) fn guess_row(text: &str, roles: &[Role], limits: Limits) -> Option<RunRow> {
    let lead = roles
        .iter()
        .take_while(|r| bare(**r) || matches!(r, Role::Target | Role::Actual))
        .count();
    if lead < 2
        || roles[..lead]
            .iter()
            .filter(|r| matches!(r, Role::Target))
            .count()
            != 1
    {
        return None;
    }
    let tail = &roles[lead..];
    // 得分 after a text column (得分计算方法): the number at the end of that text, or, where
    // the text is empty, the run's last digits.
    let notes_then_score = tail
        .iter()
        .position(|r| *r == Role::Score)
        .filter(|&p| tail[..p].iter().all(|r| matches!(r, Role::Note)));
    let text_role = |after: usize| {
        tail[after.min(tail.len())..]
            .iter()
            .find(|r| matches!(r, Role::Note | Role::Reason))
            .copied()
    };
    // Runs of digits and points, longest first (the later first among equals).
    let b = text.as_bytes();
    let mut runs = vec![];
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            let mut end = j;
            while end > i && b[end - 1] == b'.' {
                end -= 1;
            }
            // `…9.342021年底`: a year that begins the text after the run.
            if text[end..].starts_with('年') && end - i > 4 {
                let y = &text[end - 4..end];
                if y.bytes().all(|c| c.is_ascii_digit())
                    && (y.starts_with("19") || y.starts_with("20"))
                {
                    end -= 4;
                }
            }
            runs.push((i, end));
            i = j;
        } else {
            i += 1;
        }
    }
    runs.sort_by_key(|(a, e)| (std::cmp::Reverse(e - a), std::cmp::Reverse(*a)));
    for (start, end) in runs {
        let name = text[..start].trim();
        if name.is_empty() || !name.chars().any(char::is_alphabetic) {
            continue;
        }
        let digits = &text[start..end];
        let rest = text[end..].trim();
        let mut best: Option<(u32, Vec<(Role, String)>)> = None;
        let mut consider = |cells: Vec<(Role, String)>| {
            let c = plausibility(&cells);
            if best.as_ref().is_none_or(|(b, _)| c < *b) {
                best = Some((c, cells));
            }
        };
        // The value columns only; then the score too, where the text column before it is
        // empty.
        let mut shapes: Vec<Vec<Role>> = vec![roles[..lead].to_vec()];
        if let Some(p) = notes_then_score {
            let mut with_score = roles[..lead].to_vec();
            with_score.push(tail[p]);
            shapes.push(with_score);
        }
        for shape in shapes {
            let mut parts = vec![];
            let mut found = vec![];
            split_parts_loose(digits, shape.len(), &mut parts, &mut found);
            for split in found {
                let mut cells: Vec<(Role, String)> = shape.iter().copied().zip(split).collect();
                let consumed_score = cells.iter().any(|c| c.0 == Role::Score);
                // The score at the end of the text column after the values.
                if !consumed_score && notes_then_score.is_some() {
                    let n = rest
                        .char_indices()
                        .rev()
                        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
                        .last()
                        .map(|(k, _)| k);
                    if let Some(k) = n.filter(|&k| k > 0 && plain_number(&rest[k..])) {
                        cells.push((Role::Note, rest[..k].trim().to_string()));
                        cells.push((Role::Score, rest[k..].to_string()));
                    } else if !rest.is_empty() {
                        cells.push((text_role(0).unwrap_or(Role::Note), rest.to_string()));
                    }
                } else if !rest.is_empty() {
                    let after = if consumed_score {
                        notes_then_score.map_or(0, |p| p + 1)
                    } else {
                        0
                    };
                    cells.push((text_role(after).unwrap_or(Role::Note), rest.to_string()));
                }
                if values_fit(&cells, limits) {
                    consider(cells);
                }
            }
        }
        if let Some((_, vals)) = best {
            return Some(RunRow {
                name: name.to_string(),
                vals,
                notes: vec![(digits.to_string(), GUESSED)],
            });
        }
    }
    None
}

/// Every split of `s` into `n` numbers of at most one point and two decimals, none with a
/// leading zero.
fn split_parts_loose(s: &str, n: usize, parts: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    if found.len() > 64 {
        return;
    }
    let ok = |p: &str| {
        plain_number(p)
            && p.matches('.').count() <= 1
            && p.split('.').nth(1).is_none_or(|d| d.len() <= 2)
    };
    if n == 1 {
        if ok(s) {
            parts.push(s.to_string());
            found.push(parts.clone());
            parts.pop();
        }
        return;
    }
    for k in 1..s.len() {
        let (a, b) = s.split_at(k);
        if ok(a) {
            parts.push(a.to_string());
            split_parts_loose(b, n - 1, parts, found);
            parts.pop();
        }
    }
}

fn cell_number(cells: &[(Role, String)], r: Role) -> Option<Decimal> {
    cells
        .iter()
        .find(|c| c.0 == r)
        .and_then(|c| Decimal::from_str(&c.1).ok())
}

/// The weight within the group's points, the score within the weight.
fn values_fit(cells: &[(Role, String)], limits: Limits) -> bool {
    let w = cell_number(cells, Role::Weight);
    let s = cell_number(cells, Role::Score);
    w.is_none_or(|w| w > Decimal::ZERO && w <= limits.max_weight)
        && s.is_none_or(|s| s <= Decimal::ONE_HUNDRED && w.is_none_or(|w| s <= w))
}

/// How unlikely a split is (0 the likeliest): an actual unlike its target, of another order
/// of magnitude, a met target not scored in full, a weight not of whole or half points.
fn plausibility(cells: &[(Role, String)]) -> u32 {
    let mut c = 0;
    let (t, a) = (
        cell_number(cells, Role::Target),
        cell_number(cells, Role::Actual),
    );
    let (w, s) = (
        cell_number(cells, Role::Weight),
        cell_number(cells, Role::Score),
    );
    if let (Some(t), Some(a)) = (t, a) {
        if t != a {
            c += 3;
        }
        let digits = |d: Decimal| d.trunc().abs().to_string().len() as i64;
        if (digits(t) - digits(a)).abs() >= 2 {
            c += 1;
        }
        if let (Some(w), Some(s)) = (w, s) {
            if a >= t && s != w {
                c += 2;
            }
        }
    }
    if let Some(w) = w {
        if !(w * Decimal::TWO).fract().is_zero() {
            c += 1;
        }
    }
    c
}

fn is_value_role(r: Role) -> bool {
    matches!(
        r,
        Role::Weight | Role::Score | Role::Target | Role::Actual | Role::Completion
    )
}

fn bare(r: Role) -> bool {
    matches!(r, Role::Weight | Role::Score)
}

/// No leading zero (`0`, `0.5` are numbers; `020` is not).
fn plain_number(num: &str) -> bool {
    let leading_zero = num.len() > 1 && num.starts_with('0') && !num.starts_with("0.");
    let int = num.split('.').next().unwrap_or("");
    // Commas only as thousands separators: `1,000`, never `1,00` or `,000`.
    let groups_ok = !int.contains(',') || {
        let mut g = int.split(',');
        g.next().is_some_and(|f| (1..=3).contains(&f.len())) && g.all(|x| x.len() == 3)
    };
    num.starts_with(|c: char| c.is_ascii_digit())
        && groups_ok
        && !(leading_zero || num.ends_with('.'))
}

/// A section heading of prose after a table: `(二)`, `二、`, `（三）`.
fn prose_heading(t: &str) -> bool {
    let t = t.trim_start_matches(['(', '（']);
    let mut chars = t.chars();
    matches!(
        chars.next(),
        Some('一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十')
    ) && matches!(chars.next(), Some(')' | '）' | '、'))
}

/// The next table's title run into the last row (`…=99百分比省级部门预算项目支出绩效目标表(`):
/// this table has ended.
fn ends_in_title(t: &str) -> bool {
    let t = t.trim_end_matches(['(', '（']);
    ["绩效目标表", "绩效目标申报表", "自评表", "绩效评价指标表"]
        .iter()
        .any(|w| t.ends_with(w))
}

const TOTAL_WORDS: [&str; 3] = ["总分", "合计", "总计"];

/// Limits that make a split certain or impossible.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The most a row's weight may be: the points of its group, else 100.
    pub max_weight: Decimal,
}

/// Splits a run into rows by the columns after the name (`roles`, in the header's order).
pub(crate) fn decode(text: &str, roles: &[Role], limits: Limits) -> Vec<Piece> {
    let toks = tokens(text);
    let first_value = roles.iter().position(|r| is_value_role(*r));
    let Some(first_value) = first_value else {
        return vec![Piece::Unread(text.to_string(), UNREAD)];
    };
    let last_value = roles.iter().rposition(|r| is_value_role(*r)).unwrap_or(0);
    let values: Vec<Role> = roles
        .iter()
        .copied()
        .filter(|r| is_value_role(*r))
        .collect();
    let pre_note = roles[..first_value].iter().any(|r| matches!(r, Role::Note));
    let post: Vec<Role> = roles[last_value + 1..].to_vec();
    // Free text after the values (指标解释, 评分标准): a row runs to the end of the run.
    let one_row = post.iter().any(|r| matches!(r, Role::Note));
    let mut out = vec![];
    let mut i = 0;
    while i < toks.len() {
        let Tok::Text(name_text) = &toks[i] else {
            out.push(Piece::Unread(rest_text(&toks[i..]), UNREAD));
            break;
        };
        // The end of the table: `总分` (after nothing but dots: `……总分100100`) and the
        // totals' numbers, or a heading of the prose after it.
        let total_word = TOTAL_WORDS.iter().find(|w| {
            name_text
                .strip_suffix(**w)
                .is_some_and(|before| !before.chars().any(char::is_alphanumeric))
        });
        if let Some(w) = total_word {
            let before = &name_text[..name_text.len() - w.len()];
            let mut j = i + 1;
            let mut total = String::new();
            while let Some(Tok::Val { .. }) = toks.get(j) {
                total.push_str(&toks[j].text());
                j += 1;
            }
            if !before.is_empty() {
                out.push(Piece::Unread(before.to_string(), EMPTY_ROW));
            }
            out.push(Piece::Total(total));
            let rest = rest_text(&toks[j..]);
            if !rest.is_empty() {
                out.push(Piece::End(rest));
            }
            return out;
        }
        if prose_heading(name_text) || ends_in_title(name_text) {
            out.push(Piece::End(rest_text(&toks[i..])));
            return out;
        }
        // A qualitative target right after the name (`…情况稳步提高`): where only notes follow
        // it, or where it ends the run.
        let (name, qual) = match split_qualitative(name_text) {
            (n, Some((t, rest)))
                if values == [Role::Target]
                    && (one_row || rest.is_empty() && i + 1 == toks.len()) =>
            {
                (n, Some((t, rest)))
            }
            _ => (name_text.clone(), None),
        };
        // A qualitative target inside the text before a value (`…情况稳步提高学校满意度≥90%`):
        // where one row ends and the next begins is not known.
        let mixed = qual.is_none()
            && values == [Role::Target]
            && matches!(split_qualitative(name_text), (_, Some((_, rest))) if !rest.is_empty());
        let (name, explanation) = if pre_note {
            split_explanation(&name)
        } else {
            (name, None)
        };
        if !name.chars().any(|c| c.is_alphanumeric()) || key_of(&name).is_empty() {
            let t = rest_text(&toks[i..]);
            let msg = if toks.len() == i + 1 && placeholder(&t) {
                EMPTY_ROW
            } else {
                UNREAD
            };
            out.push(Piece::Unread(t, msg));
            break;
        }
        let mut vals: Vec<(Role, String)> = vec![];
        if let Some(e) = explanation {
            vals.push((Role::Note, e));
        }
        let mut notes = vec![];
        // The values, from the tokens after the name (or a qualitative target cut from it).
        // A qualitative target cut from the name: only notes follow, the rest is theirs.
        if let Some((target, rest)) = qual {
            vals.push((Role::Target, target));
            let rest = format!("{rest}{}", rest_text(&toks[i + 1..]));
            out.push(Piece::Row(finish_row(name, vals, notes, &rest, &post)));
            return out;
        }
        let mut readings = assign(&toks, i + 1, &values, limits, one_row);
        let mut name = name;
        // `群众知晓率显著提高10`: no reading takes the numbers alone, and the text ends in a
        // qualitative target: the target is that phrase, the numbers the columns after it.
        if readings.is_empty() && values.first() == Some(&Role::Target) && values.len() > 1 {
            if let (n, Some((t, rest))) = split_qualitative(&name) {
                if rest.is_empty() {
                    readings = assign(&toks, i + 1, &values[1..], limits, one_row);
                    for r in &mut readings {
                        r.0.insert(0, (Role::Target, t.clone(), Mark::Plain));
                    }
                    if !readings.is_empty() {
                        name = n;
                    }
                }
            }
        }
        let mut distinct: Vec<Reading> = vec![];
        for r in readings {
            if !distinct.iter().any(|d| d.0 == r.0) {
                distinct.push(r);
            }
        }
        // Several target columns (one per place): one target when all are written alike,
        // else no reading.
        let mut places = None;
        for d in &mut distinct {
            let targets: Vec<&String> =
                d.0.iter()
                    .filter(|c| c.0 == Role::Target)
                    .map(|c| &c.1)
                    .collect();
            if targets.len() > 1 {
                if targets.iter().all(|t| *t == targets[0]) {
                    places = Some(targets.iter().map(|t| t.as_str()).collect::<String>());
                    let mut seen = false;
                    d.0.retain(|c| c.0 != Role::Target || !std::mem::replace(&mut seen, true));
                } else {
                    d.0.clear();
                }
            }
        }
        distinct.retain(|d| !d.0.is_empty());
        match distinct.as_slice() {
            [(cells, end)] => {
                if let Some(p) = places.take() {
                    notes.push((p, SAME_TARGETS));
                }
                for (role, v, mark) in cells {
                    match mark {
                        Mark::OcrScore => {
                            notes.push((v.clone(), OCR_SCORE));
                            let n = ocr_number(v).map(|d| d.to_string()).unwrap_or_default();
                            vals.push((*role, n));
                        }
                        Mark::Damaged => {
                            notes.push((v.clone(), DAMAGED));
                            vals.push((*role, v.clone()));
                        }
                        Mark::Plain => vals.push((*role, v.clone())),
                    }
                }
                if mixed {
                    out.push(Piece::Unread(rest_text(&toks[i..*end]), UNREAD));
                    i = *end;
                    continue;
                }
                if one_row {
                    out.push(Piece::Row(finish_row(
                        name,
                        vals,
                        notes,
                        &rest_text(&toks[*end..]),
                        &post,
                    )));
                    return out;
                }
                // After a row whose 偏差原因 column may hold text, words of a reason at the
                // start of the next name are possible: said, since nothing marks the cut.
                let after_row = out.iter().any(|p| matches!(p, Piece::Row(_)));
                if after_row
                    && post.contains(&Role::Reason)
                    && REASON_WORDS.iter().any(|w| name.contains(w))
                {
                    notes.push((name.clone(), REASON_IN_NAME));
                }
                out.push(Piece::Row(RunRow { name, vals, notes }));
                i = *end;
            }
            _ => {
                // No reading, or more than one: the row is reported as written. Where it ends
                // is known only when every reading ends in the same place.
                let ends: Vec<usize> = distinct.iter().map(|d| d.1).collect();
                let end = match ends.first() {
                    Some(e) if !one_row && ends.iter().all(|x| x == e) => *e,
                    _ => toks.len(),
                };
                let t = rest_text(&toks[i..end]);
                let msg = if end == toks.len() && toks.len() == i + 1 && placeholder(&t) {
                    EMPTY_ROW
                } else {
                    UNREAD
                };
                out.push(Piece::Unread(t, msg));
                i = end;
            }
        }
    }
    out
}

/// A row's text after its values (`one_row`): the type at its end (`-定量`) and the rest as
/// one explanation; an empty unit written `-` is dropped.
fn finish_row(
    name: String,
    mut vals: Vec<(Role, String)>,
    notes: Vec<(String, &'static str)>,
    rest: &str,
    post: &[Role],
) -> RunRow {
    let mut rest = rest.trim().to_string();
    let mut tail = vec![];
    if post.contains(&Role::Op) {
        for w in ["定量", "定性"] {
            if let Some(r) = rest.strip_suffix(w) {
                tail.push((Role::Note, w.to_string()));
                rest = r.to_string();
                break;
            }
        }
    }
    if post.contains(&Role::Unit) {
        if let Some(r) = rest.strip_suffix(['-', '—', '/']) {
            rest = r.to_string();
        }
    }
    if !rest.is_empty() {
        vals.push((Role::Note, rest));
    }
    vals.extend(tail);
    RunRow { name, vals, notes }
}

/// Cuts the empty slots of a template out of a run (`指标1:指标2:`, OCR `指标L`): the slots
/// and the rest.
pub(crate) fn strip_slots(text: &str) -> (Vec<String>, String) {
    let mut slots = vec![];
    let mut rest = String::with_capacity(text.len());
    let mut t = text;
    while let Some(at) = t.find("指标") {
        let after = &t[at + "指标".len()..];
        let mut chars = after.chars();
        let slot = match (chars.next(), chars.next()) {
            (Some(n), Some(':' | '：')) if n.is_ascii_digit() || "LlI一二三四五".contains(n) =>
            {
                let len = n.len_utf8()
                    + after[n.len_utf8()..]
                        .chars()
                        .next()
                        .map_or(0, char::len_utf8);
                Some(len)
            }
            (Some(n), next)
                if "Ll".contains(n) && !next.is_some_and(|c| c.is_ascii_alphanumeric()) =>
            {
                Some(1)
            }
            _ => None,
        };
        match slot {
            Some(len) => {
                rest.push_str(&t[..at]);
                slots.push(t[at..at + "指标".len() + len].to_string());
                t = &after[len..];
            }
            None => {
                rest.push_str(&t[..at + "指标".len()]);
                t = after;
            }
        }
    }
    rest.push_str(t);
    (slots, rest)
}

/// An empty slot of a template on its own: `指标2`, `指标2:`, `……`.
pub(crate) fn slot(key: &str) -> bool {
    if !key.is_empty() && key.chars().all(|c| matches!(c, '…' | '.' | '。')) && key.len() >= 3 {
        return true;
    }
    let Some(rest) = key.strip_prefix("指标") else {
        return false;
    };
    let rest = rest.trim_end_matches([':', '：']);
    (1..=2).contains(&rest.chars().count())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || "LlI一二三四五六七八九十".contains(c))
}

/// Whether a text is one value and nothing else: `100%`, `≥95%`, `2023年12月`.
pub(crate) fn one_value(text: &str) -> bool {
    matches!(tokens(text).as_slice(), [Tok::Val { .. } | Tok::Date(_)])
}

/// Only a type or placeholder: `-定性`, `指标2:`, `……`.
fn placeholder(t: &str) -> bool {
    let k = key_of(t);
    let k = k.trim_matches(|c: char| !c.is_alphanumeric() || c.is_ascii_digit());
    k.is_empty() || matches!(k, "定性" | "定量" | "指标")
}

fn rest_text(toks: &[Tok]) -> String {
    toks.iter().map(Tok::text).collect()
}

/// `残疾学生生活质量有所提升…`: the name and a qualitative target that follows it directly.
fn split_qualitative(t: &str) -> (String, Option<(String, String)>) {
    for (at, _) in t.char_indices().skip(2) {
        let rest = &t[at..];
        if let Some(h) = starts_any(rest, &QUAL_HEADS) {
            if let Some(v) = starts_any(&rest[h.len()..], &QUAL_VERBS) {
                let end = at + h.len() + v.len();
                return (
                    t[..at].to_string(),
                    Some((t[at..end].to_string(), t[end..].to_string())),
                );
            }
        }
    }
    (t.to_string(), None)
}

/// `享受资助人数达到预计值`: the name and an explanation that follows it.
fn split_explanation(t: &str) -> (String, Option<String>) {
    for (at, _) in t.char_indices().skip(2) {
        let rest = &t[at..];
        // `达到` opens one only as `达到目标值`/`达到预计值` (a name may say 达到标准).
        let opens = match starts_any(rest, &EXPLANATION_OPENERS) {
            Some("达到") => rest.ends_with('值'),
            Some(_) => true,
            None => false,
        };
        if opens {
            return (t[..at].to_string(), Some(rest.to_string()));
        }
    }
    (t.to_string(), None)
}

/// Every way the value columns take the tokens from `i`: cells (role, text, OCR-read) and
/// where the row ends. A row must end at the end of the run or before the next name.
fn assign(toks: &[Tok], i: usize, values: &[Role], limits: Limits, one_row: bool) -> Vec<Reading> {
    let mut out = vec![];
    let mut cur = vec![];
    walk(toks, i, None, values, limits, one_row, &mut cur, &mut out);
    // The score within the weight.
    out.retain(|(cells, _)| {
        let get = |r: Role| {
            cells.iter().find(|c| c.0 == r).and_then(|c| {
                if c.2 == Mark::OcrScore {
                    ocr_number(&c.1)
                } else {
                    Decimal::from_str(c.1.trim_end_matches('分')).ok()
                }
            })
        };
        match (get(Role::Weight), get(Role::Score)) {
            (Some(w), Some(s)) => s <= w,
            _ => true,
        }
    });
    out
}

/// A remainder of a token whose first digits went to the previous column.
#[derive(Clone)]
struct Carry {
    tok: usize,
    /// The digits left, with the token's unit and suffix.
    num: String,
}

#[allow(clippy::too_many_arguments)]
fn walk(
    toks: &[Tok],
    i: usize,
    carry: Option<Carry>,
    values: &[Role],
    limits: Limits,
    one_row: bool,
    cur: &mut Vec<(Role, String, Mark)>,
    out: &mut Vec<Reading>,
) {
    if out.len() > 16 {
        return;
    }
    let Some((&role, more)) = values.split_first() else {
        if carry.is_none() && (one_row || i >= toks.len() || matches!(toks[i], Tok::Text(_))) {
            out.push((cur.clone(), i));
        }
        return;
    };
    // The token this column starts in: the rest of a fused one, or the next whole one.
    let tok = match &carry {
        Some(c) => {
            let Tok::Val { unit, suffix, .. } = &toks[c.tok] else {
                return;
            };
            Tok::Val {
                op: String::new(),
                num: c.num.clone(),
                unit: unit.clone(),
                suffix: suffix.clone(),
            }
        }
        None => match toks.get(i) {
            Some(t) => t.clone(),
            None => return,
        },
    };
    let next_i = if carry.is_some() { i } else { i + 1 };
    match (&tok, role) {
        (
            Tok::Val {
                op,
                num,
                unit,
                suffix,
            },
            _,
        ) => {
            let quantity_ok = |n: &str| plain_number(n);
            // The whole token (or the whole rest of it).
            let whole_ok = if bare(role) {
                op.is_empty()
                    && suffix.is_empty()
                    && (unit.is_empty() || unit == "分")
                    && weight_ok(role, num, limits)
            } else {
                quantity_ok(num)
            };
            if whole_ok {
                cur.push((role, tok_text(&tok), Mark::Plain));
                walk(toks, next_i, None, more, limits, one_row, cur, out);
                cur.pop();
            }
            // Fused with the next column: this one takes the first digits.
            if let Some(&next) = more.first() {
                let int_len = num.find('.').unwrap_or(num.len());
                let fusable = (bare(role) && op.is_empty() && !bare(next))
                    || (!bare(role) && bare(next) && unit.is_empty() && suffix.is_empty());
                if fusable {
                    // A weight or score has at most three digits before its point (≤ 100).
                    let ks = if bare(role) {
                        1..int_len.min(4)
                    } else {
                        int_len.saturating_sub(3).max(1)..int_len
                    };
                    for k in ks {
                        let (a, b) = num.split_at(k);
                        if !plain_number(a) || !plain_number(b) {
                            continue;
                        }
                        let ok_a = if bare(role) {
                            weight_ok(role, a, limits)
                        } else {
                            true
                        };
                        if !ok_a {
                            continue;
                        }
                        let first = if bare(role) {
                            a.to_string()
                        } else {
                            format!("{op}{a}")
                        };
                        cur.push((role, first, Mark::Plain));
                        let c = Carry {
                            tok: carry.as_ref().map_or(i, |c| c.tok),
                            num: b.to_string(),
                        };
                        walk(
                            toks,
                            next_i.max(i),
                            Some(c),
                            more,
                            limits,
                            one_row,
                            cur,
                            out,
                        );
                        cur.pop();
                    }
                }
            }
        }
        (Tok::Damaged(d), Role::Target | Role::Actual) => {
            cur.push((role, d.clone(), Mark::Damaged));
            walk(toks, next_i, None, more, limits, one_row, cur, out);
            cur.pop();
        }
        (Tok::Date(d), Role::Target | Role::Actual) => {
            cur.push((role, d.clone(), Mark::Plain));
            walk(toks, next_i, None, more, limits, one_row, cur, out);
            cur.pop();
        }
        (Tok::Ocr(o), Role::Score) if ocr_number(o).is_some_and(|n| n <= Decimal::ONE_HUNDRED) => {
            cur.push((role, o.clone(), Mark::OcrScore));
            walk(toks, next_i, None, more, limits, one_row, cur, out);
            cur.pop();
        }
        (Tok::Text(t), Role::Target | Role::Actual) => {
            // A qualitative target and actual written alike: the text twice.
            let pair = role == Role::Target && more.first() == Some(&Role::Actual);
            if pair {
                let n = t.chars().count();
                if n % 2 == 0 && n >= 2 {
                    let half = t.char_indices().nth(n / 2).map_or(0, |(b, _)| b);
                    if t[..half] == t[half..] && qualitative(&t[..half]) {
                        cur.push((Role::Target, t[..half].to_string(), Mark::Plain));
                        cur.push((Role::Actual, t[half..].to_string(), Mark::Plain));
                        walk(toks, next_i, None, &more[1..], limits, one_row, cur, out);
                        cur.pop();
                        cur.pop();
                    }
                }
            } else if qualitative(t) {
                cur.push((role, t.clone(), Mark::Plain));
                walk(toks, next_i, None, more, limits, one_row, cur, out);
                cur.pop();
            }
        }
        _ => {}
    }
}

fn tok_text(t: &Tok) -> String {
    t.text()
}

/// Text that can be a qualitative value: some letters, not a placeholder.
fn qualitative(t: &str) -> bool {
    t.chars().any(|c| c.is_alphabetic()) && !placeholder(t)
}

/// A weight within the group's points (and above 0); a score within 100.
fn weight_ok(role: Role, num: &str, limits: Limits) -> bool {
    if !plain_number(num) {
        return false;
    }
    let Ok(v) = Decimal::from_str(num) else {
        return false;
    };
    match role {
        Role::Weight => v > Decimal::ZERO && v <= limits.max_weight,
        _ => v <= Decimal::ONE_HUNDRED,
    }
}

/// A budget line's amounts run together (`202010100.00%10`): the split of its digits into the
/// columns before the rate (amounts, weight), the rate and the score after it, kept only when
/// exactly one split satisfies the arithmetic: rate = spent ÷ budget, score within the weight
/// and within weight × rate (the national formula's most).
pub(crate) fn split_budget_run(text: &str, cols: &[BudgetCol]) -> Option<Vec<String>> {
    let t = text.trim().trim_start_matches([':', '：']);
    let rate_col = cols.iter().position(|c| *c == BudgetCol::Rate)?;
    let before = &cols[..rate_col];
    let budget_at = before
        .iter()
        .position(|c| *c == BudgetCol::Annual)
        .or_else(|| before.iter().position(|c| *c == BudgetCol::Initial))?;
    let spent_at = before.iter().position(|c| *c == BudgetCol::Spent)?;
    let weight_at = before.iter().position(|c| *c == BudgetCol::Weight);
    let pct = t.find('%')?;
    let (head, tail) = (&t[..pct], &t[pct + 1..]);
    if head.is_empty()
        || head.len() > 24
        || !head.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || !tail.bytes().all(|b| b.is_ascii_digit())
        || before.is_empty()
    {
        return None;
    }
    let score = if tail.is_empty() {
        None
    } else {
        Some(
            Decimal::from_str(tail)
                .ok()
                .filter(|_| plain_number(tail))?,
        )
    };
    let mut found: Vec<Vec<String>> = vec![];
    split_parts(head, before.len() + 1, &mut vec![], &mut found);
    if found.len() > 4000 {
        return None;
    }
    found.retain(|p| {
        let num = |k: usize| Decimal::from_str(&p[k]).ok();
        let (Some(b), Some(s), Some(r)) = (num(budget_at), num(spent_at), num(before.len())) else {
            return false;
        };
        if b.is_zero() {
            return false;
        }
        let scale = p[before.len()].split('.').nth(1).map_or(0, str::len) as u32;
        let tol = Decimal::new(5, scale + 1).max(Decimal::new(5, 3));
        if (s / b * Decimal::ONE_HUNDRED - r).abs() > tol {
            return false;
        }
        match (weight_at.and_then(num), score) {
            (Some(w), Some(sc)) => {
                let most = (w * r.min(Decimal::ONE_HUNDRED) / Decimal::ONE_HUNDRED).ceil();
                w <= Decimal::ONE_HUNDRED && sc <= w && sc <= most
            }
            (Some(w), None) => w <= Decimal::ONE_HUNDRED,
            _ => true,
        }
    });
    if found.len() != 1 {
        return None;
    }
    let mut out = found.pop()?;
    let last = out.len() - 1;
    out[last].push('%');
    if !tail.is_empty() {
        out.push(tail.to_string());
    }
    Some(out)
}

fn split_parts(s: &str, n: usize, parts: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    if found.len() > 4000 {
        return;
    }
    if n == 1 {
        if plain_number(s) && s.matches('.').count() <= 1 {
            parts.push(s.to_string());
            found.push(parts.clone());
            parts.pop();
        }
        return;
    }
    for k in 1..s.len() {
        let (a, b) = s.split_at(k);
        if !plain_number(a) || a.contains('.') && b.starts_with('.') || a.matches('.').count() > 1 {
            continue;
        }
        if b.starts_with('.') {
            continue;
        }
        parts.push(a.to_string());
        split_parts(b, n - 1, parts, found);
        parts.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim(w: i64) -> Limits {
        Limits {
            max_weight: Decimal::from(w),
        }
    }

    fn rows(p: &[Piece]) -> Vec<(String, Vec<(Role, String)>)> {
        p.iter()
            .filter_map(|x| match x {
                Piece::Row(r) => Some((r.name.clone(), r.vals.clone())),
                _ => None,
            })
            .collect()
    }

    const SELF: [Role; 5] = [
        Role::Weight,
        Role::Target,
        Role::Actual,
        Role::Score,
        Role::Reason,
    ];

    #[test]
    fn heads_run_together() {
        let h = |t: &str| split_heads(t).map(|v| v.into_iter().map(|x| x.1).collect::<Vec<_>>());
        assert_eq!(
            h("指标值指标值内容评(扣分标准)").unwrap(),
            ["指标值", "指标值内容", "评(扣分标准)"]
        );
        assert_eq!(
            h("三级指标考值参分指标值(八)全年实际值(B)得分").unwrap(),
            ["三级指标", "参考分值", "指标值", "全年实际值", "得分"]
        );
        assert_eq!(split_heads("指标值很好"), None);
        assert_eq!(split_heads("得分"), None);
    }

    #[test]
    fn fused_weight_and_target() {
        let p = decode("项目计划总投资1020万元20万元10", &SELF, lim(70));
        let r = rows(&p);
        assert_eq!(r.len(), 1, "{p:?}");
        assert_eq!(r[0].1[0], (Role::Weight, "10".into()));
        assert_eq!(r[0].1[1], (Role::Target, "20万元".into()));
        let p = decode(
            "项目(工程)验收合格率20100%100%20安装10≥266米≥266米10",
            &SELF,
            lim(70),
        );
        let r = rows(&p);
        assert_eq!(r.len(), 2, "{p:?}");
        assert_eq!(r[0].1[1], (Role::Target, "100%".into()));
        assert_eq!(r[1].0, "安装");
    }

    /// `415万元15万元4`: weight 4 or 41; only the group's points (10) settle it.
    #[test]
    fn group_points_settle_a_split_or_it_is_reported() {
        let t = "办公所需成本415万元15万元4";
        assert_eq!(rows(&decode(t, &SELF, lim(10)))[0].1[0].1, "4");
        let p = decode(t, &SELF, lim(100));
        assert!(rows(&p).is_empty(), "{p:?}");
        assert!(matches!(&p[0], Piece::Unread(x, _) if x == t));
    }

    #[test]
    fn qualitative_pairs_and_dates() {
        let p = decode(
            "群众生产生活条件改善状况10显著提升显著提升10",
            &SELF,
            lim(100),
        );
        assert_eq!(rows(&p)[0].1[1], (Role::Target, "显著提升".into()));
        let p = decode(
            "公用经费完成时间52021年12月完成2021年12月完成4",
            &SELF,
            lim(5),
        );
        assert_eq!(rows(&p)[0].1[1], (Role::Target, "2021年12月完成".into()));
        // Target and actual that differ with no mark between them: reported.
        let p = decode("群众满意10满意一般10", &SELF, lim(100));
        assert!(rows(&p).is_empty(), "{p:?}");
    }

    #[test]
    fn target_fused_with_weight_after_it() {
        let roles = [Role::Note, Role::Target, Role::Weight, Role::Note];
        let p = decode("享受资助人数达到预计值210010", &roles, lim(100));
        let r = rows(&p);
        assert_eq!(r[0].0, "享受资助人数");
        assert!(r[0].1.contains(&(Role::Target, "2100".into())), "{p:?}");
        assert!(r[0].1.contains(&(Role::Weight, "10".into())), "{p:?}");
    }

    /// Explanations cut from names only at their openers; a name that may hold the row
    /// before's deviation reason is said to.
    #[test]
    fn explanations_and_reasons() {
        let roles = [Role::Note, Role::Target, Role::Weight];
        let p = decode("学校达到标准率95%10", &roles, lim(100));
        assert_eq!(rows(&p)[0].0, "学校达到标准率");
        let p = decode("资金支出率达到目标值95%10", &roles, lim(100));
        assert_eq!(rows(&p)[0].0, "资金支出率");
        let p = decode(
            "开工率10≥90%80%8由于天气原因延期完工率10≥90%90%10",
            &SELF,
            lim(100),
        );
        assert!(
            matches!(&p[1], Piece::Row(r) if r.notes.iter().any(|n| n.1 == REASON_IN_NAME)),
            "{p:?}"
        );
    }

    /// OCR damage: a score `IO`, a digit read as a letter (`M.8万元`), kept with a warning.
    #[test]
    fn ocr_damage_in_a_run() {
        let p = decode("保障人数102370人2370人IO", &SELF, lim(10));
        assert_eq!(rows(&p)[0].1[3], (Role::Score, "10".into()));
        let p = decode("绿化成本3M.8万元14.8万元3", &SELF, lim(10));
        let r = rows(&p);
        assert_eq!(r[0].1[1], (Role::Target, "M.8万元".into()), "{p:?}");
        assert!(matches!(&p[0], Piece::Row(x) if x.notes[0].1 == DAMAGED));
    }

    /// One target column per place: read as one target when all are alike, else reported.
    #[test]
    fn targets_per_place() {
        let h = split_heads("区域目标值新罗区永定区上杭县").unwrap();
        assert_eq!(h.len(), 4);
        assert!(h.iter().all(|x| x.1 == REGION_HEAD));
        let roles = [Role::Note, Role::Target, Role::Target, Role::Target];
        let p = decode(
            "资金使用合规性反映合规情况>=95%>=95%>=95%",
            &roles,
            lim(100),
        );
        let r = rows(&p);
        assert_eq!(r[0].0, "资金使用合规性");
        assert_eq!(
            r[0].1,
            [
                (Role::Note, "反映合规情况".to_string()),
                (Role::Target, ">=95%".to_string())
            ]
        );
        let p = decode("补助县数量反映县数量情况231", &roles, lim(100));
        assert!(rows(&p).is_empty(), "{p:?}");
        let p = decode("合规性>=95%>=90%>=95%", &roles, lim(100));
        assert!(rows(&p).is_empty(), "{p:?}");
    }

    /// A qualitative target right after its name, where it ends the run or only notes follow.
    #[test]
    fn qualitative_after_the_name() {
        let p = decode("义务教育均衡发展情况稳步提高", &[Role::Target], lim(100));
        assert_eq!(rows(&p)[0].1, [(Role::Target, "稳步提高".to_string())]);
        let p = decode(
            "家庭负担率有所减轻对家庭负担减轻情况",
            &[Role::Target, Role::Note],
            lim(100),
        );
        assert_eq!(rows(&p)[0].0, "家庭负担率");
        // In the middle of a run with nothing to mark the row's end: not guessed.
        let p = decode("发展情况稳步提高学校满意度≥90%", &[Role::Target], lim(100));
        assert!(rows(&p).is_empty(), "{p:?}");
    }

    /// A qualitative target ending the text before a weight: `群众知晓率显著提高10`.
    #[test]
    fn qualitative_before_a_weight() {
        let roles = [Role::Target, Role::Unit, Role::Weight];
        let p = decode("培训人次1000人次20群众知晓率显著提高10", &roles, lim(100));
        let r = rows(&p);
        assert_eq!(r.len(), 2, "{p:?}");
        assert_eq!(r[1].0, "群众知晓率");
        assert_eq!(
            r[1].1,
            [
                (Role::Target, "显著提高".to_string()),
                (Role::Weight, "10".to_string())
            ]
        );
    }

    /// Thousands written with commas stay one number; a fused weight is split off before them.
    #[test]
    fn thousands_separators() {
        let p = decode("培训人次101,000人次1,200人次9", &SELF, lim(30));
        let r = rows(&p);
        assert_eq!(r[0].1[0], (Role::Weight, "10".into()), "{p:?}");
        assert_eq!(r[0].1[1], (Role::Target, "1,000人次".into()));
        assert_eq!(r[0].1[2], (Role::Actual, "1,200人次".into()));
        assert!(!plain_number(",000") && !plain_number("1,00") && plain_number("12,345.5"));
    }

    /// `总分` ends the table only as a cell of its own, not inside a name.
    #[test]
    fn totals_and_names() {
        let p = decode("项目合计投资10≥20万元20万元10……总分1010", &SELF, lim(100));
        assert_eq!(rows(&p)[0].0, "项目合计投资");
        assert!(
            matches!(&p[p.len() - 1], Piece::Total(t) if t == "1010"),
            "{p:?}"
        );
    }

    /// The next table's title, the prose after a table, a template's empty slots.
    #[test]
    fn ends_and_slots() {
        let p = decode(
            "天数=300天省级部门项目支出绩效目标表(2023年度)",
            &[Role::Target],
            lim(100),
        );
        assert_eq!(rows(&p).len(), 1);
        assert!(
            matches!(p.last(), Some(Piece::End(t)) if t.starts_with("省级")),
            "{p:?}"
        );
        let p = decode(
            "知晓率>=95%98%103%(二)项目财务管理状况",
            &[Role::Target, Role::Actual, Role::Completion],
            lim(100),
        );
        assert_eq!(rows(&p).len(), 1);
        assert!(matches!(p.last(), Some(Piece::End(_))));
        assert_eq!(
            strip_slots("保障人数指标2:指标L"),
            (
                vec!["指标2:".to_string(), "指标L".to_string()],
                "保障人数".to_string()
            )
        );
    }

    #[test]
    fn budget_runs() {
        use BudgetCol::*;
        let cols = [Annual, Spent, Weight, Rate, Score];
        assert_eq!(
            split_budget_run("202010100.00%10", &cols).unwrap(),
            ["20", "20", "10", "100.00%", "10"]
        );
        // 1 | 1 | 10% or 11 | 1 | … : no single reading.
        assert_eq!(split_budget_run("11110%1", &cols), None);
    }
}
