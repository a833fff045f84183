//! The official indicator levels (一级指标 and 二级指标), with their Chinese names.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// 一级指标. `Cost` is the level-1 cost indicator of the 2021 central guide and of
/// Shanghai's 2025 guide; older forms file cost as a level 2 under output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level1 {
    Output,
    Cost,
    Outcome,
    Satisfaction,
}

/// 二级指标.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level2 {
    Quantity,
    Quality,
    Timeliness,
    /// 成本指标 as a level 2 under output (the pre-2021 layout, and the seed's).
    Cost,
    EconomicCost,
    SocialCost,
    EcologicalCost,
    Economic,
    Social,
    Ecological,
    Sustainability,
    BeneficiarySatisfaction,
}

impl Level1 {
    pub const ALL: [Level1; 4] = [
        Level1::Output,
        Level1::Cost,
        Level1::Outcome,
        Level1::Satisfaction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level1::Output => "产出指标",
            Level1::Cost => "成本指标",
            Level1::Outcome => "效益指标",
            Level1::Satisfaction => "满意度指标",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Level1::Output => "output",
            Level1::Cost => "cost",
            Level1::Outcome => "outcome",
            Level1::Satisfaction => "satisfaction",
        }
    }

    /// Reads an official name, tolerating a missing 指标 suffix and whitespace.
    pub fn from_name(name: &str) -> Option<Level1> {
        let n = without_whitespace(name);
        let n = n.strip_suffix("指标").unwrap_or(&n);
        Some(match n {
            "产出" => Level1::Output,
            "成本" => Level1::Cost,
            "效益" => Level1::Outcome,
            "满意度" => Level1::Satisfaction,
            _ => return None,
        })
    }
}

impl Level2 {
    pub const ALL: [Level2; 12] = [
        Level2::Quantity,
        Level2::Quality,
        Level2::Timeliness,
        Level2::Cost,
        Level2::EconomicCost,
        Level2::SocialCost,
        Level2::EcologicalCost,
        Level2::Economic,
        Level2::Social,
        Level2::Ecological,
        Level2::Sustainability,
        Level2::BeneficiarySatisfaction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level2::Quantity => "数量指标",
            Level2::Quality => "质量指标",
            Level2::Timeliness => "时效指标",
            Level2::Cost => "成本指标",
            Level2::EconomicCost => "经济成本指标",
            Level2::SocialCost => "社会成本指标",
            Level2::EcologicalCost => "生态环境成本指标",
            Level2::Economic => "经济效益指标",
            Level2::Social => "社会效益指标",
            Level2::Ecological => "生态效益指标",
            Level2::Sustainability => "可持续影响指标",
            Level2::BeneficiarySatisfaction => "服务对象满意度指标",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Level2::Quantity => "quantity",
            Level2::Quality => "quality",
            Level2::Timeliness => "timeliness",
            Level2::Cost => "cost",
            Level2::EconomicCost => "economic cost",
            Level2::SocialCost => "social cost",
            Level2::EcologicalCost => "ecological cost",
            Level2::Economic => "economic",
            Level2::Social => "social",
            Level2::Ecological => "ecological",
            Level2::Sustainability => "sustainability",
            Level2::BeneficiarySatisfaction => "beneficiary satisfaction",
        }
    }

    /// The level 1 this level 2 belongs to. 成本指标 as a level 2 belongs to output.
    pub fn level1(self) -> Level1 {
        match self {
            Level2::Quantity | Level2::Quality | Level2::Timeliness | Level2::Cost => {
                Level1::Output
            }
            Level2::EconomicCost | Level2::SocialCost | Level2::EcologicalCost => Level1::Cost,
            Level2::Economic | Level2::Social | Level2::Ecological | Level2::Sustainability => {
                Level1::Outcome
            }
            Level2::BeneficiarySatisfaction => Level1::Satisfaction,
        }
    }

    /// Reads an official name or a common variant (`社会效益`, `生态环境效益指标`,
    /// `满意度指标` under satisfaction), ignoring whitespace.
    pub fn from_name(name: &str) -> Option<Level2> {
        let n = without_whitespace(name);
        let n = n.strip_suffix("指标").unwrap_or(&n);
        Some(match n {
            "数量" => Level2::Quantity,
            "质量" => Level2::Quality,
            "时效" => Level2::Timeliness,
            "成本" => Level2::Cost,
            "经济成本" => Level2::EconomicCost,
            "社会成本" => Level2::SocialCost,
            "生态环境成本" | "生态成本" | "环境成本" => Level2::EcologicalCost,
            "经济效益" => Level2::Economic,
            "社会效益" => Level2::Social,
            "生态效益" | "生态环境效益" => Level2::Ecological,
            "可持续影响" | "可持续发展" | "可持续效益" => Level2::Sustainability,
            "服务对象满意度" | "服务对象满意" | "社会公众或服务对象满意度" | "社会公众满意度" => {
                Level2::BeneficiarySatisfaction
            }
            _ => return None,
        })
    }

    /// The level 2 that applies when a form names only the level 1 (satisfaction has one).
    pub fn only_child(level1: Level1) -> Option<Level2> {
        match level1 {
            Level1::Satisfaction => Some(Level2::BeneficiarySatisfaction),
            _ => None,
        }
    }
}

impl fmt::Display for Level1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Level2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn without_whitespace(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_whitespace) {
        std::borrow::Cow::Owned(s.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

macro_rules! serde_by_name {
    ($t:ty, $what:literal) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::from_name(&s).ok_or_else(|| {
                    de::Error::custom(format!(
                        concat!("“{}”不是", $what, "的名称 / “{}” is not a ", $what, " name"),
                        s, s
                    ))
                })
            }
        }
    };
}
serde_by_name!(Level1, "一级指标");
serde_by_name!(Level2, "二级指标");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in Level1::ALL {
            assert_eq!(Level1::from_name(l.name()), Some(l));
        }
        for l in Level2::ALL {
            assert_eq!(Level2::from_name(l.name()), Some(l));
        }
    }

    #[test]
    fn tolerates_wrapping_and_short_names() {
        assert_eq!(Level1::from_name("效益指 标"), Some(Level1::Outcome));
        assert_eq!(Level1::from_name("满意度 指标"), Some(Level1::Satisfaction));
        assert_eq!(
            Level2::from_name("服务对象满意 度指标"),
            Some(Level2::BeneficiarySatisfaction)
        );
        assert_eq!(Level2::from_name("社会效益"), Some(Level2::Social));
        assert_eq!(Level2::from_name("用户满意度"), None);
    }

    #[test]
    fn level2_knows_its_parent() {
        assert_eq!(Level2::Cost.level1(), Level1::Output);
        assert_eq!(Level2::Sustainability.level1(), Level1::Outcome);
        assert_eq!(Level2::SocialCost.level1(), Level1::Cost);
    }
}
