//! Every rule fails on an example and passes on the clean form (and on near misses).

use super::*;
use crate::{Funds, Indicator, Level1, Level2, Money, Target};
use chrono::NaiveDate;

fn ind(l1: Level1, l2: Level2, name: &str, target: &str) -> Indicator {
    Indicator {
        id: None,
        level1: l1,
        level2: Some(l2),
        name: name.into(),
        target: Target::parse(target),
        raw: target.into(),
        weight: None,
        direction: None,
    }
}

/// A form a careful reviewer has nothing to say about.
fn good() -> Form {
    use Level1::*;
    use Level2::*;
    Form {
        id: None,
        year: 2023,
        name: "政务平台运维".into(),
        nature: "经常性项目".into(),
        category: "其他运转类".into(),
        department: "某委".into(),
        implementer: "某中心".into(),
        start_date: NaiveDate::from_ymd_opt(2023, 1, 1),
        end_date: NaiveDate::from_ymd_opt(2023, 12, 31),
        funds: Funds {
            total: Some(Money::from_fen(1_000_000)),
            fiscal: Some(Money::from_fen(900_000)),
            other: Some(Money::from_fen(100_000)),
            annual_total: Some(Money::from_fen(1_000_000)),
            annual_appropriation: Some(Money::from_fen(800_000)),
            annual_carryover: Some(Money::from_fen(100_000)),
            annual_other: Some(Money::from_fen(100_000)),
        },
        goal_overall: "建成市级政务平台并长期稳定运行。".into(),
        goal_annual: "全年完成平台巡检120次以上，用户满意度不低于90%。".into(),
        indicators: vec![
            ind(Output, Quantity, "平台巡检次数", "≥120次"),
            ind(Output, Quantity, "系统接入完成率", "=100%"),
            ind(Output, Quality, "系统可用率", "≥99%"),
            ind(Output, Timeliness, "故障响应时间", "≤2小时"),
            ind(Output, Level2::Cost, "单套运维成本", "≤3万元/套"),
            ind(Outcome, Social, "网上办件量", "≥5万件"),
            ind(Outcome, Sustainability, "运维制度", "健全"),
            ind(Satisfaction, BeneficiarySatisfaction, "用户满意度", "≥90%"),
        ],
    }
}

fn codes(form: &Form, last: Option<&Form>) -> Vec<String> {
    review(form, last, &RuleSet::default())
        .into_iter()
        .map(|f| f.code)
        .collect()
}

fn fires(code: &str, change: impl FnOnce(&mut Form)) {
    let mut f = good();
    change(&mut f);
    let got = codes(&f, None);
    assert!(
        got.iter().any(|c| c == code),
        "{code} did not fire; got {got:?}"
    );
}

fn quiet(code: &str, change: impl FnOnce(&mut Form)) {
    let mut f = good();
    change(&mut f);
    let got = codes(&f, None);
    assert!(
        !got.iter().any(|c| c == code),
        "{code} fired on a near miss"
    );
}

fn set_target(f: &mut Form, i: usize, name: &str, target: &str) {
    f.indicators[i].name = name.into();
    f.indicators[i].target = Target::parse(target);
    f.indicators[i].raw = target.into();
}

