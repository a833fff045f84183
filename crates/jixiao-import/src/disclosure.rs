//! The reader for target forms as published in budget disclosures: tab-separated cells,
//! lines broken anywhere, stray HTML, LaTeX leftovers, level names split across cells.
//!
//! The reader classifies cells rather than trusting columns, because published tables
//! shift their columns from row to row. Every non-empty cell ends up in a field of a form,
//! is a label of the official layout, or is reported in a warning with its line.

use crate::{ReadError, ReadForm, ReadOutput, Warning};
use chrono::NaiveDate;
use jixiao_core::text::{join_wrapped, tidy_paragraphs};
use jixiao_core::{Form, Funds, Indicator, Level1, Level2, Money, Target};

/// Reads disclosure text from bytes (UTF-8, GB18030/GBK or UTF-16).
pub fn read_disclosure(bytes: &[u8]) -> Result<ReadOutput, ReadError> {
    let (text, encoding) = crate::decode(bytes)?;
    let mut out = read_disclosure_str(&text)?;
    out.encoding = encoding;
    Ok(out)
}

/// Reads disclosure text.
pub fn read_disclosure_str(text: &str) -> Result<ReadOutput, ReadError> {
    let mut reader = Reader::default();
    let ends_with_newline = text.ends_with('\n');
    let mut last_line = 0;
    for (i, line) in text.split('\n').enumerate() {
        last_line = i + 1;
        let row = Row::parse(i + 1, line);
        if !row.cells.is_empty() {
            reader.row(row)?;
        }
    }
    reader.finish(last_line, ends_with_newline)
}

/// A non-empty cell: its column and its text with HTML removed and whitespace tidied.
#[derive(Clone, Debug)]
struct Cell {
    col: usize,
    text: String,
    /// The text with all whitespace removed and full-width punctuation folded, for matching
    /// labels and level names; empty for long texts, which are never either.
    key: String,
    label: Option<Label>,
}

#[derive(Clone, Debug)]
struct Row {
    line: usize,
    cells: Vec<Cell>,
}

impl Row {
    fn parse(line: usize, raw: &str) -> Row {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let cells = raw
            .split('\t')
            .enumerate()
            .filter_map(|(col, c)| {
                let text = clean_cell(c);
                if text.is_empty() {
                    None
                } else {
                    let key = if text.len() <= MAX_KEY_BYTES {
                        key_of(&text)
                    } else {
                        String::new()
                    };
                    let label = label_of(&key);
                    Some(Cell {
                        col,
                        text,
                        key,
                        label,
                    })
                }
            })
            .collect();
        Row { line, cells }
    }
}

/// No label or level name is longer than this (in UTF-8 bytes, wrap spaces included).
const MAX_KEY_BYTES: usize = 96;

/// Strips HTML tags (paragraph and line breaks become `\n`), decodes the common entities,
/// drops a Markdown heading mark, and tidies whitespace.
fn clean_cell(raw: &str) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return String::new();
    }
    let needs_html = raw.contains('<') || raw.contains('&');
    let text = if needs_html {
        strip_html(raw)
    } else {
        raw.to_string()
    };
    let text = if text.starts_with('#') {
        text.trim_start_matches('#').to_string()
    } else {
        text
    };
    tidy_paragraphs(&text)
}

fn strip_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match after.find('>') {
            // Only a tag when it looks like one: `<p>`, `</p>`, `<br/>`, `<b class=x>`.
            Some(end)
                if after[1..end]
                    .trim_start_matches('/')
                    .starts_with(|c: char| c.is_ascii_alphabetic()) =>
            {
                let name: String = after[1..end]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(name.as_str(), "p" | "br" | "div" | "li" | "tr") {
                    out.push('\n');
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    if out.contains('&') {
        out = out
            .replace("&nbsp;", " ")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
    }
    out
}

fn key_of(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            _ => c,
        })
        .collect()
}

/// The fields a header or funds label names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Name,
    Nature,
    Category,
    Department,
    Implementer,
    Start,
    End,
    Total,
    Fiscal,
    /// 其他资金: the project's or the year's, told apart by column.
    Other,
    AnnualTotal,
    AnnualAppropriation,
    Carryover,
}

