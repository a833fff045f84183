//! Turning bytes into text: UTF-8 (with or without BOM), UTF-16 with BOM, and GB18030/GBK,
//! the encodings Chinese offices save text in. Binary files are refused.

use crate::ReadError;
use std::borrow::Cow;

/// Decodes a file's bytes. Returns the text and the name of the encoding it was in.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), ReadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty);
    }
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            return Err(ReadError::Encoding { offset: bom_len });
        }
        let text = check_text(text)?;
        return Ok((text, enc.name()));
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(ReadError::Binary { offset });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((check_text(Cow::Borrowed(s))?, "UTF-8")),
        // Valid UTF-8 cut inside its last character: the file was truncated.
        Err(e)
            if e.error_len().is_none()
                && e.valid_up_to() + 4 > bytes.len()
                && e.valid_up_to() > 64 =>
        {
            Err(ReadError::TruncatedFile {
                offset: e.valid_up_to(),
            })
        }
        Err(e) => {
            let offset = e.valid_up_to();
            let text = encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or(ReadError::Encoding { offset })?;
            Ok((check_text(text)?, "GB18030"))
        }
    }
}

/// Refuses text that is mostly control characters (a binary file that happens to decode).
fn check_text(text: Cow<'_, str>) -> Result<Cow<'_, str>, ReadError> {
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    // C0 controls and DEL are single bytes in UTF-8; counting bytes is enough.
    let is_control =
        |b: &u8| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || *b == 0x7f;
    let controls = text.as_bytes().iter().filter(|b| is_control(b)).count();
    let first = text.as_bytes().iter().position(is_control);
    let total = text.len();
    if controls * 100 > total || controls > 64 {
        return Err(ReadError::Binary {
            offset: first.unwrap_or(0),
        });
    }
    if controls > 0 {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_ascii_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
            .collect();
        return Ok(Cow::Owned(cleaned));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gbk_and_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("项目名称\t数据运营服务费");
        let (text, enc) = decode(&gbk).unwrap();
        assert_eq!(text, "项目名称\t数据运营服务费");
        assert_eq!(enc, "GB18030");
        let (text, enc) = decode("\u{feff}项目".as_bytes()).unwrap();
        assert_eq!((text.as_ref(), enc), ("项目", "UTF-8"));
    }

    #[test]
    fn reads_utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "项目名称".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&bytes).unwrap().0, "项目名称");
    }

    #[test]
    fn refuses_empty_and_binary() {
        assert_eq!(decode(b""), Err(ReadError::Empty));
        assert_eq!(decode(b"  \n\t"), Err(ReadError::Empty));
        assert!(matches!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Err(ReadError::Binary { .. })
        ));
        let noise: Vec<u8> = (1u8..=8).cycle().take(400).collect();
        assert!(matches!(decode(&noise), Err(ReadError::Binary { .. })));
    }
}
