//! Self-evaluation scoring (绩效自评) by the rules of 财政部〔2020〕10号 and the platforms that
//! implement it, with the variants jurisdictions use as named schemes. Every score carries
//! its explanation: the formula, the numbers, the rounding.

use crate::actual::{measure, Achievement, Actual, CompareError, Measured, Vocabulary};
use crate::{Level1, Level2, Op, Target};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How a reverse (≤, ＜) target missed is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReverseFormula {
    /// (1 − (actual − target) ÷ target) × weight, floored at 0: 0 at twice the target.
    Linear,
    /// target ÷ actual × weight, as printed templates do.
    Ratio,
}

/// A scoring scheme. The national default is [`Scheme::national`]; others come from
/// configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Points for budget execution.
    pub budget: Decimal,
    /// Points for output indicators (cost indicators of the new layout count here).
    pub output: Decimal,
    pub outcome: Decimal,
    pub satisfaction: Decimal,
    /// When set, the indicator groups are ignored and all indicators share these points
    /// (e.g. "10 budget + 90 indicators").
    #[serde(default)]
    pub pooled: Option<Decimal>,
    /// A form without satisfaction indicators gives their points to outcome.
    #[serde(default = "yes")]
    pub satisfaction_to_outcome: bool,
    pub reverse: ReverseFormula,
    /// Qualitative bands, in percent of the weight: [achieved low, partly low, partly-or-not
    /// boundary]. National: achieved 80–100, partly 60–80, not achieved 0–60.
    pub bands: [Decimal; 2],
    /// The words that say a qualitative target was achieved, partly or not.
    #[serde(default)]
    pub vocabulary: Vocabulary,
}

fn yes() -> bool {
    true
}

impl Scheme {
    /// 10 budget, 50 output, 30 outcome, 10 satisfaction; linear reverse; bands 80/60.
    /// The scheme in Chinese words: its description before the English (`全国通行：…`),
    /// or its name when it has no description.
    pub fn label(&self) -> &str {
        let zh = self
            .description
            .split_once("/ ")
            .map_or(self.description.as_str(), |(zh, _)| zh)
            .trim();
        if zh.is_empty() {
            &self.name
        } else {
            zh
        }
    }

    pub fn national() -> Scheme {
        Scheme {
            name: "national".into(),
            description: "全国通行：预算执行10分，产出50分，效益30分，满意度10分 / national default: 10/50/30/10".into(),
            budget: Decimal::from(10),
            output: Decimal::from(50),
            outcome: Decimal::from(30),
            satisfaction: Decimal::from(10),
            pooled: None,
            satisfaction_to_outcome: true,
            reverse: ReverseFormula::Linear,
            bands: [Decimal::from(80), Decimal::from(60)],
            vocabulary: Vocabulary::default(),
        }
    }

    /// The built-in schemes: `national`, `budget10-indicators90` (Sichuan), `reverse-ratio`,
    /// `bands-80-50`.
    pub fn builtin() -> Vec<Scheme> {
        let n = Scheme::national();
        vec![
            n.clone(),
            Scheme {
                name: "budget10-indicators90".into(),
                description: "预算执行10分，全部指标共90分（四川等）/ 10 budget + 90 shared by all indicators".into(),
                pooled: Some(Decimal::from(90)),
                ..n.clone()
            },
            Scheme {
                name: "reverse-ratio".into(),
                description: "反向指标按“指标值÷实际值×分值”计分 / reverse indicators score target ÷ actual × weight".into(),
                reverse: ReverseFormula::Ratio,
                ..n.clone()
            },
            Scheme {
                name: "bands-80-50".into(),
                description: "定性指标分档 100–80 / 80–50 / 50–0 / qualitative bands 100–80, 80–50, 50–0".into(),
                bands: [Decimal::from(80), Decimal::from(50)],
                ..n
            },
        ]
    }
}

