//! Workbooks that look like the official forms, not like data dumps: one sheet per
//! 项目支出绩效目标申报表 in the central layout (财预〔2015〕88号), with the title, the header
//! and funds blocks, the goals, the indicator table with its level cells merged, borders,
//! column widths, wrapped text, A4 landscape with the table's head repeated on every page,
//! and the sign-off lines. Money is written as numbers with two decimals and thousands
//! separators, dates as dates: a finance office can sum and sort them.

use jixiao_core::{Form, Money};
use rust_xlsxwriter::{
    ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

/// The forms as a workbook, one sheet each (named by position: `表1`, `表2` …, since project
/// names are longer than Excel's 31 characters and may repeat).
pub fn forms_xlsx(forms: &[Form]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let f = Formats::new();
    for (n, form) in forms.iter().enumerate() {
        let sheet = book.add_worksheet();
        sheet.set_name(format!("表{}", n + 1))?;
        write_form(sheet, form, &f)?;
    }
    if forms.is_empty() {
        book.add_worksheet().set_name("表1")?;
    }
    book.save_to_buffer()
}

/// A funds label and its amount.
type FundCell<'a> = (&'a str, Option<Money>);

struct Formats {
    title: Format,
    year: Format,
    label: Format,
    text: Format,
    money: Format,
    date: Format,
    number: Format,
    plain: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap()
            .set_font_size(10);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            year: Format::new().set_align(FormatAlign::Center),
            label: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color("#F2F2F2"),
            text: cell.clone(),
            money: cell.clone().set_num_format("#,##0.00"),
            date: cell.clone().set_num_format("yyyy-mm-dd"),
            number: cell.clone().set_num_format("0.##"),
            plain: Format::new().set_font_size(10),
        }
    }
}

/// Yuan as a number: exact fen divided by 100 (the cell is a binary float, as every number in a
/// workbook is; reading it back rounds to the fen).
fn yuan(m: Money) -> f64 {
    m.fen() as f64 / 100.0
}

