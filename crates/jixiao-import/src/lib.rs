//! Readers for jixiao: the published disclosure text (公开的绩效目标申报表) and the JSON
//! exchange format. Readers are pure functions of bytes: they do no file or database I/O.

mod decode;
mod disclosure;
mod grades;
mod json;
mod layout;
mod runon;
mod selfeval;
mod site;
mod workbook;

pub use decode::decode;
pub use disclosure::{read_disclosure, read_disclosure_str};
pub use json::{read_json, read_json_stream};
pub use selfeval::{ReadSelfTable, SelfBudget, SelfRow, SelfTable};
pub use site::without_site_chunks;
pub use workbook::{is_workbook, read_workbook};

use jixiao_core::Form;
use std::fmt;

/// A form read from a file, with where it starts and what the reader had to say about it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadForm {
    pub form: Form,
    /// 1-based line where the form starts.
    pub line: usize,
    pub warnings: Vec<Warning>,
}

/// Everything read from one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOutput {
    pub forms: Vec<ReadForm>,
    /// Published self-evaluation tables (项目支出绩效自评表) found in the text.
    pub tables: Vec<ReadSelfTable>,
    /// Warnings that belong to no form (text before the first form).
    pub warnings: Vec<Warning>,
    /// The encoding the bytes were in (`UTF-8`, `GB18030`, `UTF-16LE` …).
    pub encoding: &'static str,
}

impl ReadOutput {
    pub fn warning_count(&self) -> usize {
        self.warnings.len()
            + self.forms.iter().map(|f| f.warnings.len()).sum::<usize>()
            + self.tables.iter().map(|t| t.warnings.len()).sum::<usize>()
    }

    pub fn indicator_count(&self) -> usize {
        self.forms.iter().map(|f| f.form.indicators.len()).sum()
    }
}

/// A cell the reader could not place in a field, or a reading it had to guess: nothing of
/// the input is dropped without one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line of the input (the row, in a workbook).
    pub line: usize,
    /// In a workbook, the sheet and cell the warning is about (`表3!E17`).
    pub place: Option<String>,
    /// The text concerned, as written.
    pub text: String,
    /// What happened, in Chinese and English.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(place) = &self.place {
            return if self.text.is_empty() {
                write!(f, "{place}: {}", self.message)
            } else {
                write!(f, "{place}: {}：“{}”", self.message, self.text)
            };
        }
        if self.text.is_empty() {
            write!(
                f,
                "第{}行 / line {}: {}",
                self.line, self.line, self.message
            )
        } else {
            write!(
                f,
                "第{}行 / line {}: {}：“{}”",
                self.line, self.line, self.message, self.text
            )
        }
    }
}

