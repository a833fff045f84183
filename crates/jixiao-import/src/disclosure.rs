//! The reader for forms and self-evaluation tables as published in budget disclosures, in
//! every layout seen in the wild: tab-separated cells, pipe tables with merged cells, one cell
//! per line, space-separated rows, cells run together, label and value in one cell; lines
//! broken anywhere, stray HTML, LaTeX leftovers, level names split across cells.
//!
//! The reader classifies cells rather than trusting columns, because published tables shift
//! their columns from row to row. The vocabulary it matches (labels, column heads, level
//! names) is data in `layout.rs`. Every non-empty cell ends up in a field of a form or table,
//! is a label of the official layouts, or is reported in a warning with its line.

use crate::layout::{
    direction_cell, footer_cell, is_points_cell, key_of, label_of, level1_of, level2_of,
    number_cell, op_cell, title_kind, unit_cell, year_in, BudgetCol, Field, Kind, Label, Role,
};
use crate::selfeval::{ReadSelfTable, SelfBudget, SelfRow, SelfTable};
use crate::{ReadError, ReadForm, ReadOutput, Warning};
use chrono::NaiveDate;
use jixiao_core::text::{join_wrapped, tidy_paragraphs};
use jixiao_core::{Form, Funds, Indicator, Level1, Level2, Money, Target};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Reads disclosure text from bytes (UTF-8, GB18030/GBK or UTF-16).
pub fn read_disclosure(bytes: &[u8]) -> Result<ReadOutput, ReadError> {
    let (text, encoding) = crate::decode(bytes)?;
    let mut out = read_disclosure_str(&text)?;
    out.encoding = encoding;
    Ok(out)
}

/// Reads disclosure text. Fails only when the text holds no form or table at all.
pub fn read_disclosure_str(text: &str) -> Result<ReadOutput, ReadError> {
    let prepared = crate::site::prepare(text);
    let lines = prepared.lines;
    let map = |l: usize| {
        lines
            .as_ref()
            .and_then(|m| m.get(l.wrapping_sub(1)).copied())
            .unwrap_or(l)
    };
    let mut out = read_prepared(&prepared.text).map_err(|e| match e {
        ReadError::NoIndicators { line, name, why } => ReadError::NoIndicators {
            line: map(line),
            name,
            why,
        },
        e => e,
    })?;
    if let Some(l) = &lines {
        crate::site::map_lines(&mut out, l);
    }
    if !prepared.warnings.is_empty() {
        out.warnings.extend(prepared.warnings);
        out.warnings.sort_by_key(|w| w.line);
    }
    Ok(out)
}

fn read_prepared(text: &str) -> Result<ReadOutput, ReadError> {
    let layout = Layout::detect(text);
    let mut reader = Reader {
        layout,
        ..Reader::default()
    };
    let mut last_line = 0;
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        last_line = i + 1;
        let row = Row::parse(i + 1, line, layout);
        if !row.cells.is_empty() {
            // One cell per line: a line of bare pipes (`||`, `|||`) pads the end of a row.
            reader.end_follows = layout == Layout::PipeLines
                && lines.peek().is_some_and(|(_, next)| {
                    let t = next.trim();
                    t.len() >= 2 && t.bytes().all(|b| b == b'|')
                });
            reader.row(row);
        }
    }
    // A text cut at an arbitrary byte does not end with a line break: then an incomplete last
    // row, or a last form that never reached its satisfaction group, is a cut.
    if !text.ends_with('\n') {
        if let Some(b) = &mut reader.current {
            b.mark_cut(last_line);
        }
    }
    reader.finish(last_line)
}

/// Reads rows whose cells are already apart (a workbook's sheet): each row's number and its
/// non-empty cells with their column. Read as a tab-separated text would be.
pub(crate) fn read_rows(
    rows: impl IntoIterator<Item = (usize, Vec<(usize, String)>)>,
) -> Result<ReadOutput, ReadError> {
    let mut reader = Reader {
        layout: Layout::Tab,
        grid: true,
        ..Reader::default()
    };
    let mut last_line = 0;
    for (line, cells) in rows {
        last_line = line;
        let mut cells: Vec<Cell> = cells
            .into_iter()
            .filter_map(|(col, text)| {
                let text = clean_cell(&text);
                (!text.is_empty()).then(|| make_cell(col, text))
            })
            .collect();
        if let Some(last) = cells.last_mut() {
            last.last = true;
        }
        if !cells.is_empty() {
            reader.row(Row { line, cells });
        }
    }
    reader.finish(last_line)
}

/// How the cells of a line are separated, decided once per text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Layout {
    /// Cells separated by tabs (the seed, spreadsheets copied as text).
    #[default]
    Tab,
    /// `| a | b |` tables; a line without a pipe is one cell.
    Pipe,
    /// One cell per line, each followed by ` |`; a bare `|` line is an empty cell.
    PipeLines,
    /// Cells separated by spaces, or one cell per line.
    Space,
}

impl Layout {
    fn detect(text: &str) -> Layout {
        let (mut tabs, mut pipes, mut lines, mut single) = (0, 0, 0, 0);
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            lines += 1;
            if l.contains('\t') {
                tabs += 1;
            }
            if l.trim_end().ends_with('|') || l.matches('|').count() >= 2 {
                pipes += 1;
                if l.split('|').filter(|c| !c.trim().is_empty()).count() <= 1 {
                    single += 1;
                }
            }
        }
        if tabs >= 3 || (tabs > 0 && tabs * 5 >= lines) {
            Layout::Tab
        } else if pipes >= 3 || (pipes > 0 && pipes * 5 >= lines) {
            if single * 10 >= pipes * 7 {
                Layout::PipeLines
            } else {
                Layout::Pipe
            }
        } else {
            Layout::Space
        }
    }
}

/// A non-empty cell: its column and its text with HTML removed and whitespace tidied.
#[derive(Clone, Debug)]
struct Cell {
    col: usize,
    text: String,
    /// The text with whitespace removed, brackets and colons folded and traditional
    /// characters simplified, for matching labels and level names; empty for long texts.
    key: String,
    label: Option<Label>,
    /// The last non-empty cell of its line.
    last: bool,
    /// A bare `|` line of a one-cell-per-line table: an empty cell that still takes its column.
    empty: bool,
    /// Cut from a text whose cells run together with no separator.
    glued: bool,
    /// Cut from the same word as the cell before it (nothing between them).
    joined: bool,
    /// A column head read as a head its text is not (OCR: `考值参分` for 参考分值, `指标值(八)`
    /// for 指标值(A)): said in a warning.
    damaged_head: bool,
}

#[derive(Clone, Debug)]
struct Row {
    line: usize,
    cells: Vec<Cell>,
}

/// No label or level name is longer than this (in UTF-8 bytes, wrap spaces included).
const MAX_KEY_BYTES: usize = 120;

/// A title (`…绩效目标表`, at most 70 characters) may be longer, the more so with pinyin after
/// its characters (`績(jī)效`): a cell with `表` in it is keyed up to this length.
const MAX_TITLE_BYTES: usize = 600;

fn make_cell(col: usize, text: String) -> Cell {
    let key = if text.len() <= MAX_KEY_BYTES || text.len() <= MAX_TITLE_BYTES && text.contains('表')
    {
        key_of(&text)
    } else {
        String::new()
    };
    let label = label_of(&key);
    Cell {
        col,
        text,
        key,
        label,
        last: false,
        empty: false,
        glued: false,
        joined: false,
        damaged_head: false,
    }
}

/// Whether a key names something the reader knows: a label, a level, a title.
fn known_key(key: &str) -> bool {
    label_of(key).is_some() || level1_of(key).is_some() || level2_of(key).is_some()
}

impl Row {
    fn parse(line: usize, raw: &str, layout: Layout) -> Row {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let mut cells: Vec<Cell> = match layout {
            Layout::Tab => split_cells(raw.split('\t')),
            Layout::PipeLines if raw.trim() == "|" => {
                let mut c = make_cell(0, String::new());
                c.empty = true;
                vec![c]
            }
            Layout::Pipe | Layout::PipeLines if raw.contains('|') => split_cells(raw.split('|')),
            Layout::Pipe | Layout::PipeLines => split_cells(std::iter::once(raw)),
            Layout::Space => space_cells(raw),
        };
        // Markdown table rules (`---`, `:---:`) are not cells.
        cells.retain(|c| {
            c.empty
                || !c.text.chars().all(|ch| matches!(ch, '-' | ':' | '—'))
                || c.text.chars().count() == 1
        });
        if let Some(last) = cells.last_mut() {
            last.last = true;
        }
        Row { line, cells }
    }
}

fn split_cells<'a>(parts: impl Iterator<Item = &'a str>) -> Vec<Cell> {
    parts
        .enumerate()
        .filter_map(|(col, c)| {
            let text = clean_cell(c);
            (!text.is_empty()).then(|| make_cell(col, text))
        })
        .collect()
}

/// Space-separated cells. Words that together make a label or a level name (`资金情况
/// (万元)`, `产 出 指 标`, `年度 总体 目标`) are one cell.
fn space_cells(raw: &str) -> Vec<Cell> {
    let cleaned = clean_cell(raw);
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut cells = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut take = 1;
        // Only short words make a label broken by spaces (`产 出 指 标`, `资金情况 (万元)`).
        let short = words[i..]
            .iter()
            .take(8)
            .take_while(|w| w.chars().count() <= 8)
            .count();
        for n in (2..=short).rev() {
            let joined: String = words[i..i + n].concat();
            if joined.len() <= MAX_KEY_BYTES && known_key(&key_of(&joined)) {
                take = n;
                break;
            }
        }
        let text = if take == 1 {
            words[i].to_string()
        } else {
            words[i..i + take].join(" ")
        };
        i += take;
        // `合计100`: the totals' label and its number.
        if take == 1 {
            if let Some(n) = ["合计", "总分", "总计"].iter().find_map(|w| {
                text.strip_prefix(w)
                    .filter(|n| number_cell(n) && !n.ends_with('分'))
                    .map(|n| (w, n))
            }) {
                cells.push(make_cell(cells.len(), n.0.to_string()));
                let mut v = make_cell(cells.len(), n.1.to_string());
                v.joined = true;
                cells.push(v);
                continue;
            }
        }
        // Cells run together with no separator: split at the labels and level names, and a
        // header of column heads only into its heads.
        if take == 1 {
            let c = make_cell(cells.len(), text.clone());
            if c.label.is_none() && level_cell(&c.key).is_none() {
                if let Some(pieces) = crate::layout::split_run_together(&text, i == words.len()) {
                    let first = cells.len();
                    for (p, read_as) in pieces {
                        match read_as {
                            // A head with a character lost (`???(jī)效指標分類`): read as the
                            // head, said in a warning.
                            Some(head) => {
                                let mut h = make_cell(cells.len(), p);
                                h.key = head.to_string();
                                h.label = label_of(head);
                                h.damaged_head = true;
                                h.glued = true;
                                cells.push(h);
                            }
                            None => push_piece(&mut cells, p, true),
                        }
                    }
                    for c in cells.iter_mut().skip(first + 1) {
                        c.joined = true;
                    }
                    continue;
                }
                if text.len() > 6 {
                    push_piece(&mut cells, text, false);
                    continue;
                }
            }
            cells.push(c);
            continue;
        }
        cells.push(make_cell(cells.len(), text));
    }
    // A column's letter cut from its head (`年度指标值` `(A)`, `年初预算数` `(B)`): the head's.
    if cells.iter().any(|c| column_letter(&c.key)) {
        let mut kept: Vec<Cell> = Vec::with_capacity(cells.len());
        for c in cells {
            match kept.last_mut() {
                Some(h)
                    if column_letter(&c.key)
                        && matches!(h.label, Some(Label::Column(_) | Label::Budget(_))) =>
                {
                    h.text.push_str(&c.text);
                    h.last = c.last;
                }
                _ => kept.push(c),
            }
        }
        for (i, c) in kept.iter_mut().enumerate() {
            c.col = i;
        }
        return kept;
    }
    cells
}

/// `(A)`, `(B)`, `(B/A)`: the letter that names a column in a form's formulas.
fn column_letter(key: &str) -> bool {
    key.strip_prefix('(')
        .and_then(|k| k.strip_suffix(')'))
        .is_some_and(|k| {
            !k.is_empty() && k.len() <= 3 && k.bytes().all(|b| b.is_ascii_uppercase() || b == b'/')
        })
}

/// A piece of a run-together word: split further when it is column heads only.
fn push_piece(cells: &mut Vec<Cell>, p: String, glued: bool) {
    let c = make_cell(cells.len(), p);
    if c.label.is_none() && level_cell(&c.key).is_none() {
        if let Some(heads) = crate::runon::split_heads(&c.text) {
            for (text, head) in heads {
                let mut h = make_cell(cells.len(), text);
                if !head.is_empty() {
                    // Written as the head, perhaps with its column's letter: `指标值(A)`.
                    let base = match h.key.rfind('(') {
                        Some(i)
                            if h.key[i + 1..]
                                .trim_end_matches(')')
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '/') =>
                        {
                            &h.key[..i]
                        }
                        _ => h.key.as_str(),
                    };
                    // A place's column under 区域目标值 is named by its place, not damaged.
                    h.damaged_head = base != head && head != crate::runon::REGION_HEAD;
                    h.key = head.to_string();
                    h.label = label_of(head);
                }
                h.glued = true;
                cells.push(h);
            }
            return;
        }
    }
    let mut c = c;
    c.glued = glued;
    cells.push(c);
}

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

