//! The eight Shanghai Big Data Center forms of 2023, read completely and exactly.

use jixiao_core::{Level1, Level2, Money, Op, Target};
use jixiao_import::{read_disclosure, ReadOutput};
use std::fmt::Write;

const SEED: &[u8] = include_bytes!("../../../fixtures/shanghai-bigdata-center-2023.txt");
const EXPECTED: &str = include_str!("seed_expected.txt");

fn seed() -> ReadOutput {
    read_disclosure(SEED).expect("the seed reads")
}

/// Every field of every form, one line per indicator: the snapshot reviewed by hand.
fn render(out: &ReadOutput) -> String {
    let mut s = String::new();
    for rf in &out.forms {
        let f = &rf.form;
        writeln!(s, "== {} (line {})", f.name, rf.line).unwrap();
        writeln!(
            s,
            "year {} | nature {} | category {} | department {} | implementer {}",
            f.year, f.nature, f.category, f.department, f.implementer
        )
        .unwrap();
        writeln!(s, "dates {:?} .. {:?}", f.start_date, f.end_date).unwrap();
        for (name, _, m) in f.funds.fields() {
            writeln!(
                s,
                "funds.{name} {}",
                m.map(|m| m.to_string()).unwrap_or("-".into())
            )
            .unwrap();
        }
        writeln!(s, "goal_overall {}", f.goal_overall.replace('\n', "⏎")).unwrap();
        writeln!(s, "goal_annual {}", f.goal_annual.replace('\n', "⏎")).unwrap();
        for i in &f.indicators {
            let target = match &i.target {
                Target::Quantitative {
                    op,
                    value,
                    unit,
                    subject,
                    op_implied,
                } => format!(
                    "Q {} {} [{}]{}{}",
                    op.ascii(),
                    value,
                    unit,
                    subject
                        .as_ref()
                        .map(|s| format!(" subject={s}"))
                        .unwrap_or_default(),
                    if *op_implied { " op_implied" } else { "" }
                ),
                Target::Qualitative { text } => format!("T {text}"),
            };
            writeln!(
                s,
                "  {} / {} / {} | raw {} | {}",
                i.level1,
                i.level2.map(|l| l.name()).unwrap_or("-"),
                i.name,
                i.raw,
                target
            )
            .unwrap();
        }
        for w in &rf.warnings {
            writeln!(s, "  warning {w}").unwrap();
        }
    }
    s
}

#[test]
fn the_seed_matches_its_reviewed_snapshot() {
    let got = render(&seed());
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seed_expected.txt"),
            &got,
        )
        .unwrap();
        return;
    }
    for (i, (g, e)) in got.lines().zip(EXPECTED.lines()).enumerate() {
        assert_eq!(g, e, "snapshot line {}", i + 1);
    }
    assert_eq!(got.lines().count(), EXPECTED.lines().count());
}

#[test]
fn eight_forms_129_indicators_14_billion_yuan() {
    let out = seed();
    assert_eq!(out.forms.len(), 8);
    assert_eq!(out.indicator_count(), 129);
    let counts: Vec<usize> = out.forms.iter().map(|f| f.form.indicators.len()).collect();
    assert_eq!(counts, vec![21, 13, 20, 13, 15, 18, 13, 16]);
    let total: i64 = out
        .forms
        .iter()
        .map(|f| f.form.funds.total.unwrap().fen())
        .sum();
    assert_eq!(total, 140_812_245_808); // 1,408,122,458.08 yuan
    for f in &out.forms {
        let fu = &f.form.funds;
        assert_eq!(fu.total, fu.annual_total, "{}", f.form.name);
        assert_eq!(fu.other, Some(Money::ZERO));
        assert_eq!(fu.annual_carryover, Some(Money::ZERO));
        assert_eq!(f.form.year, 2023);
        assert_eq!(f.form.start_date.unwrap().to_string(), "2023-01-01");
        assert_eq!(f.form.end_date.unwrap().to_string(), "2023-12-31");
        assert_eq!(f.form.implementer, "上海市大数据中心");
        assert!(f.form.indicators.iter().all(|i| i.level2.is_some()));
    }
    assert_eq!(
        out.forms[0].form.funds.total,
        Some(Money::from_fen(11_962_440_476))
    );
    assert_eq!(
        out.forms[5].form.funds.total,
        Some(Money::from_fen(38_928_338_894))
    );
}

