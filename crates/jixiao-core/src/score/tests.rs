use super::*;
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn one(target: &str, actual: &str, weight: &str, scheme: &Scheme) -> IndicatorScore {
    let eval = Evaluation {
        annual_budget: Decimal::new(10_000, 2),
        unit: "元".into(),
        spent: Decimal::new(10_000, 2),
        budget_weight: None,
        budget_self_score: None,
        indicators: vec![EvalIndicator {
            level1: Level1::Output,
            level2: Some(Level2::Quantity),
            name: "x".into(),
            target: Target::parse(target),
            target_raw: target.into(),
            actual_raw: actual.into(),
            weight: Some(d(weight)),
            self_score: None,
        }],
        self_total: None,
    };
    score(&eval, scheme).unwrap().indicators.remove(0)
}

fn s(target: &str, actual: &str) -> Decimal {
    one(target, actual, "10", &Scheme::national()).score
}

#[test]
fn positive_targets() {
    assert_eq!(s("≥90%", "90%"), d("10"), "exactly at target");
    assert_eq!(s("≥90%", "120%"), d("10"), "over-achievement capped");
    assert_eq!(s("≥90%", "45%"), d("5"));
    assert_eq!(s("≥90%", "0"), d("0"), "actual 0");
    assert_eq!(
        s("＞90%", "90%"),
        d("10"),
        "＞ at target: not met, but 90 ÷ 90 × 10 = 10 by the ratio"
    );
    assert!(!one("＞90%", "90%", "10", &Scheme::national()).met);
    assert_eq!(s("≥0个", "0个"), d("10"), "target 0 met by 0");
    // 85 ÷ 90 × 5 = 4.7222… → 4.72
    assert_eq!(
        one("≥90%", "85%", "5", &Scheme::national()).score,
        d("4.72")
    );
    // 2 ÷ 3 × 10 = 6.6666… → 6.67 (half away from zero)
    assert_eq!(s("≥3个", "2个"), d("6.67"));
}

#[test]
fn equal_targets() {
    assert_eq!(s("=0起", "0起"), d("10"), "target 0, actual 0");
    assert_eq!(s("=0起", "1起"), d("0"), "target 0, actual above");
    assert_eq!(s("=100%", "100%"), d("10"));
    assert_eq!(s("=100%", "95%"), d("9.5"), "otherwise as positive");
    assert_eq!(s("=124个", "130个"), d("10"), "capped at the weight");
}

#[test]
fn reverse_targets() {
    assert_eq!(s("≤15%", "15%"), d("10"), "exactly at target");
    assert_eq!(s("≤15%", "0"), d("10"), "actual 0");
    assert_eq!(s("≤15%", "30%"), d("0"), "0 at twice the target");
    assert_eq!(s("≤15%", "45%"), d("0"), "floored at 0");
    assert_eq!(s("≤10%", "12%"), d("8"), "(1 − 2/10) × 10");
    assert_eq!(
        s("＜10%", "10%"),
        d("10"),
        "＜ at target: (1 − 0) × 10 by the formula"
    );
    assert!(!one("＜10%", "10%", "10", &Scheme::national()).met);
    assert_eq!(s("≤0起", "2起"), d("0"), "target 0, actual above");
    let ratio = Scheme::builtin()
        .into_iter()
        .find(|s| s.name == "reverse-ratio")
        .unwrap();
    assert_eq!(
        one("≤15%", "30%", "10", &ratio).score,
        d("5"),
        "target ÷ actual at twice the target"
    );
    assert_eq!(one("≤2小时", "3小时", "10", &ratio).score, d("6.67"));
}

#[test]
fn magnitudes_fold_in() {
    assert_eq!(s("≥1亿条", "5000万条"), d("5"));
    assert_eq!(
        s("≥60000万元", "6.47亿元"),
        d("10"),
        "6.47亿 = 64700万 ≥ 60000万"
    );
    let e = score(
        &Evaluation {
            annual_budget: Decimal::new(100, 2),
            unit: "元".into(),
            spent: Decimal::new(100, 2),
            budget_weight: None,
            budget_self_score: None,
            indicators: vec![EvalIndicator {
                level1: Level1::Output,
                level2: None,
                name: "用户满意度".into(),
                target: Target::parse("≥90%"),
                target_raw: "≥90%".into(),
                actual_raw: "3200份".into(),
                weight: None,
                self_score: None,
            }],
            self_total: None,
        },
        &Scheme::national(),
    )
    .unwrap();
    // An incomparable unit does not fail the table: it waits for a reviewer, and says why.
    assert_eq!(e.needs_judgement.len(), 1);
    let n = &e.needs_judgement[0];
    assert_eq!(n.indicator, "用户满意度");
    assert!(
        n.reason.contains("份") && n.reason.contains('%'),
        "{}",
        n.reason
    );
    assert_eq!(e.indicators[0].score, d("0"));
}

