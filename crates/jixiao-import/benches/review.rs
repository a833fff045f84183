//! Review benchmark: FORMS forms (default 100,000) generated in the shapes of the seed's.
//!
//!     cargo bench -p jixiao-import --bench review
//!
//! Each generated form is a seed form with its name, numbers and some qualitative texts
//! varied, so the rules see fresh values. One thread; best of 3.

use jixiao_core::review::{review, RuleSet};
use jixiao_core::{Form, Target};
use rust_decimal::Decimal;
use std::time::Instant;

const SEED: &[u8] = include_bytes!("../../../fixtures/shanghai-bigdata-center-2023.txt");

fn generate(seed: &[Form], n: usize) -> Vec<Form> {
    let texts = [
        "完善",
        "有所提升",
        "健全",
        "明显降低",
        "符合行业水平要求",
        "不超过批复金额",
    ];
    (0..n)
        .map(|k| {
            let mut f = seed[k % seed.len()].clone();
            f.name = format!("{}（{}）", f.name, k);
            for (j, i) in f.indicators.iter_mut().enumerate() {
                match &mut i.target {
                    Target::Quantitative { value, .. } => {
                        *value = (*value * Decimal::new(90 + ((k + j) % 20) as i64, 2))
                            .round_dp(2)
                            .normalize();
                    }
                    Target::Qualitative { text } => {
                        if (k + j) % 3 == 0 {
                            *text = texts[(k + j) % texts.len()].to_string();
                        }
                    }
                }
            }
            f
        })
        .collect()
}

fn main() {
    let n: usize = std::env::var("FORMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: Vec<Form> = jixiao_import::read_disclosure(SEED)
        .unwrap()
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    let forms = generate(&seed, n);
    let indicators: usize = forms.iter().map(|f| f.indicators.len()).sum();
    let rules = RuleSet::default();
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..3 {
        let t = Instant::now();
        findings = forms
            .iter()
            .map(|f| review(f, None, &rules).len())
            .sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "review {n} forms ({indicators} indicators, {} rules), 1 thread, best of 3: {best:.3} s = {:.0} forms/s; {findings} findings",
        rules.codes().len(),
        n as f64 / best
    );
    // With last year's form for every one (the history rules compare indicator by indicator).
    let t = Instant::now();
    let with_history: usize = forms
        .iter()
        .enumerate()
        .map(|(k, f)| review(f, Some(&seed[k % seed.len()]), &rules).len())
        .sum();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "review with last year's form: {secs:.3} s = {:.0} forms/s; {with_history} findings",
        n as f64 / secs
    );
}
