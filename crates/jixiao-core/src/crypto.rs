//! Every cryptographic operation of jixiao goes through one trait, [`Crypto`], so that the
//! software implementation here (the RustCrypto `sm3` and `hmac` crates) can be exchanged for
//! a certified device or a KMS without touching its callers. Now: SM3 (GB/T 32905) and
//! HMAC-SM3 (RFC 2104 over SM3), used for the audit log's chain. Pure: keys come from the
//! caller.

use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};

pub trait Crypto: Send + Sync {
    /// SM3 digest.
    fn hash(&self, data: &[u8]) -> [u8; 32];
    /// HMAC-SM3 of `data` under `key`.
    fn hmac(&self, key: &[u8], data: &[u8]) -> [u8; 32];
}

/// The software implementation (RustCrypto).
#[derive(Clone, Copy, Debug, Default)]
pub struct Software;

impl Crypto for Software {
    fn hash(&self, data: &[u8]) -> [u8; 32] {
        Sm3::digest(data).into()
    }

    fn hmac(&self, key: &[u8], data: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length (RFC 2104): `new_from_slice` cannot fail for it.
        let mut mac = <Hmac<Sm3> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hexadecimal (upper or lower case, no separators); `None` if it is not.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

/// One link of the audit log's chain: the HMAC-SM3, under `key`, of the previous link and
/// the entry's fields (sequence number first), each field's length written before it so that
/// no two different entries read alike. Editing, deleting, inserting or reordering an entry
/// breaks every link from there on.
pub fn audit_link(crypto: &dyn Crypto, key: &[u8], previous: &str, fields: &[&str]) -> String {
    let mut data = Vec::with_capacity(256);
    data.extend_from_slice(previous.as_bytes());
    for f in fields {
        data.extend_from_slice(format!("\u{1f}{}:", f.len()).as_bytes());
        data.extend_from_slice(f.as_bytes());
    }
    hex(&crypto.hmac(key, &data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_known_answers_of_gb_t_32905() {
        // GB/T 32905-2016, Appendix A: "abc" and "abcd" × 16.
        assert_eq!(
            hex(&Software.hash(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex(&Software.hash("abcd".repeat(16).as_bytes())),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn hmac_sm3_agrees_with_another_implementation() {
        // Computed with OpenSSL through Python: hmac.new(b"key", b"abc", "sm3").hexdigest().
        assert_eq!(
            hex(&Software.hmac(b"key", b"abc")),
            "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393"
        );
        // A key longer than the block (64 bytes) is hashed first (RFC 2104).
        assert_ne!(
            Software.hmac(&[7; 100], b"x"),
            Software.hmac(&[7; 64], b"x")
        );
    }

    #[test]
    fn a_link_changes_with_any_field_its_place_and_the_link_before() {
        let k = b"0123456789abcdef0123456789abcdef";
        let base = audit_link(
            &Software,
            k,
            "",
            &["1", "at", "unit", "ip", "login", "unit", ""],
        );
        for changed in [
            audit_link(
                &Software,
                k,
                "",
                &["2", "at", "unit", "ip", "login", "unit", ""],
            ),
            audit_link(
                &Software,
                k,
                "",
                &["1", "at", "unit", "ip", "logout", "unit", ""],
            ),
            audit_link(
                &Software,
                k,
                "x",
                &["1", "at", "unit", "ip", "login", "unit", ""],
            ),
            // Moving text from one field to the next is a different entry.
            audit_link(
                &Software,
                k,
                "",
                &["1", "at", "uni", "tip", "login", "unit", ""],
            ),
            audit_link(
                &Software,
                b"another key",
                "",
                &["1", "at", "unit", "ip", "login", "unit", ""],
            ),
        ] {
            assert_ne!(changed, base);
        }
        assert_eq!(
            from_hex(&hex(&[0, 1, 254, 255])),
            Some(vec![0, 1, 254, 255])
        );
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
