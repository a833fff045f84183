//! In-year monitoring (绩效运行监控, 双监控): reporting periods, a period's figures, and the
//! warnings they raise. Thresholds are configuration.

use crate::actual::{measure, Achievement, Actual, CompareError, Measured};
use crate::{Form, Money, Target};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// A reporting period of the year: months `start..=end` (cumulative figures run to `end`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// As the user named it: `1-7月`, `2023-07`, `Q2`, `上半年`, `全年`.
    pub label: String,
    pub start_month: u8,
    pub end_month: u8,
}

impl Period {
    /// Reads a period as people name it: `1-7月`, `1–7月`, `7月`, `2023-07`, `M07`, `Q2`,
    /// `第二季度`, `二季度`, `H1`, `上半年`, `下半年`, `全年`.
    pub fn parse(label: &str) -> Option<Period> {
        let l: String = label
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let make = |s: u8, e: u8| (1..=12).contains(&s) && (s..=12).contains(&e);
        let num = |s: &str| -> Option<u8> {
            let cn = [
                "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
            ];
            s.parse()
                .ok()
                .or_else(|| cn.iter().position(|c| *c == s).map(|p| p as u8 + 1))
        };
        let (s, e) = match l.as_str() {
            "全年" | "年度" | "年终" | "FY" | "fy" => (1, 12),
            "上半年" | "H1" | "h1" => (1, 6),
            "下半年" | "H2" | "h2" => (7, 12),
            _ => {
                let q = l
                    .trim_start_matches('第')
                    .trim_end_matches("季度")
                    .trim_start_matches(['Q', 'q']);
                if (l.ends_with("季度") || l.starts_with(['Q', 'q'])) && !q.is_empty() {
                    let n = num(q)?;
                    if !(1..=4).contains(&n) {
                        return None;
                    }
                    (n * 3 - 2, n * 3)
                } else if let Some((y, m)) = l.split_once('-').filter(|(y, _)| y.len() == 4) {
                    // 2023-07: the months of the year to July.
                    y.parse::<u16>().ok()?;
                    let m = num(m.trim_end_matches('月'))?;
                    (1, m)
                } else {
                    let body = l.trim_start_matches(['M', 'm']).trim_end_matches('月');
                    match body.split_once(['-', '–', '—', '~', '至']) {
                        Some((a, b)) => (num(a.trim_end_matches('月'))?, num(b)?),
                        None => {
                            let m = num(body)?;
                            (1, m)
                        }
                    }
                }
            }
        };
        make(s, e).then(|| Period {
            label: label.trim().to_string(),
            start_month: s,
            end_month: e,
        })
    }
}

/// How likely the year's target is met (完成可能性).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Likelihood {
    #[serde(rename = "确定能")]
    Certain,
    #[serde(rename = "有可能")]
    Possible,
    #[serde(rename = "完全不可能")]
    Impossible,
}

impl Likelihood {
    pub fn read(s: &str) -> Option<Likelihood> {
        match s.trim() {
            "确定能" | "能" | "确定" | "certain" => Some(Likelihood::Certain),
            "有可能" | "可能" | "possible" => Some(Likelihood::Possible),
            "完全不可能" | "不可能" | "impossible" => Some(Likelihood::Impossible),
            _ => None,
        }
    }
}

/// Why an indicator deviates (偏差原因).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviationCategory {
    #[serde(rename = "经费保障")]
    Funding,
    #[serde(rename = "制度保障")]
    Rules,
    #[serde(rename = "人员保障")]
    Staff,
    #[serde(rename = "硬件保障")]
    Hardware,
    #[serde(rename = "其他")]
    Other,
}

impl DeviationCategory {
    pub fn read(s: &str) -> Option<DeviationCategory> {
        match s.trim() {
            "经费保障" | "经费" | "funding" => Some(DeviationCategory::Funding),
            "制度保障" | "制度" | "rules" => Some(DeviationCategory::Rules),
            "人员保障" | "人员" | "staff" => Some(DeviationCategory::Staff),
            "硬件保障" | "硬件" | "hardware" => Some(DeviationCategory::Hardware),
            "其他" | "other" => Some(DeviationCategory::Other),
            _ => None,
        }
    }
}