/// A level name, or a piece of one broken across cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LevelCell {
    L1(Level1),
    L2(Level2),
    /// 成本指标: level 1 in the new layout, level 2 under output in the old one.
    Cost,
}

fn level_cell(key: &str) -> Option<LevelCell> {
    let bare = key.split('(').next().unwrap_or(key);
    if bare == "成本指标" || key == "成本" {
        return Some(LevelCell::Cost);
    }
    if let Some(l2) = level2_of(key) {
        return Some(LevelCell::L2(l2));
    }
    level1_of(key).map(LevelCell::L1)
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

/// Level names at the start of a cell whose cells run together (`产出指标数量指标学生人数`):
/// the levels and the rest.
fn leading_levels(key: &str, text: &str) -> Option<(Vec<LevelCell>, String)> {
    const HEADS: [&str; 16] = [
        "产出指标",
        "效益指标",
        "满意度指标",
        "成本指标",
        "数量指标",
        "质量指标",
        "时效指标",
        "经济效益指标",
        "社会效益指标",
        "生态效益指标",
        "可持续影响指标",
        "服务对象满意度指标",
        "经济成本指标",
        "社会成本指标",
        "生态环境成本指标",
        "项目完成指标",
    ];
    if text.contains(char::is_whitespace) || key != text {
        return None;
    }
    let mut rest = key;
    let mut levels = vec![];
    'outer: loop {
        for h in HEADS {
            if let Some(r) = rest.strip_prefix(h) {
                levels.push(level_cell(h)?);
                rest = r;
                continue 'outer;
            }
        }
        break;
    }
    (!levels.is_empty() && !rest.is_empty()).then(|| (levels, rest.to_string()))
}

enum Finished {
    Form(ReadForm),
    Table(ReadSelfTable),
}

#[derive(Default)]
struct Reader {
    layout: Layout,
    /// The rows are a worksheet's: a new row is always a new indicator row.
    grid: bool,
    forms: Vec<ReadForm>,
    tables: Vec<ReadSelfTable>,
    current: Option<Builder>,
    /// Cells outside any form, reported as warnings.
    loose: Vec<Warning>,
    /// The year of the last title or year line, for a form whose header gives none.
    year: Option<i32>,
    /// The row being read is the last cell of its table row (see `Builder::end_follows`).
    end_follows: bool,
}

impl Reader {
    fn row(&mut self, row: Row) {
        if row.cells.iter().all(|c| c.empty) {
            if let Some(b) = &mut self.current {
                b.empty_cell();
            }
            return;
        }
        // A title starts a form; cells before it belong to what came before.
        if let Some(t) = row.cells.iter().position(|c| title_kind(&c.key).is_some()) {
            let (before, rest) = row.cells.split_at(t);
            if !before.is_empty() {
                self.feed(Row {
                    line: row.line,
                    cells: before.to_vec(),
                });
            }
            let title = &rest[0];
            let kind = title_kind(&title.key).unwrap_or(Kind::Target);
            let year = year_in(&title.key);
            let keep_year = self.current.as_ref().is_some_and(|b| b.is_empty());
            self.close();
            if year.is_some() || !keep_year {
                self.year = year.or(if keep_year { self.year } else { None });
            }
            let mut b = Builder::new(row.line, kind, self.layout);
            b.year = year.or(self.year);
            b.titled = true;
            b.grid = self.grid;
            b.title = Some((row.line, title.text.clone()));
            if title.glued {
                // Cut from a line run together: what the cut kept of the title is shown.
                b.warn(
                    row.line,
                    &title.text,
                    "表格标题（与其他文字连写），从此读作新的一张表 / a title run together with other text: a new table is read from here",
                );
            }
            self.current = Some(b);
            if rest.len() > 1 {
                self.feed(Row {
                    line: row.line,
                    cells: rest[1..].to_vec(),
                });
            }
            return;
        }
        self.feed(row);
    }

    fn feed(&mut self, row: Row) {
        let row_line = row.line;
        let names_project = row
            .cells
            .iter()
            .any(|c| c.label == Some(Label::Field(Field::Name)));
        let starts_table = row.cells.iter().any(|c| {
            matches!(
                c.label,
                Some(Label::LevelHead | Label::Budget(_) | Label::Field(Field::Department))
            ) || matches!(level_cell(&c.key), Some(LevelCell::L1(_)))
                || leading_levels(&c.key, &c.text).is_some()
        });
        match &self.current {
            None if names_project || starts_table => {
                let kind = if row
                    .cells
                    .iter()
                    .any(|c| matches!(c.label, Some(Label::Budget(_))))
                {
                    Kind::SelfEvaluation
                } else {
                    Kind::Target
                };
                let mut b = Builder::new(row.line, kind, self.layout);
                b.year = self.year;
                b.grid = self.grid;
                self.current = Some(b);
            }
            Some(b) if names_project && b.name.is_some() && !b.wide() => {
                let kind = b.kind;
                // Cells before the next project's name are the current form's (a line run
                // together: the rest of its table, then the next form's title and header).
                let at = row
                    .cells
                    .iter()
                    .position(|c| c.label == Some(Label::Field(Field::Name)))
                    .unwrap_or(0);
                if at > 0 && row.cells[..at].iter().all(|c| c.glued) {
                    let mut row = row;
                    let rest = row.cells.split_off(at);
                    self.feed_current(row);
                    self.close();
                    let mut b = Builder::new(row_line, kind, self.layout);
                    b.year = self.year;
                    b.grid = self.grid;
                    self.current = Some(b);
                    self.feed_current(Row {
                        line: row_line,
                        cells: rest,
                    });
                    return;
                }
                self.close();
                let mut b = Builder::new(row.line, kind, self.layout);
                b.year = self.year;
                b.grid = self.grid;
                self.current = Some(b);
            }
            _ => {}
        }
        self.feed_current(row);
    }

    fn feed_current(&mut self, row: Row) {
        match &mut self.current {
            Some(b) => {
                b.end_follows = self.end_follows;
                b.row(row)
            }
            None => {
                for c in &row.cells {
                    if let Some(y) = year_line(&c.key) {
                        self.year = Some(y);
                        continue;
                    }
                    self.loose.push(Warning {
                        line: row.line,
                        text: c.text.clone(),
                        message: "表格之外的文字，未读入 / text outside any form, not read".into(),
                        place: None,
                    });
                }
            }
        }
    }

    fn close(&mut self) {
        if let Some(b) = self.current.take() {
            let (done, loose) = b.finish();
            for d in done {
                match d {
                    Finished::Form(f) => self.forms.push(f),
                    Finished::Table(t) => self.tables.push(t),
                }
            }
            self.loose.extend(loose);
        }
    }

    fn finish(mut self, _last_line: usize) -> Result<ReadOutput, ReadError> {
        self.close();
        if self.forms.is_empty() && self.tables.is_empty() {
            // A header (or a table's rows) was found, but no row could be read with certainty:
            // said so, with the first row reported and why.
            let header = self.loose.iter().find(|w| w.message.starts_with("有表头"));
            let row = self.loose.iter().find(|w| {
                [crate::runon::UNREAD, NO_LEVEL]
                    .iter()
                    .any(|m| w.message == *m)
            });
            return Err(match (header, row) {
                (None, None) => ReadError::NoForms,
                (h, r) => ReadError::NoIndicators {
                    line: h.or(r).map_or(1, |w| w.line),
                    name: h.map(|w| w.text.clone()).unwrap_or_default(),
                    why: r
                        .map(|w| {
                            let mut t: String = w.text.chars().take(40).collect();
                            if t.len() < w.text.len() {
                                t.push('…');
                            }
                            format!("（第{}行：{}：“{t}”）", w.line, w.message)
                        })
                        .unwrap_or_default(),
                },
            });
        }
        self.loose.sort_by_key(|w| w.line);
        Ok(ReadOutput {
            forms: self.forms,
            tables: self.tables,
            warnings: self.loose,
            encoding: "UTF-8",
        })
    }
}

/// The levels an indicator's name implies where the form prints none: satisfaction, cost,
/// quality and timeliness words; else output with no level 2.
fn levels_from_name(key: &str) -> (Level1, Option<Level2>) {
    let has = |ws: &[&str]| ws.iter().any(|w| key.contains(w));
    if has(&["满意"]) {
        (Level1::Satisfaction, Some(Level2::BeneficiarySatisfaction))
    } else if has(&["成本", "费用", "单价"]) {
        (Level1::Output, Some(Level2::Cost))
    } else if has(&["质量", "达标率", "合格率", "验收"]) {
        (Level1::Output, Some(Level2::Quality))
    } else if has(&["及时", "时效", "完成时间", "时限"]) {
        (Level1::Output, Some(Level2::Timeliness))
    } else if has(&["效益"]) {
        (Level1::Outcome, None)
    } else {
        (Level1::Output, None)
    }
}

/// A quick test before `level_cell`: level names end like one (`…指标`, `…目标`, `产出`,
/// `社会效益`, `满意度`, `数量`, `可持续影响`, `(50分)`).
fn may_be_level(key: &str) -> bool {
    key.chars().last().is_some_and(|c| {
        matches!(
            c,
            '标' | '出' | '益' | '度' | '量' | '效' | '本' | '响' | '分' | ')' | '等'
        )
    })
}

/// An indicator row met before any level 1 names its group.
const NO_LEVEL: &str = "指标前没有一级指标，未读入 / an indicator before any level 1, not read";

/// Text after a run-together table's end.
const AFTER_TABLE: &str = "表格结束后的文字，未读入 / text after the table's end, not read";

/// The points in a level cell or a points cell: `产出指标(70分)`, `(10分)`.
fn points_of(key: &str) -> Option<Decimal> {
    let at = key.rfind('(')?;
    let inner = key[at + 1..]
        .trim_end_matches(')')
        .trim_end_matches('分')
        .trim_end_matches(')');
    (!inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .then(|| Decimal::from_str(inner).ok())
        .flatten()
}

/// The start of the warning that marks a text cut off inside a form.
pub(crate) const CUT: &str = "文件在此中断";

/// A year line or cell: `(2023年度)`, `2020年度)`, `（2021年）`.
fn year_line(key: &str) -> Option<i32> {
    let k = key.trim_start_matches('(').trim_end_matches(')');
    let digits = k.strip_suffix("年度").or_else(|| k.strip_suffix('年'))?;
    if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Header,
    Goals,
    Budget,
    Indicators,
    Totals,
}

/// A column of a table that lists several projects before their indicators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WideCol {
    Field(Field),
    Goal,
}

/// An indicator row being read, possibly over several lines.
#[derive(Clone, Debug)]
struct Record {
    line: usize,
    level1: Option<Level1>,
    level2: Option<Level2>,
    name: String,
    vals: Vec<(Role, String)>,
    next_role: usize,
}

impl Record {
    fn has(&self, r: Role) -> bool {
        self.vals.iter().any(|(x, _)| *x == r)
    }
    fn get(&self, r: Role) -> Option<&str> {
        self.vals
            .iter()
            .find(|(x, _)| *x == r)
            .map(|(_, v)| v.as_str())
    }
}

fn accepts(role: Role, c: &Cell) -> bool {
    match role {
        Role::Op => op_cell(&c.key),
        Role::Unit => unit_cell(&c.key),
        Role::Weight | Role::Score => number_cell(&c.key),
        Role::Direction => direction_cell(&c.key),
        Role::Target | Role::Actual => true,
        Role::Reason | Role::Note => c.last,
        Role::Completion => c.key.ends_with('%'),
    }
}

/// Whether a cell can only continue the record (a unit, an operator, a number), rather than
/// start the next indicator.
fn strong(role: Role, c: &Cell) -> bool {
    matches!(
        role,
        Role::Op | Role::Unit | Role::Weight | Role::Score | Role::Direction
    ) && accepts(role, c)
}