fn write_form(ws: &mut Worksheet, form: &Form, f: &Formats) -> Result<(), XlsxError> {
    const LAST: u16 = 5;
    for (col, width) in WIDTHS.iter().enumerate() {
        ws.set_column_width(col as u16, *width)?;
    }
    ws.merge_range(0, 0, 0, LAST, "项目支出绩效目标申报表", &f.title)?;
    ws.set_row_height(0, 28)?;
    ws.merge_range(1, 0, 1, LAST, &format!("（{}年度）", form.year), &f.year)?;

    let label = |ws: &mut Worksheet, r: u32, c: u16, s: &str| -> Result<(), XlsxError> {
        ws.write_string_with_format(r, c, s, &f.label).map(|_| ())
    };
    let text = |ws: &mut Worksheet, r: u32, c: u16, s: &str| -> Result<(), XlsxError> {
        ws.write_string_with_format(r, c, s, &f.text).map(|_| ())
    };
    label(ws, 2, 0, "项目名称")?;
    text(ws, 2, 1, &form.name)?;
    label(ws, 2, 2, "项目性质")?;
    text(ws, 2, 3, &form.nature)?;
    label(ws, 2, 4, "项目类别")?;
    text(ws, 2, 5, &form.category)?;
    fit(
        ws,
        2,
        &[
            (&form.name, WIDTHS[1]),
            (&form.nature, WIDTHS[3]),
            (&form.category, WIDTHS[5]),
        ],
    )?;
    label(ws, 3, 0, "主管部门")?;
    text(ws, 3, 1, &form.department)?;
    label(ws, 3, 2, "实施单位")?;
    ws.merge_range(3, 3, 3, LAST, &form.implementer, &f.text)?;
    fit(
        ws,
        3,
        &[
            (&form.department, WIDTHS[1]),
            (&form.implementer, WIDTHS[3] + WIDTHS[4] + WIDTHS[5]),
        ],
    )?;
    label(ws, 4, 0, "计划开始日期")?;
    label(ws, 4, 2, "计划完成日期")?;
    for (c, d) in [(1u16, form.start_date), (3, form.end_date)] {
        match d {
            Some(d) => {
                let dt = ExcelDateTime::from_ymd(
                    u16::try_from(chrono::Datelike::year(&d)).unwrap_or(1900),
                    chrono::Datelike::month(&d) as u8,
                    chrono::Datelike::day(&d) as u8,
                )?;
                ws.write_datetime_with_format(4, c, &dt, &f.date)?;
            }
            None => {
                ws.write_blank(4, c, &f.text)?;
            }
        }
    }
    ws.write_blank(4, 4, &f.text)?;
    ws.write_blank(4, 5, &f.text)?;

    // Funds: the project's on the left, the year's on the right.
    ws.merge_range(5, 0, 8, 0, "项目资金（元）", &f.label)?;
    let fu = &form.funds;
    let rows: [(Option<FundCell>, FundCell); 4] = [
        (
            Some(("项目资金总额", fu.total)),
            ("年度资金申请总额", fu.annual_total),
        ),
        (
            Some(("其中：财政资金", fu.fiscal)),
            ("其中：当年财政拨款", fu.annual_appropriation),
        ),
        (None, ("上年结转资金", fu.annual_carryover)),
        (Some(("其他资金", fu.other)), ("其他资金", fu.annual_other)),
    ];
    for (k, (left, right)) in rows.iter().enumerate() {
        let r = 5 + k as u32;
        for (c, pair) in [(1u16, *left), (3, Some(*right))] {
            match pair {
                Some((l, m)) => {
                    label(ws, r, c, l)?;
                    match m {
                        Some(m) => ws.write_number_with_format(r, c + 1, yuan(m), &f.money)?,
                        None => ws.write_blank(r, c + 1, &f.money)?,
                    };
                }
                None => {
                    ws.write_blank(r, c, &f.text)?;
                    ws.write_blank(r, c + 1, &f.text)?;
                }
            }
        }
        ws.write_blank(r, 5, &f.text)?;
    }

    // Goals, side by side.
    ws.merge_range(9, 0, 10, 0, "项目绩效目标", &f.label)?;
    ws.merge_range(9, 1, 9, 2, "项目总目标", &f.label)?;
    ws.merge_range(9, 3, 9, LAST, "年度总体目标", &f.label)?;
    ws.merge_range(10, 1, 10, 2, &form.goal_overall, &f.text)?;
    ws.merge_range(10, 3, 10, LAST, &form.goal_annual, &f.text)?;
    fit(
        ws,
        10,
        &[
            (&form.goal_overall, WIDTHS[1] + WIDTHS[2]),
            (&form.goal_annual, WIDTHS[3] + WIDTHS[4] + WIDTHS[5]),
        ],
    )?;

    // The indicator table, its head repeated on every printed page.
    let head = 11u32;
    let weights = form.indicators.iter().any(|i| i.weight.is_some());
    label(ws, head, 1, "一级指标")?;
    label(ws, head, 2, "二级指标")?;
    label(ws, head, 3, "三级指标")?;
    label(ws, head, 4, "指标值")?;
    if weights {
        label(ws, head, 5, "权重")?;
    } else {
        ws.write_blank(head, 5, &f.label)?;
    }
    let first = head + 1;
    let n = form.indicators.len() as u32;
    if n > 0 {
        if n > 1 {
            ws.merge_range(head, 0, head + n, 0, "绩效指标", &f.label)?;
        } else {
            ws.merge_range(head, 0, head + 1, 0, "绩效指标", &f.label)?;
        }
    } else {
        label(ws, head, 0, "绩效指标")?;
    }
    // Level cells merged over their runs.
    let inds = &form.indicators;
    merge_levels(
        ws,
        first,
        inds.iter().map(|i| (i.level1, i.level2)).collect(),
        &f.text,
    )?;
    for (k, ind) in inds.iter().enumerate() {
        let r = first + k as u32;
        text(ws, r, 3, &ind.name)?;
        // The target as the form wrote it: always text, never a formula (`=100%`).
        text(ws, r, 4, &ind.raw)?;
        fit(ws, r, &[(&ind.name, WIDTHS[3]), (&ind.raw, WIDTHS[4])])?;
        match ind.weight {
            Some(w) => {
                let w: f64 = w.to_string().parse().unwrap_or(0.0);
                ws.write_number_with_format(r, 5, w, &f.number)?;
            }
            None => {
                ws.write_blank(r, 5, &f.text)?;
            }
        }
    }
    let end = first + n + 1;
    ws.write_string_with_format(end, 0, "填报单位（盖章）：", &f.plain)?;
    ws.write_string_with_format(end, 2, "填报人：", &f.plain)?;
    ws.write_string_with_format(end, 3, "联系电话：", &f.plain)?;
    ws.write_string_with_format(end, 4, "填报日期：", &f.plain)?;

    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(head, head)?;
    Ok(())
}

/// Column widths, in characters of the default font (a Chinese character takes two).
const WIDTHS: [f64; 6] = [12.0, 18.0, 20.0, 44.0, 30.0, 10.0];

/// Sets a row's height so that wrapped text shows whole: the most lines any of its texts
/// takes in its width (workbooks do not grow rows by themselves when written).
fn fit(ws: &mut Worksheet, row: u32, cells: &[(&str, f64)]) -> Result<(), XlsxError> {
    let lines = cells
        .iter()
        .map(|(text, width)| {
            text.split('\n')
                .map(|para| {
                    let units: usize = para
                        .chars()
                        .map(|c| if jixiao_core::text::is_cjk(c) { 2 } else { 1 })
                        .sum();
                    (units as f64 / (width - 1.0).max(1.0)).ceil().max(1.0)
                })
                .sum::<f64>()
        })
        .fold(1.0, f64::max);
    ws.set_row_height(row, (lines * 14.0 + 4.0).min(409.0))?;
    Ok(())
}