/// Qualitative actuals as real tables write them, and a vocabulary of one's own.
#[test]
fn qualitative_actuals_in_the_wild() {
    for (actual, band) in [
        ("有效", "10"),
        ("良好", "10"),
        ("已完成", "10"),
        ("达到预期", "10"),
        ("符合要求", "10"),
        ("基本完成", "7"),
        ("部分完成", "7"),
        ("未完成", "0"),
        ("未达成", "0"),
    ] {
        assert_eq!(s("完善", actual), d(band), "{actual}");
    }
    // Words the vocabulary does not know keep the unit's score and wait for a reviewer.
    let e = Evaluation {
        annual_budget: d("100"),
        unit: "元".into(),
        spent: d("100"),
        budget_weight: None,
        budget_self_score: None,
        indicators: vec![EvalIndicator {
            level1: Level1::Output,
            level2: Some(Level2::Quality),
            name: "制度".into(),
            target: Target::parse("完善"),
            target_raw: "完善".into(),
            actual_raw: "有待观察".into(),
            weight: Some(d("10")),
            self_score: Some(d("8")),
        }],
        self_total: None,
    };
    let r = score(&e, &Scheme::national()).unwrap();
    assert_eq!(r.indicators[0].score, d("8"));
    assert_eq!(r.needs_judgement.len(), 1);
    // A scheme's vocabulary adds words.
    let mut scheme = Scheme::national();
    scheme.vocabulary.achieved.push("有待观察".into());
    let r = score(&e, &scheme).unwrap();
    assert!(r.needs_judgement.is_empty());
    assert_eq!(
        r.indicators[0].score,
        d("8"),
        "inside the achieved band 8–10, the self score stands"
    );
    // The vocabulary reads from TOML.
    let v: crate::actual::Vocabulary = toml::from_str("achieved = [\"见成效\"]").unwrap();
    assert_eq!(v.read("见成效"), Some(crate::actual::Achievement::Achieved));
    assert_eq!(
        v.read("未完成"),
        Some(crate::actual::Achievement::NotAchieved)
    );
}

#[test]
fn qualitative_bands() {
    assert_eq!(s("完善", "达成"), d("10"));
    assert_eq!(s("完善", "部分达成"), d("7"), "the middle of 60–80 %");
    assert_eq!(s("完善", "未达成"), d("0"));
    let wide = Scheme::builtin()
        .into_iter()
        .find(|s| s.name == "bands-80-50")
        .unwrap();
    assert_eq!(one("完善", "部分达成", "10", &wide).score, d("6.5"));
    assert_eq!(
        s("≥90%", "达成预期指标"),
        d("10"),
        "a text actual of a quantity"
    );
}

fn form_eval(spent_fen: i64, weights: bool) -> Evaluation {
    let ind = |l1, name: &str, target: &str, actual: &str, w: &str| EvalIndicator {
        level1: l1,
        level2: None,
        name: name.into(),
        target: Target::parse(target),
        target_raw: target.into(),
        actual_raw: actual.into(),
        weight: weights.then(|| d(w)),
        self_score: None,
    };
    Evaluation {
        annual_budget: Decimal::new(1_000_000, 2),
        unit: "元".into(),
        spent: Decimal::new(spent_fen, 2),
        budget_weight: None,
        budget_self_score: None,
        indicators: vec![
            ind(Level1::Output, "a", "≥10个", "10个", "20"),
            ind(Level1::Output, "b", "≥10个", "5个", "20"),
            ind(Level1::Cost, "c", "≤5万元", "5万元", "10"),
            ind(Level1::Outcome, "d", "完善", "达成", "30"),
            ind(Level1::Satisfaction, "e", "≥90%", "95%", "10"),
        ],
        self_total: None,
    }
}

