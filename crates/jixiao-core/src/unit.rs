//! Units of measure as written on forms (计量单位), with their magnitudes understood:
//! 万条 is 10⁴ 条, 亿次 is 10⁸ 次, 万元 is 10⁴ 元.

use rust_decimal::Decimal;

/// A unit as written, split into its magnitude (a power of ten) and its base unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit<'a> {
    pub written: &'a str,
    /// The power of ten the magnitude prefix stands for: 4 for 万, 8 for 亿, 0 for none.
    pub exponent: u32,
    /// The unit without its magnitude prefix: 条 for 亿条, % for %.
    pub base: &'a str,
}

/// Magnitude prefixes, longest first so 千万 wins over 万.
const PREFIXES: [(&str, u32); 6] = [
    ("千万", 7),
    ("百万", 6),
    ("十万", 5),
    ("亿", 8),
    ("万", 4),
    ("兆", 12),
];

impl<'a> Unit<'a> {
    pub fn parse(written: &'a str) -> Unit<'a> {
        let w = written.trim();
        // 万分之 / 千分之 are ratios, not magnitudes; 百分比/百分点 are percent.
        if !w.contains("分之") {
            for (p, e) in PREFIXES {
                if let Some(rest) = w.strip_prefix(p) {
                    return Unit {
                        written,
                        exponent: e,
                        base: rest,
                    };
                }
            }
        }
        Unit {
            written,
            exponent: 0,
            base: w,
        }
    }

    /// The factor that folds the magnitude in: 10⁴ for 万人.
    pub fn scale(&self) -> Decimal {
        Decimal::from_i128_with_scale(10i128.pow(self.exponent), 0)
    }

    /// Whether this unit is a percentage (`%`, `％`, `百分比`, `百分率`).
    pub fn is_percent(&self) -> bool {
        matches!(self.base, "%" | "％" | "百分比" | "百分率" | "百分之")
    }

    /// Whether two values in these units can be compared once magnitudes are folded in.
    pub fn comparable(&self, other: &Unit<'_>) -> bool {
        self.base == other.base || (self.is_percent() && other.is_percent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magnitudes_fold_in() {
        let u = Unit::parse("亿条");
        assert_eq!((u.exponent, u.base), (8, "条"));
        assert_eq!(u.scale(), Decimal::from(100_000_000));
        assert_eq!(Unit::parse("万元").base, "元");
        assert_eq!(Unit::parse("千万元").exponent, 7);
        assert_eq!(Unit::parse("PB").exponent, 0);
        assert!(Unit::parse("万人").comparable(&Unit::parse("人")));
        assert!(!Unit::parse("亿次").comparable(&Unit::parse("%")));
        assert!(Unit::parse("百分比").is_percent());
        assert_eq!(Unit::parse("万分之").exponent, 0);
    }
}
