use super::*;
use proptest::prelude::*;

fn q(raw: &str) -> (Op, String, String, bool) {
    match Target::parse(raw) {
        Target::Quantitative {
            op,
            value,
            unit,
            op_implied,
            ..
        } => (op, value.to_string(), unit, op_implied),
        t => panic!("{raw:?} read as {t:?}"),
    }
}

fn text(raw: &str) -> String {
    match Target::parse(raw) {
        Target::Qualitative { text } => text,
        t => panic!("{raw:?} read as {t:?}"),
    }
}

/// Writings seen in published forms of many provinces, with how each must be read.
#[test]
fn real_world_writings() {
    let cases: &[(&str, Op, &str, &str)] = &[
        ("≥30.00(项)", Op::Ge, "30", "项"),
        ("=100.00(%)", Op::Eq, "100", "%"),
        ("=100.00 (%)", Op::Eq, "100", "%"),
        ("≥15000.00(个)", Op::Ge, "15000", "个"),
        ("≤300.00(小时)", Op::Le, "300", "小时"),
        ("≥1.00(亿条)", Op::Ge, "1", "亿条"),
        ("≥1.50(亿条)", Op::Ge, "1.5", "亿条"),
        ("≥2000.00(万条)", Op::Ge, "2000", "万条"),
        ("≥5.00(PB)", Op::Ge, "5", "PB"),
        ("≥99.99(%)", Op::Ge, "99.99", "%"),
        ("≥80.00(亿次)", Op::Ge, "80", "亿次"),
        ("≥4 (个)", Op::Ge, "4", "个"),
        ("≤30 (元/平方米)", Op::Le, "30", "元/平方米"),
        ("$\\geq 60\\%$", Op::Ge, "60", "%"),
        ("$\\geq 100.00$ (万人)", Op::Ge, "100", "万人"),
        ("$\\geq 90.00$ (%)", Op::Ge, "90", "%"),
        ("$\\leq 5\\%$", Op::Le, "5", "%"),
        ("=0万元。", Op::Eq, "0", "万元"),
        (">=85%", Op::Ge, "85", "%"),
        ("<=3天", Op::Le, "3", "天"),
        ("≧95%", Op::Ge, "95", "%"),
        ("≦2小时", Op::Le, "2", "小时"),
        ("═100%", Op::Eq, "100", "%"),
        ("﹦1套", Op::Eq, "1", "套"),
        ("＞＝９０％", Op::Ge, "90", "%"),
        ("＞50个", Op::Gt, "50", "个"),
        ("＜5%", Op::Lt, "5", "%"),
        ("不少于120次", Op::Ge, "120", "次"),
        ("不低于85%", Op::Ge, "85", "%"),
        ("不超过10个工作日", Op::Le, "10", "个工作日"),
        ("120次以上", Op::Ge, "120", "次"),
        ("10分钟内", Op::Le, "10", "分钟"),
        ("3个月以内", Op::Le, "3", "个月"),
        ("9月前", Op::Le, "9", "月"),
        ("90百分比", Op::Eq, "90", "%"),
        ("≥ 1,200 (人次)", Op::Ge, "1200", "人次"),
        ("≥98（%）", Op::Ge, "98", "%"),
        ("大于等于80%", Op::Ge, "80", "%"),
        ("达到100%", Op::Ge, "100", "%"),
    ];
    for (raw, op, value, unit) in cases {
        let got = q(raw);
        assert_eq!(
            (got.0, got.1.as_str(), got.2.as_str()),
            (*op, *value, *unit),
            "{raw}"
        );
    }
    assert!(cases.len() >= 30);
}

#[test]
fn no_operator_written_is_equal_and_marked() {
    assert_eq!(q("85%"), (Op::Eq, "85".into(), "%".into(), true));
    assert_eq!(q("0起"), (Op::Eq, "0".into(), "起".into(), true));
    assert!(!q("≥85%").3);
    assert_eq!(q("120"), (Op::Eq, "120".into(), "".into(), true));
}

#[test]
fn qualitative_texts_stay_text() {
    for raw in [
        "完善",
        "健全",
        "有效提升",
        "有所提升",
        "明显降低",
        "应开尽开",
        "头部",
        "不超过预算批复金额",
        "不超过批复金额",
        "符合行业水平要求",
        "驻场技术工程师应在10分钟内赶到故障现场；1小时内解决问题以确保系统正常运行",
        "技术工程师10分钟内响应需求",
        "200分钟内完成业务恢复，确保系统稳定运行",
        "1小时内解决问题以确保系统正常运行",
        "符合GB/T 39786《信息安全技术 信息系统密码应用基本要求》的第三级别要求",
        "2025年12月",
        "2023年底",
        "2021年全年",
        "2023.07-2024.01",
    ] {
        assert_eq!(text(raw), raw);
    }
    assert_eq!(text("定性：完善"), "完善");
    assert_eq!(text("  有所 提升 "), "有所 提升");
}

#[test]
fn a_subject_before_the_quantity_is_kept() {
    match Target::parse("新设企业通过全程网办方式占比 $\\geq 60\\%$") {
        Target::Quantitative {
            op,
            value,
            unit,
            subject,
            ..
        } => {
            assert_eq!(
                (op, value.to_string(), unit.as_str()),
                (Op::Ge, "60".into(), "%")
            );
            assert_eq!(subject.as_deref(), Some("新设企业通过全程网办方式占比"));
        }
        t => panic!("{t:?}"),
    }
    match Target::parse("用户满意度不低于90%") {
        Target::Quantitative { op, subject, .. } => {
            assert_eq!(op, Op::Ge);
            assert_eq!(subject.as_deref(), Some("用户满意度"));
        }
        t => panic!("{t:?}"),
    }
}