#[test]
fn budget_execution_and_totals() {
    let r = score(&form_eval(950_000, true), &Scheme::national()).unwrap();
    assert_eq!(r.execution_rate, d("95"));
    assert_eq!(r.budget_score, d("9.5"));
    assert!(r.budget_explanation.contains("95%"));
    // b reached 5 of 10: 5 ÷ 10 × 20 = 10.
    assert_eq!(
        r.total,
        d("9.5") + d("20") + d("10") + d("10") + d("30") + d("10")
    );
    assert_eq!(r.total, d("89.5"));
    assert_eq!(r.grade, Grade::Good);
    // Over-spending is capped at the weight.
    assert_eq!(
        score(&form_eval(1_200_000, true), &Scheme::national())
            .unwrap()
            .budget_score,
        d("10")
    );
    assert_eq!(
        score(&form_eval(0, true), &Scheme::national())
            .unwrap()
            .budget_score,
        d("0")
    );
    let mut no_budget = form_eval(0, true);
    no_budget.annual_budget = Decimal::ZERO;
    // No budget: no rate, but the table is still scored and the line waits for a reviewer.
    let r = score(&no_budget, &Scheme::national()).unwrap();
    assert_eq!(r.budget_score, d("0"));
    assert_eq!(r.needs_judgement[0].indicator, "预算执行");
}

#[test]
fn default_weights_follow_the_scheme() {
    let r = score(&form_eval(1_000_000, false), &Scheme::national()).unwrap();
    let w: Vec<Decimal> = r.indicators.iter().map(|i| i.weight).collect();
    // Output 50 over a, b, c (cost counts as output): 16.66, 16.66, 16.68; outcome 30; satisfaction 10.
    assert_eq!(
        w,
        vec![d("16.66"), d("16.66"), d("16.68"), d("30"), d("10")]
    );
    // Without satisfaction its 10 points move to outcome.
    let mut e = form_eval(1_000_000, false);
    e.indicators.pop();
    let r = score(&e, &Scheme::national()).unwrap();
    assert_eq!(r.indicators[3].weight, d("40"));
    assert_eq!(r.total, d("100") - d("8.33"), "b scores 5/10 of 16.66");
    // 10 budget + 90 shared by all indicators.
    let pooled = Scheme::builtin()
        .into_iter()
        .find(|s| s.name == "budget10-indicators90")
        .unwrap();
    let r = score(&form_eval(1_000_000, false), &pooled).unwrap();
    assert!(r.indicators.iter().all(|i| i.weight == d("18")));
}

#[test]
fn a_self_score_inside_a_band_stands() {
    let with_self = |actual: &str, s: &str| {
        let e = Evaluation {
            annual_budget: Decimal::new(10_000, 2),
            unit: "元".into(),
            spent: Decimal::new(10_000, 2),
            budget_weight: None,
            budget_self_score: None,
            indicators: vec![EvalIndicator {
                level1: Level1::Outcome,
                level2: None,
                name: "x".into(),
                target: Target::parse("有效提升"),
                target_raw: "有效提升".into(),
                actual_raw: actual.into(),
                // Outcome's 30 plus satisfaction's 10: the form has no satisfaction indicator.
                weight: Some(d("40")),
                self_score: Some(d(s)),
            }],
            self_total: None,
        };
        score(&e, &Scheme::national()).unwrap()
    };
    // Partly achieved: 60–80 % of 40 is 24–32.
    let r = with_self("部分达成", "30");
    assert_eq!(r.indicators[0].score, d("30"));
    assert!(r.departures.is_empty(), "{:?}", r.departures);
    assert!(
        r.indicators[0].explanation.contains("在该档 24–32 之内"),
        "{}",
        r.indicators[0].explanation
    );
    let r = with_self("部分达成", "40");
    assert_eq!(r.indicators[0].score, d("32"), "brought to the band's top");
    assert_eq!(r.departures.len(), 1);
    assert_eq!(r.departures[0].computed, d("32"));
    let r = with_self("达成", "35");
    assert_eq!(r.indicators[0].score, d("35"), "achieved: 32–40");
    assert!(r.departures.is_empty());
    let r = with_self("未达成", "30");
    assert_eq!(r.indicators[0].score, d("24"), "not achieved: at most 24");
}

#[test]
fn grades() {
    assert_eq!(Grade::of(d("90")), Grade::Excellent);
    assert_eq!(Grade::of(d("89.99")), Grade::Good);
    assert_eq!(Grade::of(d("80")), Grade::Good);
    assert_eq!(Grade::of(d("79.99")), Grade::Fair);
    assert_eq!(Grade::of(d("60")), Grade::Fair);
    assert_eq!(Grade::of(d("59.99")), Grade::Poor);
}