/// Why a file could not be read. Each says what and where, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("文件为空 / the file is empty")]
    Empty,
    #[error("第{line}行，“{name}”：{zh} / line {line}, “{name}”: {en}")]
    BadAmount {
        line: usize,
        name: String,
        zh: String,
        en: String,
    },
    #[error("这是二进制文件而不是文本（第{offset}字节附近）/ this is a binary file, not text (near byte {offset})")]
    Binary { offset: usize },
    #[error("无法识别文字编码：既不是 UTF-8 也不是 GB18030/GBK（第{offset}字节附近）/ unknown text encoding: neither UTF-8 nor GB18030/GBK (near byte {offset})")]
    Encoding { offset: usize },
    #[error("文件在第{offset}字节处的一个字符中间结束，文件不完整 / the file ends inside a character at byte {offset}: it was truncated")]
    TruncatedFile { offset: usize },
    #[error("没有找到绩效目标申报表（应有“项目名称”等表头）/ no target form found (expected a header with 项目名称)")]
    NoForms,
    #[error(
        "第{line}行：申报表缺少表头（项目名称）/ line {line}: the form has no header (项目名称)"
    )]
    MissingHeader { line: usize },
    #[error("第{line}行起的表{zh}没有一行指标能确定读出，未读入 / the table {en}from line {line} has no indicator row that can be read with certainty: not read{why}", zh = quoted(.name, ""), en = quoted(.name, " "))]
    NoIndicators {
        line: usize,
        /// The project's name, empty when none was read.
        name: String,
        /// The first of its rows the reader reported, as its warning says (`（第21行：…）`),
        /// or nothing.
        why: String,
    },
    #[error("第{line}行：申报表缺少年度，且计划开始、完成日期也无法确定年度 / line {line}: the form has no year, and none can be taken from its dates")]
    MissingYear { line: usize },
    #[error("第{line}行起的申报表“{name}”在第{end}行中断，{what} / the form “{name}” from line {line} breaks off at line {end}: {what_en}")]
    Truncated {
        line: usize,
        end: usize,
        name: String,
        what: &'static str,
        what_en: &'static str,
    },
    #[error(
        "JSON 第{line}行第{column}列：{message} / JSON line {line}, column {column}: {message}"
    )]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("无法读取工作簿 / cannot read the workbook (xlsx/xls)：{message}")]
    Workbook { message: String },
    #[error("工作簿设有打开密码，请在 Excel 或 WPS 中取消密码后再导入 / the workbook is protected by a password: remove it in Excel or WPS, then import it")]
    EncryptedWorkbook,
    #[error("文件中只有{count}张绩效自评表，没有申报表；自评表请用 jixiao score --file 读取 / the file holds {count} self-evaluation table(s) and no target form: score them with jixiao score --file")]
    OnlySelfEvaluations { count: usize },
    #[error("第{index}张申报表（JSON）：{message} / form {index} (JSON): {message}")]
    InvalidForm { index: usize, message: String },
}

/// `“name”` and what follows it, or nothing for no name.
fn quoted(name: &str, after: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("“{name}”{after}")
    }
}

impl ReadError {
    /// The line the error points to, when it points to one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ReadError::MissingHeader { line }
            | ReadError::NoIndicators { line, .. }
            | ReadError::MissingYear { line }
            | ReadError::Json { line, .. } => Some(*line),
            ReadError::Truncated { end, .. } => Some(*end),
            _ => None,
        }
    }
}

impl ReadOutput {
    /// Whether every form read can be stored as it is: it has a project name and a year, and
    /// the text was not cut off inside it. Reading is lenient (a person can read a cut or
    /// nameless table, and so does `jixiao check`); storing is not, so that no half form
    /// enters the database looking whole.
    pub fn check_storable(&self) -> Result<(), ReadError> {
        if let Some(w) = self
            .warnings
            .iter()
            .find(|w| w.message.starts_with(disclosure::CUT))
        {
            return Err(ReadError::Truncated {
                line: w.line,
                end: w.line,
                name: String::new(),
                what: "最后一张表没有指标行",
                what_en: "its last form has no indicator rows",
            });
        }
        if self.forms.is_empty() {
            return Err(if self.tables.is_empty() {
                ReadError::NoForms
            } else {
                ReadError::OnlySelfEvaluations {
                    count: self.tables.len(),
                }
            });
        }
        for f in &self.forms {
            if let Some(w) = f
                .warnings
                .iter()
                .find(|w| w.message.starts_with(disclosure::CUT))
            {
                let en = w.message.split(" / ").nth(1).unwrap_or("").to_string();
                return Err(ReadError::Truncated {
                    line: f.line,
                    end: w.line,
                    name: f.form.name.clone(),
                    what: "文本不完整",
                    what_en: if en.contains("satisfaction") {
                        "it never reaches its satisfaction indicators"
                    } else {
                        "its last row is incomplete"
                    },
                });
            }
            if f.form.name.trim().is_empty() {
                return Err(ReadError::MissingHeader { line: f.line });
            }
            if f.form.year == 0 {
                return Err(ReadError::MissingYear { line: f.line });
            }
            if let Err((_, zh, en)) = f.form.funds.check() {
                return Err(ReadError::BadAmount {
                    line: f.line,
                    name: f.form.name.clone(),
                    zh,
                    en,
                });
            }
        }
        Ok(())
    }
}