#[test]
fn the_hard_cells_of_the_seed() {
    let out = seed();
    let form = |n: &str| &out.forms.iter().find(|f| f.form.name == n).unwrap().form;
    let ind = |f: &str, n: &str| {
        form(f)
            .indicators
            .iter()
            .find(|i| i.name == n)
            .unwrap_or_else(|| panic!("{n}"))
            .clone()
    };

    // `产出指` … `标`: the broken level name heads the first form's outputs.
    let first = form("数据运营服务费");
    assert!(first.indicators[..12]
        .iter()
        .all(|i| i.level1 == Level1::Output));
    let i = ind("数据运营服务费", "迭代需求缺陷率");
    assert_eq!(
        (i.level1, i.level2),
        (Level1::Output, Some(Level2::Quality))
    );
    // A name broken by a line wrap is joined.
    ind(
        "数据运营服务费",
        "对全市各责任部门数据数量、质量、归集、更新等工作进行监测和评价",
    );
    // Level 2 written in the first column, level 1 carried over.
    let i = ind("2023年数字化建设项目经费", "年度维护成本占比");
    assert_eq!((i.level1, i.level2), (Level1::Output, Some(Level2::Cost)));
    let i = ind("大数据和一网通办重点领域研究、法律服务", "法律纠纷损失");
    assert_eq!(
        (i.level1, i.level2),
        (Level1::Outcome, Some(Level2::Social))
    );
    assert_eq!(
        i.target,
        Target::Quantitative {
            op: Op::Eq,
            value: 0.into(),
            unit: "万元".into(),
            subject: None,
            op_implied: false
        }
    );
    assert_eq!(i.raw, "=0万元。");
    let i = ind(
        "大数据和一网通办重点领域研究、法律服务",
        "信息安全事故发生数",
    );
    assert!(
        matches!(i.target, Target::Quantitative { op: Op::Eq, ref unit, op_implied: true, .. } if unit == "起")
    );
    let i = ind(
        "大数据和一网通办重点领域研究、法律服务",
        "长效管理机制健全性",
    );
    assert_eq!(
        (i.level1, i.level2),
        (Level1::Outcome, Some(Level2::Sustainability))
    );
    // Level 2 carried from the rows above when a row has none.
    let i = ind("上海市政务外网通信服务项目经费", "故障处理响应");
    assert_eq!(i.level2, Some(Level2::Timeliness));
    assert_eq!(
        i.target,
        Target::Qualitative {
            text: "200分钟内完成业务恢复，确保系统稳定运行".into()
        }
    );
    // LaTeX leftovers.
    let i = ind(
        "“一网通办”运营服务项目经费",
        "随申办影响力不断扩大，“一网通办”服务品牌影响力也进一步扩大，微信公众号新增粉丝数",
    );
    assert!(
        matches!(i.target, Target::Quantitative { op: Op::Ge, ref unit, .. } if unit == "万人")
    );
    let i = ind(
        "“一网通办”运营服务项目经费",
        "一网通办年度总服务人次数增长率",
    );
    assert!(
        matches!(i.target, Target::Quantitative { op: Op::Ge, ref unit, .. } if unit == "亿次")
    );
    // HTML bold labels of the last form are read as labels.
    assert_eq!(
        form("大数据和一网通办重点领域研究、法律服务").nature,
        "其他经常性项目"
    );
}