#[test]
fn the_clean_form_has_no_findings() {
    let findings = review(&good(), None, &RuleSet::default());
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn every_rule_has_a_failing_example() {
    let tested: Vec<&str> = vec![
        "HEADER-EMPTY",
        "DATE-MISSING",
        "FUNDS-MISSING",
        "GOAL-EMPTY",
        "L1-MISSING",
        "OUTPUT-L2-MISSING",
        "COST-MISSING",
        "SATISFACTION-MISSING",
        "LEVEL2-MISSING",
        "LEVEL-MISMATCH",
        "TARGET-EMPTY",
        "FUND-SUM",
        "FUND-ANNUAL-SUM",
        "FUND-ANNUAL-EXCEEDS",
        "DATE-ORDER",
        "DATE-YEAR",
        "VAGUE-TARGET",
        "QUALITATIVE-COUNTABLE",
        "COST-NOT-QUANTIFIED",
        "UNIT-RATE",
        "UNIT-DURATION",
        "UNIT-COUNT",
        "OP-REVERSE",
        "OP-POSITIVE",
        "OP-CEILING",
        "TARGET-IMPOSSIBLE",
        "CATEGORY-RATE-AS-QUANTITY",
        "CATEGORY-OUTCOME-AS-COST",
        "CATEGORY-SATISFACTION",
        "OUTPUT-IS-MONEY",
        "INDICATOR-DUPLICATE",
        "GOAL-COPY",
        "GOAL-NUMBER-MISMATCH",
        "GOAL-NUMBER-UNMEASURED",
        "HISTORY-BELOW",
        "HISTORY-JUMP",
        "HISTORY-RECTIFY",
    ];
    let registry: Vec<&str> = registry().iter().map(|r| r.code).collect();
    assert_eq!(
        registry, tested,
        "each rule in the registry is tested below"
    );
}

#[test]
fn completeness() {
    fires("HEADER-EMPTY", |f| f.implementer.clear());
    fires("DATE-MISSING", |f| f.end_date = None);
    fires("FUNDS-MISSING", |f| f.funds.total = None);
    fires("GOAL-EMPTY", |f| f.goal_overall = " ".into());
    fires("L1-MISSING", |f| {
        f.indicators.retain(|i| i.level1 != Level1::Outcome)
    });
    fires("OUTPUT-L2-MISSING", |f| {
        f.indicators
            .retain(|i| i.level2 != Some(Level2::Timeliness))
    });
    fires("COST-MISSING", |f| {
        f.indicators.retain(|i| i.level2 != Some(Level2::Cost))
    });
    fires("SATISFACTION-MISSING", |f| {
        f.indicators.retain(|i| i.level1 != Level1::Satisfaction)
    });
    fires("LEVEL2-MISSING", |f| f.indicators[0].level2 = None);
    fires("LEVEL-MISMATCH", |f| {
        f.indicators[0].level2 = Some(Level2::Social)
    });
    fires("TARGET-EMPTY", |f| set_target(f, 6, "运维制度", ""));
    // New-layout cost as level 1 counts as a cost indicator.
    quiet("COST-MISSING", |f| {
        f.indicators[4].level1 = Level1::Cost;
        f.indicators[4].level2 = Some(Level2::EconomicCost);
    });
    quiet("LEVEL-MISMATCH", |f| f.indicators[4].level1 = Level1::Cost);
}

#[test]
fn arithmetic() {
    fires("FUND-SUM", |f| f.funds.other = Some(Money::from_fen(1)));
    fires("FUND-ANNUAL-SUM", |f| {
        f.funds.annual_carryover = Some(Money::ZERO)
    });
    fires("FUND-ANNUAL-EXCEEDS", |f| {
        f.funds.annual_total = Some(Money::from_fen(2_000_000));
        f.funds.annual_appropriation = Some(Money::from_fen(1_800_000));
    });
    fires("DATE-ORDER", |f| {
        f.start_date = NaiveDate::from_ymd_opt(2024, 1, 1)
    });
    fires("DATE-YEAR", |f| f.year = 2024);
    // A multi-year project that includes the year is fine.
    quiet("DATE-YEAR", |f| {
        f.start_date = NaiveDate::from_ymd_opt(2021, 3, 1)
    });
    // Parts left empty are not a mismatch when the total equals what is given.
    quiet("FUND-SUM", |f| {
        f.funds.fiscal = Some(Money::from_fen(1_000_000));
        f.funds.other = None;
    });
}

#[test]
fn measurability() {
    fires("VAGUE-TARGET", |f| set_target(f, 6, "运维制度", "有所提升"));
    fires("VAGUE-TARGET", |f| {
        set_target(f, 6, "运维制度", "进一步完善")
    });
    fires("QUALITATIVE-COUNTABLE", |f| {
        set_target(f, 2, "系统可用率", "较高")
    });
    fires("COST-NOT-QUANTIFIED", |f| {
        set_target(f, 4, "项目成本控制", "不超过预算批复金额")
    });
    // A defined qualitative target is fine; a number in the text counts as measurable.
    quiet("VAGUE-TARGET", |f| set_target(f, 6, "运维制度", "健全"));
    quiet("QUALITATIVE-COUNTABLE", |f| {
        set_target(f, 3, "故障响应时间", "工作日10分钟内响应")
    });
    // Configured vague words join the built-in ones.
    let config: RuleConfig = RuleConfig {
        settings: Settings {
            vague_words: vec!["稳步推进".into()],
            ..Settings::default()
        },
        ..RuleConfig::default()
    };
    let mut f = good();
    set_target(&mut f, 6, "运维制度", "稳步推进");
    assert!(review(&f, None, &RuleSet::new(&config).unwrap())
        .iter()
        .any(|x| x.code == "VAGUE-TARGET"));
}

#[test]
fn units() {
    fires("UNIT-RATE", |f| {
        set_target(f, 2, "服务人次数增长率", "≥80亿次")
    });
    fires("UNIT-DURATION", |f| {
        set_target(f, 3, "故障响应时间", "≤2个")
    });
    fires("UNIT-COUNT", |f| set_target(f, 0, "平台巡检次数", "≥95%"));
    quiet("UNIT-RATE", |f| set_target(f, 2, "数据更新频率", "≥4次"));
    quiet("UNIT-RATE", |f| {
        set_target(f, 2, "系统可用率", "≥2个百分点")
    });
    quiet("UNIT-DURATION", |f| {
        set_target(f, 3, "故障响应时间", "≤5个工作日")
    });
    quiet("UNIT-COUNT", |f| set_target(f, 0, "巡检覆盖率", "≥95%"));
    // A rate with no unit at all is one step below a wrong unit: a warning, not an error.
    let mut f = good();
    set_target(&mut f, 2, "系统可用率", "≥99");
    let r = review(&f, None, &RuleSet::default());
    assert_eq!(
        r.iter().find(|x| x.code == "UNIT-RATE").unwrap().severity,
        Severity::Warning
    );
}

#[test]
fn operators() {
    fires("OP-REVERSE", |f| set_target(f, 2, "系统缺陷率", "≥5%"));
    fires("OP-POSITIVE", |f| set_target(f, 7, "用户满意度", "≤90%"));
    fires("OP-CEILING", |f| {
        set_target(f, 1, "系统接入完成率", "≥100%")
    });
    fires("TARGET-IMPOSSIBLE", |f| {
        set_target(f, 2, "系统可用率", "≥120%")
    });
    fires("TARGET-IMPOSSIBLE", |f| {
        set_target(f, 7, "用户满意度", "＞100%")
    });
    quiet("OP-REVERSE", |f| {
        set_target(f, 2, "安全事故处理及时率", "≥95%")
    });
    quiet("OP-POSITIVE", |f| set_target(f, 2, "验收不合格率", "≤5%"));
    quiet("OP-CEILING", |f| {
        set_target(f, 1, "系统接入完成率", "=100%")
    });
    // Growth can pass 100 %.
    quiet("TARGET-IMPOSSIBLE", |f| {
        set_target(f, 5, "办件量增长率", "≥150%")
    });
}

#[test]
fn categories() {
    fires("CATEGORY-RATE-AS-QUANTITY", |f| {
        set_target(f, 1, "服务可用性", "≥99.99%")
    });
    fires("CATEGORY-OUTCOME-AS-COST", |f| {
        set_target(f, 4, "节约企业、群众办事成本", "≥100万元")
    });
    fires("CATEGORY-SATISFACTION", |f| {
        set_target(f, 5, "办事群众满意度", "≥90%")
    });
    fires("OUTPUT-IS-MONEY", |f| {
        set_target(f, 0, "完成资金支付", "≥500万元")
    });
    fires("INDICATOR-DUPLICATE", |f| {
        let dup = f.indicators[2].clone();
        f.indicators.push(dup);
    });
    quiet("CATEGORY-RATE-AS-QUANTITY", |f| {
        set_target(f, 1, "系统接入完成率", "=100%")
    });
    quiet("OUTPUT-IS-MONEY", |f| {
        set_target(f, 4, "单套运维成本", "≤3万元")
    });
}

#[test]
fn goals() {
    fires("GOAL-COPY", |f| f.goal_overall = f.goal_annual.clone());
    fires("GOAL-NUMBER-MISMATCH", |f| {
        f.goal_annual = "全年完成平台巡检240次以上，用户满意度不低于90%。".into()
    });
    fires("GOAL-NUMBER-UNMEASURED", |f| {
        f.goal_annual.push_str("网上办件比率达到80%。")
    });
    // A one-year project copying its goal is a hint; a multi-year one a warning.
    let mut f = good();
    f.goal_overall = f.goal_annual.clone();
    assert_eq!(
        review(&f, None, &RuleSet::default())[0].severity,
        Severity::Hint
    );
    f.start_date = NaiveDate::from_ymd_opt(2022, 1, 1);
    assert_eq!(
        review(&f, None, &RuleSet::default())[0].severity,
        Severity::Warning
    );
    // Same value in a folded magnitude is measured: 5万件 = 50000件.
    quiet("GOAL-NUMBER-UNMEASURED", |f| {
        f.goal_annual.push_str("网上办件量达到50000件。")
    });
}

#[test]
fn history() {
    let last = good();
    let mut f = good();
    f.year = 2024;
    f.start_date = NaiveDate::from_ymd_opt(2024, 1, 1);
    f.end_date = NaiveDate::from_ymd_opt(2024, 12, 31);
    assert!(codes(&f, Some(&last)).is_empty());
    set_target(&mut f, 0, "平台巡检次数", "≥100次");
    assert!(codes(&f, Some(&last)).contains(&"HISTORY-BELOW".to_string()));
    set_target(&mut f, 3, "故障响应时间", "≤4小时");
    let c = codes(&f, Some(&last));
    assert_eq!(
        c.iter().filter(|c| *c == "HISTORY-BELOW").count(),
        2,
        "a looser reverse target is weaker too"
    );
    let mut g = good();
    set_target(&mut g, 5, "网上办件量", "≥50万件");
    assert!(codes(&g, Some(&last)).contains(&"HISTORY-JUMP".to_string()));
    // Magnitudes fold in: 5万件 is 50000件, no change.
    set_target(&mut g, 5, "网上办件量", "≥50000件");
    assert!(codes(&g, Some(&last)).is_empty());
}

#[test]
fn history_against_last_years_actual() {
    let last = good();
    let mut f = good();
    f.year = 2024;
    // Last year's target was ≥120次 and 150次 were achieved: ≥130次 is above last year's target
    // but below last year's actual.
    set_target(&mut f, 0, "平台巡检次数", "≥130次");
    let rules = RuleSet::default();
    assert!(!review(&f, Some(&last), &rules)
        .iter()
        .any(|x| x.code == "HISTORY-BELOW"));
    let actuals = vec![("平台巡检次数".to_string(), "150次".to_string())];
    let r = review_with_actuals(&f, Some(&last), &actuals, &rules);
    let x = r
        .iter()
        .find(|x| x.code == "HISTORY-BELOW")
        .expect("below last year's actual");
    assert!(x.message.contains("上年实际完成的 150次"), "{}", x.message);
    // At or above the actual is fine; a reverse target above last year's actual is weaker.
    set_target(&mut f, 0, "平台巡检次数", "≥150次");
    assert!(!review_with_actuals(&f, Some(&last), &actuals, &rules)
        .iter()
        .any(|x| x.code == "HISTORY-BELOW"));
    let reverse = vec![("故障响应时间".to_string(), "1小时".to_string())];
    assert!(review_with_actuals(&f, Some(&last), &reverse, &rules)
        .iter()
        .any(|x| x.code == "HISTORY-BELOW" && x.indicator.as_deref() == Some("故障响应时间")));
}

#[test]
fn rule_sets_are_configuration() {
    let config: RuleConfig = RuleConfig {
        rules: [
            (
                "GOAL-COPY".to_string(),
                RuleOverride {
                    enabled: Some(false),
                    severity: None,
                },
            ),
            (
                "VAGUE-TARGET".to_string(),
                RuleOverride {
                    enabled: None,
                    severity: Some(Severity::Error),
                },
            ),
        ]
        .into_iter()
        .collect(),
        ..RuleConfig::default()
    };
    let rules = RuleSet::new(&config).unwrap();
    let mut f = good();
    f.goal_overall = f.goal_annual.clone();
    set_target(&mut f, 6, "运维制度", "有所提升");
    let r = review(&f, None, &rules);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].code.as_str(), r[0].severity),
        ("VAGUE-TARGET", Severity::Error)
    );
    assert!(!rules.codes().contains(&"GOAL-COPY"));

    let bad = RuleConfig {
        rules: [("NO-SUCH-RULE".to_string(), RuleOverride::default())]
            .into_iter()
            .collect(),
        ..RuleConfig::default()
    };
    assert_eq!(
        RuleSet::new(&bad).unwrap_err(),
        ConfigError::UnknownRule("NO-SUCH-RULE".into())
    );
}