struct Builder {
    kind: Kind,
    /// A worksheet's rows (see `Reader::grid`).
    grid: bool,
    /// The kind was given by the table's title, not guessed from its columns.
    titled: bool,
    layout: Layout,
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
    /// A header label at the end of a line whose value is on the next one.
    pending: Option<(Field, usize)>,
    goal_cols: (Option<usize>, Option<usize>),
    goal_overall: Vec<String>,
    goal_annual: Vec<String>,
    goal_actual: Vec<String>,
    goals_seen_text: bool,
    // The self-evaluation's budget block.
    budget_cols: Vec<BudgetCol>,
    /// The first half of a budget head broken over lines (`年初` of 年初预算数).
    head_prefix: Option<String>,
    budget_row: Option<(Field, usize, Vec<String>)>,
    budget_rows: Vec<(Field, Vec<String>)>,
    // The indicator table.
    cols: Vec<Role>,
    roles: Vec<Role>,
    wide: Vec<WideCol>,
    level1: Option<Level1>,
    level2: Option<Level2>,
    /// The rest of a level name whose first part was in an earlier cell (`标` after `产出指`).
    broken_level: Option<(&'static str, usize, String)>,
    record: Option<Record>,
    indicators: Vec<Indicator>,
    rows: Vec<SelfRow>,
    saw_indicator_head: bool,
    totals: Vec<String>,
    at_line_start: bool,
    warnings: Vec<Warning>,
    /// Projects of a several-project table already read.
    done: Vec<Finished>,
    /// Cells seen at all, to tell an empty builder from one that read nothing usable.
    cells_seen: usize,
    /// The table's heads ran together: its rows are split by `runon::decode`.
    runon: bool,
    /// The table has ended in running text (totals, then notes or a prose heading): what
    /// follows is reported, not read.
    prose: bool,
    /// The points of the open level-1 and level-2 groups (`产出指标(70分)`, `数量指标(10分)`).
    points: (Option<Decimal>, Option<Decimal>),
    /// The last level cell named a level 2.
    last_level2: bool,
    /// One cell per line, and the line after this one pads the end of the table's row: this
    /// cell is the row's last (its 绩效标准 or 备注), not the next indicator's name.
    end_follows: bool,
    /// A transposed indicator table (`三级指标 名称 名称 …` / `年度目标值 值 值 …`).
    transposed: Option<Transposed>,
    /// The grades of a graded standard in place of the target (`优良中差` under
    /// 绩效指标评价标准), as written, best first.
    grades: Option<Vec<String>>,
    /// The table's title as written, and its line: the name of a form that gives none.
    title: Option<(usize, String)>,
}

/// An indicator table printed across: a line of 三级指标 names, then their targets in the
/// same order, then perhaps the period's targets; no 一级/二级 cells.
#[derive(Default)]
struct Transposed {
    line: usize,
    names: Vec<String>,
    values: Vec<String>,
    /// 0 names, 1 the year's targets, 2 what follows (the period's targets).
    stage: u8,
    rest: Vec<(usize, String)>,
}

impl Builder {
    fn new(line: usize, kind: Kind, layout: Layout) -> Builder {
        Builder {
            kind,
            grid: false,
            titled: false,
            layout,
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
            pending: None,
            goal_cols: (None, None),
            goal_overall: vec![],
            goal_annual: vec![],
            goal_actual: vec![],
            goals_seen_text: false,
            budget_cols: vec![],
            head_prefix: None,
            budget_row: None,
            budget_rows: vec![],
            cols: vec![],
            roles: vec![],
            wide: vec![],
            level1: None,
            level2: None,
            broken_level: None,
            record: None,
            indicators: vec![],
            rows: vec![],
            saw_indicator_head: false,
            totals: vec![],
            at_line_start: true,
            warnings: vec![],
            done: vec![],
            cells_seen: 0,
            runon: false,
            prose: false,
            points: (None, None),
            last_level2: false,
            end_follows: false,
            transposed: None,
            grades: None,
            title: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.name.is_none() && self.indicators.is_empty() && self.rows.is_empty()
    }

    fn wide(&self) -> bool {
        !self.wide.is_empty()
    }

    fn warn(&mut self, line: usize, text: &str, message: &str) {
        self.warnings.push(Warning {
            line,
            text: text.to_string(),
            message: message.to_string(),
            place: None,
        });
    }

    /// The section a label opens.
    fn section_of(&self, l: Label, current: Section) -> Option<Section> {
        Some(match l {
            Label::Field(f) if is_fund(f) && current == Section::Budget => Section::Budget,
            Label::Field(_) | Label::FundsUnit(_) => Section::Header,
            Label::GoalOverall | Label::GoalAnnual | Label::GoalActual | Label::GoalsBlock => {
                Section::Goals
            }
            Label::Budget(_) | Label::BudgetPart => Section::Budget,
            Label::Column(Role::Weight | Role::Score) if current == Section::Budget => {
                Section::Budget
            }
            Label::IndicatorsBlock | Label::LevelHead | Label::Column(_) => Section::Indicators,
            Label::Total | Label::Remarks => Section::Totals,
            Label::Grades => Section::Indicators,
        })
    }

    fn row(&mut self, row: Row) {
        self.last_line = row.line;
        self.cells_seen += row.cells.len();
        for c in row.cells.iter().filter(|c| c.damaged_head) {
            self.warn(
                row.line,
                &c.text,
                &format!(
                    "表头疑为识别错误，按“{}”读取 / a column head damaged by OCR, read as {}",
                    c.key, c.key
                ),
            );
        }
        // A header row of a several-project table: 单位名称 | 项目名称 | 预算数 | 年度目标 | 一级指标 …
        if self.section != Section::Indicators || self.record.is_none() {
            if let Some(first_level) = row
                .cells
                .iter()
                .position(|c| c.label == Some(Label::LevelHead))
            {
                let before = &row.cells[..first_level];
                // Only heads before 一级指标: a one-line table has its values there too.
                if before
                    .iter()
                    .any(|c| c.label == Some(Label::Field(Field::Name)))
                    && before.iter().all(|c| c.label.is_some())
                {
                    self.wide = before
                        .iter()
                        .filter_map(|c| match c.label {
                            Some(Label::Field(f)) => Some(WideCol::Field(f)),
                            Some(Label::GoalAnnual | Label::GoalOverall) => Some(WideCol::Goal),
                            _ => None,
                        })
                        .collect();
                    let rest = row.cells[first_level..].to_vec();
                    self.section = Section::Indicators;
                    self.saw_indicator_head = true;
                    self.indicator_cells(row.line, &rest);
                    return;
                }
            }
        }
        if self.section == Section::Indicators && self.wide() {
            self.wide_row(row);
            return;
        }
        // Heads run together on this line: its table's cells run together too.
        if !self.runon
            && row
                .cells
                .iter()
                .any(|c| c.glued && matches!(c.label, Some(Label::LevelHead | Label::Column(_))))
        {
            self.runon = true;
        }
        // Split the row where a label opens another section.
        let mut start = 0;
        let mut sec = self.section;
        // A footnote or sign-off runs to the end of its line (`注:1.一级指标分值统一设置为:…`).
        let mut footer = false;
        for (i, c) in row.cells.iter().enumerate() {
            let opens = if footer {
                None
            } else if matches!(sec, Section::Indicators | Section::Totals) && footer_cell(&c.key) {
                footer = true;
                Some(Section::Totals)
            } else if c.label.is_none()
                && c.key.len() <= 48
                && may_be_level(&c.key)
                && sec != Section::Indicators
                && sec != Section::Totals
                && (sec != Section::Header || c.key.ends_with("指标"))
                && level_cell(&c.key).is_some()
            {
                // A level name is never a header value or a goal: the indicator table has begun
                // (its heads lost on a skipped page, or written on no line of their own).
                Some(Section::Indicators)
            } else {
                c.label.and_then(|l| self.section_of(l, sec))
            };
            let opens = match opens {
                // Header fields inside the indicator table are cells, not labels (and in a
                // table run together, words of a name: `项目资金` of 项目资金使用合规性).
                Some(Section::Header)
                    if sec == Section::Indicators
                        && (self.record.is_some() || self.runon && c.glued)
                        && c.label != Some(Label::Field(Field::Name)) =>
                {
                    None
                }
                // Likewise a goal's label run into a row of the table (`项目年度绩效目标(定量
                // 指标)制度指标…`): words of the row.
                Some(Section::Goals)
                    if sec == Section::Indicators && self.runon && c.glued && c.joined =>
                {
                    None
                }
                // 分值/得分 (and 得分计算方法) after the budget heads are the budget's.
                Some(Section::Indicators)
                    if sec == Section::Budget
                        && matches!(
                            c.label,
                            Some(Label::Column(Role::Weight | Role::Score | Role::Note))
                        ) =>
                {
                    None
                }
                // `预算数` under a broken head (`年初` / `预算数`) is the budget's too.
                Some(Section::Header)
                    if sec == Section::Budget && c.label == Some(Label::Field(Field::Budget)) =>
                {
                    None
                }
                o => o,
            };
            if let Some(s) = opens {
                if s != sec {
                    if i > start {
                        self.segment(sec, row.line, &row.cells[start..i], start == 0);
                    }
                    start = i;
                    sec = s;
                }
            }
        }
        self.segment(sec, row.line, &row.cells[start..], start == 0);
    }

    fn segment(&mut self, sec: Section, line: usize, cells: &[Cell], line_start: bool) {
        if self.prose {
            for c in cells {
                self.warn(line, &c.text, AFTER_TABLE);
            }
            return;
        }
        if sec != self.section {
            self.leave_section();
            self.section = sec;
        }
        match sec {
            Section::Header => self.header_cells(line, cells),
            Section::Goals => self.goals_cells(line, cells),
            Section::Budget => self.budget_cells(line, cells),
            Section::Indicators => {
                if line_start {
                    self.line_break();
                }
                self.indicator_cells(line, cells)
            }
            Section::Totals => self.totals.extend(
                cells
                    .iter()
                    .filter(|c| c.label.is_none())
                    .map(|c| c.text.clone()),
            ),
        }
    }

    fn leave_section(&mut self) {
        if let Some((f, line, vals)) = self.budget_row.take() {
            let _ = line;
            self.budget_rows.push((f, vals));
        }
        if self.section == Section::Indicators {
            self.close_record();
        }
    }

    // ---- header ----

    fn header_cells(&mut self, line: usize, cells: &[Cell]) {
        // Space-separated values: the words between two labels are one value.
        let merged;
        let cells = if self.layout == Layout::Space && cells.len() > 1 {
            merged = merge_values(cells);
            &merged[..]
        } else {
            cells
        };
        let mut other_seen = 0;
        let mut pending = self.pending.take();
        for c in cells {
            if let Some(y) = year_line(&c.key) {
                if self.year.is_none() || self.name.is_none() {
                    self.year = Some(y);
                }
                continue;
            }
            match c.label {
                Some(Label::Field(f)) => {
                    if let Some((p, _)) = pending {
                        if !matches!(p, Field::Other | Field::Carryover | Field::Unkept) {
                            self.warn(line, field_label(p), "字段没有填写 / the field is empty");
                        }
                    }
                    if f == Field::Other {
                        other_seen += 1;
                    }
                    if f == Field::AnnualTotal {
                        self.annual_col = Some(c.col);
                    }
                    pending = Some((f, c.col));
                }
                Some(Label::FundsUnit(fen)) => self.fen_per_unit = fen,
                Some(_) => {}
                None => match pending.take() {
                    Some((f, col)) => {
                        let annual_other = f == Field::Other
                            && (other_seen >= 2 || self.annual_col.is_some_and(|a| col >= a));
                        if annual_other {
                            self.set_money(|fu| &mut fu.annual_other, line, &c.text);
                        } else {
                            self.set_field(f, line, &c.text);
                        }
                    }
                    None => {
                        if let Some((f, value)) = split_inline_label(&c.text) {
                            self.set_field(f, line, value);
                        } else if let Some(fen) = inline_funds_unit(&c.key) {
                            self.fen_per_unit = fen;
                            self.warn(line, &c.text, "表头说明，已按其中的金额单位读取 / a note in the header: its amount unit is used");
                        } else {
                            self.warn(
                                line,
                                &c.text,
                                "无法归入任何字段的单元格 / a cell that fits no field",
                            );
                        }
                    }
                },
            }
        }
        // A label ending the line takes its value from the next line (one cell per line).
        self.pending = pending;
    }

    fn set_field(&mut self, f: Field, line: usize, value: &str) {
        let text = join_wrapped(value);
        let slot = match f {
            Field::Name => Some(&mut self.name),
            Field::Nature => Some(&mut self.nature),
            Field::Category => Some(&mut self.category),
            Field::Department => Some(&mut self.department),
            Field::Implementer => Some(&mut self.implementer),
            _ => None,
        };
        if let Some(slot) = slot {
            // A field given twice (`一级项目名称 … 二级项目名称 …`): the last is kept, the
            // one it replaces is reported.
            if let Some(old) = slot.replace(text.clone()).filter(|o| *o != text) {
                self.warn(
                    line,
                    &old,
                    &format!(
                        "“{}”出现两次，保留后一个 / a field given twice: the later value is kept",
                        field_label(f)
                    ),
                );
            }
            return;
        }
        match f {
            Field::Name
            | Field::Nature
            | Field::Category
            | Field::Department
            | Field::Implementer => {}
            Field::Start | Field::End => match parse_date(&text) {
                Some(d) if f == Field::Start => self.start_date = Some(d),
                Some(d) => self.end_date = Some(d),
                None => self.warn(line, value, "无法识别的日期 / not a date"),
            },
            Field::Total | Field::Budget => self.set_money(|fu| &mut fu.total, line, value),
            Field::Fiscal => self.set_money(|fu| &mut fu.fiscal, line, value),
            Field::Other => self.set_money(|fu| &mut fu.other, line, value),
            Field::AnnualTotal => self.set_money(|fu| &mut fu.annual_total, line, value),
            Field::AnnualAppropriation => {
                self.set_money(|fu| &mut fu.annual_appropriation, line, value)
            }
            Field::Carryover => self.set_money(|fu| &mut fu.annual_carryover, line, value),
            Field::Period => match parse_period(&text) {
                Some((a, b)) => {
                    self.start_date = Some(a);
                    self.end_date = Some(b);
                }
                None => self.warn(line, value, "无法识别的项目期限 / not a period of dates"),
            },
            Field::Unkept => self.warn(
                line,
                value,
                "表头信息，申报表没有对应字段，未保存 / a header value the form has no field for, not kept",
            ),
        }
    }

    fn set_money(
        &mut self,
        field: impl FnOnce(&mut Funds) -> &mut Option<Money>,
        line: usize,
        value: &str,
    ) {
        if matches!(value.trim(), "—" | "-" | "——" | "/" | "无") {
            return; // an empty amount, written as a dash
        }
        // `854万(高标准农田建设400万元…)`: the amount is the leading number, its unit 万.
        let (amount, fen) = leading_amount(value, self.fen_per_unit);
        match Money::parse_scaled(&amount, fen) {
            Ok(m) => {
                *field(&mut self.funds) = Some(m);
                if amount.len() < value.trim().len() {
                    self.warn(
                        line,
                        value,
                        "金额后的说明未保存 / the text after the amount is not kept",
                    );
                }
            }
            Err(e) => self.warn(
                line,
                value,
                &format!("金额无法读取 / unreadable amount: {e}"),
            ),
        }
    }

    // ---- goals ----

    fn goals_cells(&mut self, line: usize, cells: &[Cell]) {
        let merged;
        let cells = if self.layout == Layout::Space && cells.len() > 1 {
            merged = merge_values(cells);
            &merged[..]
        } else {
            cells
        };
        let has_label = cells.iter().any(|c| {
            matches!(
                c.label,
                Some(Label::GoalOverall | Label::GoalAnnual | Label::GoalActual)
            )
        });
        let actual_label = cells.iter().any(|c| c.label == Some(Label::GoalActual));
        let texts: Vec<&Cell> = cells.iter().filter(|c| c.label.is_none()).collect();
        if has_label {
            // 预期目标 | 实际完成情况 | text | text: texts in the labels' order.
            if actual_label && texts.len() >= 2 {
                self.goal_annual.push(texts[0].text.clone());
                self.goal_actual.push(texts[1].text.clone());
                for c in &texts[2..] {
                    self.warn(
                        line,
                        &c.text,
                        "无法归入任何字段的单元格 / a cell that fits no field",
                    );
                }
                self.goals_seen_text = true;
                return;
            }
            let mut last_label: Option<Label> = None;
            for c in cells {
                match c.label {
                    Some(Label::GoalOverall) => {
                        self.goal_cols.0 = Some(c.col);
                        last_label = c.label;
                    }
                    Some(Label::GoalAnnual) => {
                        self.goal_cols.1 = Some(c.col);
                        last_label = c.label;
                    }
                    Some(Label::GoalActual) => last_label = c.label,
                    Some(_) => {}
                    None => match last_label.take() {
                        Some(Label::GoalOverall) => {
                            self.goal_overall.push(c.text.clone());
                            self.goal_cols.0 = Some(c.col);
                            self.goals_seen_text = true;
                        }
                        Some(Label::GoalActual) => {
                            self.goal_actual.push(c.text.clone());
                            self.goals_seen_text = true;
                        }
                        Some(_) => {
                            self.goal_annual.push(c.text.clone());
                            self.goal_cols.1 = Some(c.col);
                            self.goals_seen_text = true;
                        }
                        None => self.warn(
                            line,
                            &c.text,
                            "无法归入任何字段的单元格 / a cell that fits no field",
                        ),
                    },
                }
            }
            return;
        }
        self.goals_text_row(&texts);
    }

    fn goals_text_row(&mut self, texts: &[&Cell]) {
        if texts.is_empty() {
            return;
        }
        // Only the annual goal is labelled (or only the expected and actual of a
        // self-evaluation): the text is the annual goal, then the actual.
        if self.goal_cols.0.is_none() {
            for c in texts {
                if self.goal_annual.is_empty() || self.kind == Kind::Target {
                    self.goal_annual.push(c.text.clone());
                } else {
                    self.goal_actual.push(c.text.clone());
                }
            }
            self.goals_seen_text = true;
            return;
        }
        if !self.goals_seen_text && texts.len() >= 2 {
            // The goals row: one text per goal, matched by column where the labels were.
            let (oc, ac) = self.goal_cols;
            let mut overall = None;
            let mut annual = None;
            for c in texts {
                if Some(c.col) == ac && annual.is_none() {
                    annual = Some(*c);
                } else if Some(c.col) == oc && overall.is_none() {
                    overall = Some(*c);
                }
            }
            for c in texts {
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

    // ---- the self-evaluation's budget block ----

    fn budget_cells(&mut self, line: usize, cells: &[Cell]) {
        self.kind = Kind::SelfEvaluation;
        for c in cells {
            // Heads broken over lines: `年初` / `预算数`, `全年` / `执行数`.
            if self.budget_row.is_none() {
                if let Some(prefix) = self.head_prefix.take() {
                    if let Some(Label::Budget(b)) = label_of(&format!("{prefix}{}", c.key)) {
                        self.budget_cols.push(b);
                        continue;
                    }
                    self.warn(line, &prefix, "预算表中无法归入任何字段的单元格 / a cell of the budget block that fits no field");
                }
                if c.label == Some(Label::BudgetPart) {
                    self.head_prefix = Some(c.key.clone());
                    continue;
                }
                if c.label == Some(Label::Field(Field::Budget)) {
                    self.budget_cols.push(BudgetCol::Annual);
                    continue;
                }
            }
            match c.label {
                Some(Label::Budget(b)) => self.budget_cols.push(b),
                Some(Label::Column(Role::Weight)) => self.budget_cols.push(BudgetCol::Weight),
                Some(Label::Column(Role::Score)) => self.budget_cols.push(BudgetCol::Score),
                Some(Label::Field(f)) if is_fund(f) => {
                    if let Some((f, _, vals)) = self.budget_row.take() {
                        self.budget_rows.push((f, vals));
                    }
                    self.budget_row = Some((f, line, vec![]));
                }
                Some(Label::FundsUnit(fen)) => self.fen_per_unit = fen,
                Some(_) => {}
                None => match &mut self.budget_row {
                    Some((_, _, vals)) if vals.is_empty() && c.glued => {
                        // `:202010100.00%10其中:本年`: the amounts run together, then text.
                        let t = c.text.trim_start_matches([':', '：']);
                        let end = t
                            .find(|ch: char| !(ch.is_ascii_digit() || ch == '.' || ch == '%'))
                            .unwrap_or(t.len());
                        match crate::runon::split_budget_run(&t[..end], &self.budget_cols) {
                            Some(parts) => {
                                vals.extend(parts);
                                if end < t.len() {
                                    let rest = t[end..].to_string();
                                    self.warn(line, &rest, "预算表中无法归入任何字段的单元格 / a cell of the budget block that fits no field");
                                }
                            }
                            None => vals.push(c.text.clone()),
                        }
                    }
                    Some((_, _, vals)) => vals.push(c.text.clone()),
                    None => {
                        if let Some(fen) = inline_funds_unit(&c.key) {
                            self.fen_per_unit = fen;
                        } else {
                            self.warn(line, &c.text, "预算表中无法归入任何字段的单元格 / a cell of the budget block that fits no field")
                        }
                    }
                },
            }
        }
    }

    // ---- the indicator table ----

    /// Where a new line begins inside the indicator table.
    fn line_break(&mut self) {
        self.at_line_start = true;
    }

    fn indicator_cells(&mut self, line: usize, cells: &[Cell]) {
        let mut i = 0;
        while i < cells.len() {
            let c = &cells[i];
            let line_start = std::mem::take(&mut self.at_line_start);
            i += 1;
            if self.prose {
                self.warn(line, &c.text, AFTER_TABLE);
                continue;
            }
            if self.transposed_cell(line, c, cells.get(i)) {
                continue;
            }
            if c.glued && matches!(c.label, Some(Label::LevelHead | Label::Column(_))) {
                self.runon = true;
            }
            match c.label {
                Some(Label::IndicatorsBlock) => continue,
                Some(Label::Grades) => {
                    self.grades = Some(
                        crate::layout::folded_chars(&c.text)
                            .iter()
                            .map(|(_, a, _)| {
                                // The grade's character as written, without its pinyin.
                                c.text[*a..]
                                    .chars()
                                    .next()
                                    .map(String::from)
                                    .unwrap_or_default()
                            })
                            .collect(),
                    );
                    continue;
                }
                // The table's heads, before any indicator: what was taken for a row before
                // them was a remark, and heads seen before a row began are forgotten.
                Some(Label::LevelHead) => {
                    if self.indicators.is_empty() && self.rows.is_empty() {
                        self.drop_remark();
                        if !self.roles.is_empty() {
                            self.roles.clear();
                            self.cols.clear();
                        }
                    }
                    self.saw_indicator_head = true;
                    continue;
                }
                Some(Label::Column(r)) if self.indicators.is_empty() && self.rows.is_empty() => {
                    self.drop_remark();
                    if !self.roles.is_empty() {
                        self.roles.clear();
                        self.cols.clear();
                    }
                    self.saw_indicator_head = true;
                    self.cols.push(r);
                    // `区域目标值 | 新罗区 | 永定区 …`: a target column per place.
                    if c.key == crate::runon::REGION_HEAD && key_of(&c.text) != c.key {
                        self.warn(line, &c.text, crate::runon::PLACE_COLUMN);
                    }
                    continue;
                }
                // `单位` among the indicator table's heads is the unit of measure.
                None if c.key == "单位"
                    && self.saw_indicator_head
                    && self.record.is_none()
                    && self.roles.is_empty() =>
                {
                    self.cols.push(Role::Unit);
                    continue;
                }
                _ => {}
            }
            // `指标2:`, `……`: an empty slot of the template, never a name or a value.
            if crate::runon::slot(&c.key)
                && self
                    .record
                    .as_ref()
                    .is_none_or(|r| self.complete(r) || r.vals.is_empty())
            {
                self.close_record();
                self.warn(line, &c.text, crate::runon::EMPTY_ROW);
                continue;
            }
            if is_points_cell(&c.key) {
                // `(50分)`: the points of a level group, which the weights carry.
                if let Some(p) = points_of(&c.key) {
                    self.set_points(p);
                }
                continue;
            }
            // `服务对象满意度指标` | `服务对象满意度`: a level-1 alias naming the open group again
            // right after its level 2 is the indicator's name.
            let renames = |l: LevelCell| {
                !c.key.ends_with("指标")
                    && self.last_level2
                    && match l {
                        LevelCell::L1(x) => {
                            self.level1 == Some(x) && self.level2.is_some_and(|l2| l2.level1() == x)
                        }
                        LevelCell::L2(x) => self.level2 == Some(x),
                        LevelCell::Cost => false,
                    }
            };
            // `成本指標 | 社會成本指標 | 定量 | 100`: a level name after a level name, followed
            // by the row's values, stands in the name column.
            let in_name_column = || {
                i >= 2
                    && level_cell(&cells[i - 2].key).is_some()
                    && cells.get(i).is_some_and(|n| {
                        op_cell(&n.key)
                            || n.key.starts_with(|ch: char| {
                                ch.is_ascii_digit() || "≥≤><=＞＜＝≧≦".contains(ch)
                            })
                    })
            };
            if let Some(l) = level_cell(&c.key).filter(|l| !renames(*l) && !in_name_column()) {
                self.close_record();
                let before = self.level1;
                self.apply_levels(&[l]);
                let is_l2 = matches!(l, LevelCell::L2(_))
                    || (l == LevelCell::Cost && self.level2 == Some(Level2::Cost));
                self.note_level(before, is_l2, points_of(&c.key));
                continue;
            }
            if let Some((suffix, bline, prefix)) = &self.broken_level {
                if c.key == *suffix || (c.key == "指标" && self.record.is_none()) {
                    let msg = format!(
                        "与第{bline}行的“{prefix}”合为一个指标名称 / joined with “{prefix}” of line {bline} into one level name"
                    );
                    self.broken_level = None;
                    self.warn(line, &c.text, &msg);
                    continue;
                }
            }
            if c.key == "指标" && self.record.is_none() {
                // The second half of a level name broken over two lines (`经济效益` / `指标`).
                continue;
            }
            if self.record.is_none() {
                // Not the level just named again (`可持续影响指标` | `可持续`: a name).
                let current = |l: LevelCell| match l {
                    LevelCell::L1(x) => self.level1 == Some(x),
                    LevelCell::L2(x) => self.level2 == Some(x) && self.last_level2,
                    LevelCell::Cost => false,
                };
                if let Some((l, suffix)) = level_prefix(&c.key).filter(|(l, _)| !current(*l)) {
                    self.warn(
                        line,
                        &c.text,
                        "指标名称的前半，与后面的单元格合为一个指标名称 / the first part of a level name, joined with a cell after it",
                    );
                    self.apply_levels(&[l]);
                    self.broken_level = Some((suffix, line, c.text.clone()));
                    continue;
                }
                if let Some((levels, rest)) = leading_levels(&c.key, &c.text) {
                    let before = self.level1;
                    self.apply_levels(&levels);
                    let is_l2 = matches!(levels.last(), Some(LevelCell::L2(_)));
                    self.note_level(before, is_l2, None);
                    let mut cell = c.clone();
                    cell.key = key_of(&rest);
                    cell.text = rest;
                    self.start_record(line, &cell, &cells[i..]);
                    continue;
                }
            }
            if self.roles.is_empty() {
                // Actual values or scores among the columns: a self-evaluation table.
                if self
                    .cols
                    .iter()
                    .any(|r| matches!(r, Role::Actual | Role::Score))
                    && self.indicators.is_empty()
                    && !self.titled
                {
                    self.kind = Kind::SelfEvaluation;
                }
                self.roles = finalize_roles(&self.cols, self.kind);
            }
            // `项目资金` | `使用合规性反映…`: one run cut at a header word, joined again.
            let piece = |x: &Cell| {
                let words = match x.label {
                    None | Some(Label::FundsUnit(_)) => true,
                    Some(Label::Field(f)) => f != Field::Name,
                    Some(Label::GoalOverall | Label::GoalAnnual | Label::GoalActual) => x.joined,
                    _ => false,
                };
                words && level_cell(&x.key).is_none() && !is_points_cell(&x.key)
            };
            if self.runon && c.glued && piece(c) {
                let mut n = i;
                while cells.get(n).is_some_and(|x| x.joined && piece(x)) {
                    n += 1;
                }
                if n > i || c.label.is_some() {
                    let mut joined = c.clone();
                    joined.label = None;
                    joined.text = cells[i - 1..n].iter().map(|x| x.text.as_str()).collect();
                    joined.key = String::new();
                    i = n;
                    if !self.decode_run(line, &joined) {
                        self.warn(line, &joined.text, crate::runon::UNREAD);
                    }
                    continue;
                }
            }
            if self.runon && c.label.is_none() && self.decode_run(line, c) {
                continue;
            }
            match &self.record {
                Some(rec) => {
                    let continues = if line_start {
                        // A worksheet's row is a row: an empty target cell is an empty target.
                        !self.grid
                            && (!self.complete(rec)
                                || self.strong_fit(rec, c)
                                || self.end_follows && cells.len() == 1 && self.text_left(rec)
                                // A sentence on its own line after a complete row is that
                                // row's 偏差原因 or 备注: no name ends with `。`.
                                || cells.len() == 1
                                    && c.text.ends_with('。')
                                    && self.text_left(rec))
                    } else {
                        true
                    };
                    if continues && self.push(c, cells.len() - i) {
                        continue;
                    }
                    // A cell left over at the end of a complete row is an extra cell of that
                    // row (a column the heads did not name), not the next indicator.
                    let complete = self.record.as_ref().is_some_and(|r| self.complete(r));
                    // In a worksheet a row's leftover cells are that row's, wherever they stand.
                    // A bare number never names an indicator: after a complete row it is an
                    // extra cell of it (`足额保障率=100% 22.5`, a weight no head named).
                    if complete && !self.grid && number_cell(&c.key)
                        || !line_start
                            && complete
                            && (self.grid || c.last && self.layout != Layout::Space)
                    {
                        self.warn(
                            line,
                            &c.text,
                            "指标行多出的单元格 / an extra cell in an indicator row",
                        );
                        continue;
                    }
                    self.close_record();
                    i += self.start_record(line, c, &cells[i..]);
                }
                None => i += self.start_record(line, c, &cells[i..]),
            }
        }
    }

    /// A cell of a table whose cells run together: its rows, split by the shapes of their
    /// values in the order of the table's heads; what cannot be split with certainty is
    /// reported as written.
    fn decode_run(&mut self, line: usize, c: &Cell) -> bool {
        let mut text = c.text.as_str();
        // `(10分)保障人数…`: the points of the group just named, then its rows.
        if let Some(close) = text.find(['）', ')']) {
            let head = &text[..close + text[close..].chars().next().map_or(1, char::len_utf8)];
            if is_points_cell(&key_of(head)) {
                if let Some(p) = points_of(&key_of(head)) {
                    self.set_points(p);
                }
                text = &text[head.len()..];
            }
        }
        // `(必填硬性指标)针对…`: a remark in brackets on the level just named, before its row.
        if self.record.is_none() && text.starts_with(['(', '（']) {
            if let Some(close) = text.find([')', '）']) {
                let inner = &text[text.chars().next().map_or(1, char::len_utf8)..close];
                let remark = (2..=10).contains(&inner.chars().count())
                    && inner.chars().all(jixiao_core::text::is_cjk)
                    && (self.level1.is_some() || self.level2.is_some());
                if remark {
                    let head_len = close + text[close..].chars().next().map_or(1, char::len_utf8);
                    self.warn(
                        line,
                        &text[..head_len],
                        "指标级别后的括注，未保存 / a remark in brackets after a level name, not kept",
                    );
                    text = &text[head_len..];
                }
            }
        }
        // `指标1:指标2:`: the empty slots of a template.
        let (slots, rest) = crate::runon::strip_slots(text);
        for s in slots {
            self.warn(line, &s, crate::runon::EMPTY_ROW);
        }
        let owned = rest;
        let text = owned.as_str();
        if let Some(l) = level_cell(&key_of(text)) {
            self.close_record();
            let before = self.level1;
            self.apply_levels(&[l]);
            let is_l2 = matches!(l, LevelCell::L2(_));
            self.note_level(before, is_l2, None);
            return true;
        }
        if text.trim().is_empty() {
            return true;
        }
        if self.grades.is_some() {
            self.graded_run(line, text);
            return true;
        }
        let limits = crate::runon::Limits {
            max_weight: self.max_weight(),
        };
        let pieces = crate::runon::decode(text, &self.roles, limits);
        // Nothing of it splits (a name whose values are in the next cells): read as a cell.
        if matches!(pieces.as_slice(), [crate::runon::Piece::Unread(t, m)] if t == text && *m == crate::runon::UNREAD)
        {
            // Only a name, or a value of the open row, is read as a cell of its own; other
            // text with numbers in it is reported.
            let digits = text.chars().any(|ch| ch.is_ascii_digit());
            let one_value = self.record.is_some() && crate::runon::one_value(text);
            if digits && !one_value {
                self.close_record();
                match crate::runon::guess_row(text, &self.roles, limits) {
                    Some(r) => self.run_row(line, r),
                    None => self.warn(line, text, crate::runon::UNREAD),
                }
                return true;
            }
            if text.len() < c.text.len() {
                let mut cell = c.clone();
                cell.text = text.to_string();
                cell.key = key_of(text);
                self.close_record();
                self.start_record(line, &cell, &[]);
                return true;
            }
            return false;
        }
        self.close_record();
        for piece in pieces {
            match piece {
                crate::runon::Piece::Row(r) => self.run_row(line, r),
                crate::runon::Piece::Unread(t, m) => self.warn(line, &t, m),
                crate::runon::Piece::Total(t) => {
                    self.run_total(line, &t);
                    self.prose = true;
                }
                crate::runon::Piece::End(t) => {
                    self.warn(line, &t, AFTER_TABLE);
                    self.prose = true;
                }
            }
        }
        true
    }

    /// A run of a table with a graded standard (see `grades.rs`): each row read with its best
    /// grade as the target, and every guess said.
    fn graded_run(&mut self, line: usize, text: &str) {
        let names = self.grades.clone().unwrap_or_default();
        self.close_record();
        for piece in crate::grades::decode(text, names.len()) {
            let r = match piece {
                crate::grades::Piece::Row(r) => r,
                crate::grades::Piece::Unread(t, m) => {
                    self.warn(line, &t, m);
                    continue;
                }
            };
            if r.description.is_empty() {
                self.warn(line, &r.written, "指标名称与指标描述连写，找不到分界，整段读作名称，请核对 / the indicator's name and description run together with no cut found: the whole read as the name, to check");
            } else {
                self.warn(line, &r.written, &format!("指标名称与指标描述连写，按词义推定名称为“{}”，请核对 / the indicator's name and description run together: the name taken to be “{}” by meaning, a guess to check", r.name, r.name));
            }
            let listed: Vec<String> = names
                .iter()
                .zip(&r.grades)
                .map(|(g, v)| format!("{g} {v}"))
                .collect();
            let best = names.first().map_or("", String::as_str);
            self.warn(
                line,
                &r.grades_written,
                &format!(
                    "评价标准分{}档（{}），以“{best}”档读作指标值（运算符推定为“=”），其余各档未保存 / a graded standard ({}) in place of a target: the {best} grade read as the target (op taken as =), the other grades not kept",
                    names.len(),
                    listed.join("，"),
                    listed.join(", ")
                ),
            );
            let mut vals = vec![(Role::Target, r.grades[0].clone())];
            for v in [r.description, r.basis] {
                if !v.is_empty() {
                    vals.push((Role::Note, v));
                }
            }
            self.record = Some(Record {
                line,
                level1: self.level1,
                level2: self.level2,
                name: r.name,
                vals,
                next_role: self.roles.len(),
            });
            self.close_record();
        }
    }

    fn run_row(&mut self, line: usize, r: crate::runon::RunRow) {
        self.record = Some(Record {
            line,
            level1: self.level1,
            level2: self.level2,
            name: r.name,
            vals: r.vals,
            next_role: self.roles.len(),
        });
        for (t, m) in r.notes {
            self.warn(line, &t, m);
        }
        self.close_record();
    }

    /// `总分100100`: the weights' total and the score's, fused; split where the first is the
    /// sum of the rows' weights.
    fn run_total(&mut self, line: usize, t: &str) {
        if t.is_empty() {
            return;
        }
        let weights: Option<Decimal> = if self.kind == Kind::SelfEvaluation {
            self.rows.iter().map(|r| r.weight).sum()
        } else {
            self.indicators.iter().map(|r| r.weight).sum()
        };
        if let Some(w) = weights {
            let w = w.normalize().to_string();
            if let Some(rest) = t.strip_prefix(w.as_str()) {
                let ok = rest.is_empty()
                    || number(rest).is_some_and(|s| s <= Decimal::from_str(&w).unwrap_or_default())
                        && !(rest.len() > 1 && rest.starts_with('0'));
                if ok {
                    self.totals.push(w);
                    if !rest.is_empty() {
                        self.totals.push(rest.to_string());
                    }
                    return;
                }
            }
        }
        self.warn(line, t, crate::runon::UNREAD);
    }

    fn set_points(&mut self, p: Decimal) {
        if self.last_level2 {
            self.points.1 = Some(p);
        } else {
            self.points.0 = Some(p);
        }
    }

    /// After a level cell (`is_l2`: it named a level 2): the points of the groups it closed
    /// are forgotten, and those written with it kept.
    fn note_level(&mut self, before: Option<Level1>, is_l2: bool, points: Option<Decimal>) {
        if self.level1 != before {
            self.points = (None, None);
        }
        if is_l2 {
            self.points.1 = None;
        }
        self.last_level2 = is_l2;
        if let Some(p) = points {
            self.set_points(p);
        }
    }

    /// The most a row's weight may be: its group's points, else 100.
    fn max_weight(&self) -> Decimal {
        self.points
            .1
            .or(self.points.0)
            .map_or(Decimal::ONE_HUNDRED, |p| p.min(Decimal::ONE_HUNDRED))
    }

    fn complete(&self, rec: &Record) -> bool {
        rec.has(Role::Target)
            && (self.kind == Kind::Target
                || !self.roles.contains(&Role::Actual)
                || rec.has(Role::Actual))
    }

    /// Whether the record has a text column left (绩效标准, 备注, 偏差原因).
    fn text_left(&self, rec: &Record) -> bool {
        self.roles[rec.next_role.min(self.roles.len())..]
            .iter()
            .any(|r| matches!(r, Role::Note | Role::Reason))
    }

    fn strong_fit(&self, rec: &Record, c: &Cell) -> bool {
        self.roles[rec.next_role.min(self.roles.len())..]
            .iter()
            .any(|r| strong(*r, c))
    }

    /// A row begun before the table's heads: reported as a remark, with what it held.
    fn drop_remark(&mut self) {
        if let Some(x) = self.record.take() {
            let mut text = x.name.clone();
            for (_, v) in &x.vals {
                text.push(' ');
                text.push_str(v);
            }
            self.warn(
                x.line,
                &text,
                "表头中的说明文字，未读入 / a remark among the table's heads, not read",
            );
        }
    }

    /// An empty cell of a one-cell-per-line table: the record's next column is left empty.
    fn empty_cell(&mut self) {
        self.at_line_start = true;
        if self.section != Section::Indicators {
            return;
        }
        if let Some(rec) = &mut self.record {
            if rec.next_role < self.roles.len() && (rec.has(Role::Target) || !rec.vals.is_empty()) {
                rec.next_role += 1;
            }
        }
    }

    /// Gives the cell to the record's next column that takes it; false when none does.
    /// `left`: the cells after this one in its line.
    fn push(&mut self, c: &Cell, left: usize) -> bool {
        let Some(rec) = &mut self.record else {
            return false;
        };
        // Operator and direction cells are known by their look wherever they stand: tables
        // print 指标方向 before 指标性质 under heads in the other order.
        for role in [Role::Op, Role::Direction] {
            if self.roles.contains(&role)
                && !rec.has(role)
                && !rec.has(Role::Target)
                && accepts(role, c)
            {
                rec.vals.push((role, c.text.clone()));
                return true;
            }
        }
        for j in rec.next_role..self.roles.len() {
            let role = self.roles[j];
            // In a worksheet a text column is known by where it stands.
            let text_column = self.grid
                && (matches!(role, Role::Note | Role::Reason)
                    || role == Role::Unit && !number_cell(&c.key) && c.text.chars().count() <= 8);
            // A text column before the line's last cell, where the rest of the line fits the
            // columns after it (指标解释 | 评分标准 in a pipe table).
            let fits = matches!(role, Role::Note | Role::Reason)
                && matches!(self.layout, Layout::Tab | Layout::Pipe)
                && left > 0
                && left <= self.roles.len() - (j + 1);
            if text_column || fits || accepts(role, c) {
                rec.vals.push((role, c.text.clone()));
                rec.next_role = j + 1;
                return true;
            }
            if matches!(role, Role::Target | Role::Actual) {
                return false;
            }
        }
        false
    }

    /// Starts an indicator at its name cell. In space-separated rows a name may hold spaces
    /// (`数量( ≥**个 )`): the words up to the target are the name. Returns how many of the
    /// following cells went into the name.
    fn start_record(&mut self, line: usize, c: &Cell, following: &[Cell]) -> usize {
        let mut name = c.text.clone();
        let mut used = 0;
        if self.layout == Layout::Space {
            let open = |s: &str| s.matches(['(', '（']).count() > s.matches([')', '）']).count();
            // Words up to the first that could be the target, when one comes before any
            // number or level name.
            let mut k = 0;
            let mut found = None;
            while k < following.len() {
                let f = &following[k];
                if plausible_target(&f.text) || op_cell(&f.key) {
                    found = Some(k);
                    break;
                }
                if number_cell(&f.key)
                    || direction_cell(&f.key)
                    || level_cell(&f.key).is_some()
                    || f.label.is_some()
                {
                    break;
                }
                k += 1;
            }
            let absorb = match found {
                Some(k) if k > 0 && (open(&name) || k <= 3) => k,
                _ => {
                    let mut n = 0;
                    let mut text = name.clone();
                    while open(&text) && n < following.len() && n < 4 {
                        text.push(' ');
                        text.push_str(&following[n].text);
                        n += 1;
                    }
                    if open(&text) {
                        0
                    } else {
                        n
                    }
                }
            };
            for f in &following[..absorb] {
                name.push(' ');
                name.push_str(&f.text);
            }
            used = absorb;
        }
        self.record = Some(Record {
            line,
            level1: self.level1,
            level2: self.level2,
            name,
            vals: vec![],
            next_role: 0,
        });
        used
    }

    /// A cell of a transposed table, or the `三级指标` that opens one (names follow it on its
    /// line, before any row was read). False for a cell read the ordinary way.
    fn transposed_cell(&mut self, line: usize, c: &Cell, next: Option<&Cell>) -> bool {
        let Some(t) = &mut self.transposed else {
            let opens = self.kind == Kind::Target
                && c.label == Some(Label::LevelHead)
                && c.key == "三级指标"
                && self.record.is_none()
                && self.indicators.is_empty()
                && self.roles.is_empty()
                && next.is_some_and(|n| n.label.is_none() && level_cell(&n.key).is_none());
            if opens {
                self.saw_indicator_head = true;
                self.transposed = Some(Transposed {
                    line,
                    ..Transposed::default()
                });
            }
            return opens;
        };
        let value_head = c.key.ends_with("目标值") || c.key.ends_with("指标值");
        match t.stage {
            0 if value_head => t.stage = 1,
            0 if c.label.is_none() && level_cell(&c.key).is_none() => t.names.push(c.text.clone()),
            1 if value_head || t.values.len() >= t.names.len() => {
                t.stage = 2;
                t.rest.push((line, c.text.clone()));
            }
            1 => t.values.push(c.text.clone()),
            2 if c.label.is_none() => t.rest.push((line, c.text.clone())),
            _ => {
                self.close_transposed();
                return false;
            }
        }
        true
    }

    /// The rows of a transposed table: each name with the target in its place; the levels,
    /// never printed, taken from the name's words where they say it, and said to be so.
    fn close_transposed(&mut self) {
        let Some(t) = self.transposed.take() else {
            return;
        };
        for (k, name) in t.names.iter().enumerate() {
            let value = t.values.get(k).cloned().unwrap_or_default();
            let (level1, level2) = levels_from_name(&key_of(name));
            let (zh, en) = match level2 {
                Some(l2) => (
                    format!("{}/{}", level1.name(), l2.name()),
                    format!("{}/{}", level1.english(), l2.name()),
                ),
                None => (
                    format!("{}，二级空缺", level1.name()),
                    format!("{}, level 2 left empty", level1.english()),
                ),
            };
            self.warn(
                t.line,
                name,
                &format!("一级/二级指标未写明（表格为横排），按指标名称推定为{zh} / levels 1 and 2 not written (a transposed table): taken as {en} by the name, a guess"),
            );
            if value.is_empty() {
                self.warn(
                    t.line,
                    name,
                    "指标没有指标值 / the indicator has no target value",
                );
            }
            let (target, notes) = Target::parse_published(&value);
            for n in notes {
                if n != jixiao_core::target::Note::OpImplied {
                    self.warn(t.line, &value, n.message());
                }
            }
            self.indicators.push(Indicator {
                id: None,
                level1,
                level2,
                name: name.clone(),
                target,
                raw: value,
                weight: None,
                direction: None,
            });
        }
        for v in t.values.iter().skip(t.names.len()) {
            self.warn(t.line, v, "横排表中没有对应名称的指标值，未读入 / a target with no name in a transposed table, not read");
        }
        for (line, v) in t.rest {
            self.warn(line, &v, "横排表中年度目标值之后的内容（如实施周期目标值），未保存 / what follows the year's targets in a transposed table (the period's targets), not kept");
        }
    }

    fn close_record(&mut self) {
        let Some(mut rec) = self.record.take() else {
            return;
        };
        let line = rec.line;
        // A name run together with its target: `满意度≥95%`.
        if !rec.has(Role::Target) {
            if let Target::Quantitative {
                subject: Some(s), ..
            } = Target::parse(&rec.name)
            {
                // The subject is of the folded text (full-width forms, LaTeX): split the name
                // only where it is written the same.
                if let Some(t) = rec
                    .name
                    .strip_prefix(s.as_str())
                    .map(|t| t.trim().to_string())
                {
                    rec.name = s;
                    rec.vals.push((Role::Target, t));
                }
            }
        }
        let name = join_wrapped(&rec.name);
        // `-`, `0`: no indicator is named without a letter; the row is reported.
        if !name.chars().any(char::is_alphabetic) {
            let mut text = name.clone();
            for (_, v) in &rec.vals {
                text.push(' ');
                text.push_str(v);
            }
            self.warn(line, &text, crate::runon::EMPTY_ROW);
            return;
        }
        let Some(level1) = rec.level1 else {
            self.warn(line, &name, NO_LEVEL);
            for (_, v) in &rec.vals {
                self.warn(line, v, NO_LEVEL);
            }
            return;
        };
        if rec.level2.is_none() {
            self.warn(
                line,
                &name,
                "指标没有二级指标 / the indicator has no level 2",
            );
        }
        if self.kind == Kind::Target {
            let notes: Vec<String> = rec
                .vals
                .iter()
                .filter(|(r, _)| *r == Role::Note)
                .map(|(_, v)| v.clone())
                .collect();
            for v in notes {
                self.warn(line, &v, &format!("说明（“{name}”）读出，申报表未保存此列 / an explanation column, not kept by the form"));
            }
            if let Some(v) = rec.get(Role::Weight).filter(|v| number(v).is_none()) {
                let v = v.to_string();
                self.warn(
                    line,
                    &v,
                    "权重不是数值，未读入 / the weight is not a number: not read",
                );
            }
        }
        if let Some(v) = rec.get(Role::Completion) {
            let v = v.to_string();
            self.warn(
                line,
                &v,
                &format!("完成率（“{name}”）读出，未保存 / a completion rate, not kept"),
            );
        }
        let op = rec.get(Role::Op).unwrap_or("").to_string();
        let value = rec.get(Role::Target).unwrap_or("").to_string();
        let unit = rec.get(Role::Unit).unwrap_or("").to_string();
        let target_text = target_writing(&op, &value, &unit);
        match self.kind {
            Kind::Target => {
                if value.is_empty() {
                    self.warn(
                        line,
                        &name,
                        "指标没有指标值 / the indicator has no target value",
                    );
                }
                let raw = [op.as_str(), value.as_str(), unit.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                let (target, notes) = if key_of(&op) == "定性" {
                    (
                        Target::Qualitative {
                            text: value.clone(),
                        },
                        vec![],
                    )
                } else {
                    Target::parse_published(&target_text)
                };
                for n in notes {
                    if n != jixiao_core::target::Note::OpImplied {
                        self.warn(line, &raw, n.message());
                    }
                }
                let target = match jixiao_core::target::ocr_percent_repair(&name, &target_text) {
                    Some(t) => {
                        self.warn(
                            line,
                            &raw,
                            "“2”疑为识别错误的“≥”，已按“≥”读取 / a leading 2 read as a damaged ≥",
                        );
                        t
                    }
                    None => target,
                };
                for r in [Role::Actual, Role::Score, Role::Reason] {
                    if let Some(v) = rec.get(r) {
                        let v = v.to_string();
                        self.warn(
                            line,
                            &v,
                            "指标行多出的单元格 / an extra cell in an indicator row",
                        );
                    }
                }
                self.indicators.push(Indicator {
                    id: None,
                    level1,
                    level2: rec.level2,
                    name,
                    target,
                    raw,
                    weight: rec.get(Role::Weight).and_then(number),
                    direction: rec.get(Role::Direction).map(str::to_string),
                });
            }
            Kind::SelfEvaluation => {
                let notes: Vec<String> = rec
                    .vals
                    .iter()
                    .filter(|(r, v)| *r == Role::Note && !v.is_empty())
                    .map(|(_, v)| v.clone())
                    .collect();
                for v in notes {
                    self.warn(line, &v, &format!("说明（“{name}”）读出，自评表未保存此列 / an explanation column, not kept by the table"));
                }
                self.rows.push(SelfRow {
                    line,
                    level1,
                    level2: rec.level2,
                    name,
                    target: target_text,
                    actual: rec.get(Role::Actual).unwrap_or("").to_string(),
                    weight: rec.get(Role::Weight).and_then(number),
                    self_score: rec.get(Role::Score).and_then(number),
                    deviation: rec.get(Role::Reason).unwrap_or("").to_string(),
                });
            }
        }
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
                // A level 2 under a level 1 it does not belong to keeps the written level 1
                // only when the pair is a known old layout (cost under output).
                let keep = self.level1.is_some_and(|l| l == b.level1());
                if !keep {
                    self.level1 = Some(b.level1());
                }
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

    /// A row of a several-project table: the project's cells (right-aligned to the columns
    /// before 一级指标, as merged cells drop from the left), then its levels and indicator.
    fn wide_row(&mut self, row: Row) {
        let first_level = row
            .cells
            .iter()
            .position(|c| level_cell(&c.key).is_some() || level_prefix(&c.key).is_some());
        let lead = match first_level {
            Some(k) => k,
            None => {
                // `820-马踏镇部门 | 8,827,620.53`: the department and its total.
                if row.cells.len() == 2
                    && Money::parse_scaled(&row.cells[1].text, self.fen_per_unit).is_ok()
                    && self.indicators.is_empty()
                    && self.name.is_none()
                {
                    self.department = Some(row.cells[0].text.clone());
                    self.warn(
                        row.line,
                        &row.cells[1].text,
                        "部门合计行的金额，未存入项目 / the department's total, kept by no project",
                    );
                    return;
                }
                0
            }
        };
        if lead > 0 {
            let cols: Vec<WideCol> = self.wide[self.wide.len().saturating_sub(lead)..].to_vec();
            let skip = lead.saturating_sub(cols.len());
            for c in &row.cells[..skip] {
                self.warn(
                    row.line,
                    &c.text,
                    "无法归入任何字段的单元格 / a cell that fits no field",
                );
            }
            let cells = &row.cells[skip..lead];
            if cols.contains(&WideCol::Field(Field::Name)) {
                self.close_record();
                self.next_project();
            }
            for (col, c) in cols.iter().zip(cells) {
                match col {
                    WideCol::Field(f) => self.set_field(*f, row.line, &c.text),
                    WideCol::Goal => self.goal_annual.push(c.text.clone()),
                }
            }
        }
        self.at_line_start = true;
        let rest = row.cells[lead..].to_vec();
        self.indicator_cells(row.line, &rest);
    }

    /// Ends the current project of a several-project table; the next one keeps the table's
    /// year, department, unit, amounts' unit and columns.
    fn next_project(&mut self) {
        if self.name.is_none() && self.indicators.is_empty() {
            return;
        }
        let mut next = Builder::new(self.last_line, self.kind, self.layout);
        next.grid = self.grid;
        next.year = self.year;
        next.department = self.department.clone();
        next.implementer = self.implementer.clone();
        next.fen_per_unit = self.fen_per_unit;
        next.section = Section::Indicators;
        next.saw_indicator_head = true;
        next.cols = self.cols.clone();
        next.roles = self.roles.clone();
        next.wide = self.wide.clone();
        let prev = std::mem::replace(self, next);
        let done = prev.finish_one();
        self.done.extend(done.0);
        self.warnings.extend(done.1);
    }

    /// Notes that the text ends inside this form when its last row is incomplete or it never
    /// reached its satisfaction group.
    fn mark_cut(&mut self, last_line: usize) {
        let open_row = self.record.as_ref().is_some_and(|r| {
            !self.complete(r)
                || r.get(Role::Target)
                    .is_some_and(|t| t.matches('(').count() > t.matches(')').count())
        });
        // A row cut before its target is not an indicator: it is reported, not read.
        if let Some(r) = self.record.take_if(|r| !r.has(Role::Target)) {
            let mut text = r.name.clone();
            for (_, v) in &r.vals {
                text.push(' ');
                text.push_str(v);
            }
            self.warn(
                r.line,
                &text,
                "文件在此中断，这一行不完整，未读入 / the text breaks off in this row: not read",
            );
        }
        self.close_record();
        let no_satisfaction = self.kind == Kind::Target
            && !self.indicators.is_empty()
            && !self
                .indicators
                .iter()
                .any(|i| i.level1 == Level1::Satisfaction);
        let no_rows = self.indicators.is_empty() && self.rows.is_empty();
        if open_row || no_satisfaction || no_rows {
            let what = if open_row {
                "最后一行不完整"
            } else if no_rows {
                "最后一张表没有指标行"
            } else {
                "最后一张表没有满意度指标"
            };
            self.warn(
                last_line,
                "",
                &format!("{CUT}：文本不以换行结束且{what}，疑似被截断 / the text breaks off here: it does not end with a line break and {}", if open_row { "its last row is incomplete" } else { "its last form never reaches its satisfaction indicators" }),
            );
        }
    }

    /// Finishes the builder: its forms or tables, and warnings that belong to none.
    fn finish(mut self) -> (Vec<Finished>, Vec<Warning>) {
        let mut done = std::mem::take(&mut self.done);
        let (d, loose) = self.finish_one();
        done.extend(d);
        (done, loose)
    }

    fn finish_one(mut self) -> (Vec<Finished>, Vec<Warning>) {
        self.leave_section();
        self.close_transposed();
        // In a table run together the weights were split from fused digits: they should add
        // up to the published total, and where they do not, it is said.
        if self.runon {
            let weights: Vec<Option<Decimal>> = if self.rows.is_empty() {
                self.indicators.iter().map(|i| i.weight).collect()
            } else {
                self.rows.iter().map(|r| r.weight).collect()
            };
            let published = self.totals.iter().find_map(|t| number(t));
            let sum: Option<Decimal> = weights.iter().copied().sum();
            if let (Some(p), Some(s)) = (published, sum) {
                if !weights.is_empty() && s != p {
                    self.warn(
                        self.last_line,
                        &p.to_string(),
                        &format!("读出的权重合计 {s} 与表中合计 {p} 不符，请核对各行权重 / the weights read add up to {s}, not the published {p}: check the rows' weights"),
                    );
                }
            }
        }
        if self.kind == Kind::SelfEvaluation || !self.rows.is_empty() {
            if self.rows.is_empty() {
                return (vec![], self.into_loose());
            }
            return (vec![Finished::Table(self.into_table())], vec![]);
        }
        if self.indicators.is_empty() {
            return (vec![], self.into_loose());
        }
        let start = self.start;
        let from_title = self
            .title
            .as_ref()
            .and_then(|(l, t)| name_in_title(t).map(|n| (*l, t.clone(), n)));
        let name = match (self.name.take(), from_title) {
            (Some(n), _) => n,
            (None, Some((line, title, name))) => {
                self.warn(
                    line,
                    &title,
                    &format!("表格没有项目名称，取标题中的“{name}”作名称 / the table gives no project name: “{name}” taken from its title"),
                );
                name
            }
            (None, None) => {
                self.warn(
                    start,
                    "",
                    "表格没有项目名称 / the table gives no project name",
                );
                String::new()
            }
        };
        if self.year.is_none() {
            self.year = self
                .start_date
                .or(self.end_date)
                .map(|d| chrono::Datelike::year(&d));
        }
        let year = match self.year {
            Some(y) => y,
            None => {
                self.warn(start, "", "表格没有年度，记为 0，请补填 / the table gives no year: recorded as 0, fill it in");
                0
            }
        };
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
                    place: None,
                });
            }
        }
        for t in std::mem::take(&mut self.totals) {
            self.warn(
                self.last_line,
                &t,
                "表后的文字，申报表不保存 / text after the table, not kept by a target form",
            );
        }
        for g in std::mem::take(&mut self.goal_actual) {
            self.warn(
                start,
                &g,
                "目标实际完成情况，申报表不保存 / an achieved-goal text, not kept by a target form",
            );
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
        (
            vec![Finished::Form(ReadForm {
                form,
                line: self.start,
                warnings: self.warnings,
            })],
            vec![],
        )
    }

    /// A builder that read no indicator: what it read is reported, not lost.
    fn into_loose(self) -> Vec<Warning> {
        let mut w = self.warnings;
        let start = self.start;
        let mut report = |text: String, what: &str| {
            if !text.is_empty() {
                w.push(Warning {
                    line: start,
                    text,
                    message: format!("{what}：表格没有指标行，未读入 / the table has no indicator rows: not read"),
                    place: None,
                });
            }
        };
        for (f, vals) in &self.budget_rows {
            report(vals.join(" | "), field_label(*f));
        }
        // The header it read, field by field (a form cut before its table, or a stray label
        // with a value that began a builder of its own).
        for (value, label) in [
            (&self.nature, "项目性质"),
            (&self.category, "项目类别"),
            (&self.department, "主管部门"),
            (&self.implementer, "实施单位"),
        ] {
            report(value.clone().unwrap_or_default(), label);
        }
        for d in [self.start_date, self.end_date].into_iter().flatten() {
            report(d.format("%Y-%m-%d").to_string(), "日期");
        }
        for (_, label, m) in self.funds.fields() {
            if let Some(m) = m {
                report(m.to_string(), label);
            }
        }
        report(self.goal_overall.join("\n"), "总体目标");
        report(self.goal_annual.join("\n"), "年度目标");
        report(self.goal_actual.join("\n"), "实际完成情况");
        let what = |s: &Option<String>| s.clone().unwrap_or_default();
        if let Some(n) = &self.name {
            w.push(Warning {
                line: self.start,
                text: n.clone(),
                message:
                    "有表头但没有任何指标行，未读入 / a header with no indicator rows, not read"
                        .into(),
                place: None,
            });
        }
        let _ = what;
        if self.cells_seen > 0 && self.name.is_none() && w.is_empty() {
            w.push(Warning {
                line: self.start,
                text: String::new(),
                message: "标题后没有可读的表格 / no readable table after the title".into(),
                place: None,
            });
        }
        w
    }

    fn into_table(self) -> ReadSelfTable {
        let mut warnings = self.warnings;
        let unit = if self.fen_per_unit == 1_000_000 {
            "万元"
        } else {
            "元"
        };
        // The budget line: the annual total, or the appropriation when the total is empty.
        let mut budget = SelfBudget::default();
        let rows: Vec<(Field, SelfBudget)> = self
            .budget_rows
            .iter()
            .map(|(f, vals)| (*f, assign_budget(&self.budget_cols, vals)))
            .collect();
        let pick = rows
            .iter()
            .find(|(f, b)| *f == Field::AnnualTotal && b.annual.is_some_and(|a| !a.is_zero()))
            .or_else(|| {
                rows.iter().find(|(f, b)| {
                    *f == Field::AnnualAppropriation && b.annual.is_some_and(|a| !a.is_zero())
                })
            })
            .or_else(|| rows.iter().find(|(f, _)| *f == Field::AnnualTotal));
        // The budget rows not scored are kept in warnings, with what they say.
        let picked = pick.map(|p| p as *const _);
        for (row, (f, vals)) in rows.iter().zip(&self.budget_rows) {
            if Some(row as *const _) == picked {
                // Text in the scored row (its 得分计算方法 or 原因 column, a footnote run
                // into it): no amount, kept in a warning.
                for v in vals.iter().filter(|v| budget_text(v)) {
                    warnings.push(Warning {
                        line: self.start,
                        text: v.clone(),
                        message:
                            "预算行中的说明文字，未计分 / a remark in the budget row, not scored"
                                .into(),
                        place: None,
                    });
                }
            } else if !vals.is_empty() {
                warnings.push(Warning {
                    line: self.start,
                    text: vals.join(" | "),
                    message: format!(
                        "预算行“{}”未计分（计分用年度资金总额）/ a budget row not scored (the annual total is)",
                        field_label(*f)
                    ),
                    place: None,
                });
            }
        }
        if let Some((_, b)) = pick {
            budget = b.clone();
            if b.ambiguous {
                warnings.push(Warning {
                    line: self.start,
                    text: String::new(),
                    message: "预算行金额少于列数，按“全年预算数、全年执行数”读取 / the budget row has fewer amounts than columns: read as annual budget and spent".into(),
            place: None,
        });
            }
        }
        let (mut total_weight, mut self_total, mut grade) = (None, None, None);
        let mut nums = vec![];
        for t in &self.totals {
            let k = key_of(t);
            if matches!(
                k.as_str(),
                "优" | "良" | "中" | "差" | "优秀" | "良好" | "合格" | "不合格"
            ) {
                grade = Some(k);
            } else if let Some(n) = number(&k) {
                nums.push(n);
            } else {
                warnings.push(Warning {
                    line: self.last_line,
                    text: t.clone(),
                    message: "自评表的说明文字，未计分 / a remark of the table, not scored".into(),
                    place: None,
                });
            }
        }
        match nums.as_slice() {
            [w, s, ..] => {
                total_weight = Some(*w);
                self_total = Some(*s);
            }
            [s] => self_total = Some(*s),
            [] => {}
        }
        ReadSelfTable {
            table: SelfTable {
                year: self.year,
                name: self.name.unwrap_or_default(),
                department: self.department.unwrap_or_default(),
                implementer: self.implementer.unwrap_or_default(),
                funds_unit: unit.to_string(),
                budget,
                goal_expected: self.goal_annual.join("\n"),
                goal_actual: self.goal_actual.join("\n"),
                rows: self.rows,
                total_weight,
                self_total,
                grade,
            },
            line: self.start,
            warnings,
        }
    }
}

/// A value of a budget row that is words, not an amount, a rate or a placeholder
/// (`执行率*该指标分值,最高不得超过分值上限。`).
fn budget_text(v: &str) -> bool {
    v.chars()
        .filter(|c| jixiao_core::text::is_cjk(*c))
        .nth(1)
        .is_some()
}

fn is_fund(f: Field) -> bool {
    matches!(
        f,
        Field::Total
            | Field::Fiscal
            | Field::Other
            | Field::AnnualTotal
            | Field::AnnualAppropriation
            | Field::Carryover
    )
}

/// The columns after the name: from the table's heads, with sub-heads (指标性质 | 指标值 |
/// 度量单位 under 年度指标值) put in their parent's place.
fn finalize_roles(cols: &[Role], kind: Kind) -> Vec<Role> {
    let mut cols = cols.to_vec();
    let targets: Vec<usize> = (0..cols.len())
        .filter(|&i| cols[i] == Role::Target)
        .collect();
    if targets.len() >= 2 && cols.iter().any(|r| matches!(r, Role::Op | Role::Unit)) {
        let last = *targets.last().unwrap_or(&0);
        let mut a = last;
        while a > 0 && matches!(cols[a - 1], Role::Op | Role::Unit) {
            a -= 1;
        }
        let mut b = last + 1;
        while b < cols.len() && matches!(cols[b], Role::Op | Role::Unit) {
            b += 1;
        }
        let group: Vec<Role> = cols.drain(a..b).collect();
        let t0 = targets[0];
        cols.splice(t0..=t0, group);
    }
    // 指标值 over 总体 | 第一年度 | 第二年度: the parent head is not a column of its own.
    let targets: Vec<usize> = (0..cols.len())
        .filter(|&i| cols[i] == Role::Target)
        .collect();
    if targets.len() >= 2 {
        cols.remove(targets[0]);
    }
    if !cols.contains(&Role::Target) {
        cols.insert(0, Role::Target);
    }
    if kind == Kind::SelfEvaluation && !cols.contains(&Role::Actual) {
        let t = cols
            .iter()
            .rposition(|r| matches!(r, Role::Target | Role::Unit))
            .unwrap_or(0);
        cols.insert(t + 1, Role::Actual);
        if !cols.contains(&Role::Weight) {
            cols.push(Role::Weight);
        }
        if !cols.contains(&Role::Score) {
            cols.push(Role::Score);
        }
    }
    cols
}

/// The project a title names (`1、…提前下达2019年…补助预算指标绩效目标表` → `…补助预算指标`), as
/// written: the title without its numbering and the form's kind. None where what is left
/// names no project (`2023年度项目支出绩效目标表`, `部门预算项目绩效目标申报表(2023年度)`).
fn name_in_title(title: &str) -> Option<String> {
    let chars = crate::layout::folded_chars(title);
    let key: String = chars.iter().map(|c| c.0).collect();
    let kind_at = ["绩效目标申报表", "绩效目标表"]
        .iter()
        .filter_map(|w| key.strip_suffix(w).map(str::len))
        .max()?;
    // `…奖励资金区域绩效目标表`: a table of the fund's regional targets.
    let kind_at = key[..kind_at]
        .strip_suffix("区域")
        .map_or(kind_at, str::len);
    // `1、`, `(1)`, `附件2`: the title's numbering.
    let lead = key[..kind_at]
        .trim_start_matches("附件")
        .trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '(' | ')' | '、' | '.' | ':' | ' ')
        });
    let from = kind_at - lead.len();
    let generic = lead
        .trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '年' | '度'))
        .trim_start_matches(['年', '度']);
    let generic = generic
        .trim_end_matches("项目支出")
        .trim_end_matches("预算项目")
        .trim_end_matches("部门预算")
        .trim_end_matches("部门")
        .trim_end_matches("项目")
        .trim_end_matches("整体")
        .trim_end_matches("部门");
    if generic.chars().count() < 4 {
        return None;
    }
    // Back to the text as written.
    let a = key[..from].chars().count();
    let b = key[..kind_at].chars().count();
    let start = chars.get(a)?.1;
    let end = chars.get(b - 1)?.2;
    Some(title[start..end].trim().to_string())
}

