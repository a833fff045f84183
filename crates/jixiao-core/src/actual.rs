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

    /// Reads how people write it with the built-in vocabulary: 达成, 已完成, 有效, 良好,
    /// 达到预期, 部分达成, 基本完成, 未达成, 否 …
    pub fn read(text: &str) -> Option<Achievement> {
        Vocabulary::default().read(text)
    }
}

/// The words that say how far a qualitative target was achieved, configurable in TOML
/// (`[vocabulary]` of a scoring scheme): `achieved`, `partly`, `not_achieved`. A text is read by
/// the longest word it starts with or equals; `not_achieved` words are tried first, then
/// `partly`, so that 未完成 and 基本完成 are not read as 完成.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    #[serde(default = "Vocabulary::default_achieved")]
    pub achieved: Vec<String>,
    #[serde(default = "Vocabulary::default_partly")]
    pub partly: Vec<String>,
    #[serde(default = "Vocabulary::default_not")]
    pub not_achieved: Vec<String>,
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary {
            achieved: Vocabulary::default_achieved(),
            partly: Vocabulary::default_partly(),
            not_achieved: Vocabulary::default_not(),
        }
    }
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

impl Vocabulary {
    fn default_achieved() -> Vec<String> {
        words(&[
            "达成",
            "已达成",
            "完成",
            "已完成",
            "全部完成",
            "实现",
            "已实现",
            "达到",
            "已达到",
            "达标",
            "是",
            "完善",
            "健全",
            "符合",
            "符合要求",
            "有效",
            "良好",
            "优",
            "优秀",
            "好",
            "较好",
            "达到预期",
            "达成预期",
            "达成预期指标",
            "达到预期目标",
            "按时完成",
            "显著",
            "明显",
            "效果明显",
            "效果显著",
            "满意",
            "合格",
            "正常",
        ])
    }
    fn default_partly() -> Vec<String> {
        words(&[
            "部分达成",
            "部分完成",
            "基本达成",
            "基本完成",
            "部分实现",
            "基本实现",
            "基本达到",
            "基本符合",
            "一般",
            "较差",
            "部分",
        ])
    }
    fn default_not() -> Vec<String> {
        words(&[
            "未达成",
            "未完成",
            "未实现",
            "没有达成",
            "未达到",
            "不达标",
            "否",
            "未达标",
            "差",
            "无效",
            "不合格",
            "不符合",
            "没有完成",
        ])
    }

    /// How far the text says the target was achieved; `None` when the words do not say.
    pub fn read(&self, text: &str) -> Option<Achievement> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let t = t.trim_end_matches(['。', '.', '！', '!']);
        if t.is_empty() {
            return None;
        }
        let hit = |list: &[String]| {
            list.iter().any(|w| {
                !w.is_empty()
                    && (t.starts_with(w.as_str())
                        || (w.chars().count() >= 4 && t.contains(w.as_str())))
            })
        };
        if hit(&self.not_achieved) {
            Some(Achievement::NotAchieved)
        } else if hit(&self.partly) {
            Some(Achievement::Partly)
        } else if hit(&self.achieved) {
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
    /// Reads an actual exactly as typed, with the built-in vocabulary.
    pub fn parse(raw: &str) -> Actual {
        Actual::parse_with(raw, &Vocabulary::default())
    }

    /// Reads an actual with a vocabulary of achievement words.
    pub fn parse_with(raw: &str, vocabulary: &Vocabulary) -> Actual {
        match parse_quantity(raw) {
            // An actual has no operator to keep: `≥266米` means 266 米 were reached.
            Some(q) if q.subject.is_none() => Actual::Quantity {
                value: q.value,
                unit: q.unit,
            },
            _ => {
                let text = crate::text::tidy_paragraphs(raw);
                let achievement = vocabulary.read(&text);
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
