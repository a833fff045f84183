//! Workbooks (`.xlsx`, and `.xls` as WPS and older offices save it): every sheet's cells read
//! by the same reader as published text, one sheet after another. Numbers are binary floating
//! point in a workbook: they are turned into exact decimals (rounded to 6 places, so that
//! `387664.62` stays `387664.62` and `0.1 + 0.2` is `0.3`) before the reader sees them, and
//! money is then exact to the fen or refused with a warning. Dates become `YYYY-MM-DD`.

use crate::{ReadError, ReadOutput};
use calamine::{open_workbook_auto_from_rs, Data, Dimensions, Range, Reader, Sheets};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use std::io::Cursor;

/// A non-empty cell of a sheet: its column and its text.
type SheetCell = (usize, String);

/// Whether the bytes are a workbook: a ZIP container (`.xlsx`) or an OLE compound file (`.xls`).
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// Reads every sheet of a workbook. Fails only when no sheet holds a form or a table.
pub fn read_workbook(bytes: &[u8]) -> Result<ReadOutput, ReadError> {
    if is_encrypted(bytes) {
        return Err(ReadError::EncryptedWorkbook);
    }
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).map_err(|e| {
        let m = e.to_string();
        ReadError::Workbook {
            message: if m.contains("detect file format") || m.contains("Zip") || m.contains("zip") {
                format!("文件不完整或不是 Excel 工作簿 / the file is cut off or not an Excel workbook ({m})")
            } else {
                m
            },
        }
    })?;
    let mut out = ReadOutput {
        encoding: "workbook",
        ..ReadOutput::default()
    };
    let mut first_error = None;
    for name in book.sheet_names() {
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                first_error.get_or_insert(ReadError::Workbook {
                    message: format!("{name}: {e}"),
                });
                continue;
            }
        };
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let merged = match &mut book {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            _ => vec![],
        };
        let right = table_right(&range, &merged);
        let mut rows: Vec<(usize, Vec<(usize, String)>)> = Vec::with_capacity(range.height());
        let mut texts: Vec<Vec<(usize, String)>> = Vec::with_capacity(range.height());
        let mut outside = vec![];
        for (r, row) in range.rows().enumerate() {
            let (cells, beyond): (Vec<SheetCell>, Vec<SheetCell>) = row
                .iter()
                .enumerate()
                .filter_map(|(c, d)| cell_text(d).map(|t| (col0 as usize + c, t)))
                .partition(|(c, _)| right.is_none_or(|x| *c <= x));
            let line = row0 as usize + r + 1;
            for (c, t) in beyond {
                outside.push(crate::Warning {
                    line,
                    place: Some(format!("{name}!{}{line}", column_name(c))),
                    text: t,
                    message: "表格右侧空列之外的文字（如填表说明），未读入 / text beyond the table's empty column (notes on filling it in), not read".into(),
                });
            }
            texts.push(cells.clone());
            rows.push((line, cells));
        }
        let sheet = match crate::disclosure::read_rows(rows) {
            Ok(s) => s,
            Err(
                ReadError::NoForms
                | ReadError::MissingHeader { .. }
                | ReadError::NoIndicators { .. },
            ) => continue,
            Err(e) => return Err(e),
        };
        // Each warning points to its sheet and, where its text is a cell's, to that cell.
        let place = |w: &mut crate::Warning| {
            let cells = texts.get(w.line.saturating_sub(row0 as usize + 1));
            let col = cells.and_then(|cs| {
                cs.iter()
                    .find(|(_, t)| !w.text.is_empty() && t.trim() == w.text.trim())
                    .map(|(c, _)| *c)
            });
            w.place = Some(match col {
                Some(c) => format!("{name}!{}{}", column_name(c), w.line),
                None => format!("{name}!{}", w.line),
            });
        };
        for mut f in sheet.forms {
            f.warnings.iter_mut().for_each(place);
            out.forms.push(f);
        }
        for mut t in sheet.tables {
            t.warnings.iter_mut().for_each(place);
            out.tables.push(t);
        }
        for mut w in sheet.warnings {
            place(&mut w);
            out.warnings.push(w);
        }
        out.warnings.extend(outside);
    }
    if out.forms.is_empty() && out.tables.is_empty() {
        return Err(first_error.unwrap_or(ReadError::NoForms));
    }
    Ok(out)
}