/// Operator, value and unit cells as one writing: `≥` `95` `%` → `≥95%`. A unit that the
/// value already ends with is not repeated (`%` | `≥95%`).
fn target_writing(op: &str, value: &str, unit: &str) -> String {
    let op = if key_of(op) == "定性" || key_of(op) == "定量" {
        ""
    } else {
        op
    };
    let unit = if value.ends_with(unit) { "" } else { unit };
    format!("{op}{value}{unit}")
}

/// A target that shows itself as one: an operator or a unit with its number.
fn plausible_target(text: &str) -> bool {
    match Target::parse(text) {
        Target::Quantitative {
            op_implied,
            unit,
            subject: None,
            ..
        } => !op_implied || !unit.is_empty(),
        _ => false,
    }
}

fn number(text: &str) -> Option<Decimal> {
    let t = text.trim().trim_end_matches('分');
    Decimal::from_str(t).ok()
}

/// The budget line's cells given to its columns by what they are: amounts before the rate,
/// the weight just before it, the score after it.
fn assign_budget(cols: &[BudgetCol], vals: &[String]) -> SelfBudget {
    let vals: Vec<&str> = vals
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && !matches!(*v, "—" | "-" | "/" | "——"))
        .collect();
    let mut b = SelfBudget::default();
    let rate_at = vals.iter().position(|v| v.ends_with('%'));
    let dec = |v: &str| Decimal::from_str(&v.replace(',', "")).ok();
    let set = |b: &mut SelfBudget, c: BudgetCol, v: &str| match c {
        BudgetCol::Initial => b.initial = dec(v),
        BudgetCol::Annual => b.annual = dec(v),
        BudgetCol::Spent => b.spent = dec(v),
        BudgetCol::Weight => b.weight = dec(v),
        BudgetCol::Rate => b.rate = Some(v.to_string()),
        BudgetCol::Score => b.self_score = dec(v),
    };
    // The table's own heads, anchored at the rate: the values before it right-aligned to the
    // heads before 执行率 (a missing cell is the leftmost, as merged cells drop), the values
    // after it to the heads after (分值 and 得分 stand on either side in different provinces).
    let rate_col = cols.iter().position(|c| *c == BudgetCol::Rate);
    if let (Some(r), Some(rc)) = (rate_at, rate_col) {
        let (before, after) = (&vals[..r], &vals[r + 1..]);
        for (c, v) in cols[..rc].iter().rev().zip(before.iter().rev()) {
            set(&mut b, *c, v);
        }
        set(&mut b, BudgetCol::Rate, vals[r]);
        for (c, v) in cols[rc + 1..].iter().zip(after) {
            set(&mut b, *c, v);
        }
        b.ambiguous = before.len() < rc
            && b.annual.is_some()
            && b.initial.is_none()
            && cols[..rc].contains(&BudgetCol::Initial);
        if b.annual.is_none() && !cols.contains(&BudgetCol::Annual) {
            b.annual = b.initial;
        }
        return b;
    }
    if !cols.is_empty() && vals.len() == cols.len() {
        for (c, v) in cols.iter().zip(&vals) {
            set(&mut b, *c, v);
        }
        if b.annual.is_none() && !cols.contains(&BudgetCol::Annual) {
            b.annual = b.initial;
        }
        return b;
    }
    if let Some(r) = rate_at {
        b.rate = Some(vals[r].to_string());
        let before = &vals[..r];
        let amounts: &[&str] = if before.len() >= 2 {
            &before[..before.len() - 1]
        } else {
            before
        };
        if before.len() >= 2 {
            b.weight = dec(before[before.len() - 1]);
        }
        match amounts {
            [i, a, s, ..] => {
                b.initial = dec(i);
                b.annual = dec(a);
                b.spent = dec(s);
            }
            [a, s] => {
                b.annual = dec(a);
                b.spent = dec(s);
                b.ambiguous = cols.contains(&BudgetCol::Initial);
            }
            [s] => b.spent = dec(s),
            [] => {}
        }
        b.self_score = vals.get(r + 1).and_then(|v| dec(v));
        return b;
    }
    // No rate written: by the columns' order.
    let order: Vec<BudgetCol> = if cols.is_empty() {
        vec![
            BudgetCol::Initial,
            BudgetCol::Annual,
            BudgetCol::Spent,
            BudgetCol::Weight,
            BudgetCol::Rate,
            BudgetCol::Score,
        ]
    } else {
        cols.to_vec()
    };
    for (c, v) in order.iter().zip(&vals) {
        match c {
            BudgetCol::Initial => b.initial = dec(v),
            BudgetCol::Annual => b.annual = dec(v),
            BudgetCol::Spent => b.spent = dec(v),
            BudgetCol::Weight => b.weight = dec(v),
            BudgetCol::Rate => b.rate = Some(v.to_string()),
            BudgetCol::Score => b.self_score = dec(v),
        }
    }
    if b.annual.is_none() && !order.contains(&BudgetCol::Annual) {
        b.annual = b.initial;
    }
    b
}

