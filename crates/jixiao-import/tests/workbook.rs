//! Workbooks written by other software (openpyxl, xlwt: `scripts/make-workbooks.py`) in the
//! layouts finance offices use, read by the same reader as published text.

mod common;

use jixiao_core::{Money, Op, Target};
use jixiao_import::{read_any, read_disclosure, ReadError};
use rust_decimal::Decimal;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/workbooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The seed's forms, in name order (the fixtures were written from the store's export).
fn seed() -> Vec<jixiao_core::Form> {
    sorted(
        read_disclosure(jixiao_import::SEED)
            .unwrap()
            .forms
            .into_iter()
            .map(|f| f.form)
            .collect(),
    )
}

fn sorted(mut forms: Vec<jixiao_core::Form>) -> Vec<jixiao_core::Form> {
    forms.sort_by(|a, b| a.name.cmp(&b.name));
    forms
}

/// The seed's 8 forms, one per sheet, with merged level cells, amounts as binary floating
/// point and dates as date cells, read back to the fen and to the character.
#[test]
fn one_form_per_sheet_reads_as_the_text_does() {
    let out = read_any(&fixture("seed-one-per-sheet.xlsx")).unwrap();
    let got = sorted(out.forms.iter().map(|f| f.form.clone()).collect());
    assert_eq!(got, seed());
    assert_eq!(out.indicator_count(), 129);
    assert_eq!(out.warning_count(), 0);
}

/// The same forms down one sheet of an .xls, as WPS and older offices save it.
#[test]
fn several_forms_down_one_xls_sheet() {
    let out = read_any(&fixture("seed-one-sheet.xls")).unwrap();
    let got = sorted(out.forms.iter().map(|f| f.form.clone()).collect());
    assert_eq!(got, seed());
    assert_eq!(out.warning_count(), 0);
}

/// Operator, value and unit in columns of their own; amounts in 万元; weights kept.
#[test]
fn split_target_columns_and_wanyuan() {
    let out = read_any(&fixture("split-target-wanyuan.xlsx")).unwrap();
    let f = &out.forms[0].form;
    assert_eq!((f.year, f.name.as_str()), (2024, "乡村道路养护"));
    assert_eq!(f.funds.annual_total, Some(Money::from_fen(234_567_800)));
    let t: Vec<(&str, String, Option<Decimal>)> = f
        .indicators
        .iter()
        .map(|i| (i.name.as_str(), i.target.display(), i.weight))
        .collect();
    assert_eq!(
        t[0],
        ("养护里程", "≥120公里".to_string(), Some(Decimal::from(20)))
    );
    assert_eq!(t[1].1, "≥15座", "the merged level cells carry down");
    assert_eq!(f.indicators[1].level1.name(), "产出指标");
    assert_eq!(t[3].1, "≤2万元");
    assert!(
        matches!(f.indicators[4].target, Target::Qualitative { ref text } if text == "明显改善")
    );
    assert!(matches!(
        f.indicators[5].target,
        Target::Quantitative { op: Op::Ge, .. }
    ));
}

/// A 项目支出绩效自评表 workbook: amounts in 万元 with four decimals, the published total.
#[test]
fn a_self_evaluation_workbook() {
    let out = read_any(&fixture("self-evaluation.xlsx")).unwrap();
    let t = &out.tables[0].table;
    assert_eq!(t.name, "农村饮水安全巩固提升");
    assert_eq!(t.funds_unit, "万元");
    assert_eq!(t.budget.annual, Some("38.7665".parse().unwrap()));
    assert_eq!(t.budget.spent, Some("29.0749".parse().unwrap()));
    assert_eq!(t.rows.len(), 4);
    assert_eq!(
        (t.rows[0].target.as_str(), t.rows[0].actual.as_str()),
        ("≥12处", "10处")
    );
    assert_eq!(t.self_total, Some("91.5".parse().unwrap()));
    let (eval, _) = t.to_self_evaluation();
    let s = jixiao_core::score::score(
        &eval.to_evaluation(None).unwrap(),
        &jixiao_core::score::Scheme::national(),
    )
    .unwrap();
    assert_eq!(s.execution_rate.to_string(), "75.00");
}

