//! The target form (绩效目标申报表): header, funds, goals and indicators.

use crate::{Level1, Level2, Money, Target};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One project's performance target form, exactly as filed.
///
/// The JSON names are the public exchange format: add fields freely, rename none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    /// Stable ID given by the store; absent on a form just read from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub year: i32,
    /// 项目名称.
    pub name: String,
    /// 项目性质, e.g. 经常性专项业务费.
    pub nature: String,
    /// 项目类别, e.g. 特定目标类.
    pub category: String,
    /// 主管部门.
    pub department: String,
    /// 实施单位.
    pub implementer: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub funds: Funds,
    /// 项目总目标; paragraphs separated by `\n`.
    pub goal_overall: String,
    /// 年度总体目标.
    pub goal_annual: String,
    /// In form order.
    pub indicators: Vec<Indicator>,
}

/// 项目资金, in yuan exact to the fen. A field the form leaves empty is `None`, not zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funds {
    /// 项目资金总额.
    pub total: Option<Money>,
    /// 其中：财政资金.
    pub fiscal: Option<Money>,
    /// 其他资金 (of the project total).
    pub other: Option<Money>,
    /// 年度资金申请总额.
    pub annual_total: Option<Money>,
    /// 其中：当年财政拨款.
    pub annual_appropriation: Option<Money>,
    /// 上年结转资金.
    pub annual_carryover: Option<Money>,
    /// 其他资金 (of the annual request).
    pub annual_other: Option<Money>,
}

/// A level-3 indicator (三级指标) under its level 1 and level 2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    #[serde(default)]
    pub id: Option<String>,
    pub level1: Level1,
    /// `None` when the form names no level 2 for it (a warning on import).
    pub level2: Option<Level2>,
    pub name: String,
    pub target: Target,
    /// The target as written on the form.
    pub raw: String,
    /// 权重 / 分值, when the form gives each indicator its weight.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub weight: Option<rust_decimal::Decimal>,
    /// 指标方向性 as written (`正向指标`, `反向`), when the form gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

impl Form {
    /// What identifies a form across imports: the year, the implementing unit and the
    /// project name. Importing a form with the same key again is the same form.
    pub fn key(&self) -> (i32, &str, &str) {
        (self.year, self.implementer.as_str(), self.name.as_str())
    }

    /// A draft of this form for another year (copying last year's form to start the year):
    /// the same header, goals, funds and indicators, the year changed, the planned dates moved
    /// by the same number of years, every ID removed.
    pub fn copy_for_year(&self, year: i32) -> Form {
        let mut f = self.without_ids();
        let shift = |d: Option<NaiveDate>| {
            d.and_then(|d| {
                let y = chrono::Datelike::year(&d) + (year - self.year);
                chrono::Datelike::with_year(&d, y)
                    // 29 February into a year without it: the 28th.
                    .or_else(|| NaiveDate::from_ymd_opt(y, chrono::Datelike::month(&d), 28))
            })
        };
        f.start_date = shift(self.start_date);
        f.end_date = shift(self.end_date);
        f.year = year;
        f
    }

    /// The same form with every ID removed, to compare content.
    pub fn without_ids(&self) -> Form {
        let mut f = self.clone();
        f.id = None;
        for i in &mut f.indicators {
            i.id = None;
        }
        f
    }
}

impl Funds {
    /// Every fund field with its Chinese label, in form order.
    pub fn fields(&self) -> [(&'static str, &'static str, Option<Money>); 7] {
        [
            ("total", "项目资金总额", self.total),
            ("fiscal", "其中：财政资金", self.fiscal),
            ("other", "其他资金", self.other),
            ("annual_total", "年度资金申请总额", self.annual_total),
            (
                "annual_appropriation",
                "其中：当年财政拨款",
                self.annual_appropriation,
            ),
            ("annual_carryover", "上年结转资金", self.annual_carryover),
            ("annual_other", "其他资金（年度）", self.annual_other),
        ]
    }

    /// The largest amount a fund field may hold: 1 万亿元 (10¹² yuan). Far above any project,
    /// and low enough that the sums of a whole country's forms stay exact in 64 bits.
    pub const MAX: Money = Money::from_fen(100_000_000_000_000);

    /// Every amount is between 0 and [`Funds::MAX`]: the field, its label and the problem
    /// otherwise (Chinese, English).
    pub fn check(&self) -> Result<(), (&'static str, String, String)> {
        for (key, label, m) in self.fields() {
            let Some(m) = m else { continue };
            if m.fen() < 0 {
                return Err((
                    key,
                    format!("{label}不能为负数（{}）", m.grouped()),
                    format!("{key} cannot be negative ({m})"),
                ));
            }
            if m > Funds::MAX {
                return Err((
                    key,
                    format!("{label}（{} 元）超过上限 1 万亿元", m.grouped()),
                    format!("{key} ({m}) is above the limit of 10^12 yuan"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_for_next_year_moves_the_dates() {
        let mut f = Form {
            id: Some("x".into()),
            year: 2024,
            name: "n".into(),
            nature: String::new(),
            category: String::new(),
            department: String::new(),
            implementer: "u".into(),
            start_date: NaiveDate::from_ymd_opt(2024, 2, 29),
            end_date: NaiveDate::from_ymd_opt(2024, 12, 31),
            funds: Funds::default(),
            goal_overall: String::new(),
            goal_annual: String::new(),
            indicators: vec![],
        };
        let c = f.copy_for_year(2025);
        assert_eq!((c.year, c.id.as_deref()), (2025, None));
        assert_eq!(c.start_date, NaiveDate::from_ymd_opt(2025, 2, 28));
        assert_eq!(c.end_date, NaiveDate::from_ymd_opt(2025, 12, 31));
        f.start_date = None;
        assert_eq!(f.copy_for_year(2023).start_date, None);
    }

    #[test]
    fn exchange_names_are_kept() {
        let form = Form {
            id: None,
            year: 2023,
            name: "数据运营服务费".into(),
            nature: "经常性专项业务费".into(),
            category: "特定目标类".into(),
            department: "上海市大数据中心".into(),
            implementer: "上海市大数据中心".into(),
            start_date: NaiveDate::from_ymd_opt(2023, 1, 1),
            end_date: NaiveDate::from_ymd_opt(2023, 12, 31),
            funds: Funds {
                total: Some(Money::from_fen(11_962_440_476)),
                ..Funds::default()
            },
            goal_overall: "a".into(),
            goal_annual: "b".into(),
            indicators: vec![Indicator {
                id: Some("i1".into()),
                level1: Level1::Output,
                level2: Some(Level2::Quantity),
                name: "完成下达服务任务".into(),
                target: Target::parse("≥30.00(项)"),
                raw: "≥30.00(项)".into(),
                weight: None,
                direction: None,
            }],
        };
        let v: serde_json::Value = serde_json::to_value(&form).unwrap();
        assert_eq!(v["start_date"], "2023-01-01");
        assert_eq!(v["funds"]["total"], "119624404.76");
        assert_eq!(v["funds"]["fiscal"], serde_json::Value::Null);
        assert_eq!(v["indicators"][0]["level1"], "产出指标");
        assert_eq!(v["indicators"][0]["level2"], "数量指标");
        assert_eq!(v["indicators"][0]["target"]["value"], "30");
        let back: Form = serde_json::from_value(v).unwrap();
        assert_eq!(back, form);
    }
}