#[test]
fn a_finding_says_where_why_and_how() {
    let mut f = good();
    f.indicators[2].id = Some("ind-3".into());
    set_target(&mut f, 2, "服务人次数增长率", "≥80亿次");
    let r = review(&f, None, &RuleSet::default());
    let x = r.iter().find(|x| x.code == "UNIT-RATE").unwrap();
    assert_eq!(x.form, "政务平台运维");
    assert_eq!(x.indicator.as_deref(), Some("服务人次数增长率"));
    assert_eq!(x.indicator_index, Some(2));
    assert_eq!(x.indicator_id.as_deref(), Some("ind-3"));
    assert_eq!(x.field, "indicators[2].target.unit");
    assert_eq!(x.severity, Severity::Error);
    assert!(x.message.contains("亿次") && x.message_en.contains("rate"));
    assert!(x.evidence.contains("≥80亿次"));
    assert!(!x.fix.is_empty() && !x.fix_en.is_empty());
    let json = serde_json::to_value(x).unwrap();
    for k in ["form", "indicator", "code", "severity", "message", "fix"] {
        assert!(json.get(k).is_some(), "{k}");
    }
    assert_eq!(json["severity"], "error");
}

#[test]
fn last_years_open_rectifications_are_carried_into_the_review() {
    let last = good();
    let mut f = good();
    f.year = 2024;
    let rules = RuleSet::default();
    let name = f.indicators[0].name.clone();
    // None open: nothing said.
    assert!(!review_with_history(&f, Some(&last), &[], &[], &rules)
        .iter()
        .any(|x| x.code == "HISTORY-RECTIFY"));
    let open = vec![
        (name.clone(), "增加巡检频次".to_string()),
        ("已取消的指标".to_string(), String::new()),
    ];
    let r = review_with_history(&f, Some(&last), &[], &open, &rules);
    let carried: Vec<&Finding> = r.iter().filter(|x| x.code == "HISTORY-RECTIFY").collect();
    assert_eq!(carried.len(), 2, "{carried:#?}");
    // At the indicator of the same name, with the advice; the other at the form.
    assert_eq!(carried[0].indicator.as_deref(), Some(name.as_str()));
    assert!(
        carried[0].message.contains("增加巡检频次"),
        "{}",
        carried[0].message
    );
    assert_eq!(carried[1].indicator, None);
    assert!(carried[1].message.contains("已取消的指标"));
    assert_eq!(carried[0].severity, Severity::Warning);
}