/// What is not a workbook, or a broken one, is refused with a clear error; never a panic.
#[test]
fn broken_workbooks_are_refused() {
    let good = fixture("seed-one-per-sheet.xlsx");
    for cut in [10, good.len() / 3, good.len() / 2, good.len() - 10] {
        match read_any(&good[..cut]) {
            Err(e) => assert!(matches!(e, ReadError::Workbook { .. }), "{e}"),
            Ok(out) => assert!(!out.forms.is_empty()),
        }
    }
    let xls = fixture("seed-one-sheet.xls");
    assert!(read_any(&xls[..xls.len() / 2]).is_err());
}

/// A ministry system's template, filled in: three target columns (总体 / 第一年度 / 第二年度),
/// a merged block of three rows for every level 2 whether used or not, units inside names, and
/// filling instructions beside the table. The whole period's target is read, the years' are
/// kept in warnings, the instructions are reported as outside the table.
#[test]
fn three_target_columns_and_notes_beside_the_table() {
    let out = read_any(&fixture("moe-three-columns.xlsx")).unwrap();
    let f = &out.forms[0].form;
    assert_eq!(
        (f.year, f.name.as_str()),
        (2022, "数字媒体艺术专业教学资源库建设")
    );
    assert_eq!(f.funds.annual_total, Some(Money::from_fen(500_000_000)));
    let got: Vec<(&str, &str, String)> = f
        .indicators
        .iter()
        .map(|i| {
            (
                i.level2.map_or("", |l| l.name()),
                i.name.as_str(),
                i.target.display(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("数量指标", "用户数（人）", "≥20000".to_string()),
            ("数量指标", "颗粒化资源量（个）", "≥6000".into()),
            ("质量指标", "活跃资源占比（%）", "≥60%".into()),
            ("时效指标", "建设任务完成及时率(%)", "=100%".into()),
            ("社会效益指标", "社会学习用户数（人）", "≥5000".into()),
            ("可持续影响指标", "资源年更新比例（%）", "≥10%".into()),
            ("服务对象满意度指标", "在校生使用满意度（%）", "≥85%".into()),
        ]
    );
    let w = &out.forms[0].warnings;
    assert!(
        w.iter()
            .any(|w| w.text == "≥8000" && w.place.as_deref() == Some("Sheet1!G10")),
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|w| w.text == "≥12000" && w.place.as_deref() == Some("Sheet1!H10")),
        "{w:#?}"
    );
    assert!(out
        .warnings
        .iter()
        .any(|w| w.place.as_deref() == Some("Sheet1!J8") && w.text.contains("实施期目标")));
}

/// Nothing is lost in a workbook either: every non-empty cell of every fixture ends up in a
/// field, is a word of the layout, or is quoted in a warning that names its sheet and cell.
#[test]
fn nothing_is_lost_in_workbooks() {
    use calamine::Reader;
    for name in [
        "seed-one-per-sheet.xlsx",
        "seed-one-sheet.xls",
        "split-target-wanyuan.xlsx",
        "self-evaluation.xlsx",
        "moe-three-columns.xlsx",
    ] {
        let bytes = fixture(name);
        let out = read_any(&bytes).unwrap();
        let acc = common::accounted(&out);
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        for sheet in book.sheet_names() {
            let range = book.worksheet_range(&sheet).unwrap();
            for row in range.rows() {
                for cell in row {
                    let text = match cell {
                        calamine::Data::Empty => continue,
                        calamine::Data::Float(f) => rust_decimal::Decimal::try_from(*f)
                            .map(|d| d.round_dp(6).normalize().to_string())
                            .unwrap_or_default(),
                        calamine::Data::DateTime(d) => {
                            (chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()
                                + chrono::Duration::days(d.as_f64() as i64))
                            .to_string()
                        }
                        other => other.to_string(),
                    };
                    let r = common::residue(&text, &acc);
                    assert!(
                        r.is_empty(),
                        "{name} {sheet}: “{text}” is in no field and no warning (left: {r})"
                    );
                }
            }
        }
    }
}