/// What a cell is in the official layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    Field(Field),
    /// 项目资金（元）or（万元）: fen per unit of the amounts that follow.
    FundsUnit(i64),
    GoalOverall,
    GoalAnnual,
    /// 项目绩效目标, the goals block's row label.
    GoalsBlock,
    /// 绩效指标, the indicator block's row label.
    IndicatorsBlock,
    /// 一级指标, 二级指标, 三级指标, 指标值: the indicator table's column heads.
    IndicatorHead,
}

fn label_of(key: &str) -> Option<Label> {
    let k = key.trim_end_matches(':');
    let k = k
        .strip_prefix("其中:")
        .or_else(|| k.strip_prefix("其中"))
        .unwrap_or(k);
    use Field::*;
    Some(match k {
        "项目名称" => Label::Field(Name),
        "项目性质" => Label::Field(Nature),
        "项目类别" | "项目类型" => Label::Field(Category),
        "主管部门" | "主管单位" | "主管部门及代码" => Label::Field(Department),
        "实施单位" | "项目实施单位" | "项目单位" => Label::Field(Implementer),
        "计划开始日期" | "开始日期" | "项目开始日期" | "计划开始时间" => {
            Label::Field(Start)
        }
        "计划完成日期" | "完成日期" | "计划结束日期" | "项目完成日期" | "计划完成时间"
        | "结束日期" => Label::Field(End),
        "项目资金总额" | "资金总额" => Label::Field(Total),
        "财政资金" | "财政拨款" => Label::Field(Fiscal),
        "其他资金" => Label::Field(Other),
        "年度资金申请总额" | "年度资金总额" | "年度申请资金总额" | "年度资金申请" => {
            Label::Field(AnnualTotal)
        }
        "当年财政拨款" | "当年财政资金" => Label::Field(AnnualAppropriation),
        "上年结转资金" | "上年结转" => Label::Field(Carryover),
        "项目资金(元)" | "项目资金" | "项目资金(单位:元)" => Label::FundsUnit(100),
        "项目资金(万元)" | "项目资金(单位:万元)" => Label::FundsUnit(1_000_000),
        "项目总目标" | "总目标" | "项目绩效总目标" => Label::GoalOverall,
        "年度总体目标" | "年度目标" | "年度绩效目标" => Label::GoalAnnual,
        "项目绩效目标" | "绩效目标" => Label::GoalsBlock,
        "绩效指标" | "项目绩效指标" => Label::IndicatorsBlock,
        "一级指标"
        | "二级指标"
        | "三级指标"
        | "指标值"
        | "年度指标值"
        | "项目指标值"
        | "年度(/项目)指标值"
        | "年度(项目)指标值"
        | "年度/项目指标值"
        | "计算符号"
        | "计量单位"
        | "指标值设定依据"
        | "评(扣)分标准"
        | "评分标准" => Label::IndicatorHead,
        _ => return None,
    })
}

/// A title line: `# 财政项目支出绩效目标申报表`.
fn is_title(row: &Row) -> bool {
    row.cells.len() == 1 && {
        let k = &row.cells[0].key;
        k.ends_with("绩效目标申报表") || k.ends_with("绩效目标表")
    }
}

/// A year line: `(2023年度)`.
fn year_line(row: &Row) -> Option<i32> {
    if row.cells.len() != 1 {
        return None;
    }
    let k = row.cells[0]
        .key
        .trim_start_matches('(')
        .trim_end_matches(')');
    let digits = k.strip_suffix("年度").or_else(|| k.strip_suffix('年'))?;
    if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// A level name, or a piece of one broken across cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LevelCell {
    L1(Level1),
    L2(Level2),
    /// 成本指标: level 1 in the new layout, level 2 under output in the old one.
    Cost,
}

fn level_cell(key: &str) -> Option<LevelCell> {
    if key == "成本指标" || key == "成本" {
        return Some(LevelCell::Cost);
    }
    if let Some(l2) = Level2::from_name(key).filter(|_| {
        key.ends_with("指标")
            || key.ends_with("效益")
            || key.ends_with("满意度")
            || key.ends_with("影响")
    }) {
        return Some(LevelCell::L2(l2));
    }
    if let Some(l1) = Level1::from_name(key)
        .filter(|_| key.ends_with("指标") || key == "产出" || key == "效益" || key == "满意度")
    {
        return Some(LevelCell::L1(l1));
    }
    None
}

