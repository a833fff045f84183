//! `jixiao score`: the self-evaluation table (项目支出绩效自评表) with every point explained.

use anyhow::{bail, Context, Result};
use comfy_table::{presets::UTF8_FULL, ContentArrangement, Table};
use jixiao_core::score::{grouped, Scheme, Scored, SelfEvaluation};
use jixiao_core::Form;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemesFile {
    #[serde(default)]
    scheme: Vec<Scheme>,
}

/// The scheme named, from the built-in ones and a `--schemes FILE` (TOML `[[scheme]]` tables;
/// a scheme there with a built-in's name replaces it).
pub fn scheme(name: Option<&str>, file: Option<&Path>) -> Result<Scheme> {
    let mut all = Scheme::builtin();
    if let Some(p) = file {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("无法读取 / cannot read {}", p.display()))?;
        let f: SchemesFile = toml::from_str(&text)
            .with_context(|| format!("计分方案配置有误 / invalid schemes in {}", p.display()))?;
        for s in f.scheme {
            all.retain(|x| x.name != s.name);
            all.push(s);
        }
    }
    let name = name.unwrap_or("national");
    match all.iter().find(|s| s.name == name) {
        Some(s) => Ok(s.clone()),
        None => bail!(
            "没有名为“{name}”的计分方案；可用：{} / no scheme “{name}”; available: {}",
            all.iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            all.iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub fn read_file(path: &Path) -> Result<SelfEvaluation> {
    let mut tables = read_tables(path)?;
    if tables.len() != 1 {
        bail!(
            "{}：含 {} 张自评表，录入时只能一张 / holds {} tables: record one at a time",
            path.display(),
            tables.len(),
            tables.len()
        );
    }
    Ok(tables.remove(0).eval)
}

/// One self-evaluation from a file: the JSON format, or a table read from published text.
pub struct FileTable {
    /// The table's project, unit and year, when read from published text.
    pub table: Option<jixiao_import::SelfTable>,
    pub eval: SelfEvaluation,
    /// What the reader had to say (with line numbers).
    pub warnings: Vec<String>,
}

/// Reads `--file`: the JSON format (`{"budget": …, "indicators": […]}`), or published text
/// with one or more 项目支出绩效自评表.
pub fn read_tables(path: &Path) -> Result<Vec<FileTable>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("无法读取 / cannot read {}", path.display()))?;
    let out = if jixiao_import::is_workbook(&bytes) {
        jixiao_import::read_workbook(&bytes).with_context(|| path.display().to_string())?
    } else {
        let (text, _) =
            jixiao_import::decode(&bytes).with_context(|| path.display().to_string())?;
        if text.trim_start().starts_with('{') {
            return read_json_file(path, &text);
        }
        jixiao_import::read_disclosure_str(&text).with_context(|| path.display().to_string())?
    };
    tables_of(path, out)
}

fn read_json_file(path: &Path, text: &str) -> Result<Vec<FileTable>> {
    {
        let eval: SelfEvaluation = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{}：JSON 第{}行第{}列 / line {}, column {}: {e}",
                path.display(),
                e.line(),
                e.column(),
                e.line(),
                e.column()
            )
        })?;
        if eval.budget.yuan_per_unit().is_none() {
            bail!(
                "{}：金额单位“{}”无法识别，应为 元、万元 或 亿元 / unknown amount unit: use 元, 万元 or 亿元",
                path.display(),
                eval.budget.unit.as_deref().unwrap_or("")
            );
        }
        Ok(vec![FileTable {
            table: None,
            eval,
            warnings: vec![],
        }])
    }
}

fn tables_of(path: &Path, out: jixiao_import::ReadOutput) -> Result<Vec<FileTable>> {
    if out.tables.is_empty() {
        bail!(
            "{}：没有找到绩效自评表（应有“实际完成值”“得分”等列）/ no self-evaluation table found (expected columns such as 实际完成值 and 得分)",
            path.display()
        );
    }
    Ok(out
        .tables
        .into_iter()
        .map(|t| {
            let (eval, notes) = t.table.to_self_evaluation();
            let mut warnings: Vec<String> = t
                .warnings
                .iter()
                .map(|w| format!("{}:{w}", path.display()))
                .collect();
            warnings.extend(
                notes
                    .into_iter()
                    .map(|n| format!("{}:{}: {n}", path.display(), t.line)),
            );
            FileTable {
                table: Some(t.table),
                eval,
                warnings,
            }
        })
        .collect())
}

