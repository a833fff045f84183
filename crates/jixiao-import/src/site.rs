//! What document-sharing and mirror sites add to a published text, taken out before it is
//! read: the numbered chunks of a text preview (`1、…`, `\n\n2、…`, `\n\n3、…`) that cut words
//! and numbers anywhere. Each removal is reported; line numbers are mapped back to the text as
//! given. (The pinyin some sites put in brackets after characters, `預(yù)算`, stays in the
//! text, as names are kept as written; `layout::key_of` leaves it out when matching.)

use crate::Warning;
use std::borrow::Cow;

/// A preview's chunks are long single lines; shorter numbered paragraphs are a form's own.
const MIN_CHUNK_CHARS: usize = 100;

pub(crate) const CHUNK_MARK: &str =
    "文档网站预览的分段编号，已删除 / a document site's preview chunk number, removed";
pub(crate) const CHUNK_IN_WORD: &str = "文档网站预览的分段编号位于词或数字中间，已删除并把两边接合（接合处的读法为推定）/ a document site's preview chunk number inside a word or number: removed and the two sides joined (the reading across the join is a guess)";

/// The text to read, the removals' warnings (lines of the text as given), and for each line
/// of the text to read the line of the text as given it starts on.
pub(crate) struct Prepared<'a> {
    pub text: Cow<'a, str>,
    pub warnings: Vec<Warning>,
    pub lines: Option<Vec<usize>>,
}

pub(crate) fn prepare(text: &str) -> Prepared<'_> {
    let mut warnings = vec![];
    let (text, lines) = match chunk_marks(text) {
        Some(marks) => {
            let (t, l) = remove_chunks(text, &marks, &mut warnings);
            (Cow::Owned(t), Some(l))
        }
        None => (Cow::Borrowed(text), None),
    };
    Prepared {
        text,
        warnings,
        lines,
    }
}

/// Removes the site's chunk markers from the text; returns it and the line map.
pub fn without_site_chunks(text: &str) -> String {
    match chunk_marks(text) {
        Some(marks) => remove_chunks(text, &marks, &mut vec![]).0,
        None => text.to_string(),
    }
}

/// The byte offsets of a preview's chunk markers: `1、` at a line's start, then `\n\n2、`,
/// `\n\n3、` … each after a chunk that is one long line. None when the text has no such
/// sequence of at least two chunks.
fn chunk_marks(text: &str) -> Option<Vec<(usize, usize)>> {
    let mut search = 0;
    while let Some(rel) = text[search..].find("1、") {
        let at = search + rel;
        search = at + "1、".len();
        if at > 0 && !text[..at].ends_with('\n') {
            continue;
        }
        // (start of the marker, end of the marker) for each chunk from 1.
        let mut marks = vec![(at, at + "1、".len())];
        let mut n = 2;
        loop {
            let (_, from) = *marks.last().unwrap_or(&(0, 0));
            let want = format!("\n\n{n}、");
            let Some(rel) = text[from..].find(&want) else {
                break;
            };
            let chunk = &text[from..from + rel];
            if chunk.contains('\n') || chunk.chars().count() < MIN_CHUNK_CHARS {
                break;
            }
            marks.push((from + rel, from + rel + want.len()));
            n += 1;
        }
        if marks.len() >= 2 {
            return Some(marks);
        }
    }
    None
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].bytes().filter(|b| *b == b'\n').count() + 1
}

fn remove_chunks(
    text: &str,
    marks: &[(usize, usize)],
    warnings: &mut Vec<Warning>,
) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (k, &(a, b)) in marks.iter().enumerate() {
        out.push_str(&text[from..a]);
        let before = text[..a].chars().last();
        let after = text[b..].chars().next();
        let inside = k > 0
            && before.is_some_and(char::is_alphanumeric)
            && after.is_some_and(char::is_alphanumeric);
        // Quoted with a few characters of each side, as written.
        let ctx_a = text[..a]
            .char_indices()
            .rev()
            .nth(5)
            .map_or(0, |(i, _)| i)
            .max(marks.get(k.wrapping_sub(1)).map_or(0, |m| m.1));
        let ctx_b = text[b..]
            .char_indices()
            .nth(6)
            .map_or(text.len(), |(i, _)| b + i);
        let quote = if inside {
            &text[ctx_a..ctx_b]
        } else {
            text[a..b].trim_start()
        };
        warnings.push(Warning {
            line: line_of(text, b),
            place: None,
            text: quote.to_string(),
            message: if inside { CHUNK_IN_WORD } else { CHUNK_MARK }.to_string(),
        });
        from = b;
    }
    out.push_str(&text[from..]);
    // Line k of the result starts on the line of the text as given that the same content
    // starts on: each removed `\n\n` joins two lines and drops the empty one between.
    let mut lines = vec![1];
    let mut orig_line = 1;
    let mut next = 0;
    for (i, ch) in text.char_indices() {
        while next < marks.len() && i >= marks[next].1 {
            next += 1;
        }
        if ch != '\n' {
            continue;
        }
        orig_line += 1;
        let removed = next < marks.len() && i >= marks[next].0;
        if !removed {
            lines.push(orig_line);
        }
    }
    (out, lines)
}

/// Maps the lines of the text read back to the text as given.
pub(crate) fn map_lines(out: &mut crate::ReadOutput, lines: &[usize]) {
    let map = |l: &mut usize| {
        if let Some(x) = lines.get(l.wrapping_sub(1)) {
            *l = *x;
        }
    };
    for f in &mut out.forms {
        map(&mut f.line);
        for w in &mut f.warnings {
            map(&mut w.line);
        }
    }
    for t in &mut out.tables {
        map(&mut t.line);
        for r in &mut t.table.rows {
            map(&mut r.line);
        }
        for w in &mut t.warnings {
            map(&mut w.line);
        }
    }
    for w in &mut out.warnings {
        map(&mut w.line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_joined() {
        let a = "甲".repeat(120);
        let t = format!("头\n\n1、{a}12.51\n\n2、2.5{a}\n\n3、丙\n");
        let p = prepare(&t);
        assert_eq!(p.text, format!("头\n\n{a}12.512.5{a}丙\n"));
        assert_eq!(p.lines.as_deref(), Some(&[1, 2, 3, 8][..]));
        assert!(p
            .warnings
            .iter()
            .any(|w| w.message == CHUNK_IN_WORD && w.text.contains("12.51")));
    }

    #[test]
    fn numbered_paragraphs_stay() {
        let t = "1、甲乙\n\n2、丙丁\n";
        assert_eq!(prepare(t).text, t);
    }
}