#[test]
fn ocr_repairs_only_for_published_text() {
    for raw in ["^95%", "工95%"] {
        let (t, notes) = Target::parse_published(raw);
        assert_eq!(notes, vec![Note::OcrOperator], "{raw}");
        assert_eq!(t.display(), "≥95%");
        // Typed, the same text is not a quantity at all: nothing is guessed.
        assert!(!Target::parse(raw).is_quantitative(), "{raw}");
    }
    // Typed percentages above 100 are what they say.
    assert_eq!(q("260%").1, "260");
    assert_eq!(q("295%").1, "295");
    assert_eq!(Target::parse_published("260%").0.display(), "260%");
    // `295%` as the target of a rate is OCR damage; of a growth figure it is not.
    assert_eq!(
        ocr_percent_repair("设备完好率", "295%").map(|t| t.display()),
        Some("≥95%".into())
    );
    assert_eq!(ocr_percent_repair("游客增长", "295%"), None);
    assert_eq!(ocr_percent_repair("完好率", "200%"), None);
    assert_eq!(ocr_percent_repair("完好率", "≥95%"), None);
}

#[test]
fn json_shape_is_the_exchange_format() {
    let t = Target::parse("≥30.00(项)");
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#"{"kind":"quantitative","op":">=","value":"30","unit":"项"}"#
    );
    let t = Target::parse("完善");
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#"{"kind":"qualitative","text":"完善"}"#
    );
    let back: Target =
        serde_json::from_str(r#"{"kind":"quantitative","op":"<=","value":"15.00","unit":"%"}"#)
            .unwrap();
    assert_eq!(back, Target::parse("≤15%"));
    assert!(serde_json::from_str::<Target>(
        r#"{"kind":"quantitative","op":"~","value":"1","unit":""}"#
    )
    .is_err());
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop::sample::select(Op::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    /// Reading never panics, whatever the text.
    #[test]
    fn never_panics(s in "\\PC{0,40}") {
        let _ = Target::parse_with_notes(&s);
        let _ = parse_quantity(&s);
    }

    /// Reading never panics on texts made of the grammar's own pieces.
    #[test]
    fn never_panics_on_near_misses(s in "[≥≤<>=＞＝$\\\\geqlt%（）()0-9.,，。万亿个项以上内前定性 ]{0,24}") {
        let _ = Target::parse_with_notes(&s);
    }

    /// What a form prints is read back as the same target, in every spelling of the operator.
    #[test]
    fn printed_targets_read_back(op in op_strategy(), int in 0u32..1_000_000, frac in 0u32..100,
                                 unit in prop::sample::select(vec!["项", "%", "亿条", "万人", "个", "元/平方米", "小时", "PB"]),
                                 style in 0usize..4) {
        let value = Decimal::new(int as i64 * 100 + frac as i64, 2).normalize();
        let written = match style {
            0 => format!("{}{:.2}({})", op.symbol(), value, unit),
            1 => format!("{} {} ({})", op.ascii(), value, unit),
            2 => format!("${}$ ({unit})", match op { Op::Ge => "\\geq ".to_string(), Op::Le => "\\leq ".to_string(), o => o.ascii().to_string() } + &value.to_string()),
            _ => format!("{}{}{}", op.symbol(), value, unit),
        };
        match Target::parse(&written) {
            Target::Quantitative { op: o, value: v, unit: u, .. } => {
                prop_assert_eq!(o, op);
                prop_assert_eq!(v, value);
                prop_assert_eq!(u.as_str(), unit);
            }
            t => prop_assert!(false, "{} read as {:?}", written, t),
        }
    }

    /// Typed input is read as written: for every operator (or none), number and unit, the
    /// written target reads back to itself and prints back to the same text. No digit of
    /// `260%` or `295%` is taken for a damaged operator.
    #[test]
    fn typed_targets_read_back_to_themselves(op in prop::option::of(op_strategy()),
                                             int in 0u64..100_000_000, frac in 0u32..10_000,
                                             unit in prop::sample::select(vec!["", "%", "项", "亿条", "万元", "人次", "元/平方米", "个工作日", "PB"])) {
        let value = Decimal::new(int as i64 * 10_000 + frac as i64, 4).normalize();
        let written = format!("{}{}{}", op.map(|o| o.symbol()).unwrap_or(""), value, unit);
        let t = Target::parse(&written);
        match &t {
            Target::Quantitative { op: o, value: v, unit: u, op_implied, .. } => {
                prop_assert_eq!(*o, op.unwrap_or(Op::Eq));
                prop_assert_eq!(*op_implied, op.is_none());
                prop_assert_eq!(*v, value);
                prop_assert_eq!(u.as_str(), unit);
            }
            t => prop_assert!(false, "{} read as {:?}", written, t),
        }
        prop_assert_eq!(t.display(), written.clone());
        prop_assert_eq!(Target::parse(&t.display()), t);
        // Actuals are typed too: the number is the number written.
        let actual = crate::actual::Actual::parse(&format!("{value}{unit}"));
        prop_assert_eq!(actual, crate::actual::Actual::Quantity { value, unit: unit.to_string() });
    }

    /// The exchange format round-trips every target.
    #[test]
    fn json_round_trips(raw in "[≥≤=]?[0-9]{1,6}(\\.[0-9]{1,2})?(项|%|亿条)?|[完善健全有所提升]{1,6}") {
        let t = Target::parse(&raw);
        let json = serde_json::to_string(&t).unwrap();
        let back: Target = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, t);
    }
}
