//! Money: an exact integer of fen (分), never a float.

use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An amount of money in fen (1 yuan = 100 fen). Signed, because adjustments can be negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额为空 / the amount is empty")]
    Empty,
    #[error("“{0}”不是金额 / “{0}” is not an amount")]
    NotANumber(String),
    #[error("“{0}”不能精确到分 / “{0}” is not exact to the fen")]
    NotExactToFen(String),
    #[error("“{0}”超出可表示范围 / “{0}” is out of range")]
    OutOfRange(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// The amount in yuan as an exact decimal (two decimal places).
    pub fn to_yuan(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Reads an amount as published: `119,624,404.76`, `0.00`, `1 234.5`, `￥1,000`, `-3.2`.
    /// `scale` is the amount of fen in one unit of the text: 100 for 元, 1_000_000 for 万元.
    pub fn parse_scaled(text: &str, fen_per_unit: i64) -> Result<Money, MoneyError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{3000}' | '¥' | '￥' | '\u{a0}'))
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '．' => '.',
                '－' => '-',
                _ => c,
            })
            .collect();
        let cleaned = cleaned.trim_end_matches(['元', '。', '.']);
        if cleaned.is_empty() {
            return Err(MoneyError::Empty);
        }
        if !cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
        {
            return Err(MoneyError::NotANumber(text.trim().to_string()));
        }
        let d = Decimal::from_str(cleaned)
            .map_err(|_| MoneyError::NotANumber(text.trim().to_string()))?;
        let fen = d
            .checked_mul(Decimal::from(fen_per_unit))
            .ok_or_else(|| MoneyError::OutOfRange(text.trim().to_string()))?;
        if fen.fract() != Decimal::ZERO {
            return Err(MoneyError::NotExactToFen(text.trim().to_string()));
        }
        let fen: i64 = fen
            .trunc()
            .try_into()
            .map_err(|_| MoneyError::OutOfRange(text.trim().to_string()))?;
        Ok(Money(fen))
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    /// Reads an amount in yuan.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_scaled(s, 100)
    }
}

impl fmt::Display for Money {
    /// Yuan with two decimals and no grouping: `119624404.76`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Money {
    /// Yuan with two decimals and thousands separators, as forms print it: `119,624,404.76`.
    pub fn grouped(&self) -> String {
        let plain = self.to_string();
        let (sign, rest) = plain
            .strip_prefix('-')
            .map_or(("", plain.as_str()), |r| ("-", r));
        let (int, frac) = rest.split_once('.').unwrap_or((rest, "00"));
        let mut out = String::with_capacity(plain.len() + int.len() / 3);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}.{frac}")
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_published_amounts_to_the_fen() {
        assert_eq!(
            "119,624,404.76".parse::<Money>().unwrap().fen(),
            11_962_440_476
        );
        assert_eq!("0.00".parse::<Money>().unwrap(), Money::ZERO);
        assert_eq!("2,550,000".parse::<Money>().unwrap().fen(), 255_000_000);
        assert_eq!("￥1，000.5元".parse::<Money>().unwrap().fen(), 100_050);
        assert_eq!("-3.20".parse::<Money>().unwrap().fen(), -320);
    }

    #[test]
    fn wan_yuan_scale_is_exact() {
        assert_eq!(
            Money::parse_scaled("11962.440476", 1_000_000)
                .unwrap()
                .fen(),
            11_962_440_476
        );
        assert!(matches!(
            Money::parse_scaled("1.0000001", 1_000_000),
            Err(MoneyError::NotExactToFen(_))
        ));
    }

    #[test]
    fn refuses_what_is_not_money() {
        assert_eq!("".parse::<Money>(), Err(MoneyError::Empty));
        assert!(matches!(
            "12.345".parse::<Money>(),
            Err(MoneyError::NotExactToFen(_))
        ));
        assert!(matches!(
            "约100".parse::<Money>(),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            "1e30".parse::<Money>(),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            "99999999999999999999999".parse::<Money>(),
            Err(MoneyError::OutOfRange(_)) | Err(MoneyError::NotANumber(_))
        ));
    }

    #[test]
    fn prints_yuan() {
        let m = Money::from_fen(11_962_440_476);
        assert_eq!(m.to_string(), "119624404.76");
        assert_eq!(m.grouped(), "119,624,404.76");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Money::from_fen(100).grouped(), "1.00");
    }
}