/// One indicator's figures for a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The indicator's stable ID (or its position when the form is not stored).
    pub indicator_id: Option<String>,
    pub indicator: String,
    /// Completion to date, as written (`266米`, `达成`).
    #[serde(default)]
    pub to_date: String,
    /// Forecast for the full year, as written.
    #[serde(default)]
    pub forecast: String,
    #[serde(default)]
    pub likelihood: Option<Likelihood>,
    #[serde(default)]
    pub deviation_category: Option<DeviationCategory>,
    #[serde(default)]
    pub deviation: String,
    #[serde(default)]
    pub rectification_needed: bool,
    #[serde(default)]
    pub rectification_advice: String,
    #[serde(default)]
    pub rectification_result: String,
}

/// A period's report: money spent to date, the forecast for the year, and each indicator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodReport {
    pub period: Period,
    /// Budget spent to date (预算执行数).
    pub spent: Money,
    /// Forecast of the year's spending.
    pub forecast_spent: Option<Money>,
    pub indicators: Vec<Progress>,
}

/// Warning thresholds (*varies*: configuration).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Spending against time r = execution rate ÷ (months ÷ 12) × 100: red below this …
    #[serde(with = "rust_decimal::serde::str")]
    pub spend_red: Decimal,
    /// … yellow below this.
    #[serde(with = "rust_decimal::serde::str")]
    pub spend_yellow: Decimal,
    /// Indicator progress and spending may differ by this many percentage points.
    #[serde(with = "rust_decimal::serde::str")]
    pub progress_gap: Decimal,
    /// More than this percentage of the budget unspent at year end is a warning.
    #[serde(with = "rust_decimal::serde::str")]
    pub year_end_unspent: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            spend_red: Decimal::from(60),
            spend_yellow: Decimal::from(80),
            progress_gap: Decimal::from(30),
            year_end_unspent: Decimal::from(20),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    Green,
    Yellow,
    Red,
}

impl Light {
    /// `red`, `yellow`, `green`: as kept on the form for the portfolio's filter.
    pub fn name(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }

    /// The worst light of some warnings (green when there are none).
    pub fn worst(warnings: &[Warning]) -> Light {
        warnings
            .iter()
            .map(|w| w.light)
            .max()
            .unwrap_or(Light::Green)
    }

    pub fn chinese(self) -> &'static str {
        match self {
            Light::Green => "绿",
            Light::Yellow => "黄",
            Light::Red => "红",
        }
    }
}

/// A monitoring warning (预警), with the numbers that raised it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub code: String,
    pub light: Light,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    pub message: String,
    pub message_en: String,
    /// The numbers: `执行率 35.00%，时间进度 58.33%，r = 60.00`.
    pub numbers: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MonitorError {
    #[error("申报表没有名为“{0}”的指标 / the form has no indicator “{0}”")]
    UnknownIndicator(String),
    #[error("指标“{indicator}”：{source}")]
    Actual {
        indicator: String,
        source: CompareError,
    },
    #[error(
        "年度资金为空或为 0，无法计算执行率 / the annual budget is empty or 0: no execution rate"
    )]
    NoBudget,
}