/// Space-separated words between labels joined back into one value.
fn merge_values(cells: &[Cell]) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::with_capacity(cells.len());
    for c in cells {
        match out.last_mut() {
            Some(prev)
                if prev.label.is_none()
                    && c.label.is_none()
                    && year_line(&c.key).is_none()
                    && year_line(&prev.key).is_none() =>
            {
                prev.text.push(' ');
                prev.text.push_str(&c.text);
                prev.key = if prev.text.len() <= MAX_KEY_BYTES {
                    key_of(&prev.text)
                } else {
                    String::new()
                };
                prev.last = c.last;
            }
            _ => out.push(c.clone()),
        }
    }
    out
}

/// `854万(…)`, `10000万元`, `3,309,840.00`: the leading amount and the fen per its unit.
fn leading_amount(value: &str, fen_per_unit: i64) -> (String, i64) {
    let v = value.trim();
    let end = v
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | '¥' | '￥')))
        .map(|(i, _)| i)
        .unwrap_or(v.len());
    if end == 0 || end == v.len() {
        return (v.to_string(), fen_per_unit);
    }
    let rest = &v[end..];
    if rest.starts_with("万元") || rest.starts_with('万') {
        (v[..end].to_string(), 1_000_000)
    } else if rest.starts_with("亿元") || rest.starts_with('亿') {
        (v[..end].to_string(), 10_000_000_000)
    } else if rest.starts_with('元') {
        (v[..end].to_string(), 100)
    } else {
        (v.to_string(), fen_per_unit)
    }
}

