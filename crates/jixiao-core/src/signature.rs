//! Signed approvals (不可否认性, GB/T 39786 8.4 h): what a reviewer's approval or a
//! publication signs, and the key that signs it. A decision is stated as a short text, one
//! `key: value` per line — the form, its version, the action, the signer, the time and the
//! SM3 digest of the form's content at that version — and the text is signed with SM2 under
//! the installation's key. The text is kept verbatim with its signature, so a check needs
//! nothing but the text, the signature, the public key and the form's version as stored.
//! Pure: the digest and the time come from the caller.

use crate::crypto::{hex, Crypto};

/// The signer identity (SM2's ZA) of approval signatures: the default identity of GM/T 0009,
/// which other SM2 tools assume when none is given (OpenSSL: `-sigopt distid:1234567812345678`).
pub const SM2_ID: &str = "1234567812345678";

/// The keys of a signed text, in their order.
const KEYS: [&str; 6] = ["form", "version", "action", "signer", "time", "digest"];

/// What a signature states.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SignedText {
    pub form_id: String,
    pub version: i64,
    /// The workflow action's name (`approve`, `publish`).
    pub action: String,
    /// The signer's username.
    pub signer: String,
    /// When, RFC 3339 in UTC.
    pub time: String,
    /// SM3 of the form's content at `version`, lower-case hexadecimal.
    pub digest: String,
}

impl SignedText {
    /// The text that is signed: `form: …`, `version: …`, `action: …`, `signer: …`, `time: …`,
    /// `digest: …`, each line ending in `\n`. `None` if a value holds a line break (it would
    /// read as another line) or is empty.
    pub fn render(&self) -> Option<String> {
        let version = self.version.to_string();
        let values = [
            self.form_id.as_str(),
            &version,
            &self.action,
            &self.signer,
            &self.time,
            &self.digest,
        ];
        if values
            .iter()
            .any(|v| v.is_empty() || v.contains(['\n', '\r']) || v.trim() != *v)
        {
            return None;
        }
        Some(
            KEYS.iter()
                .zip(values)
                .map(|(k, v)| format!("{k}: {v}\n"))
                .collect(),
        )
    }

    /// Reads a text [`SignedText::render`] wrote: the six lines in their order and nothing
    /// else; `None` for anything else.
    pub fn parse(text: &str) -> Option<SignedText> {
        let body = text.strip_suffix('\n')?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() != KEYS.len() {
            return None;
        }
        let mut values = vec![];
        for (line, key) in lines.iter().zip(KEYS) {
            let value = line.strip_prefix(key)?.strip_prefix(": ")?;
            values.push(value);
        }
        let s = SignedText {
            form_id: values[0].to_string(),
            version: values[1].parse().ok()?,
            action: values[2].to_string(),
            signer: values[3].to_string(),
            time: values[4].to_string(),
            digest: values[5].to_string(),
        };
        // What parses is exactly what renders back: one reading of a text only.
        (s.render().as_deref() == Some(text)).then_some(s)
    }
}

/// The SM3 digest, hexadecimal, of a form's content as serialized (see
/// `jixiao_store::form_json`).
pub fn digest(crypto: &dyn Crypto, content: &str) -> String {
    hex(&crypto.hash(content.as_bytes()))
}

/// The installation's SM2 key for approvals. Its secret never leaves it (no `Debug` of it).
#[derive(Clone)]
pub struct SigningKey {
    secret: [u8; 32],
    public: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey {{ public: {} }}", hex(&self.public))
    }
}

impl SigningKey {
    /// The key of an SM2 secret; `None` if it is none (0, or not below the curve's order).
    pub fn new(crypto: &dyn Crypto, secret: [u8; 32]) -> Option<SigningKey> {
        let public = crypto.sm2_public(&secret)?;
        Some(SigningKey { secret, public })
    }

    /// The public key, SEC1 uncompressed.
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// The SM2 signature (`r ‖ s`) of a text, for [`SM2_ID`].
    pub fn sign(&self, crypto: &dyn Crypto, text: &str) -> Option<Vec<u8>> {
        crypto.sm2_sign(&self.secret, SM2_ID, text.as_bytes())
    }
}

/// Whether `signature` is [`SM2_ID`]'s signature of `text` under `public`.
pub fn verify(crypto: &dyn Crypto, public: &[u8], text: &str, signature: &[u8]) -> bool {
    crypto.sm2_verify(public, SM2_ID, text.as_bytes(), signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Software;

    fn sample() -> SignedText {
        SignedText {
            form_id: "0a1b".into(),
            version: 3,
            action: "approve".into(),
            signer: "finance".into(),
            time: "2025-03-01T08:00:00.000Z".into(),
            digest: digest(&Software, "{}"),
        }
    }

    #[test]
    fn a_signed_text_reads_back_and_nothing_else_does() {
        let s = sample();
        let text = s.render().unwrap();
        assert_eq!(
            text,
            format!(
                "form: 0a1b\nversion: 3\naction: approve\nsigner: finance\ntime: 2025-03-01T08:00:00.000Z\ndigest: {}\n",
                s.digest
            )
        );
        assert_eq!(SignedText::parse(&text), Some(s.clone()));
        for bad in [
            text.replace("version: 3", "version: 03"),
            text.replace("version: 3", "version: x"),
            text.replace("signer: ", "signer:  "),
            text.trim_end().to_string(),
            format!("{text}extra: 1\n"),
            text.replace("form", "from"),
            text.replace('\n', "\r\n"),
        ] {
            assert_eq!(SignedText::parse(&bad), None, "{bad:?}");
        }
        let mut broken = s.clone();
        broken.signer = "fin\nance".into();
        assert_eq!(broken.render(), None);
        broken.signer = String::new();
        assert_eq!(broken.render(), None);
    }

    #[test]
    fn a_signature_verifies_under_its_key_only_and_for_its_text_only() {
        let key = SigningKey::new(&Software, [7; 32]).unwrap();
        let other = SigningKey::new(&Software, [8; 32]).unwrap();
        let text = sample().render().unwrap();
        let sig = key.sign(&Software, &text).unwrap();
        assert!(verify(&Software, key.public(), &text, &sig));
        assert!(!verify(&Software, other.public(), &text, &sig));
        let changed = text.replace("version: 3", "version: 4");
        assert!(!verify(&Software, key.public(), &changed, &sig));
        assert!(SigningKey::new(&Software, [0; 32]).is_none());
        assert!(!format!("{key:?}").contains(&hex(&[7; 32])));
    }
}