/// A self-evaluation to score: the budget line and each indicator with its actual value.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// 全年预算数 and 全年执行数, exact, in `unit`.
    pub annual_budget: Decimal,
    pub spent: Decimal,
    /// The amounts' unit as the table gives it: `元`, `万元`.
    pub unit: String,
    /// Points the unit gave budget execution, when the table gives a weight of its own.
    pub budget_weight: Option<Decimal>,
    pub budget_self_score: Option<Decimal>,
    pub indicators: Vec<EvalIndicator>,
    /// The total the unit wrote, to check that it adds up.
    pub self_total: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EvalIndicator {
    pub level1: Level1,
    pub level2: Option<Level2>,
    pub name: String,
    pub target: Target,
    pub target_raw: String,
    pub actual_raw: String,
    pub weight: Option<Decimal>,
    pub self_score: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndicatorScore {
    pub name: String,
    pub level1: Level1,
    pub level2: Option<Level2>,
    pub target: String,
    pub actual: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub weight: Decimal,
    /// The unit's own score, when the table gives one.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub self_score: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub score: Decimal,
    pub met: bool,
    pub explanation: String,
}

/// The budget line as read and scored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredBudget {
    #[serde(with = "rust_decimal::serde::str")]
    pub annual_budget: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub spent: Decimal,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub weight: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub self_score: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub score: Decimal,
}

/// An actual the rules cannot judge (a unit that does not compare, words that do not say
/// whether the target was met): its score is the unit's own, for a reviewer to confirm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NeedsJudgement {
    pub indicator: String,
    pub actual: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Departure {
    /// The indicator's name, or 预算执行 / 总分 / a group's name.
    pub indicator: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub self_score: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub computed: Decimal,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scored {
    pub scheme: String,
    /// Execution rate in percent, rounded to 2 decimals for display.
    #[serde(with = "rust_decimal::serde::str")]
    pub execution_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub budget_weight: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub budget_score: Decimal,
    pub budget_explanation: String,
    pub budget: ScoredBudget,
    pub indicators: Vec<IndicatorScore>,
    /// The total the unit wrote.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub self_total: Option<Decimal>,
    /// Actuals left to a reviewer's judgement.
    pub needs_judgement: Vec<NeedsJudgement>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub grade: Grade,
    pub departures: Vec<Departure>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Grade {
    #[serde(rename = "优")]
    Excellent,
    #[serde(rename = "良")]
    Good,
    #[serde(rename = "中")]
    Fair,
    #[serde(rename = "差")]
    Poor,
}

impl Grade {
    /// 优 ≥ 90, 良 80–<90, 中 60–<80, 差 < 60.
    pub fn of(total: Decimal) -> Grade {
        if total >= Decimal::from(90) {
            Grade::Excellent
        } else if total >= Decimal::from(80) {
            Grade::Good
        } else if total >= Decimal::from(60) {
            Grade::Fair
        } else {
            Grade::Poor
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            Grade::Excellent => "优",
            Grade::Good => "良",
            Grade::Fair => "中",
            Grade::Poor => "差",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("指标“{indicator}”：{source}")]
    Actual {
        indicator: String,
        source: CompareError,
    },
    #[error("指标“{indicator}”的分值 {weight} 不能为负 / the weight {weight} of “{indicator}” is negative")]
    NegativeWeight { indicator: String, weight: Decimal },
    #[error("全年预算数为 0，无法计算预算执行率 / the annual budget is 0: no execution rate")]
    NoBudget,
}

/// Rounds half away from zero to 2 decimals, and shows 2 decimals, as score tables do.
pub fn round2(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// A decimal shown without trailing zeros, formatted in place (no intermediate String).
struct Plain(Decimal);

impl std::fmt::Display for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0.normalize(), f)
    }
}

fn fmt(d: Decimal) -> Plain {
    Plain(d)
}

/// Rounded to 4 decimals for the working shown in explanations.
fn fmt4(d: Decimal) -> Plain {
    Plain(d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero))
}