/// Level 1 and level 2 cells (columns 1 and 2) merged over their runs, from row `first`.
fn merge_levels(
    ws: &mut Worksheet,
    first: u32,
    levels: Vec<(jixiao_core::Level1, Option<jixiao_core::Level2>)>,
    format: &Format,
) -> Result<(), XlsxError> {
    let mut i = 0;
    while i < levels.len() {
        let l1 = levels[i].0;
        let mut j = i;
        while j < levels.len() && levels[j].0 == l1 {
            j += 1;
        }
        merge_or_write(
            ws,
            first + i as u32,
            first + j as u32 - 1,
            1,
            l1.name(),
            format,
        )?;
        let mut k = i;
        while k < j {
            let l2 = levels[k].1;
            let mut m = k;
            while m < j && levels[m].1 == l2 {
                m += 1;
            }
            merge_or_write(
                ws,
                first + k as u32,
                first + m as u32 - 1,
                2,
                l2.map_or("", |l| l.name()),
                format,
            )?;
            k = m;
        }
        i = j;
    }
    Ok(())
}

fn merge_or_write(
    ws: &mut Worksheet,
    first: u32,
    last: u32,
    col: u16,
    s: &str,
    f: &Format,
) -> Result<(), XlsxError> {
    if last > first {
        ws.merge_range(first, col, last, col, s, f)?;
    } else {
        ws.write_string_with_format(first, col, s, f)?;
    }
    Ok(())
}

/// The header of a self-evaluation table: the project as the table or the stored form names it.
#[derive(Clone, Debug, Default)]
pub struct SelfHeader {
    pub year: Option<i32>,
    pub name: String,
    pub department: String,
    pub implementer: String,
    pub goal_expected: String,
    pub goal_actual: String,
}

/// One or more scored self-evaluations as the 项目支出绩效自评表 of 财预〔2020〕10号 (a sheet
/// each): the budget line (年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分), the annual
/// goal expected and achieved, every indicator with its target, actual, weight and score by the
/// rules, the unit's reason for any deviation, the total and grade; then a sheet 计分说明 with
/// how every point was reached and where the unit's own scores depart from the rules.
pub fn self_evaluations_xlsx(
    tables: &[(
        SelfHeader,
        &jixiao_core::score::SelfEvaluation,
        &jixiao_core::score::Scored,
    )],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let f = Formats::new();
    for (n, (head, eval, scored)) in tables.iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name(format!("自评表{}", n + 1))?;
        write_self(ws, head, eval, scored, &f)?;
    }
    let ws = book.add_worksheet();
    ws.set_name("计分说明")?;
    write_explanations(ws, tables, &f)?;
    book.save_to_buffer()
}