#[test]
fn goals_hold_their_full_text() {
    let out = seed();
    let ywtb = &out.forms[4].form;
    assert_eq!(ywtb.name, "“一网通办”运营服务项目经费");
    let g = &ywtb.goal_overall;
    assert!(g.starts_with("围绕“一网通办”服务内容的接入服务体量"));
    assert!(g.contains("2. 在服务质量体验方面"));
    // The paragraphs after the goals row continue the overall goal, in order.
    let third = g.find("三是界面标准统一").expect("三是 paragraph");
    let seventh = g.find("七是服务方式合规").expect("七是");
    let point3 = g.find("3. 在应用数据安全方面").expect("point 3");
    assert!(third < seventh && seventh < point3);
    assert!(g.ends_with("符合相关等级保护要求。"));
    assert!(!ywtb.goal_annual.contains("三是界面标准统一"));
    assert!(ywtb.goal_annual.ends_with("年度实际办件网办比率达到80%。"));
    // HTML paragraph tags are gone, paragraphs kept apart.
    for f in &out.forms {
        assert!(!f.form.goal_overall.contains("<p>") && !f.form.goal_annual.contains("</p>"));
        assert!(
            !f.form.goal_overall.is_empty() && !f.form.goal_annual.is_empty(),
            "{}",
            f.form.name
        );
    }
}

/// Every non-empty cell of the seed is a label of the layout, or in a field, or in a warning.
#[test]
fn no_text_of_the_seed_is_dropped() {
    let out = seed();
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let mut haystack = String::new();
    for f in &out.forms {
        let form = &f.form;
        for t in [
            &form.name,
            &form.nature,
            &form.category,
            &form.department,
            &form.implementer,
            &form.goal_overall,
            &form.goal_annual,
        ] {
            haystack.push_str(&squash(t));
            haystack.push('\u{1}');
        }
        for i in &form.indicators {
            for t in [
                i.level1.name(),
                i.level2.map(|l| l.name()).unwrap_or(""),
                &i.name,
                &i.raw,
            ] {
                haystack.push_str(&squash(t));
                haystack.push('\u{1}');
            }
        }
        for w in &f.warnings {
            haystack.push_str(&squash(&w.text));
            haystack.push('\u{1}');
        }
    }
    let amounts: Vec<Money> = out
        .forms
        .iter()
        .flat_map(|f| f.form.funds.fields().map(|(_, _, m)| m))
        .flatten()
        .collect();
    let dates: Vec<String> = out
        .forms
        .iter()
        .flat_map(|f| [f.form.start_date, f.form.end_date])
        .flatten()
        .map(|d| d.to_string())
        .collect();
    let labels = [
        "财政项目支出绩效目标申报表",
        "(2023年度)",
        "项目名称",
        "项目性质",
        "项目类别",
        "主管部门",
        "实施单位",
        "计划开始日期",
        "计划完成日期",
        "项目资金(元)",
        "项目资金总额",
        "其中：财政资金",
        "其他资金",
        "年度资金申请总额",
        "其中：当年财政拨款",
        "上年结转资金",
        "项目绩效目标",
        "项目总目标",
        "年度总体目标",
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度(/项目)指标值",
        "年度指标值",
    ];
    let text = std::str::from_utf8(SEED).unwrap();
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        for cell in line.split('\t') {
            let plain = cell
                .replace("<b>", "")
                .replace("</b>", "")
                .replace("<p>", "")
                .replace("</p>", "");
            let plain = plain.trim().trim_start_matches('#').trim();
            if plain.is_empty() {
                continue;
            }
            checked += 1;
            let sq = squash(plain);
            let ok = labels.iter().any(|l| squash(l) == sq)
                || plain.parse::<Money>().is_ok_and(|m| amounts.contains(&m))
                || dates.contains(&iso_date(plain))
                || haystack.contains(&sq);
            assert!(
                ok,
                "line {}: “{}” is in no field, label or warning",
                n + 1,
                plain
            );
        }
    }
    assert_eq!(checked, 682, "non-empty cells in the seed");
}

fn iso_date(s: &str) -> String {
    let p: Vec<u32> = s.split(['-', '/']).filter_map(|x| x.parse().ok()).collect();
    if p.len() == 3 {
        format!("{:04}-{:02}-{:02}", p[0], p[1], p[2])
    } else {
        String::new()
    }
}