fn pct(d: Decimal) -> Decimal {
    d * Decimal::ONE_HUNDRED
}

/// Which weight group an indicator's points come from.
fn group(l: Level1) -> Level1 {
    if l == Level1::Cost {
        Level1::Output
    } else {
        l
    }
}

/// The score of one indicator and its explanation, before rounding is applied by the caller.
/// The scores a qualitative band allows, in points of the weight.
fn band_range(scheme: &Scheme, a: Achievement, weight: Decimal) -> (Decimal, Decimal) {
    let [hi_low, mid_low] = scheme.bands;
    let (lo, hi) = match a {
        Achievement::Achieved => (hi_low, Decimal::ONE_HUNDRED),
        Achievement::Partly => (mid_low, hi_low),
        Achievement::NotAchieved => (Decimal::ZERO, mid_low),
    };
    (
        weight * lo / Decimal::ONE_HUNDRED,
        weight * hi / Decimal::ONE_HUNDRED,
    )
}

fn indicator_score(
    scheme: &Scheme,
    target: &Target,
    measured: &Measured,
    weight: Decimal,
) -> (Decimal, bool, String) {
    let w = fmt(weight).to_string();
    let band = |a: Achievement| -> (Decimal, String) {
        let [hi_low, mid_low] = scheme.bands;
        let (share, text) = match a {
            Achievement::Achieved => (
                Decimal::ONE_HUNDRED,
                format!("达成：{}%–100% 档，取 100%", fmt(hi_low)),
            ),
            Achievement::Partly => {
                let mid = (hi_low + mid_low) / Decimal::TWO;
                (
                    mid,
                    format!(
                        "部分达成：{}%–{}% 档，取中值 {}%",
                        fmt(mid_low),
                        fmt(hi_low),
                        fmt(mid)
                    ),
                )
            }
            Achievement::NotAchieved => (
                Decimal::ZERO,
                format!("未达成：0–{}% 档，取 0", fmt(mid_low)),
            ),
        };
        (
            weight * share / Decimal::ONE_HUNDRED,
            format!("{text}；得分 = 分值 {w} × {}% ", fmt(share)),
        )
    };
    match (target, measured) {
        (_, Measured::Achievement(a)) => {
            let (s, text) = band(*a);
            (
                s,
                *a == Achievement::Achieved,
                format!("定性分档 / qualitative band — {text}"),
            )
        }
        (Target::Qualitative { .. }, Measured::Value(_)) => {
            (Decimal::ZERO, false, "定性指标没有达成情况".into())
        }
        (Target::Quantitative { op, value: t, .. }, Measured::Value(a)) => {
            let (t, a) = (*t, *a);
            match op {
                Op::Ge | Op::Gt => {
                    let met = if *op == Op::Ge { a >= t } else { a > t };
                    if met {
                        (
                            weight,
                            true,
                            format!(
                                "正向指标：实际 {} {} 指标 {}，达标，得满分 {w}（超额不加分）",
                                fmt(a),
                                op.symbol(),
                                fmt(t)
                            ),
                        )
                    } else if t <= Decimal::ZERO {
                        (Decimal::ZERO, false, format!("正向指标：实际 {} 未达到指标 {}，且指标值不大于 0，无法按比例计分，得 0", fmt(a), fmt(t)))
                    } else {
                        let raw = (a / t * weight).max(Decimal::ZERO);
                        (raw, false, format!("正向指标未达标：得分 = 实际值 ÷ 指标值 × 分值 = {} ÷ {} × {w} = {}", fmt(a), fmt(t), fmt4(raw)))
                    }
                }
                Op::Eq => {
                    if t == Decimal::ZERO {
                        if a <= Decimal::ZERO {
                            (
                                weight,
                                true,
                                format!("指标值为 0：实际 {} ≤ 0，得满分 {w}", fmt(a)),
                            )
                        } else {
                            (
                                Decimal::ZERO,
                                false,
                                format!("指标值为 0：实际 {} > 0，得 0", fmt(a)),
                            )
                        }
                    } else if a >= t {
                        (
                            weight,
                            true,
                            format!(
                                "等于型指标：实际 {} 达到指标 {}，得满分 {w}（超额不加分）",
                                fmt(a),
                                fmt(t)
                            ),
                        )
                    } else if t < Decimal::ZERO {
                        (
                            Decimal::ZERO,
                            false,
                            format!("等于型指标：实际 {} 未达到指标 {}，得 0", fmt(a), fmt(t)),
                        )
                    } else {
                        let raw = (a / t * weight).max(Decimal::ZERO);
                        (raw, false, format!("等于型指标未达到，按正向计分：得分 = 实际值 ÷ 指标值 × 分值 = {} ÷ {} × {w} = {}", fmt(a), fmt(t), fmt4(raw)))
                    }
                }
                Op::Le | Op::Lt => {
                    let met = if *op == Op::Le { a <= t } else { a < t };
                    if met {
                        (
                            weight,
                            true,
                            format!(
                                "反向指标：实际 {} {} 指标 {}，达标，得满分 {w}",
                                fmt(a),
                                op.symbol(),
                                fmt(t)
                            ),
                        )
                    } else if t <= Decimal::ZERO {
                        (
                            Decimal::ZERO,
                            false,
                            format!(
                                "反向指标：指标值 {} 不大于 0 而实际 {} 超出，得 0",
                                fmt(t),
                                fmt(a)
                            ),
                        )
                    } else {
                        match scheme.reverse {
                            ReverseFormula::Linear => {
                                let raw =
                                    ((Decimal::ONE - (a - t) / t) * weight).max(Decimal::ZERO);
                                (raw, false, format!("反向指标未达标：得分 = (1 − (实际值 − 指标值) ÷ 指标值) × 分值 = (1 − ({} − {}) ÷ {}) × {w} = {}（不低于 0）", fmt(a), fmt(t), fmt(t), fmt4(raw)))
                            }
                            ReverseFormula::Ratio => {
                                let raw = if a > Decimal::ZERO {
                                    t / a * weight
                                } else {
                                    weight
                                };
                                (raw, false, format!("反向指标未达标：得分 = 指标值 ÷ 实际值 × 分值 = {} ÷ {} × {w} = {}", fmt(t), fmt(a), fmt4(raw)))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The weight of each indicator: as given, or the group's points shared evenly (rounded to
/// 2 decimals, the remainder on the group's last indicator). Notes where given weights do
/// not add up to their group's points.
fn weights(
    scheme: &Scheme,
    inds: &[EvalIndicator],
) -> (Vec<Decimal>, Vec<Departure>, Vec<(Level1, Decimal)>) {
    let has_satisfaction = inds.iter().any(|i| group(i.level1) == Level1::Satisfaction);
    let mut groups: Vec<(Level1, Decimal)> = match scheme.pooled {
        Some(p) => vec![(Level1::Output, p)], // every indicator in one pool
        None => {
            let mut outcome = scheme.outcome;
            if !has_satisfaction && scheme.satisfaction_to_outcome {
                outcome += scheme.satisfaction;
            }
            vec![
                (Level1::Output, scheme.output),
                (Level1::Outcome, outcome),
                (Level1::Satisfaction, scheme.satisfaction),
            ]
        }
    };
    if !has_satisfaction && scheme.satisfaction_to_outcome {
        groups.retain(|g| g.0 != Level1::Satisfaction);
    }
    let pool_of = |i: &EvalIndicator| {
        if scheme.pooled.is_some() {
            Level1::Output
        } else {
            group(i.level1)
        }
    };
    let mut out = vec![Decimal::ZERO; inds.len()];
    let mut departures = vec![];
    for &(g, points) in &groups {
        let members: Vec<usize> = (0..inds.len())
            .filter(|&k| pool_of(&inds[k]) == g)
            .collect();
        if members.is_empty() {
            continue;
        }
        let given: Decimal = members.iter().filter_map(|&k| inds[k].weight).sum();
        let missing: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&k| inds[k].weight.is_none())
            .collect();
        for &k in &members {
            if let Some(w) = inds[k].weight {
                out[k] = w;
            }
        }
        if !missing.is_empty() {
            let rest = (points - given).max(Decimal::ZERO);
            let each = (rest / Decimal::from(missing.len() as u64))
                .round_dp_with_strategy(2, RoundingStrategy::ToZero);
            for (n, &k) in missing.iter().enumerate() {
                out[k] = if n + 1 == missing.len() {
                    rest - each * Decimal::from((missing.len() - 1) as u64)
                } else {
                    each
                };
            }
        } else if given != points {
            let name = if scheme.pooled.is_some() {
                "全部指标".to_string()
            } else {
                g.name().to_string()
            };
            departures.push(Departure {
                indicator: name.clone(),
                self_score: Some(given),
                computed: points,
                reason: format!(
                    "{name}各指标分值合计 {}，应为 {} / the weights of {} add up to {}, not {}",
                    fmt(given),
                    fmt(points),
                    g.english(),
                    fmt(given),
                    fmt(points)
                ),
            });
        }
    }
    (out, departures, groups)
}

/// Scores a self-evaluation by a scheme, and lists where the unit's own scores depart.
pub fn score(eval: &Evaluation, scheme: &Scheme) -> Result<Scored, ScoreError> {
    for i in &eval.indicators {
        if let Some(w) = i.weight.filter(|w| *w < Decimal::ZERO) {
            return Err(ScoreError::NegativeWeight {
                indicator: i.name.clone(),
                weight: w,
            });
        }
    }
    let mut departures = vec![];
    let mut needs_judgement = vec![];

    // Budget execution: rate × weight, capped at the weight.
    let bw = eval.budget_weight.unwrap_or(scheme.budget);
    let (rate, budget_score, budget_explanation) = if eval.annual_budget <= Decimal::ZERO {
        // No rate without a budget: the unit's own score stands for a reviewer to confirm,
        // and the table is still scored.
        let kept = round2(
            eval.budget_self_score
                .unwrap_or(Decimal::ZERO)
                .min(bw)
                .max(Decimal::ZERO),
        );
        needs_judgement.push(NeedsJudgement {
            indicator: "预算执行".into(),
            actual: grouped(eval.spent),
            reason: ScoreError::NoBudget.to_string(),
        });
        (
            Decimal::ZERO,
            kept,
            format!("全年预算数为 0 或未填写，无法计算执行率；暂用自评分 {kept}，需审核人判断 / no annual budget: the unit's score stands for a reviewer"),
        )
    } else {
        // Exact decimal division, whatever the unit and the number of decimals written.
        let rate = eval.spent / eval.annual_budget;
        let raw = (rate * bw).min(bw).max(Decimal::ZERO);
        let budget_score = round2(raw);
        let explanation = format!(
            "预算执行率 = 全年执行数 ÷ 全年预算数 = {} ÷ {} {} = {}%；得分 = 执行率 × 分值 = {}% × {} = {} → {}（不超过分值，四舍五入到两位小数）",
            grouped(eval.spent),
            grouped(eval.annual_budget),
            eval.unit,
            fmt4(pct(rate)),
            fmt4(pct(rate)),
            fmt(bw),
            fmt4(rate * bw),
            budget_score
        );
        (rate, budget_score, explanation)
    };
    if let Some(s) = eval.budget_self_score {
        if (s - budget_score).abs() >= Decimal::new(1, 2) {
            departures.push(Departure {
                indicator: "预算执行".into(),
                self_score: Some(s),
                computed: budget_score,
                reason: format!("预算执行得分与执行率 {}% 不符 / the budget score does not match the execution rate", round2(pct(rate))),
            });
        }
    }

    let (ws, weight_departures, _) = weights(scheme, &eval.indicators);
    let mut indicators = Vec::with_capacity(eval.indicators.len());
    for (i, &w) in eval.indicators.iter().zip(&ws) {
        let actual = Actual::parse_with(&i.actual_raw, &scheme.vocabulary);
        let measured = match measure(&i.target, &actual, &i.actual_raw) {
            Ok(m) => m,
            Err(source) => {
                // Never fails the table: the unit's own score stands, for a reviewer.
                let kept = i.self_score.map(|s| round2(s.min(w).max(Decimal::ZERO)));
                let score = kept.unwrap_or_else(|| round2(Decimal::ZERO));
                needs_judgement.push(NeedsJudgement {
                    indicator: i.name.clone(),
                    actual: i.actual_raw.clone(),
                    reason: source.to_string(),
                });
                indicators.push(IndicatorScore {
                    name: i.name.clone(),
                    level1: i.level1,
                    level2: i.level2,
                    target: i.target_raw.clone(),
                    actual: i.actual_raw.clone(),
                    weight: w,
                    self_score: i.self_score,
                    score,
                    met: false,
                    explanation: match kept {
                        Some(k) => {
                            format!("无法按规则判断，暂用自评分 {k}，需审核人确认：{source}")
                        }
                        None => {
                            format!("无法按规则判断且没有自评分，暂记 0，需审核人判断：{source}")
                        }
                    },
                });
                continue;
            }
        };
        let (raw, met, why) = indicator_score(scheme, &i.target, &measured, w);
        let mut score = round2(raw.min(w).max(Decimal::ZERO));
        let mut explanation = if raw == score {
            why
        } else {
            format!("{why} → {score}（四舍五入到两位小数）")
        };
        // A band leaves the score to the evaluator: a self score inside the band stands; one
        // outside it is brought to the band's nearer end (and listed as a departure below).
        if let (Measured::Achievement(a), Some(s)) = (&measured, i.self_score) {
            let (lo, hi) = band_range(scheme, *a, w);
            let chosen = round2(s.max(lo).min(hi));
            explanation = if s >= lo && s <= hi {
                format!(
                    "{explanation}；自评 {} 在该档 {}–{} 之内，采用自评分",
                    fmt(s),
                    fmt(lo),
                    fmt(hi)
                )
            } else {
                format!(
                    "{explanation}；自评 {} 超出该档 {}–{}，按档取 {chosen}",
                    fmt(s),
                    fmt(lo),
                    fmt(hi)
                )
            };
            score = chosen;
        }
        if let Some(s) = i.self_score {
            if (s - score).abs() >= Decimal::new(1, 2) {
                let reason = if s > w {
                    format!(
                        "自评分 {} 超过分值 {} / the self score exceeds the weight",
                        fmt(s),
                        fmt(w)
                    )
                } else if !met && s >= w {
                    "未达到指标值却给满分 / full marks for a missed target".to_string()
                } else if met && s < w {
                    "已达到指标值却扣分 / points taken off a met target".to_string()
                } else {
                    "自评分与按规则计算的得分不符 / the self score differs from the score by the rules".to_string()
                };
                departures.push(Departure {
                    indicator: i.name.clone(),
                    self_score: Some(s),
                    computed: score,
                    reason,
                });
            }
        }
        indicators.push(IndicatorScore {
            name: i.name.clone(),
            level1: i.level1,
            level2: i.level2,
            target: i.target_raw.clone(),
            actual: i.actual_raw.clone(),
            weight: w,
            self_score: i.self_score,
            score,
            met,
            explanation,
        });
    }
    departures.extend(weight_departures);
    let total = round2(budget_score + indicators.iter().map(|s| s.score).sum::<Decimal>());
    if let Some(t) = eval.self_total {
        // The unit's own parts, when it scored every line.
        let parts: Option<Decimal> = std::iter::once(eval.budget_self_score)
            .chain(eval.indicators.iter().map(|i| i.self_score))
            .sum::<Option<Decimal>>();
        if let Some(sum) = parts.filter(|p| (*p - t).abs() >= Decimal::new(1, 2)) {
            departures.push(Departure {
                indicator: "总分".into(),
                self_score: Some(t),
                computed: sum,
                reason: format!(
                    "自评总分 {} 不等于各项自评分之和 {} / the self total does not add up",
                    fmt(t),
                    fmt(sum)
                ),
            });
        } else if (t - total).abs() >= Decimal::new(1, 2) {
            departures.push(Departure {
                indicator: "总分".into(),
                self_score: Some(t),
                computed: total,
                reason: format!("自评总分 {} 与按规则计算的总分 {} 不符 / the self total differs from the computed total", fmt(t), total),
            });
        }
    }
    Ok(Scored {
        scheme: scheme.name.clone(),
        execution_rate: round2(pct(rate)),
        budget_weight: bw,
        budget_score,
        budget_explanation,
        budget: ScoredBudget {
            annual_budget: eval.annual_budget,
            spent: eval.spent,
            unit: eval.unit.clone(),
            weight: bw,
            self_score: eval.budget_self_score,
            score: budget_score,
        },
        self_total: eval.self_total,
        needs_judgement,
        grade: Grade::of(total),
        total,
        indicators,
        departures,
    })
}

#[cfg(test)]
mod tests;

/// An amount with thousands separators and at least two decimals: `1,234,567.00`,
/// `387.6646`.
pub fn grouped(d: Decimal) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    let plain = d.to_string();
    let (sign, rest) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |r| ("-", r));
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let mut out = String::with_capacity(plain.len() + int.len() / 3 + 1);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// The self-evaluation file (`jixiao score --file SELF.json`): self-contained, so a reviewer
/// can check one published by anyone. Targets and actuals as written; amounts as decimal
/// strings; weights and scores as strings or numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfEvaluation {
    pub budget: BudgetLine,
    pub indicators: Vec<SelfIndicator>,
    /// The total the unit wrote, if any.
    #[serde(default, with = "lenient_opt", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    /// 年度总体目标的实际完成情况: what the year achieved, against the form's annual goal.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub overall_actual: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    /// 全年预算数, exact as written (`"387664.62"`, `"38.7665"`), in `unit`.
    #[serde(with = "lenient")]
    pub annual_budget: Decimal,
    /// 全年执行数, in `unit`.
    #[serde(with = "lenient")]
    pub spent: Decimal,
    /// `元` (the default), `万元` or `亿元`: the unit the table's amounts are in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, with = "lenient_opt", skip_serializing_if = "Option::is_none")]
    pub weight: Option<Decimal>,
    #[serde(default, with = "lenient_opt", skip_serializing_if = "Option::is_none")]
    pub self_score: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfIndicator {
    /// Optional when the form is stored (taken from it).
    #[serde(default)]
    pub level1: Option<Level1>,
    #[serde(default)]
    pub level2: Option<Level2>,
    pub name: String,
    /// As written; optional when the form is stored.
    #[serde(default)]
    pub target: Option<String>,
    pub actual: String,
    #[serde(default, with = "lenient_opt", skip_serializing_if = "Option::is_none")]
    pub weight: Option<Decimal>,
    #[serde(default, with = "lenient_opt", skip_serializing_if = "Option::is_none")]
    pub self_score: Option<Decimal>,
    /// 偏差原因分析及改进措施.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deviation: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelfEvaluationError {
    #[error("第{index}个指标“{name}”缺少{what}（表单未入库时必须填写）/ indicator {index} “{name}” lacks its {what_en} (required when no stored form supplies it)")]
    Missing {
        index: usize,
        name: String,
        what: &'static str,
        what_en: &'static str,
    },
    #[error("申报表没有名为“{0}”的指标 / the form has no indicator “{0}”")]
    UnknownIndicator(String),
}

impl BudgetLine {
    /// Yuan per unit of the amounts: 1 for 元, 10⁴ for 万元, 10⁸ for 亿元; `None` for a unit
    /// that is not one of these.
    pub fn yuan_per_unit(&self) -> Option<Decimal> {
        match self.unit.as_deref().map(str::trim) {
            None | Some("元") | Some("") => Some(Decimal::ONE),
            Some("万元") => Some(Decimal::from(10_000)),
            Some("亿元") => Some(Decimal::from(100_000_000)),
            _ => None,
        }
    }

    /// The annual budget and the amount spent in yuan, for pages that show yuan.
    pub fn in_yuan(&self) -> (Decimal, Decimal) {
        let k = self.yuan_per_unit().unwrap_or(Decimal::ONE);
        (self.annual_budget * k, self.spent * k)
    }
}

impl SelfEvaluation {
    /// The evaluation to score: levels and targets from the file, or from the stored form
    /// (matched by indicator name) when the file leaves them out.
    pub fn to_evaluation(
        &self,
        form: Option<&crate::Form>,
    ) -> Result<Evaluation, SelfEvaluationError> {
        let mut indicators = Vec::with_capacity(self.indicators.len());
        for (n, i) in self.indicators.iter().enumerate() {
            let stored = match form {
                Some(f) => Some(
                    f.indicators
                        .iter()
                        .find(|x| x.name == i.name)
                        .ok_or_else(|| SelfEvaluationError::UnknownIndicator(i.name.clone()))?,
                ),
                None => None,
            };
            let missing = |what, what_en| SelfEvaluationError::Missing {
                index: n + 1,
                name: i.name.clone(),
                what,
                what_en,
            };
            let level1 = i
                .level1
                .or(stored.map(|s| s.level1))
                .ok_or_else(|| missing("一级指标", "level1"))?;
            let (target, target_raw) = match (&i.target, stored) {
                (Some(t), _) => (Target::parse(t), t.clone()),
                (None, Some(s)) => (s.target.clone(), s.raw.clone()),
                (None, None) => return Err(missing("指标值", "target")),
            };
            indicators.push(EvalIndicator {
                level1,
                level2: i.level2.or(stored.and_then(|s| s.level2)),
                name: i.name.clone(),
                target,
                target_raw,
                actual_raw: i.actual.clone(),
                weight: i.weight,
                self_score: i.self_score,
            });
        }
        Ok(Evaluation {
            annual_budget: self.budget.annual_budget,
            spent: self.budget.spent,
            unit: self.budget.unit.clone().unwrap_or_else(|| "元".into()),
            budget_weight: self.budget.weight,
            budget_self_score: self.budget.self_score,
            indicators,
            self_total: self.total,
        })
    }
}

/// A required decimal written as a string or a JSON number (never through a float).
mod lenient {
    use rust_decimal::Decimal;
    use serde::{de, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        super::lenient_opt::deserialize(d)?
            .ok_or_else(|| de::Error::custom("缺少金额 / an amount is missing"))
    }
}

/// Decimals written as strings (`"9.5"`) or JSON numbers (`9.5`, read by their shortest
/// decimal form, never through float arithmetic).
mod lenient_opt {
    use rust_decimal::Decimal;
    use serde::{de, Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Str(String),
        Int(i64),
        Float(f64),
    }

    pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(&d.normalize()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let text = match Option::<Num>::deserialize(d)? {
            None => return Ok(None),
            Some(Num::Str(s)) => s,
            Some(Num::Int(i)) => i.to_string(),
            Some(Num::Float(f)) => f.to_string(),
        };
        Decimal::from_str(text.trim())
            .map(Some)
            .map_err(|_| de::Error::custom(format!("“{text}”不是数值 / “{text}” is not a number")))
    }
}