#[test]
fn departures_of_self_scores() {
    let mut e = form_eval(800_000, true);
    e.budget_self_score = Some(d("10")); // execution 80 % gives 8
    e.indicators[1].self_score = Some(d("20")); // b missed its target: full marks
    e.indicators[0].self_score = Some(d("18")); // a met its target: points off
    e.indicators[2].self_score = Some(d("10"));
    e.indicators[3].self_score = Some(d("30"));
    e.indicators[4].self_score = Some(d("12")); // above its weight
    e.self_total = Some(d("99")); // the parts add up to 100
    let r = score(&e, &Scheme::national()).unwrap();
    let reasons: Vec<(&str, &str)> = r
        .departures
        .iter()
        .map(|x| (x.indicator.as_str(), x.reason.as_str()))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(i, r)| *i == "预算执行" && r.contains("执行率")),
        "{reasons:?}"
    );
    assert!(reasons
        .iter()
        .any(|(i, r)| *i == "b" && r.contains("full marks for a missed target")));
    assert!(reasons
        .iter()
        .any(|(i, r)| *i == "a" && r.contains("points taken off a met target")));
    assert!(reasons
        .iter()
        .any(|(i, r)| *i == "e" && r.contains("exceeds the weight")));
    assert!(reasons
        .iter()
        .any(|(i, r)| *i == "总分" && r.contains("does not add up")));
    assert!(!reasons.iter().any(|(i, _)| *i == "c" || *i == "d"));
    // Weights that do not add up to the group's points are a departure too.
    let mut e = form_eval(1_000_000, true);
    e.indicators[0].weight = Some(d("25"));
    let r = score(&e, &Scheme::national()).unwrap();
    assert!(r
        .departures
        .iter()
        .any(|x| x.indicator == "产出指标" && x.computed == d("50")));
}

#[test]
fn explanations_show_the_numbers() {
    let x = one("≥90%", "85%", "5", &Scheme::national());
    assert!(
        x.explanation.contains("85 ÷ 90 × 5 = 4.7222") && x.explanation.contains("4.72"),
        "{}",
        x.explanation
    );
    let x = one("≤10%", "12%", "10", &Scheme::national());
    assert!(
        x.explanation.contains("(1 − (12 − 10) ÷ 10) × 10 = 8"),
        "{}",
        x.explanation
    );
}

fn target_strategy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["≥", "＞", "=", "≤", "＜"]),
        0u32..2000,
        prop::sample::select(vec!["个", "%", "万人", "小时"]),
    )
        .prop_map(|(op, v, u)| format!("{op}{v}{u}"))
}

proptest! {
    /// A score is never above its weight nor below 0, and the total is the sum of its parts.
    #[test]
    fn scores_stay_in_bounds(
        rows in prop::collection::vec((target_strategy(), 0u32..5000, 0u32..3000, 0usize..4), 1..12),
        spent in 0i64..3_000_000,
        scheme in prop::sample::select(Scheme::builtin()),
    ) {
        let indicators = rows.iter().map(|(t, a, w, l)| {
            let target = Target::parse(t);
            let unit = match &target { Target::Quantitative { unit, .. } => unit.clone(), _ => String::new() };
            EvalIndicator {
                level1: [Level1::Output, Level1::Cost, Level1::Outcome, Level1::Satisfaction][*l],
                level2: None,
                name: "x".into(),
                target,
                target_raw: t.clone(),
                actual_raw: format!("{}{}", Decimal::new(*a as i64, 1), unit),
                weight: (w % 2 == 0).then(|| Decimal::new(*w as i64, 2)),
                self_score: None,
            }
        }).collect();
        let e = Evaluation { annual_budget: Decimal::new(1_000_000, 2),
        unit: "元".into(), spent: Decimal::new(spent, 2), budget_weight: None, budget_self_score: None, indicators, self_total: None };
        let r = score(&e, &scheme).unwrap();
        prop_assert!(r.budget_score >= Decimal::ZERO && r.budget_score <= r.budget_weight);
        for i in &r.indicators {
            prop_assert!(i.score >= Decimal::ZERO, "{} < 0", i.score);
            prop_assert!(i.score <= i.weight, "{} > {}", i.score, i.weight);
            prop_assert_eq!(i.score, round2(i.score));
        }
        prop_assert_eq!(r.total, r.budget_score + r.indicators.iter().map(|i| i.score).sum::<Decimal>());
    }
}

#[test]
fn schemes_have_chinese_labels() {
    assert_eq!(
        Scheme::national().label(),
        "全国通行：预算执行10分，产出50分，效益30分，满意度10分"
    );
    for s in Scheme::builtin() {
        assert!(!s.label().is_ascii(), "{}: {}", s.name, s.label());
    }
    let bare = Scheme {
        description: String::new(),
        ..Scheme::national()
    };
    assert_eq!(bare.label(), "national");
}