fn dec_f64(d: rust_decimal::Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

fn write_self(
    ws: &mut Worksheet,
    head: &SelfHeader,
    eval: &jixiao_core::score::SelfEvaluation,
    s: &jixiao_core::score::Scored,
    f: &Formats,
) -> Result<(), XlsxError> {
    const LAST: u16 = 8;
    for (col, width) in [12.0, 14.0, 16.0, 30.0, 16.0, 16.0, 8.0, 8.0, 24.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(col as u16, *width)?;
    }
    ws.merge_range(0, 0, 0, LAST, "项目支出绩效自评表", &f.title)?;
    ws.set_row_height(0, 28)?;
    let year = head
        .year
        .map(|y| format!("（{y}年度）"))
        .unwrap_or_default();
    ws.merge_range(1, 0, 1, LAST, &year, &f.year)?;
    ws.write_string_with_format(2, 0, "项目名称", &f.label)?;
    ws.merge_range(2, 1, 2, LAST, &head.name, &f.text)?;
    ws.write_string_with_format(3, 0, "主管部门", &f.label)?;
    ws.merge_range(3, 1, 3, 3, &head.department, &f.text)?;
    ws.write_string_with_format(3, 4, "实施单位", &f.label)?;
    ws.merge_range(3, 5, 3, LAST, &head.implementer, &f.text)?;

    let unit = eval.budget.unit.clone().unwrap_or_else(|| "元".into());
    ws.merge_range(4, 0, 5, 0, &format!("项目资金（{unit}）"), &f.label)?;
    for (c, h) in [
        "",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(4, 1 + c as u16, *h, &f.label)?;
    }
    ws.merge_range(4, 8, 5, 8, "", &f.text)?;
    ws.write_string_with_format(5, 1, "年度资金总额", &f.label)?;
    // 年初预算数 is not kept apart from 全年预算数 by the scoring file: left empty.
    ws.write_blank(5, 2, &f.money)?;
    ws.write_number_with_format(5, 3, dec_f64(eval.budget.annual_budget), &f.money)?;
    ws.write_number_with_format(5, 4, dec_f64(eval.budget.spent), &f.money)?;
    ws.write_number_with_format(5, 5, dec_f64(s.budget_weight), &f.number)?;
    ws.write_string_with_format(5, 6, format!("{}%", s.execution_rate), &f.text)?;
    ws.write_number_with_format(5, 7, dec_f64(s.budget_score), &f.number)?;

    ws.merge_range(6, 0, 7, 0, "年度总体目标", &f.label)?;
    ws.merge_range(6, 1, 6, 4, "预期目标", &f.label)?;
    ws.merge_range(6, 5, 6, LAST, "实际完成情况", &f.label)?;
    ws.merge_range(7, 1, 7, 4, &head.goal_expected, &f.text)?;
    ws.merge_range(7, 5, 7, LAST, &head.goal_actual, &f.text)?;
    fit(
        ws,
        7,
        &[(&head.goal_expected, 76.0), (&head.goal_actual, 56.0)],
    )?;

    let top = 8u32;
    for (c, h) in [
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(top, 1 + c as u16, *h, &f.label)?;
    }
    let n = s.indicators.len() as u32;
    ws.merge_range(top, 0, top + n.max(1), 0, "绩效指标", &f.label)?;
    let inds = &s.indicators;
    merge_levels(
        ws,
        top + 1,
        inds.iter().map(|i| (i.level1, i.level2)).collect(),
        &f.text,
    )?;
    for (k, ind) in inds.iter().enumerate() {
        let r = top + 1 + k as u32;
        let deviation = eval
            .indicators
            .iter()
            .find(|x| x.name == ind.name)
            .map(|x| x.deviation.as_str())
            .unwrap_or("");
        ws.write_string_with_format(r, 3, &ind.name, &f.text)?;
        ws.write_string_with_format(r, 4, &ind.target, &f.text)?;
        ws.write_string_with_format(r, 5, &ind.actual, &f.text)?;
        ws.write_number_with_format(r, 6, dec_f64(ind.weight), &f.number)?;
        ws.write_number_with_format(r, 7, dec_f64(ind.score), &f.number)?;
        ws.write_string_with_format(r, 8, deviation, &f.text)?;
        fit(
            ws,
            r,
            &[
                (&ind.name, 30.0),
                (&ind.target, 16.0),
                (&ind.actual, 16.0),
                (deviation, 24.0),
            ],
        )?;
    }
    let r = top + n + 1;
    ws.merge_range(r, 0, r, 5, "总分", &f.label)?;
    let weights: rust_decimal::Decimal =
        s.budget_weight + inds.iter().map(|i| i.weight).sum::<rust_decimal::Decimal>();
    ws.write_number_with_format(r, 6, dec_f64(weights), &f.number)?;
    ws.write_number_with_format(r, 7, dec_f64(s.total), &f.number)?;
    ws.write_string_with_format(r, 8, s.grade.chinese(), &f.text)?;
    ws.write_string_with_format(r + 2, 0, "填报单位（盖章）：", &f.plain)?;
    ws.write_string_with_format(r + 2, 3, "填报人：", &f.plain)?;
    ws.write_string_with_format(r + 2, 5, "联系电话：", &f.plain)?;
    ws.write_string_with_format(r + 2, 7, "填报日期：", &f.plain)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(top, top)?;
    Ok(())
}

fn write_explanations(
    ws: &mut Worksheet,
    tables: &[(
        SelfHeader,
        &jixiao_core::score::SelfEvaluation,
        &jixiao_core::score::Scored,
    )],
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_column_width(0, 30)?;
    ws.set_column_width(1, 8)?;
    ws.set_column_width(2, 90)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    let mut r = 0u32;
    for (head, _, s) in tables {
        ws.merge_range(
            r,
            0,
            r,
            2,
            &format!("{}：计分说明（方案 {}）", head.name, s.scheme),
            &f.label,
        )?;
        r += 1;
        ws.write_string_with_format(r, 0, "预算执行", &f.text)?;
        ws.write_number_with_format(r, 1, dec_f64(s.budget_score), &f.number)?;
        ws.write_string_with_format(r, 2, &s.budget_explanation, &f.text)?;
        fit(ws, r, &[(&s.budget_explanation, 90.0)])?;
        r += 1;
        for i in &s.indicators {
            ws.write_string_with_format(r, 0, &i.name, &f.text)?;
            ws.write_number_with_format(r, 1, dec_f64(i.score), &f.number)?;
            ws.write_string_with_format(r, 2, &i.explanation, &f.text)?;
            fit(ws, r, &[(&i.name, 30.0), (&i.explanation, 90.0)])?;
            r += 1;
        }
        for d in &s.departures {
            let text = format!(
                "自评 {} ／ 按规则 {}：{}",
                d.self_score
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "—".into()),
                d.computed,
                d.reason
            );
            ws.write_string_with_format(r, 0, format!("偏离：{}", d.indicator), &f.label)?;
            ws.write_blank(r, 1, &f.text)?;
            ws.write_string_with_format(r, 2, &text, &f.text)?;
            fit(ws, r, &[(&text, 90.0)])?;
            r += 1;
        }
        for n in &s.needs_judgement {
            let text = format!("实际完成值“{}”：{}", n.actual, n.reason);
            ws.write_string_with_format(r, 0, format!("待审核人判断：{}", n.indicator), &f.label)?;
            ws.write_blank(r, 1, &f.text)?;
            ws.write_string_with_format(r, 2, &text, &f.text)?;
            fit(ws, r, &[(&text, 90.0)])?;
            r += 1;
        }
        r += 1;
    }
    Ok(())
}

/// What a blank template is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateKind {
    /// 项目支出绩效目标申报表.
    TargetForm,
    /// 项目支出绩效自评表.
    SelfEvaluation,
}

/// Rows for indicators in a blank template.
const TEMPLATE_ROWS: u32 = 30;