/// The last column of the table: the table's columns run from its first used column to the
/// first column that no cell and no merged region touches; notes written further right
/// (filling instructions beside a template) are not the table's. `None` when nothing is
/// beyond such a gap.
fn table_right(range: &Range<Data>, merged: &[Dimensions]) -> Option<usize> {
    let (_, col0) = range.start()?;
    let (_, col1) = range.end()?;
    let width = (col1 - col0 + 1) as usize;
    let mut used = vec![false; width];
    for row in range.rows() {
        for (c, d) in row.iter().enumerate() {
            if !matches!(d, Data::Empty) {
                used[c] = true;
            }
        }
    }
    for m in merged {
        for c in m.start.1..=m.end.1 {
            if let Some(u) = c.checked_sub(col0).and_then(|k| used.get_mut(k as usize)) {
                *u = true;
            }
        }
    }
    let first = used.iter().position(|u| *u)?;
    let gap = used[first..].iter().position(|u| !*u)? + first;
    used[gap..]
        .iter()
        .any(|u| *u)
        .then_some(col0 as usize + gap - 1)
}

/// A password-protected workbook: Office keeps the encrypted package in an OLE compound file
/// with an `EncryptionInfo` stream (named in UTF-16).
fn is_encrypted(bytes: &[u8]) -> bool {
    const NAME: [u8; 28] = [
        b'E', 0, b'n', 0, b'c', 0, b'r', 0, b'y', 0, b'p', 0, b't', 0, b'i', 0, b'o', 0, b'n', 0,
        b'I', 0, b'n', 0, b'f', 0, b'o', 0,
    ];
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) && bytes.windows(NAME.len()).any(|w| w == NAME)
}

/// A cell as text: numbers as exact decimals, dates as `YYYY-MM-DD`; `None` when empty.
fn cell_text(d: &Data) -> Option<String> {
    let t = match d {
        Data::Empty => return None,
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            if dt.is_datetime() {
                excel_date(serial).unwrap_or_else(|| float_text(serial))
            } else {
                float_text(serial)
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    };
    (!t.trim().is_empty()).then_some(t)
}

/// A binary float as the decimal a person typed: rounded to 6 places, trailing zeros dropped.
fn float_text(f: f64) -> String {
    match Decimal::from_f64(f) {
        Some(d) => d.round_dp(6).normalize().to_string(),
        None => format!("{f}"),
    }
}

/// An Excel date serial (days since 1899-12-30, the 1900 system) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> Option<String> {
    let days = serial.floor() as i64;
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let d = base.checked_add_signed(chrono::Duration::days(days))?;
    Some(d.format("%Y-%m-%d").to_string())
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
fn column_name(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_become_the_decimals_people_typed() {
        assert_eq!(float_text(387664.62), "387664.62");
        assert_eq!(float_text(0.1 + 0.2), "0.3");
        assert_eq!(float_text(1234.5678), "1234.5678");
        assert_eq!(float_text(10.0), "10");
        assert_eq!(excel_date(44561.0).as_deref(), Some("2021-12-31"));
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(4), "E");
        assert_eq!(column_name(27), "AB");
    }

    #[test]
    fn not_a_workbook_is_refused_clearly() {
        let e = read_workbook(b"PK\x03\x04 not really a zip").unwrap_err();
        assert!(matches!(e, ReadError::Workbook { .. }));
        assert!(e.to_string().contains("工作簿"));
    }
}
