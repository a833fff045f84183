//! Every cryptographic operation of jixiao goes through one trait, [`Crypto`], so that the
//! software implementation here (the RustCrypto `sm3`, `hmac`, `sm4` and `sm2` crates) can be
//! exchanged for a certified device or a KMS without touching its callers: SM3 (GB/T 32905),
//! HMAC-SM3 (RFC 2104 over SM3; the audit log's chain, session tokens, document digests), the
//! SM4 block cipher (GB/T 32907) and SM2 signatures (GB/T 32918, GM/T 0003). Pure: keys come
//! from the caller.

use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};

pub trait Crypto: Send + Sync {
    /// SM3 digest.
    fn hash(&self, data: &[u8]) -> [u8; 32];
    /// HMAC-SM3 of `data` under `key`.
    fn hmac(&self, key: &[u8], data: &[u8]) -> [u8; 32];
    /// One SM4 block encrypted under a 128-bit key (modes are built on this).
    fn sm4_encrypt_block(&self, key: &[u8; 16], block: &[u8; 16]) -> [u8; 16];
    /// One SM4 block decrypted.
    fn sm4_decrypt_block(&self, key: &[u8; 16], block: &[u8; 16]) -> [u8; 16];
    /// An SM2 signature (`r ‖ s`, 64 bytes) of `message` by the secret key, for the signer
    /// identity `id` (its ZA, as GM/T 0003 says); `None` for an invalid secret key.
    fn sm2_sign(&self, secret: &[u8; 32], id: &str, message: &[u8]) -> Option<Vec<u8>>;
    /// Whether `signature` (`r ‖ s`) is `id`'s SM2 signature of `message` under the public
    /// key (SEC1, uncompressed or compressed).
    fn sm2_verify(&self, public: &[u8], id: &str, message: &[u8], signature: &[u8]) -> bool;
    /// The public key (SEC1 uncompressed) of a secret key.
    fn sm2_public(&self, secret: &[u8; 32]) -> Option<Vec<u8>>;
    /// HMAC-SHA1, for one-time passwords (RFC 6238) as authenticator apps compute them.
    fn hmac_sha1(&self, key: &[u8], data: &[u8]) -> [u8; 20];
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

    fn sm4_encrypt_block(&self, key: &[u8; 16], block: &[u8; 16]) -> [u8; 16] {
        use sm4::cipher::{BlockEncrypt, KeyInit};
        let cipher = sm4::Sm4::new(key.into());
        let mut b = sm4::cipher::generic_array::GenericArray::clone_from_slice(block);
        cipher.encrypt_block(&mut b);
        b.into()
    }

    fn sm4_decrypt_block(&self, key: &[u8; 16], block: &[u8; 16]) -> [u8; 16] {
        use sm4::cipher::{BlockDecrypt, KeyInit};
        let cipher = sm4::Sm4::new(key.into());
        let mut b = sm4::cipher::generic_array::GenericArray::clone_from_slice(block);
        cipher.decrypt_block(&mut b);
        b.into()
    }

    fn sm2_sign(&self, secret: &[u8; 32], id: &str, message: &[u8]) -> Option<Vec<u8>> {
        use sm2::dsa::signature::Signer;
        let key = sm2::SecretKey::from_slice(secret).ok()?;
        let signer = sm2::dsa::SigningKey::new(id, &key).ok()?;
        let sig: sm2::dsa::Signature = signer.try_sign(message).ok()?;
        Some(sig.to_bytes().to_vec())
    }

    fn sm2_verify(&self, public: &[u8], id: &str, message: &[u8], signature: &[u8]) -> bool {
        use sm2::dsa::signature::Verifier;
        let (Ok(key), Ok(sig)) = (
            sm2::PublicKey::from_sec1_bytes(public),
            sm2::dsa::Signature::from_slice(signature),
        ) else {
            return false;
        };
        sm2::dsa::VerifyingKey::new(id, key).is_ok_and(|v| v.verify(message, &sig).is_ok())
    }

    fn sm2_public(&self, secret: &[u8; 32]) -> Option<Vec<u8>> {
        use sm2::elliptic_curve::sec1::ToEncodedPoint;
        let key = sm2::SecretKey::from_slice(secret).ok()?;
        Some(key.public_key().to_encoded_point(false).as_bytes().to_vec())
    }