fn r2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Checks a report against its form (every indicator named exists; every figure can be set
/// against its target) without judging it.
pub fn validate(form: &Form, report: &PeriodReport) -> Result<(), MonitorError> {
    for p in &report.indicators {
        let ind = form
            .indicators
            .iter()
            .find(|i| i.name == p.indicator)
            .ok_or_else(|| MonitorError::UnknownIndicator(p.indicator.clone()))?;
        for raw in [&p.to_date, &p.forecast] {
            if !raw.trim().is_empty() {
                measure(&ind.target, &Actual::parse(raw), raw).map_err(|source| {
                    MonitorError::Actual {
                        indicator: p.indicator.clone(),
                        source,
                    }
                })?;
            }
        }
    }
    if form.funds.annual_total.is_none_or(|m| m.fen() <= 0) {
        return Err(MonitorError::NoBudget);
    }
    Ok(())
}

/// The warnings a period's figures raise.
pub fn warnings(
    form: &Form,
    report: &PeriodReport,
    t: &Thresholds,
) -> Result<Vec<Warning>, MonitorError> {
    validate(form, report)?;
    let budget = form.funds.annual_total.map(Money::fen).unwrap_or(1).max(1);
    let exec = Decimal::from(report.spent.fen()) * Decimal::ONE_HUNDRED / Decimal::from(budget);
    let months = Decimal::from(report.period.end_month);
    let time = months * Decimal::ONE_HUNDRED / Decimal::from(12);
    let r = exec / months * Decimal::from(12);
    let mut out = vec![];
    let numbers = format!(
        "执行率 {}%，时间进度 {}%，r = 执行率 ÷ 时间进度 × 100 = {}",
        r2(exec),
        r2(time),
        r2(r)
    );
    let light = if r < t.spend_red {
        Light::Red
    } else if r < t.spend_yellow {
        Light::Yellow
    } else {
        Light::Green
    };
    if light != Light::Green {
        out.push(Warning {
            code: "SPEND-TIME".into(),
            light,
            indicator: None,
            message: format!("预算执行慢于时间进度（{}灯）", light.chinese()),
            message_en: format!("spending lags behind time ({light:?})"),
            numbers,
        });
    }
    if report.period.end_month == 12 {
        let unspent = Decimal::ONE_HUNDRED - exec;
        if unspent > t.year_end_unspent {
            out.push(Warning {
                code: "YEAR-END-UNSPENT".into(),
                light: Light::Red,
                indicator: None,
                message: format!(
                    "年末仍有 {}% 的预算未执行（超过 {}%）",
                    r2(unspent),
                    t.year_end_unspent
                ),
                message_en: format!(
                    "{}% of the budget is unspent at year end (over {}%)",
                    r2(unspent),
                    t.year_end_unspent
                ),
                numbers: format!(
                    "执行数 {}，预算 {}",
                    report.spent.grouped(),
                    Money::from_fen(budget).grouped()
                ),
            });
        }
    }
    if let Some(f) = report.forecast_spent {
        let fr = Decimal::from(f.fen()) * Decimal::ONE_HUNDRED / Decimal::from(budget);
        if Decimal::ONE_HUNDRED - fr > t.year_end_unspent {
            out.push(Warning {
                code: "FORECAST-UNSPENT".into(),
                light: Light::Yellow,
                indicator: None,
                message: format!("预计全年执行率只有 {}%", r2(fr)),
                message_en: format!("the year's spending is forecast at only {}%", r2(fr)),
                numbers: format!(
                    "预计执行数 {}，预算 {}",
                    f.grouped(),
                    Money::from_fen(budget).grouped()
                ),
            });
        }
    }
    for p in &report.indicators {
        let Some(ind) = form.indicators.iter().find(|i| i.name == p.indicator) else {
            continue;
        };
        let name = Some(ind.name.clone());
        let measured = |raw: &str| -> Option<Measured> {
            (!raw.trim().is_empty())
                .then(|| measure(&ind.target, &Actual::parse(raw), raw).ok())
                .flatten()
        };
        if p.likelihood == Some(Likelihood::Impossible) {
            out.push(Warning {
                code: "LIKELIHOOD-NONE".into(),
                light: Light::Red,
                indicator: name.clone(),
                message: "单位判断全年指标完全不可能完成".into(),
                message_en: "the unit judges the year's target impossible to meet".into(),
                numbers: format!("指标值 {}；预计 {}", ind.raw, p.forecast),
            });
        }
        match (&ind.target, measured(&p.forecast)) {
            (Target::Quantitative { op, value, .. }, Some(Measured::Value(f))) => {
                let short = if op.is_reverse() {
                    f > *value
                } else {
                    f < *value
                };
                if short {
                    out.push(Warning {
                        code: "FORECAST-BELOW".into(),
                        light: if p.likelihood == Some(Likelihood::Impossible) {
                            Light::Red
                        } else {
                            Light::Yellow
                        },
                        indicator: name.clone(),
                        message: format!("全年预计 {} 达不到指标值 {}", p.forecast, ind.raw),
                        message_en: format!(
                            "the year's forecast {} misses the target {}",
                            p.forecast, ind.raw
                        ),
                        numbers: format!(
                            "指标值 {} {}；预计 {}",
                            op.symbol(),
                            value.normalize(),
                            f.normalize()
                        ),
                    });
                }
            }
            (_, Some(Measured::Achievement(a))) if a != Achievement::Achieved => {
                out.push(Warning {
                    code: "FORECAST-BELOW".into(),
                    light: if a == Achievement::NotAchieved {
                        Light::Red
                    } else {
                        Light::Yellow
                    },
                    indicator: name.clone(),
                    message: format!("全年预计“{}”", a.chinese()),
                    message_en: format!("the year is forecast as {a:?}"),
                    numbers: format!("指标值 {}；预计 {}", ind.raw, p.forecast),
                });
            }
            _ => {}
        }
        match (&ind.target, measured(&p.to_date)) {
            (Target::Qualitative { .. }, Some(Measured::Achievement(a)))
                if a != Achievement::Achieved =>
            {
                out.push(Warning {
                    code: "QUALITATIVE-NOT-ACHIEVED".into(),
                    light: if a == Achievement::NotAchieved {
                        Light::Red
                    } else {
                        Light::Yellow
                    },
                    indicator: name.clone(),
                    message: format!("定性指标当前“{}”", a.chinese()),
                    message_en: format!("the qualitative target is {a:?} so far"),
                    numbers: format!("指标值 {}；当前 {}", ind.raw, p.to_date),
                });
            }
            (
                Target::Quantitative {
                    op, value, unit, ..
                },
                Some(Measured::Value(v)),
            ) => {
                // Progress against spending, for cumulative counts (not rates or durations).
                let cumulative = op.is_positive()
                    && !crate::unit::Unit::parse(unit).is_percent()
                    && *value > Decimal::ZERO;
                if cumulative {
                    let progress = v * Decimal::ONE_HUNDRED / *value;
                    let gap = progress - exec;
                    if gap.abs() > t.progress_gap {
                        let ahead = gap > Decimal::ZERO;
                        out.push(Warning {
                            code: if ahead { "PROGRESS-AHEAD".into() } else { "PROGRESS-BEHIND".into() },
                            light: Light::Yellow,
                            indicator: name.clone(),
                            message: if ahead { "指标进度明显快于预算执行".into() } else { "指标进度明显慢于预算执行".into() },
                            message_en: if ahead { "progress runs well ahead of spending".into() } else { "progress lags well behind spending".into() },
                            numbers: format!("指标完成 {}%（{} ÷ {}），预算执行 {}%，相差 {} 个百分点（阈值 {}）", r2(progress), v.normalize(), value.normalize(), r2(exec), r2(gap.abs()), t.progress_gap),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The rectifications (整改) a form's monitoring leaves open: in its latest period, the
/// indicators marked 需整改 with no result yet, as (indicator, advice).
pub fn open_rectifications(periods: &[PeriodReport]) -> Vec<(String, String)> {
    let Some(latest) = periods.iter().max_by_key(|r| r.period.end_month) else {
        return vec![];
    };
    latest
        .indicators
        .iter()
        .filter(|x| x.rectification_needed && x.rectification_result.trim().is_empty())
        .map(|x| (x.indicator.clone(), x.rectification_advice.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_as_people_name_them() {
        let p = |s: &str| Period::parse(s).map(|p| (p.start_month, p.end_month));
        assert_eq!(p("1-7月"), Some((1, 7)));
        assert_eq!(p("1–7月"), Some((1, 7)));
        assert_eq!(p("7月"), Some((1, 7)));
        assert_eq!(p("2023-07"), Some((1, 7)));
        assert_eq!(p("M07"), Some((1, 7)));
        assert_eq!(p("Q2"), Some((4, 6)));
        assert_eq!(p("第二季度"), Some((4, 6)));
        assert_eq!(p("四季度"), Some((10, 12)));
        assert_eq!(p("上半年"), Some((1, 6)));
        assert_eq!(p("全年"), Some((1, 12)));
        for bad in ["13月", "Q5", "7-3月", "", "明年", "0月"] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