/// A cell that is the first part of a level name broken across cells (`产出指` of 产出指标).
fn level_prefix(key: &str) -> Option<(LevelCell, &'static str)> {
    if key.chars().count() < 2 {
        return None;
    }
    let mut found = None;
    let names = Level1::ALL
        .iter()
        .filter(|l| **l != Level1::Cost)
        .map(|l| (LevelCell::L1(*l), l.name()))
        .chain(
            Level2::ALL
                .iter()
                .filter(|l| **l != Level2::Cost)
                .map(|l| (LevelCell::L2(*l), l.name())),
        );
    for (cell, name) in names {
        if name.len() > key.len() && name.starts_with(key) && name.ends_with("指标") {
            if found.is_some() {
                return None; // ambiguous
            }
            found = Some((cell, &name[key.len()..]));
        }
    }
    found
}

#[derive(Default)]
struct Reader {
    forms: Vec<ReadForm>,
    current: Option<Builder>,
    /// Rows before the first form, kept to report them.
    preamble: Vec<Row>,
    pending_year: Option<(usize, i32)>,
    pending_title: Option<usize>,
}

impl Reader {
    fn row(&mut self, row: Row) -> Result<(), ReadError> {
        if is_title(&row) {
            self.close()?;
            self.pending_title = Some(row.line);
            return Ok(());
        }
        if let Some(year) = year_line(&row) {
            match &mut self.current {
                Some(b) if b.year.is_none() && b.name.is_none() => b.year = Some(year),
                _ => self.pending_year = Some((row.line, year)),
            }
            return Ok(());
        }
        let names_project = row
            .cells
            .iter()
            .any(|c| c.label == Some(Label::Field(Field::Name)));
        // A form starts at its title, or at a 项目名称 row when the title was left out.
        if let Some(line) = self.pending_title.take() {
            self.close()?;
            let mut b = Builder::new(line);
            b.year = self.pending_year.take().map(|(_, y)| y);
            self.current = Some(b);
        } else if names_project && self.current.as_ref().is_none_or(|b| b.name.is_some()) {
            self.close()?;
            let mut b = Builder::new(row.line);
            b.year = self.pending_year.take().map(|(_, y)| y);
            self.current = Some(b);
        }
        match &mut self.current {
            Some(b) => {
                if let Some((line, y)) = self.pending_year.take() {
                    // A year line inside a form, after its header started.
                    if b.year.is_none() {
                        b.year = Some(y);
                    } else {
                        b.warn(
                            line,
                            &format!("({y}年度)"),
                            "多余的年度行 / a stray year line",
                        );
                    }
                }
                b.row(row);
            }
            None => self.preamble.push(row),
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), ReadError> {
        if let Some(b) = self.current.take() {
            let end = b.last_line;
            self.forms.push(b.finish(end)?);
        }
        Ok(())
    }

    fn finish(
        mut self,
        last_line: usize,
        ends_with_newline: bool,
    ) -> Result<ReadOutput, ReadError> {
        if let Some(line) = self.pending_title.take() {
            if self.current.is_none() && self.forms.is_empty() && self.preamble.is_empty() {
                return Err(ReadError::MissingHeader { line });
            }
            // A title with nothing after it: the file was cut right after a title.
            self.close()?;
            return Err(ReadError::Truncated {
                line,
                end: last_line,
                name: String::new(),
                what: "只有标题，没有表头和指标",
                what_en: "a title with no header and no indicators",
            });
        }
        if let Some(b) = &self.current {
            // A file cut at an arbitrary byte does not end with a newline: then an incomplete
            // last row, or a last form that never reached its satisfaction group, is a cut.
            let no_satisfaction = !b
                .indicators
                .iter()
                .any(|i| i.level1 == Level1::Satisfaction);
            if !ends_with_newline && no_satisfaction && !b.indicators.is_empty() {
                return Err(ReadError::Truncated {
                    line: b.start,
                    end: last_line,
                    name: b.name.clone().unwrap_or_default(),
                    what: "文件不以换行结束且最后一张表没有满意度指标，疑似被截断",
                    what_en: "the file does not end with a newline and its last form never reaches its satisfaction indicators: it looks cut off",
                });
            }
            if !ends_with_newline && b.last_row_incomplete {
                return Err(ReadError::Truncated {
                    line: b.start,
                    end: last_line,
                    name: b.name.clone().unwrap_or_default(),
                    what: "最后一行不完整",
                    what_en: "its last row is incomplete",
                });
            }
        }
        self.close()?;
        if self.forms.is_empty() {
            // Indicators or funds without a header: a form that lost its header.
            let first_form_like = self.preamble.iter().find(|r| {
                r.cells
                    .iter()
                    .any(|c| c.label.is_some() || level_cell(&c.key).is_some())
            });
            return Err(match first_form_like {
                Some(r) => ReadError::MissingHeader { line: r.line },
                None => ReadError::NoForms,
            });
        }
        let warnings = self
            .preamble
            .iter()
            .flat_map(|r| r.cells.iter().map(move |c| (r.line, c)))
            .map(|(line, c)| Warning {
                line,
                text: c.text.clone(),
                message: "申报表之前的文字，未读入 / text before the first form, not read".into(),
            })
            .collect();
        Ok(ReadOutput {
            forms: self.forms,
            warnings,
            encoding: "UTF-8",
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Header,
    Goals,
    Indicators,
}

struct Builder {
    start: usize,
    last_line: usize,
    year: Option<i32>,
    name: Option<String>,
    nature: Option<String>,
    category: Option<String>,
    department: Option<String>,
    implementer: Option<String>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    funds: Funds,
    fen_per_unit: i64,
    annual_col: Option<usize>,
    section: Section,
    goal_cols: (Option<usize>, Option<usize>),
    goal_overall: Vec<String>,
    goal_annual: Vec<String>,
    goals_seen_text: bool,
    level1: Option<Level1>,
    level2: Option<Level2>,
    /// The rest of a level name whose first part was in an earlier cell (`标` after `产出指`).
    broken_level: Option<(&'static str, usize, String)>,
    indicators: Vec<Indicator>,
    saw_indicator_head: bool,
    last_row_incomplete: bool,
    warnings: Vec<Warning>,
}

impl Builder {
    fn new(line: usize) -> Builder {
        Builder {
            start: line,
            last_line: line,
            year: None,
            name: None,
            nature: None,
            category: None,
            department: None,
            implementer: None,
            start_date: None,
            end_date: None,
            funds: Funds::default(),
            fen_per_unit: 100,
            annual_col: None,
            section: Section::Header,
            goal_cols: (None, None),
            goal_overall: vec![],
            goal_annual: vec![],
            goals_seen_text: false,
            level1: None,
            level2: None,
            broken_level: None,
            indicators: vec![],
            saw_indicator_head: false,
            last_row_incomplete: false,
            warnings: vec![],
        }
    }

    fn warn(&mut self, line: usize, text: &str, message: &str) {
        self.warnings.push(Warning {
            line,
            text: text.to_string(),
            message: message.to_string(),
        });
    }

    fn row(&mut self, row: Row) {
        self.last_line = row.line;
        self.last_row_incomplete = false;
        let labels: Vec<Option<Label>> = row.cells.iter().map(|c| c.label).collect();
        if self.section != Section::Indicators && labels.contains(&Some(Label::IndicatorHead)) {
            self.section = Section::Indicators;
            self.saw_indicator_head = true;
            self.leftovers(&row, &labels, |l| {
                matches!(
                    l,
                    Label::IndicatorHead | Label::IndicatorsBlock | Label::GoalsBlock
                )
            });
            return;
        }
        if labels
            .iter()
            .any(|l| matches!(l, Some(Label::GoalOverall | Label::GoalAnnual)))
        {
            self.section = Section::Goals;
            self.goals_label_row(&row, &labels);
            return;
        }
        match self.section {
            Section::Header => self.header_row(&row, &labels),
            Section::Goals => self.goals_text_row(&row, &labels),
            Section::Indicators => self.indicator_row(&row),
        }
    }

    /// Reports the cells of a row that are not labels accepted by `is_label`.
    fn leftovers(&mut self, row: &Row, labels: &[Option<Label>], is_label: impl Fn(Label) -> bool) {
        for (c, l) in row.cells.iter().zip(labels) {
            if !l.is_some_and(&is_label) {
                self.warn(
                    row.line,
                    &c.text,
                    "表头行中无法归入任何字段的单元格 / a cell in a heading row that fits no field",
                );
            }
        }
    }

    fn header_row(&mut self, row: &Row, labels: &[Option<Label>]) {
        let mut pending: Option<(Field, usize)> = None;
        let mut other_seen = 0;
        for (c, l) in row.cells.iter().zip(labels) {
            match l {
                Some(Label::Field(f)) => {
                    if let Some((p, _)) = pending {
                        self.warn(
                            row.line,
                            "",
                            &format!("“{}”没有填写 / {:?} is empty", field_label(p), p),
                        );
                    }
                    let f = *f;
                    if f == Field::Other {
                        other_seen += 1;
                    }
                    if f == Field::AnnualTotal {
                        self.annual_col = Some(c.col);
                    }
                    pending = Some((f, c.col));
                }
                Some(Label::FundsUnit(fen)) => self.fen_per_unit = *fen,
                Some(Label::GoalsBlock | Label::IndicatorsBlock) => {}
                Some(_) => self.warn(row.line, &c.text, "位置不对的标签 / a label out of place"),
                None => match pending.take() {
                    Some((f, col)) => {
                        let f = if f == Field::Other && self.is_annual_other(col, other_seen) {
                            None
                        } else {
                            Some(f)
                        };
                        match f {
                            Some(f) => self.set_field(f, row.line, &c.text),
                            None => self.set_money(|fu| &mut fu.annual_other, row.line, &c.text),
                        }
                    }
                    None => {
                        // `项目名称：XXX` in one cell.
                        if let Some((f, value)) = split_inline_label(&c.text) {
                            self.set_field(f, row.line, value);
                        } else {
                            self.warn(
                                row.line,
                                &c.text,
                                "无法归入任何字段的单元格 / a cell that fits no field",
                            );
                        }
                    }
                },
            }
        }
        if let Some((p, _)) = pending {
            // An empty fund cell is an empty field, not a loss; say so for the header fields.
            if !matches!(p, Field::Other | Field::Carryover) {
                self.warn(
                    row.line,
                    field_label(p),
                    "字段没有填写 / the field is empty",
                );
            }
        }
    }

    /// The second 其他资金 of a funds row, or one in the annual column, is the year's.
    fn is_annual_other(&self, col: usize, seen_in_row: usize) -> bool {
        seen_in_row >= 2 || self.annual_col.is_some_and(|a| col >= a)
    }

    fn set_field(&mut self, f: Field, line: usize, value: &str) {
        let text = join_wrapped(value);
        match f {
            Field::Name => self.name = Some(text),
            Field::Nature => self.nature = Some(text),
            Field::Category => self.category = Some(text),
            Field::Department => self.department = Some(text),
            Field::Implementer => self.implementer = Some(text),
            Field::Start | Field::End => match parse_date(&text) {
                Some(d) if f == Field::Start => self.start_date = Some(d),
                Some(d) => self.end_date = Some(d),
                None => self.warn(line, value, "无法识别的日期 / not a date"),
            },
            Field::Total => self.set_money(|fu| &mut fu.total, line, value),
            Field::Fiscal => self.set_money(|fu| &mut fu.fiscal, line, value),
            Field::Other => self.set_money(|fu| &mut fu.other, line, value),
            Field::AnnualTotal => self.set_money(|fu| &mut fu.annual_total, line, value),
            Field::AnnualAppropriation => {
                self.set_money(|fu| &mut fu.annual_appropriation, line, value)
            }
            Field::Carryover => self.set_money(|fu| &mut fu.annual_carryover, line, value),
        }
    }

    fn set_money(
        &mut self,
        field: impl FnOnce(&mut Funds) -> &mut Option<Money>,
        line: usize,
        value: &str,
    ) {
        match Money::parse_scaled(value, self.fen_per_unit) {
            Ok(m) => *field(&mut self.funds) = Some(m),
            Err(e) => self.warn(
                line,
                value,
                &format!("金额无法读取 / unreadable amount: {e}"),
            ),
        }
    }

    fn goals_label_row(&mut self, row: &Row, labels: &[Option<Label>]) {
        let mut last_label: Option<Label> = None;
        for (c, l) in row.cells.iter().zip(labels) {
            match l {
                Some(Label::GoalOverall) => {
                    self.goal_cols.0 = Some(c.col);
                    last_label = Some(Label::GoalOverall);
                }
                Some(Label::GoalAnnual) => {
                    self.goal_cols.1 = Some(c.col);
                    last_label = Some(Label::GoalAnnual);
                }
                Some(Label::GoalsBlock | Label::IndicatorsBlock) => {}
                Some(_) => self.warn(row.line, &c.text, "位置不对的标签 / a label out of place"),
                // `项目总目标 | text | 年度总体目标 | text` on one row.
                None => match last_label.take() {
                    Some(Label::GoalOverall) => {
                        self.goal_overall.push(c.text.clone());
                        self.goal_cols.0 = Some(c.col);
                        self.goals_seen_text = true;
                    }
                    Some(_) => {
                        self.goal_annual.push(c.text.clone());
                        self.goal_cols.1 = Some(c.col);
                        self.goals_seen_text = true;
                    }
                    None => self.warn(
                        row.line,
                        &c.text,
                        "无法归入任何字段的单元格 / a cell that fits no field",
                    ),
                },
            }
        }
    }

    fn goals_text_row(&mut self, row: &Row, labels: &[Option<Label>]) {
        let texts: Vec<&Cell> = row
            .cells
            .iter()
            .zip(labels)
            .filter(|(_, l)| !matches!(l, Some(Label::GoalsBlock | Label::IndicatorsBlock)))
            .map(|(c, _)| c)
            .collect();
        if !self.goals_seen_text && texts.len() >= 2 {
            // The goals row: one text per goal, matched by column where the labels were.
            let (oc, ac) = self.goal_cols;
            let mut overall = None;
            let mut annual = None;
            for c in &texts {
                if Some(c.col) == ac && annual.is_none() {
                    annual = Some(*c);
                } else if Some(c.col) == oc && overall.is_none() {
                    overall = Some(*c);
                }
            }
            for c in &texts {
                if overall.is_some_and(|o| std::ptr::eq(o, *c))
                    || annual.is_some_and(|a| std::ptr::eq(a, *c))
                {
                    continue;
                }
                if overall.is_none() {
                    overall = Some(*c);
                } else if annual.is_none() {
                    annual = Some(*c);
                } else {
                    self.goal_overall.push(c.text.clone());
                }
            }
            if let Some(o) = overall {
                self.goal_overall.insert(0, o.text.clone());
            }
            if let Some(a) = annual {
                self.goal_annual.push(a.text.clone());
            }
            self.goals_seen_text = true;
            return;
        }
        for c in texts {
            // A paragraph of its own continues the goal of its column, the overall goal when
            // the column says nothing (the 一网通办 form's 三是… 3. … paragraphs).
            let annual_column = Some(c.col) == self.goal_cols.1;
            let to_annual = annual_column
                && if self.goals_seen_text {
                    self.goal_cols.0 != self.goal_cols.1 && c.col != 0
                } else {
                    self.goal_overall.is_empty()
                };
            if to_annual {
                self.goal_annual.push(c.text.clone());
            } else {
                self.goal_overall.push(c.text.clone());
            }
            self.goals_seen_text = true;
        }
    }

    fn indicator_row(&mut self, row: &Row) {
        let mut levels: Vec<LevelCell> = vec![];
        let mut rest: Vec<&Cell> = vec![];
        for c in &row.cells {
            if rest.is_empty() {
                if matches!(
                    c.label,
                    Some(Label::IndicatorsBlock | Label::IndicatorHead | Label::GoalsBlock)
                ) {
                    continue;
                }
                if let Some(l) = level_cell(&c.key) {
                    levels.push(l);
                    continue;
                }
                if let Some((suffix, line, prefix)) = &self.broken_level {
                    if c.key == *suffix {
                        let msg = format!(
                            "与第{line}行的“{prefix}”合为一个指标名称 / joined with “{prefix}” of line {line} into one level name"
                        );
                        self.broken_level = None;
                        self.warn(row.line, &c.text, &msg);
                        continue;
                    }
                }
                if let Some((l, suffix)) = level_prefix(&c.key) {
                    levels.push(l);
                    self.broken_level = Some((suffix, row.line, c.text.clone()));
                    continue;
                }
            }
            rest.push(c);
        }
        self.apply_levels(&levels);
        if rest.is_empty() {
            return;
        }
        let Some(level1) = self.level1 else {
            for c in rest {
                self.warn(
                    row.line,
                    &c.text,
                    "指标前没有一级指标，未读入 / an indicator before any level 1, not read",
                );
            }
            return;
        };
        let name = join_wrapped(&rest[0].text);
        let (raw, glued, extra) = combine_target_cells(&rest[1..]);
        for c in extra {
            self.warn(
                row.line,
                &c.text,
                "指标行多出的单元格 / an extra cell in an indicator row",
            );
        }
        if raw.is_empty() {
            self.warn(
                row.line,
                &name,
                "指标没有指标值 / the indicator has no target value",
            );
            self.last_row_incomplete = true;
        }
        let (target, notes) = match glued {
            Some(Glued::Quantity(text)) => Target::parse_with_notes(&text),
            Some(Glued::Qualitative(text)) => (Target::Qualitative { text }, vec![]),
            None => Target::parse_with_notes(&raw),
        };
        for n in notes {
            if n != jixiao_core::target::Note::OpImplied {
                self.warn(row.line, &raw, n.message());
            }
        }
        if raw.matches('(').count() > raw.matches(')').count() {
            self.last_row_incomplete = true;
        }
        if self.level2.is_none() {
            self.warn(
                row.line,
                &name,
                "指标没有二级指标 / the indicator has no level 2",
            );
        }
        self.indicators.push(Indicator {
            id: None,
            level1,
            level2: self.level2,
            name,
            target,
            raw,
        });
    }

    fn apply_levels(&mut self, levels: &[LevelCell]) {
        let mut l1 = None;
        let mut l2 = None;
        let mut cost = false;
        for l in levels {
            match l {
                LevelCell::L1(x) => l1 = Some(*x),
                LevelCell::L2(x) => l2 = Some(*x),
                LevelCell::Cost => cost = true,
            }
        }
        if cost {
            // 成本指标 is the level 1 of the new layout when a cost sub-type follows, or when
            // a new-layout cost group is already open; otherwise the old level 2 under output.
            let new_layout = l2.is_some_and(|x| x.level1() == Level1::Cost)
                || (l2.is_none() && self.level1 == Some(Level1::Cost));
            if new_layout {
                l1 = Some(Level1::Cost);
            } else if l2.is_none() {
                l2 = Some(Level2::Cost);
                if l1.is_none() {
                    l1 = Some(Level1::Output);
                }
            } else if l1.is_none() {
                l1 = Some(Level1::Cost);
            }
        }
        match (l1, l2) {
            (Some(a), Some(b)) => {
                self.level1 = Some(a);
                self.level2 = Some(b);
            }
            (None, Some(b)) => {
                self.level1 = Some(b.level1());
                self.level2 = Some(b);
            }
            (Some(a), None) => {
                if self.level1 != Some(a) {
                    self.level2 = Level2::only_child(a);
                }
                self.level1 = Some(a);
            }
            (None, None) => {}
        }
    }

    fn finish(mut self, end: usize) -> Result<ReadForm, ReadError> {
        let Some(name) = self.name.take() else {
            return Err(ReadError::MissingHeader { line: self.start });
        };
        if self.indicators.is_empty() {
            let (what, what_en) = if self.saw_indicator_head {
                (
                    "指标表没有任何指标",
                    "its indicator table has no indicators",
                )
            } else {
                ("没有指标表", "before its indicator table")
            };
            return Err(ReadError::Truncated {
                line: self.start,
                end,
                name,
                what,
                what_en,
            });
        }
        let year = self
            .year
            .or_else(|| self.start_date.map(|d| chrono::Datelike::year(&d)))
            .or_else(|| self.end_date.map(|d| chrono::Datelike::year(&d)))
            .ok_or(ReadError::MissingYear { line: self.start })?;
        let start = self.start;
        for (value, label) in [
            (&self.nature, "项目性质"),
            (&self.category, "项目类别"),
            (&self.department, "主管部门"),
            (&self.implementer, "实施单位"),
        ] {
            if value.is_none() {
                self.warnings.push(Warning {
                    line: start,
                    text: label.to_string(),
                    message: "表头缺少此项 / the header lacks this field".into(),
                });
            }
        }
        let form = Form {
            id: None,
            year,
            name,
            nature: self.nature.unwrap_or_default(),
            category: self.category.unwrap_or_default(),
            department: self.department.unwrap_or_default(),
            implementer: self.implementer.unwrap_or_default(),
            start_date: self.start_date,
            end_date: self.end_date,
            funds: self.funds,
            goal_overall: self.goal_overall.join("\n"),
            goal_annual: self.goal_annual.join("\n"),
            indicators: self.indicators,
        };
        Ok(ReadForm {
            form,
            line: self.start,
            warnings: self.warnings,
        })
    }
}

/// How the target cells of a row were put together.
enum Glued {
    /// Operator, value and unit from cells of their own, glued into one writing.
    Quantity(String),
    /// A `定性` operator column followed by the text.
    Qualitative(String),
}

/// The target of an indicator row from the cells after its name: usually one cell, but some
/// forms give the operator, the value and the unit columns of their own (`≥ | 120 | 公里`),
/// or an operator column that says `定性`. Returns the raw text as written (cells joined by
/// a space), how it was glued, and the cells left over.
fn combine_target_cells<'c>(cells: &[&'c Cell]) -> (String, Option<Glued>, Vec<&'c Cell>) {
    let Some(first) = cells.first() else {
        return (String::new(), None, vec![]);
    };
    if first.key == "定性" {
        if let Some(text) = cells.get(1) {
            let raw = format!("{} {}", first.text, text.text);
            return (
                raw,
                Some(Glued::Qualitative(text.text.clone())),
                cells[2..].to_vec(),
            );
        }
    }
    // A cell that is already a whole quantity with its unit stands alone.
    let whole = matches!(Target::parse(&first.text), Target::Quantitative { ref unit, .. } if !unit.is_empty());
    if !whole {
        for k in (2..=cells.len()).rev() {
            let parts = &cells[..k];
            if parts.iter().any(|c| c.text.chars().count() > 12) {
                continue;
            }
            let glued: String = parts.iter().map(|c| c.text.as_str()).collect();
            if Target::parse(&glued).is_quantitative() {
                let raw = parts
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                return (raw, Some(Glued::Quantity(glued)), cells[k..].to_vec());
            }
        }
    }
    (first.text.clone(), None, cells[1..].to_vec())
}

fn field_label(f: Field) -> &'static str {
    match f {
        Field::Name => "项目名称",
        Field::Nature => "项目性质",
        Field::Category => "项目类别",
        Field::Department => "主管部门",
        Field::Implementer => "实施单位",
        Field::Start => "计划开始日期",
        Field::End => "计划完成日期",
        Field::Total => "项目资金总额",
        Field::Fiscal => "财政资金",
        Field::Other => "其他资金",
        Field::AnnualTotal => "年度资金申请总额",
        Field::AnnualAppropriation => "当年财政拨款",
        Field::Carryover => "上年结转资金",
    }
}

fn split_inline_label(text: &str) -> Option<(Field, &str)> {
    let (label, value) = text.split_once(['：', ':'])?;
    match label_of(&key_of(label))? {
        Label::Field(f) if !value.trim().is_empty() => Some((f, value.trim())),
        _ => None,
    }
}

/// Reads `2023-01-01`, `2023/1/1`, `2023.1.1`, `2023年1月1日`, `20230101`.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = t
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 4)
    {
        return None;
    }
    let y: i32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let d: u32 = parts[2].parse().ok()?;
    if parts[0].len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_wild() {
        let d = NaiveDate::from_ymd_opt(2023, 1, 1);
        for t in [
            "2023-01-01",
            "2023/1/1",
            "2023.1.1",
            "2023年1月1日",
            "20230101",
            " 2023-1-01 ",
        ] {
            assert_eq!(parse_date(t), d, "{t}");
        }
        for t in ["2023-13-01", "1/1/2023", "明年", "2023-02-30", ""] {
            assert_eq!(parse_date(t), None, "{t}");
        }
    }

    #[test]
    fn html_is_stripped_but_text_kept() {
        assert_eq!(clean_cell("<b>项目名称</b>"), "项目名称");
        assert_eq!(clean_cell("<p>a</p> <p>b</p>"), "a\nb");
        assert_eq!(clean_cell("x < 5 &amp; y"), "x < 5 & y");
        assert_eq!(
            clean_cell("# 财政项目支出绩效目标申报表"),
            "财政项目支出绩效目标申报表"
        );
    }

    #[test]
    fn broken_level_names_are_recognised() {
        assert_eq!(
            level_prefix("产出指"),
            Some((LevelCell::L1(Level1::Output), "标"))
        );
        assert_eq!(level_cell("效益指标"), Some(LevelCell::L1(Level1::Outcome)));
        assert_eq!(level_cell("用户满意度"), None);
        assert_eq!(level_prefix("社会"), None);
    }
}
