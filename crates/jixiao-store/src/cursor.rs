//! The list's keyset cursors: a position in one sort (the sort key's value and the form's
//! ID), opaque to clients (base64url of a small JSON object) and checked on the way back in.
//! A cursor names no page number, so a page read by one costs the same at any depth.

use crate::StoreError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

/// The sort key's value at a position; `Null` only for a form with no annual total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Text(String),
    Int(i64),
    Null,
}

/// What a sort key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Text,
    Int,
    /// An integer or nothing (the annual total).
    NullableInt,
}

/// A position in the list: after (or before) the form `id` whose sort key is `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    pub key: Key,
    pub id: String,
}

/// The longest cursor read: far above any real position (names are short), and a bound on
/// the work a request can cause.
const MAX_LEN: usize = 4096;

fn bad(zh: &'static str, en: &'static str) -> StoreError {
    StoreError::BadCursor { zh, en }
}

/// The cursor of a position in the sort `sort` (written as the list asks for it: `-name`).
pub(crate) fn encode(sort: &str, p: &Position) -> String {
    let v = match &p.key {
        Key::Text(t) => json!(t),
        Key::Int(i) => json!(i),
        Key::Null => Value::Null,
    };
    URL_SAFE_NO_PAD.encode(json!({ "s": sort, "v": v, "i": p.id }).to_string())
}

/// Reads a cursor given for the sort `sort`, whose key is of the kind `kind`.
pub(crate) fn decode(cursor: &str, sort: &str, kind: KeyKind) -> Result<Position, StoreError> {
    let cursor = cursor.trim();
    if cursor.is_empty() || cursor.len() > MAX_LEN {
        return Err(bad("为空或过长", "empty or too long"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| bad("不是本系统给出的游标", "not a cursor this server gave"))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|_| bad("不是本系统给出的游标", "not a cursor this server gave"))?;
    let (Some(s), Some(id)) = (v["s"].as_str(), v["i"].as_str()) else {
        return Err(bad("缺少排序或 ID", "the sort or the ID is missing"));
    };
    if s != sort {
        return Err(bad(
            "游标属于另一种排序",
            "the cursor belongs to another sort order",
        ));
    }
    let key = match (&v["v"], kind) {
        (Value::Null, KeyKind::NullableInt) => Key::Null,
        (Value::Number(n), KeyKind::Int | KeyKind::NullableInt) => Key::Int(
            n.as_i64()
                .ok_or_else(|| bad("排序值不是整数", "the sort value is not an integer"))?,
        ),
        (Value::String(t), KeyKind::Text) => Key::Text(t.clone()),
        _ => return Err(bad("排序值的类型不对", "the sort value has the wrong type")),
    };
    Ok(Position {
        key,
        id: id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        for (key, kind, other) in [
            (
                Key::Text("“乡村振兴”_%\\ 项目".into()),
                KeyKind::Text,
                KeyKind::Int,
            ),
            (Key::Int(-5), KeyKind::Int, KeyKind::Text),
            (Key::Int(i64::MAX), KeyKind::NullableInt, KeyKind::Text),
            (Key::Null, KeyKind::NullableInt, KeyKind::Int),
        ] {
            let p = Position {
                key,
                id: "abc-1".into(),
            };
            let c = encode("-amount", &p);
            assert!(c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(decode(&c, "-amount", kind).unwrap(), p);
            assert!(decode(&c, "amount", kind).is_err());
            assert!(decode(&c, "-amount", other).is_err());
        }
        for c in [
            "",
            "!!!",
            "e30",
            "bm90IGpzb24",
            &"A".repeat(MAX_LEN + 1),
            &URL_SAFE_NO_PAD.encode(r#"{"s":"name","v":1.5,"i":"x"}"#),
            &URL_SAFE_NO_PAD.encode(r#"{"s":"name","v":"a","i":7}"#),
        ] {
            assert!(matches!(
                decode(c, "name", KeyKind::Text),
                Err(StoreError::BadCursor { .. })
            ));
        }
    }
}