/// `金额单位：万元` or `单位:元` run into a longer cell.
fn inline_funds_unit(key: &str) -> Option<i64> {
    if key.contains("单位:万元") || key.contains("单位万元") {
        Some(1_000_000)
    } else if key.contains("单位:元") {
        Some(100)
    } else {
        None
    }
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
        Field::Budget => "预算数",
        Field::Period => "项目期限",
        Field::Unkept => "表头信息",
    }
}

fn split_inline_label(text: &str) -> Option<(Field, &str)> {
    let (label, value) = text.split_once(['：', ':'])?;
    match label_of(&key_of(label))? {
        Label::Field(f) if !value.trim().is_empty() => Some((f, value.trim())),
        _ => None,
    }
}

/// Reads a period written as one range: `2023-01-01至2023-12-31`, `2023年1月-2023年12月`,
/// `202001-202012`, `2022.3—2023.11`. A month alone runs from its first day to its last.
pub(crate) fn parse_period(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // The separator between the two ends: 至, 到, ~, —, –, or a dash between two dated ends.
    let split = ["至", "到", "~", "～", "—", "–", "－"]
        .iter()
        .find_map(|sep| t.split_once(sep))
        .or_else(|| {
            // `2023-01-01-2023-12-31` or `202001-202012`: the dash before the second year.
            let idx: Vec<usize> = t.match_indices('-').map(|(i, _)| i).collect();
            idx.iter().find_map(|&i| {
                let (a, b) = (&t[..i], &t[i + 1..]);
                (end_of(a, false).is_some() && end_of(b, true).is_some()).then_some((a, b))
            })
        })?;
    let a = end_of(split.0, false)?;
    let b = end_of(split.1, true)?;
    (a <= b).then_some((a, b))
}