/// The JSON object of one scored table: today's scoring with the table as read.
pub fn table_json(t: &FileTable, scored: &Scored) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(scored)?;
    if let (Some(table), Some(obj)) = (&t.table, v.as_object_mut()) {
        obj.insert("name".into(), table.name.clone().into());
        obj.insert("department".into(), table.department.clone().into());
        obj.insert("implementer".into(), table.implementer.clone().into());
        obj.insert("year".into(), table.year.into());
        obj.insert("funds_unit".into(), table.funds_unit.clone().into());
        obj.insert("grade_as_published".into(), table.grade.clone().into());
        obj.insert(
            "total_weight_as_published".into(),
            table.total_weight.map(|d| d.to_string()).into(),
        );
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("warnings".into(), t.warnings.clone().into());
    }
    Ok(v)
}

/// A self-evaluation made from a year-end monitoring report (a period ending in December):
/// to-date figures (or the forecast) as actuals, default weights.
pub fn from_monitoring(
    form: &Form,
    report: &jixiao_core::monitor::PeriodReport,
) -> Option<SelfEvaluation> {
    use jixiao_core::score::{BudgetLine, SelfIndicator};
    let budget = form.funds.annual_total?;
    let indicators = form
        .indicators
        .iter()
        .filter_map(|i| {
            let p = report.indicators.iter().find(|p| p.indicator == i.name)?;
            let actual = if p.to_date.is_empty() {
                p.forecast.clone()
            } else {
                p.to_date.clone()
            };
            (!actual.is_empty()).then(|| SelfIndicator {
                level1: Some(i.level1),
                level2: i.level2,
                name: i.name.clone(),
                target: None,
                actual,
                weight: None,
                self_score: None,
                deviation: p.deviation.clone(),
            })
        })
        .collect();
    Some(SelfEvaluation {
        budget: BudgetLine {
            annual_budget: budget.to_yuan(),
            spent: report.spent.to_yuan(),
            unit: None,
            weight: None,
            self_score: None,
        },
        indicators,
        total: None,
        overall_actual: String::new(),
    })
}

pub fn text(form: Option<&Form>, eval: &SelfEvaluation, scored: &Scored, width: u16) -> String {
    let mut head = Table::new();
    head.load_preset(UTF8_FULL)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if let Some(f) = form {
        head.add_row(vec!["项目名称", &f.name, "", "", "", "", ""]);
        head.add_row(vec![
            "主管部门",
            &f.department,
            "实施单位",
            &f.implementer,
            "",
            "",
            "",
        ]);
    }
    head.add_row(vec![
        format!(
            "项目资金（{}）",
            eval.budget.unit.as_deref().unwrap_or("元")
        )
        .as_str(),
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ]);
    let k = eval.budget.yuan_per_unit().unwrap_or(Decimal::ONE);
    let initial = form
        .and_then(|f| f.funds.annual_total)
        .map(|m| m.to_yuan() / k)
        .unwrap_or(eval.budget.annual_budget);
    head.add_row(vec![
        "年度资金总额".to_string(),
        grouped(initial),
        grouped(eval.budget.annual_budget),
        grouped(eval.budget.spent),
        scored.budget_weight.normalize().to_string(),
        format!("{}%", scored.execution_rate.normalize()),
        scored.budget_score.to_string(),
    ]);
    let mut inds = Table::new();
    inds.load_preset(UTF8_FULL)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    inds.set_header(vec![
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "计分说明",
    ]);
    let mut last = (None, None);
    for s in &scored.indicators {
        let l1 = if last.0 == Some(s.level1) {
            ""
        } else {
            s.level1.name()
        };
        let l2 = if last == (Some(s.level1), s.level2) {
            ""
        } else {
            s.level2.map(|l| l.name()).unwrap_or("")
        };
        last = (Some(s.level1), s.level2);
        inds.add_row(vec![
            l1,
            l2,
            &s.name,
            &s.target,
            &s.actual,
            &s.weight.normalize().to_string(),
            &s.score.to_string(),
            &s.explanation,
        ]);
    }
    let mut out = format!(
        "项目支出绩效自评表\n{}计分方案 / scheme: {}\n{head}\n预算执行 / budget: {}\n{inds}\n总分 / total: {}    等级 / grade: {}\n",
        form.map(|f| format!("（{}年度）\n", f.year)).unwrap_or_default(),
        scored.scheme,
        scored.budget_explanation,
        scored.total,
        scored.grade.chinese()
    );
    if !scored.departures.is_empty() {
        out.push_str("\n自评与规则不符之处 / departures of the self-evaluation:\n");
        for d in &scored.departures {
            out.push_str(&format!(
                "  {}：自评 / self {}，按规则 / computed {} — {}\n",
                d.indicator,
                d.self_score
                    .map(|s| s.normalize().to_string())
                    .unwrap_or("—".into()),
                d.computed.normalize(),
                d.reason
            ));
        }
    }
    out
}