/// Whether a cell is a word of the official layouts (a label, a column head, a level name, a
/// title, a year line, a group's points): text the reader recognises as structure rather
/// than data. Used to check that nothing of a file is lost.
pub fn is_layout_word(text: &str) -> bool {
    let k = layout::key_of(text);
    let k = k.trim_end_matches([':', '|']);
    layout::label_of(k).is_some()
        || layout::level1_of(k).is_some()
        || layout::level2_of(k).is_some()
        || layout::title_kind(k).is_some()
        || layout::is_points_cell(k)
        || layout::op_cell(k)
        || layout::year_in(k).is_some() && k.chars().count() <= 10
        || matches!(
            k,
            "指标"
                | "单位"
                | "成本"
                | "其中"
                | "其中:"
                | "(万元)"
                | "万元"
                | "(元)"
                | "元"
                | "单位:万元"
                | "单位:元"
        )
}

/// A text without the pinyin that mirror sites put in brackets after characters
/// (`預(yù)算` → `預算`, `???jī)效` → `???效`), which the reader leaves out when it matches the
/// layout's words (names and values keep it, as written).
pub fn without_pinyin(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        out.push(c);
        rest = &rest[c.len_utf8()..];
        if jixiao_core::text::is_cjk(layout::simplify(c)) {
            rest = &rest[layout::pinyin_len(rest)..];
        } else if c == '?' {
            rest = &rest[layout::lost_pinyin_len(rest)..];
        }
    }
    out
}

/// A text folded as the reader folds it before matching the layout's words, character by
/// character: whitespace removed, full-width brackets and colons folded, traditional
/// characters simplified (`績效目標` → `绩效目标`).
pub fn layout_key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            c => layout::simplify(c),
        })
        .collect()
}

/// The labels, level names and column heads the reader splits run-together text at.
pub fn layout_words() -> &'static [&'static str] {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut w: Vec<&'static str> = layout::RUN_WORDS
            .iter()
            .chain(runon::HEAD_WORDS.iter())
            .copied()
            .chain(layout::LEVEL1_ALIASES.iter().map(|(n, _)| *n))
            .chain(["产出", "效益", "满意度", "合计", "总分", "总计"])
            // A goals label run together after a title (`…绩效目标表绩效目标保障…`).
            .chain(["绩效目标", "年度目标", "总体目标"])
            // Level-2 names written short, as `level2_of` reads them.
            .chain([
                "经济效益",
                "社会效益",
                "生态效益",
                "生态环境效益",
                "可持续影响",
                "服务对象满意度",
                "社会公众满意度",
            ])
            .collect();
        // Longest first, so that a head is taken out before a shorter head inside it.
        w.sort_by_key(|x| std::cmp::Reverse(x.len()));
        w.dedup();
        w
    })
}

/// Reads a file's bytes in whichever format they are: a workbook (xlsx, xls), the JSON
/// exchange format when the text starts with `{`, the disclosure text otherwise.
pub fn read_any(bytes: &[u8]) -> Result<ReadOutput, ReadError> {
    if is_workbook(bytes) {
        return read_workbook(bytes);
    }
    let (text, encoding) = decode(bytes)?;
    if text.trim_start().starts_with('{') {
        let forms = read_json(&text)?;
        return Ok(ReadOutput {
            forms: forms
                .into_iter()
                .map(|form| ReadForm {
                    form,
                    line: 0,
                    warnings: vec![],
                })
                .collect(),
            tables: vec![],
            warnings: vec![],
            encoding,
        });
    }
    let mut out = read_disclosure_str(&text)?;
    out.encoding = encoding;
    Ok(out)
}

/// The Shanghai Big Data Center's eight published forms of 2023: demo data and fixtures.
pub const SEED: &[u8] = include_bytes!("../../../fixtures/shanghai-bigdata-center-2023.txt");
