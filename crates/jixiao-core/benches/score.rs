//! Scoring benchmark: 1,000,000 indicators (62,500 self-evaluations of 16), one thread.
//!
//!     cargo bench -p jixiao-core --bench score
//!
//! Targets mix ≥ = ≤ and qualitative ones with magnitudes (万人 against 人); actuals are
//! written as users write them and read by the grammar inside `score`, as in real use.

use jixiao_core::score::{score, EvalIndicator, Evaluation, Scheme};
use jixiao_core::{Level1, Target};
use rust_decimal::Decimal;
use std::time::Instant;

fn main() {
    let indicators: usize = std::env::var("INDICATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let per = 16;
    let shapes: [(Level1, &str, &str); 8] = [
        (Level1::Output, "≥1200人次", "1000人次"),
        (Level1::Output, "=100%", "98%"),
        (Level1::Output, "≤2小时", "3小时"),
        (Level1::Output, "≥1.5亿条", "12000万条"),
        (Level1::Cost, "≤30元/平方米", "28元/平方米"),
        (Level1::Outcome, "有效提升", "部分达成"),
        (Level1::Outcome, "≥5万人", "60000人"),
        (Level1::Satisfaction, "≥90%", "93.5%"),
    ];
    let evals: Vec<Evaluation> = (0..indicators / per)
        .map(|k| Evaluation {
            annual_budget: Decimal::new(100_000_000 + k as i64, 2),
            unit: "元".into(),
            spent: Decimal::new(90_000_000 + (k as i64 % 20_000_000), 2),
            budget_weight: None,
            budget_self_score: Some("9".parse().unwrap()),
            indicators: (0..per)
                .map(|j| {
                    let (l1, t, a) = shapes[(j + k) % shapes.len()];
                    EvalIndicator {
                        level1: l1,
                        level2: None,
                        name: format!("指标{j}"),
                        target: Target::parse(t),
                        target_raw: t.to_string(),
                        actual_raw: a.to_string(),
                        weight: None,
                        self_score: (j % 3 == 0).then(|| "5".parse().unwrap()),
                    }
                })
                .collect(),
            self_total: None,
        })
        .collect();
    let n: usize = evals.iter().map(|e| e.indicators.len()).sum();
    let scheme = Scheme::national();
    let mut best = f64::MAX;
    let mut total = rust_decimal::Decimal::ZERO;
    for _ in 0..3 {
        let t = Instant::now();
        total = evals
            .iter()
            .map(|e| score(e, &scheme).expect("scores").total)
            .sum();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "score {n} indicators in {} evaluations, 1 thread, best of 3: {best:.3} s = {:.0} indicators/s (sum of totals {total})",
        evals.len(),
        n as f64 / best
    );
}
