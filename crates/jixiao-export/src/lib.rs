//! Writers for jixiao: the JSON exchange format, workbooks in the official layout, and the
//! form as the official table in a terminal. Writers are pure: they return text or bytes, the
//! caller decides where they go.

mod xlsx;
pub use xlsx::{
    forms_xlsx, monitoring_xlsx, self_evaluations_xlsx, summary_xlsx, template_xlsx, SelfHeader,
    SummaryRow, TemplateKind,
};

use comfy_table::{presets::UTF8_FULL, Cell, ContentArrangement, Table};
use jixiao_core::{Form, Money};
use serde::Serialize;

#[derive(Serialize)]
struct Exchange<'a> {
    forms: &'a [Form],
}

/// The public exchange format: `{"forms": [...]}`, pretty-printed, ending in a newline.
/// One CSV line (CRLF), every cell quoted, and a cell a spreadsheet would run as a formula
/// (leading `=`, `+`, `-`, `@`, tab or carriage return) neutralised with a leading `'`.
pub fn csv_line(cells: &[&str]) -> String {
    let cell = |s: &str| {
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut out = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

pub fn to_json(forms: &[Form]) -> String {
    // Serialising plain data into a String cannot fail: every map key is a string.
    let mut s = serde_json::to_string_pretty(&Exchange { forms }).unwrap_or_default();
    s.push('\n');
    s
}

fn money(m: Option<Money>) -> String {
    m.map(|m| m.grouped()).unwrap_or_default()
}

/// The form laid out like the official 绩效目标申报表, for a terminal `width` columns wide.
pub fn form_table(form: &Form, width: u16) -> String {
    let mut head = Table::new();
    head.load_preset(UTF8_FULL)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    head.add_row(vec![
        "项目名称",
        &form.name,
        "项目性质",
        &form.nature,
        "项目类别",
        &form.category,
    ]);
    head.add_row(vec![
        "主管部门",
        &form.department,
        "实施单位",
        &form.implementer,
        "",
        "",
    ]);
    head.add_row(vec![
        "计划开始日期".to_string(),
        date(form.start_date),
        "计划完成日期".to_string(),
        date(form.end_date),
        String::new(),
        String::new(),
    ]);
    let f = &form.funds;
    head.add_row(vec![
        "项目资金（元）".to_string(),
        "项目资金总额".into(),
        money(f.total),
        "年度资金申请总额".into(),
        money(f.annual_total),
        String::new(),
    ]);
    head.add_row(vec![
        String::new(),
        "其中：财政资金".into(),
        money(f.fiscal),
        "其中：当年财政拨款".into(),
        money(f.annual_appropriation),
        String::new(),
    ]);
    head.add_row(vec![
        String::new(),
        String::new(),
        String::new(),
        "上年结转资金".into(),
        money(f.annual_carryover),
        String::new(),
    ]);
    head.add_row(vec![
        String::new(),
        "其他资金".into(),
        money(f.other),
        "其他资金".into(),
        money(f.annual_other),
        String::new(),
    ]);

    let mut goals = Table::new();
    goals
        .load_preset(UTF8_FULL)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    goals.set_header(vec!["项目总目标", "年度总体目标"]);
    goals.add_row(vec![
        Cell::new(&form.goal_overall),
        Cell::new(&form.goal_annual),
    ]);

    let mut inds = Table::new();
    inds.load_preset(UTF8_FULL)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    inds.set_header(vec!["一级指标", "二级指标", "三级指标", "年度指标值"]);
    let mut last = (None, None);
    for i in &form.indicators {
        let l1 = if last.0 == Some(i.level1) {
            ""
        } else {
            i.level1.name()
        };
        let l2 = if last == (Some(i.level1), i.level2) {
            ""
        } else {
            i.level2.map(|l| l.name()).unwrap_or("（未填）")
        };
        last = (Some(i.level1), i.level2);
        inds.add_row(vec![l1, l2, &i.name, &i.raw]);
    }
    format!(
        "财政项目支出绩效目标申报表\n({}年度)\n{head}\n{goals}\n{inds}\n",
        form.year
    )
}
