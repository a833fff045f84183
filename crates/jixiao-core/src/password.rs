//! The password policy: what a new password must be, whoever sets it. Pure; whether it was
//! used before is checked by the caller against the stored hashes.

/// How many earlier passwords a new one may not repeat.
pub const HISTORY: usize = 5;

/// A new password for `username`: 10 to 200 characters, of at least three kinds among
/// lower-case letters, upper-case letters, digits and other characters, and not containing
/// the username. The problem in Chinese and English otherwise.
pub fn check(password: &str, username: &str) -> Result<(), (String, String)> {
    let n = password.chars().count();
    if n < 10 {
        return Err((
            "密码至少 10 个字符".into(),
            "a password has at least 10 characters".into(),
        ));
    }
    if n > 200 {
        return Err((
            "密码过长（最多 200 个字符）".into(),
            "the password is too long (200 characters at most)".into(),
        ));
    }
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if kinds < 3 {
        return Err((
            "密码须包含小写字母、大写字母、数字、其他字符中的至少三种".into(),
            "a password has at least three of: lower-case letters, upper-case letters, digits, other characters".into(),
        ));
    }
    let name = username.trim().to_lowercase();
    if name.chars().count() >= 3 && password.to_lowercase().contains(&name) {
        return Err((
            "密码不能包含用户名".into(),
            "a password cannot contain the username".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn the_policy() {
        for ok in [
            "Temporary-pass1",
            "another-pass-1",
            "绩效Jixiao2024",
            "UPPER-lower-9",
        ] {
            assert!(check(ok, "unit").is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("Short-1", "10"),
            ("0123456789", "三种"),
            ("abcdefghijk", "三种"),
            ("ABCDEFGH-IJ", "三种"),
            ("my-Tester-pass-1", "用户名"),
        ] {
            let e = check(bad, "tester").unwrap_err();
            assert!(e.0.contains(why), "{bad}: {}", e.0);
        }
        assert!(check(&"Aa1".repeat(70), "unit").is_err(), "over 200");
    }
}