/// A blank template for units to fill in: the official header, funds and goals blocks, an
/// indicator table whose 一级指标 is a drop-down list, whose 二级指标 list follows the 一级
/// chosen (named ranges on a hidden sheet 选项 and `INDIRECT`), whose operator (指标性质) and
/// unit (计量单位, other units allowed) are drop-down lists too, and notes beside the table on
/// how to write targets. `example` fills the rows with a form (to show how, and to test that
/// what is filled in reads back).
pub fn template_xlsx(kind: TemplateKind, example: Option<&Form>) -> Result<Vec<u8>, XlsxError> {
    use jixiao_core::{Level1, Level2, Target};
    use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Formula};
    let mut book = Workbook::new();
    let f = Formats::new();
    let sheet_name = match kind {
        TemplateKind::TargetForm => "申报表",
        TemplateKind::SelfEvaluation => "自评表",
    };
    let ws = book.add_worksheet();
    ws.set_name(sheet_name)?;
    let widths = [
        10.0, 12.0, 18.0, 36.0, 12.0, 14.0, 10.0, 10.0, 24.0, 4.0, 60.0,
    ];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let title = match kind {
        TemplateKind::TargetForm => "项目支出绩效目标申报表",
        TemplateKind::SelfEvaluation => "项目支出绩效自评表",
    };
    ws.merge_range(0, 0, 0, 7, title, &f.title)?;
    let year = example.map(|e| e.year).unwrap_or(0);
    ws.merge_range(
        1,
        0,
        1,
        7,
        &if year > 0 {
            format!("（{year}年度）")
        } else {
            "（    年度）".into()
        },
        &f.year,
    )?;
    let label = |ws: &mut Worksheet, r: u32, c: u16, s: &str| {
        ws.write_string_with_format(r, c, s, &f.label).map(|_| ())
    };
    let value = |ws: &mut Worksheet, r: u32, c0: u16, c1: u16, s: &str| -> Result<(), XlsxError> {
        if c1 > c0 {
            ws.merge_range(r, c0, r, c1, s, &f.text)?;
        } else {
            ws.write_string_with_format(r, c0, s, &f.text)?;
        }
        Ok(())
    };
    let e = example;
    label(ws, 2, 0, "项目名称")?;
    value(ws, 2, 1, 3, e.map_or("", |x| &x.name))?;
    label(ws, 2, 4, "项目性质")?;
    value(ws, 2, 5, 5, e.map_or("", |x| &x.nature))?;
    label(ws, 2, 6, "项目类别")?;
    value(ws, 2, 7, 7, e.map_or("", |x| &x.category))?;
    label(ws, 3, 0, "主管部门")?;
    value(ws, 3, 1, 3, e.map_or("", |x| &x.department))?;
    label(ws, 3, 4, "实施单位")?;
    value(ws, 3, 5, 7, e.map_or("", |x| &x.implementer))?;
    // Funds: the year's request, or the self-evaluation's budget line.
    let money = |ws: &mut Worksheet, r: u32, c: u16, m: Option<Money>| -> Result<(), XlsxError> {
        match m {
            Some(m) => ws.write_number_with_format(r, c, yuan(m), &f.money)?,
            None => ws.write_blank(r, c, &f.money)?,
        };
        Ok(())
    };
    let goals_row = match kind {
        TemplateKind::TargetForm => {
            label(ws, 4, 0, "项目资金（元）")?;
            label(ws, 4, 1, "年度资金总额")?;
            money(ws, 4, 2, e.and_then(|x| x.funds.annual_total))?;
            label(ws, 4, 3, "其中：当年财政拨款")?;
            money(ws, 4, 4, e.and_then(|x| x.funds.annual_appropriation))?;
            label(ws, 4, 5, "上年结转资金")?;
            money(ws, 4, 6, e.and_then(|x| x.funds.annual_carryover))?;
            ws.write_blank(4, 7, &f.text)?;
            5
        }
        TemplateKind::SelfEvaluation => {
            ws.merge_range(4, 0, 5, 0, "项目资金（元）", &f.label)?;
            for (c, h) in [
                "",
                "年初预算数",
                "全年预算数",
                "全年执行数",
                "分值",
                "执行率",
                "得分",
            ]
            .iter()
            .enumerate()
            {
                label(ws, 4, 1 + c as u16, h)?;
            }
            label(ws, 5, 1, "年度资金总额")?;
            for c in 2..8u16 {
                ws.write_blank(5, c, &f.money)?;
            }
            6
        }
    };
    label(ws, goals_row, 0, "年度总体目标")?;
    ws.merge_range(
        goals_row,
        1,
        goals_row,
        7,
        e.map_or("", |x| &x.goal_annual),
        &f.text,
    )?;
    ws.set_row_height(goals_row, 48)?;

    // The indicator table.
    let head = goals_row + 1;
    let heads: &[&str] = match kind {
        TemplateKind::TargetForm => &[
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "指标值",
            "计量单位",
            "权重",
        ],
        TemplateKind::SelfEvaluation => &[
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ],
    };
    label(ws, head, 0, "绩效指标")?;
    for (c, h) in heads.iter().enumerate() {
        label(ws, head, 1 + c as u16, h)?;
    }
    let first = head + 1;
    let last = first + TEMPLATE_ROWS - 1;
    let table_last: u16 = match kind {
        TemplateKind::TargetForm => 7,
        TemplateKind::SelfEvaluation => 8,
    };
    for r in first..=last {
        for c in 0..=table_last {
            ws.write_blank(r, c, &f.text)?;
        }
    }
    if let Some(x) = e {
        for (k, ind) in x.indicators.iter().enumerate().take(TEMPLATE_ROWS as usize) {
            let r = first + k as u32;
            ws.write_string_with_format(r, 1, ind.level1.name(), &f.text)?;
            ws.write_string_with_format(r, 2, ind.level2.map_or("", |l| l.name()), &f.text)?;
            ws.write_string_with_format(r, 3, &ind.name, &f.text)?;
            let (op, val, unit) = match &ind.target {
                Target::Quantitative {
                    op,
                    value,
                    unit,
                    subject: None,
                    op_implied,
                } => (
                    if *op_implied {
                        String::new()
                    } else {
                        op.symbol().to_string()
                    },
                    value.normalize().to_string(),
                    unit.clone(),
                ),
                Target::Quantitative { .. } => (String::new(), ind.target.display(), String::new()),
                Target::Qualitative { text } => ("定性".to_string(), text.clone(), String::new()),
            };
            match kind {
                TemplateKind::TargetForm => {
                    ws.write_string_with_format(r, 4, op, &f.text)?;
                    ws.write_string_with_format(r, 5, val, &f.text)?;
                    ws.write_string_with_format(r, 6, unit, &f.text)?;
                    if let Some(w) = ind.weight {
                        ws.write_number_with_format(r, 7, dec_f64(w), &f.number)?;
                    }
                }
                TemplateKind::SelfEvaluation => {
                    ws.write_string_with_format(r, 4, ind.target.display(), &f.text)?;
                }
            }
        }
    }

    // Lists on a hidden sheet: the level 1 names, and for each a named range of its level 2s.
    let lists = book.add_worksheet();
    lists.set_name("选项")?;
    let level1s = [
        Level1::Output,
        Level1::Cost,
        Level1::Outcome,
        Level1::Satisfaction,
    ];
    for (c, l1) in level1s.iter().enumerate() {
        lists.write_string(0, c as u16, l1.name())?;
        let children: Vec<Level2> = Level2::ALL
            .iter()
            .copied()
            .filter(|l2| l2.level1() == *l1 || (*l1 == Level1::Output && *l2 == Level2::Cost))
            .collect();
        for (r, l2) in children.iter().enumerate() {
            lists.write_string(1 + r as u32, c as u16, l2.name())?;
        }
    }
    lists.set_hidden(true);
    let col_letter = |c: usize| (b'A' + c as u8) as char;
    for (c, l1) in level1s.iter().enumerate() {
        let n = Level2::ALL
            .iter()
            .filter(|l2| l2.level1() == *l1 || (*l1 == Level1::Output && **l2 == Level2::Cost))
            .count();
        book.define_name(
            l1.name(),
            &format!("=选项!${0}$2:${0}${1}", col_letter(c), 1 + n),
        )?;
    }
    let ws = book.worksheet_from_name(sheet_name)?;
    let level1_list = DataValidation::new()
        .allow_list_strings(&level1s.iter().map(|l| l.name()).collect::<Vec<_>>())?
        .set_input_title("一级指标")?
        .set_input_message("从列表中选择：产出、成本、效益或满意度指标")?;
    ws.add_data_validation(first, 1, last, 1, &level1_list)?;
    let level2_list = DataValidation::new()
        .allow_list_formula(Formula::new(format!("=INDIRECT($B{})", first + 1)))
        .set_input_title("二级指标")?
        .set_input_message("先选一级指标，这里只列出它下面的二级指标")?;
    ws.add_data_validation(first, 2, last, 2, &level2_list)?;
    if kind == TemplateKind::TargetForm {
        let ops = DataValidation::new()
            .allow_list_strings(&["≥", "≤", "=", "＞", "＜", "定性"])?
            .set_input_title("指标性质")?
            .set_input_message("定量指标选 ≥ ≤ = ＞ ＜；文字描述的指标选“定性”")?;
        ws.add_data_validation(first, 4, last, 4, &ops)?;
        let units = DataValidation::new()
            .allow_list_strings(&[
                "%",
                "个",
                "项",
                "人",
                "人次",
                "次",
                "万元",
                "元",
                "天",
                "小时",
                "套",
                "台",
                "平方米",
                "公里",
            ])?
            .set_error_style(DataValidationErrorStyle::Information)
            .set_input_title("计量单位")?
            .set_input_message("可从列表选择，也可填写其他单位；百分比填 %")?;
        ws.add_data_validation(first, 6, last, 6, &units)?;
    }
    // Notes beside the table, after an empty column: the reader leaves them out.
    let notes: &[&str] = match kind {
        TemplateKind::TargetForm => &[
            "填写说明：",
            "1. 一级、二级指标从下拉列表选择，二级指标随一级指标变化。",
            "2. 定量指标：指标性质选 ≥ ≤ = ＞ ＜，指标值只填数字（如 95），计量单位另填（如 %）。",
            "3. 定性指标：指标性质选“定性”，指标值写明达到什么程度算完成，避免“有所提升”一类说法。",
            "4. 金额单位为元，保留两位小数；每个项目至少有产出、效益、满意度指标，并宜有成本指标。",
        ],
        TemplateKind::SelfEvaluation => &[
            "填写说明：",
            "1. 年度指标值照抄批复的申报表；实际完成值写数字和单位（如 98%），定性指标写“达成”“部分达成”或“未达成”。",
            "2. 分值合计 90（预算执行 10 分另计）；得分不超过分值。",
            "3. 未达到指标值的，在偏差原因分析及改进措施中说明。",
        ],
    };
    for (k, n) in notes.iter().enumerate() {
        ws.write_string_with_format(head + k as u32, 10, *n, &f.plain)?;
    }
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_area(0, 0, last, table_last)?;
    ws.set_repeat_rows(head, head)?;
    book.save_to_buffer()
}