    fn hmac_sha1(&self, key: &[u8], data: &[u8]) -> [u8; 20] {
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

/// The time-based one-time password (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) of a
/// secret for a time step (`unix seconds / 30`).
pub fn totp(crypto: &dyn Crypto, secret: &[u8], step: u64) -> String {
    let mac = crypto.hmac_sha1(secret, &step.to_be_bytes());
    let offset = usize::from(mac[19] & 0x0f);
    let code = (u32::from(mac[offset] & 0x7f) << 24)
        | (u32::from(mac[offset + 1]) << 16)
        | (u32::from(mac[offset + 2]) << 8)
        | u32::from(mac[offset + 3]);
    format!("{:06}", code % 1_000_000)
}

/// The time step (of `unix_seconds`, or the step before or after: clocks drift) whose code is
/// `code`; `None` for an empty or wrong code.
pub fn totp_step(crypto: &dyn Crypto, secret: &[u8], code: &str, unix_seconds: i64) -> Option<i64> {
    let code = code.trim();
    let now = unix_seconds.max(0) / 30;
    if code.is_empty() {
        return None;
    }
    (now - 1..=now + 1).find(|s| *s >= 0 && totp(crypto, secret, *s as u64) == code)
}

/// Base32 (RFC 4648) without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Bytes from base32 (upper or lower case, spaces ignored); `None` if it is not.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, vec![]);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
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
    fn sm4_known_answer_of_gb_t_32907() {
        // GB/T 32907-2016, Appendix A, example 1: key and plaintext 0123456789abcdeffedcba9876543210.
        let k: [u8; 16] = from_hex("0123456789abcdeffedcba9876543210")
            .unwrap()
            .try_into()
            .unwrap();
        let c = Software.sm4_encrypt_block(&k, &k);
        assert_eq!(hex(&c), "681edf34d206965e86b3e94f536e4246");
        assert_eq!(Software.sm4_decrypt_block(&k, &c), k);
    }

    #[test]
    fn sm2_signatures_agree_with_another_implementation() {
        // A key and signatures of "jixiao audit export" made by OpenSSL 3.0
        // (`openssl pkeyutl -sign -rawin -digest sm3`, with and without `distid`).
        let secret: [u8; 32] =
            from_hex("8561e078219cec7a5c5ae5506d100961068f1ab5739e86a344a08f7c53bfbe39")
                .unwrap()
                .try_into()
                .unwrap();
        let public = from_hex(
            "0481ad0980dec4b370fdf8704134974854febf595cbed3ee4a1b9d7efa15af3884ec95cc0d383feb328e2cf7935b9cd0e354192da46eca04a185af928b6ee51fcb",
        )
        .unwrap();
        assert_eq!(Software.sm2_public(&secret).unwrap(), public);
        let message = b"jixiao audit export";
        let openssl_default_id = from_hex("a308424aab80eb8cfde0cb22e4cb0abb0c3dac5b80bc4f9dac7dc48f1383d1872853f3c301b17e940aeb79a7354e2aaba183167c6ff381e809e1a1359cb3aa5c").unwrap();
        let openssl_standard_id = from_hex("84fefdd0f3248f5893205522a8aeab6480469344a5a460d94c444ad01bc466fb53cd79d7c2894105d56ea33471fc20909526aea3a28450d878dc674c1ac6eb35").unwrap();
        assert!(Software.sm2_verify(&public, "", message, &openssl_default_id));
        assert!(Software.sm2_verify(&public, "1234567812345678", message, &openssl_standard_id));
        // Another identity, message or signature does not verify.
        assert!(!Software.sm2_verify(&public, "1234567812345678", message, &openssl_default_id));
        assert!(!Software.sm2_verify(&public, "", b"jixiao audit exporT", &openssl_default_id));
        // Our own signatures verify (SM2 signatures are randomised, so not compared).
        let ours = Software
            .sm2_sign(&secret, "1234567812345678", message)
            .unwrap();
        assert_eq!(ours.len(), 64);
        assert!(Software.sm2_verify(&public, "1234567812345678", message, &ours));
        assert!(
            Software.sm2_sign(&[0; 32], "x", message).is_none(),
            "zero is no key"
        );
        assert!(!Software.sm2_verify(b"not a key", "", message, &ours));
    }

    #[test]
    fn totp_known_answers_of_rfc_6238() {
        // RFC 6238, Appendix B (SHA1, secret "12345678901234567890"): the 8-digit codes
        // 94287082, 07081804, 89005924; 6-digit codes are their last six digits.
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp(&Software, secret, time / 30), code, "{time}");
        }
        // RFC 4648's base32 examples, and back.
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(from_base32("mzxw 6ytb oi").unwrap(), b"foobar");
        assert_eq!(from_base32("MZXW1"), None);
        // A code is taken for its step or a neighbour, no further, and never when empty.
        assert_eq!(totp_step(&Software, secret, "287082", 59), Some(1));
        assert_eq!(totp_step(&Software, secret, "287082", 60), Some(1));
        assert_eq!(totp_step(&Software, secret, "287082", 95), None);
        assert_eq!(totp_step(&Software, secret, "", 59), None);
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
