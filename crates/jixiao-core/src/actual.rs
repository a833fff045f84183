//! Actual values (实际完成值) as users write them, read with the target grammar, and compared
//! with their targets once magnitudes are folded in.

use crate::target::parse_quantity;
use crate::unit::Unit;
use crate::Target;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How far a qualitative target (or a text actual) was achieved (达成情况).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Achievement {
    /// 达成年度指标.
    Achieved,
    /// 部分达成并具有一定效果.
    Partly,
    /// 未达成且效果较差.
    NotAchieved,
}

impl Achievement {
    pub fn chinese(self) -> &'static str {
        match self {
            Achievement::Achieved => "达成",
            Achievement::Partly => "部分达成",
            Achievement::NotAchieved => "未达成",
        }
    }

    /// Reads how people write it: 达成, 已完成, 达成预期指标, 部分达成, 基本完成, 未达成, 否 …
    pub fn read(text: &str) -> Option<Achievement> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let t = t.trim_end_matches(['。', '.', '！']);
        const NOT: [&str; 8] = [
            "未达成",
            "未完成",
            "未实现",
            "没有达成",
            "未达到",
            "不达标",
            "否",
            "未达标",
        ];
        const PARTLY: [&str; 6] = [
            "部分达成",
            "部分完成",
            "基本达成",
            "基本完成",
            "部分实现",
            "基本实现",
        ];
        const YES: [&str; 12] = [
            "达成",
            "已达成",
            "完成",
            "已完成",
            "实现",
            "已实现",
            "达到",
            "达标",
            "是",
            "完善",
            "健全",
            "符合",
        ];
        if NOT.iter().any(|w| t.starts_with(w)) {
            Some(Achievement::NotAchieved)
        } else if PARTLY.iter().any(|w| t.starts_with(w)) {
            Some(Achievement::Partly)
        } else if YES.iter().any(|w| t.starts_with(w))
            || t.contains("达成预期")
            || t.contains("达到预期")
        {
            Some(Achievement::Achieved)
        } else {
            None
        }
    }
}

/// An actual value as written: a quantity (`≥266米`, `3200份`, `6.47亿元`, `95`) or a text
/// (`达成预期指标`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actual {
    Quantity {
        value: Decimal,
        unit: String,
    },
    Text {
        text: String,
        achievement: Option<Achievement>,
    },
}

impl Actual {
    pub fn parse(raw: &str) -> Actual {
        match parse_quantity(raw) {
            // An actual has no operator to keep: `≥266米` means 266 米 were reached.
            Some(q) if q.subject.is_none() => Actual::Quantity {
                value: q.value,
                unit: q.unit,
            },
            _ => {
                let text = crate::text::tidy_paragraphs(raw);
                let achievement = Achievement::read(&text);
                Actual::Text { text, achievement }
            }
        }
    }
}

/// An actual that cannot be set against its target.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error("实际值“{actual}”的单位“{actual_unit}”无法与指标值单位“{target_unit}”比较 / the unit “{actual_unit}” of the actual “{actual}” cannot be compared with the target's unit “{target_unit}”")]
    Unit {
        actual: String,
        actual_unit: String,
        target_unit: String,
    },
    #[error("定性指标的实际情况“{actual}”看不出是否达成，请写“达成”“部分达成”或“未达成” / the actual “{actual}” of a qualitative target does not say whether it was achieved: write 达成, 部分达成 or 未达成")]
    Achievement { actual: String },
    #[error("定性指标不能用数值“{actual}”衡量，请写达成情况 / a qualitative target cannot take the number “{actual}”: say how far it was achieved")]
    NumberForText { actual: String },
}

/// An actual set against its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measured {
    /// The actual in the target's unit (magnitude folded in).
    Value(Decimal),
    /// Achievement of a qualitative target, or a text actual of a quantitative one.
    Achievement(Achievement),
}

/// Sets an actual against its target: the actual's value in the target's unit, or the
/// achievement. An actual with no unit takes the target's.
pub fn measure(target: &Target, actual: &Actual, raw: &str) -> Result<Measured, CompareError> {
    match (target, actual) {
        (Target::Quantitative { unit: tu, .. }, Actual::Quantity { value, unit: au }) => {
            if au.is_empty() || tu.is_empty() || au == tu {
                return Ok(Measured::Value(*value));
            }
            let (t, a) = (Unit::parse(tu), Unit::parse(au));
            if !t.comparable(&a) {
                return Err(CompareError::Unit {
                    actual: raw.trim().to_string(),
                    actual_unit: au.clone(),
                    target_unit: tu.clone(),
                });
            }
            // value × 10^a ÷ 10^t, exactly.
            Ok(Measured::Value(
                (*value * a.scale() / t.scale()).normalize(),
            ))
        }
        (
            _,
            Actual::Text {
                achievement: Some(a),
                ..
            },
        ) => Ok(Measured::Achievement(*a)),
        (
            _,
            Actual::Text {
                text,
                achievement: None,
            },
        ) => Err(CompareError::Achievement {
            actual: text.clone(),
        }),
        (Target::Qualitative { .. }, Actual::Quantity { .. }) => Err(CompareError::NumberForText {
            actual: raw.trim().to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actuals_as_users_write_them() {
        let t = Target::parse("≥200米");
        assert_eq!(
            measure(&t, &Actual::parse("≥266米"), "≥266米"),
            Ok(Measured::Value(266.into()))
        );
        let t = Target::parse("≥3000份");
        assert_eq!(
            measure(&t, &Actual::parse("3200份"), "3200份"),
            Ok(Measured::Value(3200.into()))
        );
        let t = Target::parse("≥600000万元");
        assert_eq!(
            measure(&t, &Actual::parse("6.47亿元"), "6.47亿元"),
            Ok(Measured::Value(64700.into()))
        );
        let t = Target::parse("≥1.00(亿条)");
        assert_eq!(
            measure(&t, &Actual::parse("12000万条"), ""),
            Ok(Measured::Value(Decimal::new(12, 1)))
        );
        let t = Target::parse("≥90%");
        assert_eq!(
            measure(&t, &Actual::parse("95"), "95"),
            Ok(Measured::Value(95.into()))
        );
        assert_eq!(
            measure(&t, &Actual::parse("达成预期指标"), ""),
            Ok(Measured::Achievement(Achievement::Achieved))
        );
        let q = Target::parse("完善");
        assert_eq!(
            measure(&q, &Actual::parse("部分达成"), ""),
            Ok(Measured::Achievement(Achievement::Partly))
        );
        assert_eq!(
            measure(&q, &Actual::parse("未完成"), ""),
            Ok(Measured::Achievement(Achievement::NotAchieved))
        );
    }

    #[test]
    fn incomparable_actuals_say_why() {
        let t = Target::parse("≥90%");
        let e = measure(&t, &Actual::parse("3200份"), "3200份").unwrap_err();
        assert!(e.to_string().contains("份") && e.to_string().contains("%"));
        assert!(matches!(
            measure(&Target::parse("完善"), &Actual::parse("不好说"), ""),
            Err(CompareError::Achievement { .. })
        ));
        assert!(matches!(
            measure(&Target::parse("完善"), &Actual::parse("95%"), "95%"),
            Err(CompareError::NumberForText { .. })
        ));
    }
}