/// One line of a portfolio's 汇总表.
#[derive(Clone, Debug)]
pub struct SummaryRow {
    pub year: i32,
    pub name: String,
    pub department: String,
    pub implementer: String,
    pub annual_total: Option<Money>,
    pub status: String,
    pub indicators: i64,
    pub grade: Option<String>,
    pub warning: Option<String>,
}

/// The portfolio as a 汇总表: a line per form with its amount as a number, a total line that
/// sums them (exactly, from fen, not by a formula a reader could not check), and the filters
/// that chose the forms written above the table.
pub fn summary_xlsx(rows: &[SummaryRow], filters: &str) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let f = Formats::new();
    let ws = book.add_worksheet();
    ws.set_name("汇总表")?;
    let heads = [
        ("序号", 6.0),
        ("年度", 7.0),
        ("项目名称", 36.0),
        ("主管部门", 20.0),
        ("实施单位", 20.0),
        ("年度资金（元）", 18.0),
        ("状态", 12.0),
        ("指标数", 8.0),
        ("自评等级", 9.0),
        ("预警", 8.0),
    ];
    let last = heads.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last, "项目支出绩效目标汇总表", &f.title)?;
    ws.set_row_height(0, 28)?;
    let filters = if filters.trim().is_empty() {
        "全部申报表".to_string()
    } else {
        filters.to_string()
    };
    ws.merge_range(1, 0, 1, last, &format!("筛选条件：{filters}"), &f.plain)?;
    for (c, (h, w)) in heads.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
        ws.write_string_with_format(2, c as u16, *h, &f.label)?;
    }
    let mut sum: i64 = 0;
    for (k, r) in rows.iter().enumerate() {
        let row = 3 + k as u32;
        ws.write_number_with_format(row, 0, (k + 1) as f64, &f.number)?;
        ws.write_number_with_format(row, 1, r.year as f64, &f.number)?;
        ws.write_string_with_format(row, 2, &r.name, &f.text)?;
        ws.write_string_with_format(row, 3, &r.department, &f.text)?;
        ws.write_string_with_format(row, 4, &r.implementer, &f.text)?;
        match r.annual_total {
            Some(m) => {
                sum = sum.saturating_add(m.fen());
                ws.write_number_with_format(row, 5, yuan(m), &f.money)?
            }
            None => ws.write_blank(row, 5, &f.money)?,
        };
        ws.write_string_with_format(row, 6, &r.status, &f.text)?;
        ws.write_number_with_format(row, 7, r.indicators as f64, &f.number)?;
        ws.write_string_with_format(row, 8, r.grade.as_deref().unwrap_or(""), &f.text)?;
        ws.write_string_with_format(row, 9, r.warning.as_deref().unwrap_or(""), &f.text)?;
    }
    let total_row = 3 + rows.len() as u32;
    ws.merge_range(
        total_row,
        0,
        total_row,
        4,
        &format!("合计（{} 张）", rows.len()),
        &f.label,
    )?;
    ws.write_number_with_format(total_row, 5, yuan(Money::from_fen(sum)), &f.money)?;
    for c in 6..=last {
        ws.write_blank(total_row, c, &f.text)?;
    }
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(2, 2)?;
    ws.autofilter(2, 0, total_row.saturating_sub(1).max(2), last)?;
    book.save_to_buffer()
}