/// One end of a period: a date, or a month (its first or, for the end, its last day).
fn end_of(s: &str, last: bool) -> Option<NaiveDate> {
    if let Some(d) = parse_date(s) {
        return Some(d);
    }
    let s = s.trim_end_matches(['日', '。']);
    let (y, m) = if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        (s[..4].parse().ok()?, s[4..].parse().ok()?)
    } else {
        let parts: Vec<&str> = s
            .split(['-', '/', '.', '年', '月'])
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() != 2 || parts[0].len() != 4 {
            return None;
        }
        (parts[0].parse().ok()?, parts[1].parse().ok()?)
    };
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    if !last {
        return Some(first);
    }
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    next.pred_opt()
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

    /// A name run together with a target written in full-width forms: no panic (the folded
    /// subject is not a byte prefix of the written name).
    #[test]
    fn full_width_targets_run_into_names() {
        for text in [
            "绩效指标 一级指标 二级指标 三级指标 指标值\n产出指标 数量指标 满意度≥９５％\n",
            "一级指标\t二级指标\t三级指标\t指标值\n产出指标\t数量指标\t用户满意度＞＝９０％\n",
            "项目名称 x\n一级指标 二级指标 三级指标 指标值\n产出指标 数量指标 $\\geq 60\\%$占比\n",
        ] {
            let _ = read_disclosure_str(text);
        }
    }

    #[test]
    fn periods_written_as_one_range() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        for (t, a, b) in [
            ("2023-01-01至2023-12-31", d(2023, 1, 1), d(2023, 12, 31)),
            ("2023年1月-2023年12月", d(2023, 1, 1), d(2023, 12, 31)),
            ("202001-202012", d(2020, 1, 1), d(2020, 12, 31)),
            ("2022年3月-2023年11月", d(2022, 3, 1), d(2023, 11, 30)),
            ("2022.3—2023.2", d(2022, 3, 1), d(2023, 2, 28)),
            ("2023-01-01-2023-06-30", d(2023, 1, 1), d(2023, 6, 30)),
        ] {
            assert_eq!(parse_period(t), Some((a, b)), "{t}");
        }
        for t in ["1年", "2023年", "2023-12-31至2023-01-01", "长期"] {
            assert_eq!(parse_period(t), None, "{t}");
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
