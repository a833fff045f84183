//! Text normalisation shared by the readers and the rules.

/// Whether a character is CJK (ideographs and CJK punctuation, full-width forms).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF      // radicals, CJK punctuation, kana, ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFE30..=0xFE4F    // compatibility forms
        | 0xFF00..=0xFFEF    // half- and full-width forms
        | 0x20000..=0x3FFFF) // extension planes
}

/// Removes the spaces a line wrap left in Chinese text (`数 据` → `数据`, `满意 度` → `满意度`)
/// while keeping spaces between Latin words (`GB/T 39786`). Runs of whitespace are one space.
pub fn join_wrapped(s: &str) -> String {
    let s = s.trim();
    if !s.chars().any(char::is_whitespace) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            let start = i;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i).copied();
            let keep = !(before.is_some_and(is_cjk) || after.is_some_and(is_cjk));
            if keep {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Collapses every run of whitespace into one space and trims, keeping line breaks
/// between paragraphs as `\n`.
pub fn tidy_paragraphs(s: &str) -> String {
    // Most cells have no whitespace at all, or only single spaces between words.
    let trimmed = s.trim();
    if !trimmed.char_indices().any(|(i, c)| {
        c.is_whitespace() && (c != ' ' || trimmed[i + 1..].starts_with(char::is_whitespace))
    }) {
        return trimmed.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for para in s.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut last_space = false;
        for c in para.chars() {
            if c.is_whitespace() {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_spaces_go_latin_spaces_stay() {
        assert_eq!(
            join_wrapped("对全市各责任部门数 据数量"),
            "对全市各责任部门数据数量"
        );
        assert_eq!(join_wrapped("服务对象满意 度指标"), "服务对象满意度指标");
        assert_eq!(join_wrapped("GB/T  39786 标准"), "GB/T 39786标准");
        assert_eq!(join_wrapped("  a b  "), "a b");
    }

    #[test]
    fn paragraphs_are_kept() {
        assert_eq!(tidy_paragraphs(" a  b \n\n c\t d "), "a b\nc d");
    }
}