/// The 绩效运行监控表 of a form, a sheet per period: the budget spent against the year's,
/// each indicator's completion to date and forecast with how likely its target is met, the
/// reason for a deviation and any rectification, and the period's warnings with their numbers.
pub fn monitoring_xlsx(
    form: &Form,
    reports: &[(
        jixiao_core::monitor::PeriodReport,
        Vec<jixiao_core::monitor::Warning>,
    )],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let f = Formats::new();
    let chinese = |v: serde_json::Value| v.as_str().unwrap_or("").to_string();
    for (n, (r, warnings)) in reports.iter().enumerate() {
        let ws = book.add_worksheet();
        // Sheet names may not hold `/` or `:` and are at most 31 characters.
        let label: String = r
            .period
            .label
            .chars()
            .filter(|c| !matches!(c, '/' | '\\' | '?' | '*' | '[' | ']' | ':'))
            .take(20)
            .collect();
        ws.set_name(format!(
            "{}-{}",
            n + 1,
            if label.is_empty() {
                "期间".into()
            } else {
                label
            }
        ))?;
        let heads = [
            ("一级指标", 10.0),
            ("二级指标", 16.0),
            ("三级指标", 30.0),
            ("年度指标值", 16.0),
            ("截至本期完成情况", 16.0),
            ("全年预计完成情况", 16.0),
            ("完成可能性", 16.0),
            ("偏差原因", 16.0),
            ("偏差原因说明", 24.0),
            ("是否整改", 8.0),
            ("整改建议 / 结果", 24.0),
        ];
        let last = heads.len() as u16 - 1;
        for (c, (_, w)) in heads.iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        ws.merge_range(0, 0, 0, last, "项目支出绩效运行监控表", &f.title)?;
        ws.set_row_height(0, 28)?;
        ws.merge_range(
            1,
            0,
            1,
            last,
            &format!("（{}年度，监控期间：{}）", form.year, r.period.label),
            &f.year,
        )?;
        ws.write_string_with_format(2, 0, "项目名称", &f.label)?;
        ws.merge_range(2, 1, 2, 4, &form.name, &f.text)?;
        ws.write_string_with_format(2, 5, "实施单位", &f.label)?;
        ws.merge_range(2, 6, 2, last, &form.implementer, &f.text)?;
        ws.write_string_with_format(3, 0, "年度预算（元）", &f.label)?;
        match form.funds.annual_total {
            Some(m) => ws.write_number_with_format(3, 1, yuan(m), &f.money)?,
            None => ws.write_blank(3, 1, &f.money)?,
        };
        ws.write_string_with_format(3, 2, "截至本期执行数（元）", &f.label)?;
        ws.write_number_with_format(3, 3, yuan(r.spent), &f.money)?;
        ws.write_string_with_format(3, 4, "执行率", &f.label)?;
        let rate = form
            .funds
            .annual_total
            .filter(|m| m.fen() > 0)
            .map(|m| {
                let d = rust_decimal::Decimal::from(r.spent.fen())
                    * rust_decimal::Decimal::ONE_HUNDRED
                    / rust_decimal::Decimal::from(m.fen());
                format!("{}%", d.round_dp(2))
            })
            .unwrap_or_default();
        ws.write_string_with_format(3, 5, &rate, &f.text)?;
        ws.write_string_with_format(3, 6, "全年预计执行数（元）", &f.label)?;
        match r.forecast_spent {
            Some(m) => ws.write_number_with_format(3, 7, yuan(m), &f.money)?,
            None => ws.write_blank(3, 7, &f.money)?,
        };
        for c in 8..=last {
            ws.write_blank(3, c, &f.text)?;
        }
        let top = 5u32;
        for (c, (h, _)) in heads.iter().enumerate() {
            ws.write_string_with_format(top, c as u16, *h, &f.label)?;
        }
        for (k, ind) in form.indicators.iter().enumerate() {
            let row = top + 1 + k as u32;
            let p = r.indicators.iter().find(|p| p.indicator == ind.name);
            let cells = [
                ind.level1.name().to_string(),
                ind.level2.map_or(String::new(), |l| l.name().to_string()),
                ind.name.clone(),
                ind.raw.clone(),
                p.map(|p| p.to_date.clone()).unwrap_or_default(),
                p.map(|p| p.forecast.clone()).unwrap_or_default(),
                p.and_then(|p| p.likelihood)
                    .map(|l| chinese(serde_json::to_value(l).unwrap_or_default()))
                    .unwrap_or_default(),
                p.and_then(|p| p.deviation_category)
                    .map(|d| chinese(serde_json::to_value(d).unwrap_or_default()))
                    .unwrap_or_default(),
                p.map(|p| p.deviation.clone()).unwrap_or_default(),
                p.map(|p| if p.rectification_needed { "是" } else { "否" }.to_string())
                    .unwrap_or_default(),
                p.map(|p| {
                    [
                        p.rectification_advice.as_str(),
                        p.rectification_result.as_str(),
                    ]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" / ")
                })
                .unwrap_or_default(),
            ];
            for (c, v) in cells.iter().enumerate() {
                ws.write_string_with_format(row, c as u16, v, &f.text)?;
            }
            fit(
                ws,
                row,
                &[(&ind.name, 30.0), (&cells[8], 24.0), (&cells[10], 24.0)],
            )?;
        }
        let mut row = top + 2 + form.indicators.len() as u32;
        ws.merge_range(
            row,
            0,
            row,
            last,
            &format!("预警（{}）", warnings.len()),
            &f.label,
        )?;
        for w in warnings {
            row += 1;
            ws.write_string_with_format(row, 0, w.light.chinese(), &f.text)?;
            let text = format!(
                "{}{}：{}",
                w.indicator
                    .as_deref()
                    .map(|i| format!("{i} — "))
                    .unwrap_or_default(),
                w.message,
                w.numbers
            );
            ws.merge_range(row, 1, row, last, &text, &f.text)?;
        }
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(top, top)?;
    }
    if reports.is_empty() {
        book.add_worksheet().set_name("监控表")?;
    }
    book.save_to_buffer()
}
