//! `jixiao monitor`: a period's figures from CSV or JSON, and the warnings they raise.

use anyhow::{bail, Context, Result};
use jixiao_core::monitor::{
    DeviationCategory, Likelihood, Period, PeriodReport, Progress, Thresholds, Warning,
};
use jixiao_core::{Form, Money};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MonitorFile {
    spent: Money,
    #[serde(default)]
    forecast_spent: Option<Money>,
    #[serde(default)]
    indicators: Vec<ProgressIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgressIn {
    #[serde(alias = "name")]
    indicator: String,
    #[serde(default)]
    to_date: String,
    #[serde(default)]
    forecast: String,
    #[serde(default)]
    likelihood: String,
    #[serde(default)]
    deviation_category: String,
    #[serde(default)]
    deviation: String,
    #[serde(default)]
    rectification_needed: Option<serde_json::Value>,
    #[serde(default)]
    rectification_advice: String,
    #[serde(default)]
    rectification_result: String,
}

fn yes_no(v: &str) -> Option<bool> {
    match v.trim() {
        "" | "否" | "不需要" | "无" | "no" | "false" | "0" => Some(false),
        "是" | "需要" | "yes" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// One row of figures, checked: `place` says where it came from for errors.
fn progress(form: &Form, row: ProgressIn, place: &str) -> Result<Progress> {
    let ind = form
        .indicators
        .iter()
        .find(|i| i.name == row.indicator.trim())
        .with_context(|| {
            format!(
                "{place}：申报表没有名为“{}”的指标 / the form has no indicator “{}”",
                row.indicator, row.indicator
            )
        })?;
    let likelihood = match row.likelihood.trim() {
        "" => None,
        l => Some(Likelihood::read(l).with_context(|| format!("{place}：完成可能性“{l}”应为 确定能/有可能/完全不可能 / likelihood “{l}” must be 确定能, 有可能 or 完全不可能"))?),
    };
    let deviation_category = match row.deviation_category.trim() {
        "" => None,
        c => Some(DeviationCategory::read(c).with_context(|| format!("{place}：偏差原因类别“{c}”应为 经费保障/制度保障/人员保障/硬件保障/其他 / unknown deviation category “{c}”"))?),
    };
    let rectification_needed = match row.rectification_needed {
        None => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(serde_json::Value::String(s)) => yes_no(&s).with_context(|| {
            format!("{place}：是否整改“{s}”应为 是/否 / rectification_needed must be yes or no")
        })?,
        Some(v) => {
            bail!("{place}：是否整改“{v}”应为 是/否 / rectification_needed must be yes or no")
        }
    };
    Ok(Progress {
        indicator_id: ind.id.clone(),
        indicator: ind.name.clone(),
        to_date: row.to_date.trim().to_string(),
        forecast: row.forecast.trim().to_string(),
        likelihood,
        deviation_category,
        deviation: row.deviation.trim().to_string(),
        rectification_needed,
        rectification_advice: row.rectification_advice.trim().to_string(),
        rectification_result: row.rectification_result.trim().to_string(),
    })
}

const BUDGET_ROW: [&str; 5] = ["预算执行", "预算执行情况", "资金", "budget", "资金执行"];

/// The column a CSV header names.
fn column(h: &str) -> Option<&'static str> {
    let h: String = h.chars().filter(|c| !c.is_whitespace()).collect();
    Some(match h.as_str() {
        "指标" | "指标名称" | "三级指标" | "indicator" | "name" => "indicator",
        "完成值" | "累计完成" | "完成情况" | "实际完成值" | "to_date" | "截至目前完成" => {
            "to_date"
        }
        "全年预计" | "全年预计完成情况" | "预计完成" | "forecast" => "forecast",
        "完成可能性" | "可能性" | "likelihood" => "likelihood",
        "偏差类型" | "偏差原因类别" | "deviation_category" => "deviation_category",
        "偏差原因" | "偏差原因说明" | "deviation" => "deviation",
        "是否整改" | "是否需要整改" | "rectification_needed" => "rectification_needed",
        "整改建议" | "整改措施" | "rectification_advice" => "rectification_advice",
        "整改结果" | "rectification_result" => "rectification_result",
        _ => return None,
    })
}

/// Reads a period's figures. CSV: a header row naming the columns (Chinese or English); a row
/// named 预算执行 (or `budget`) carries the money spent (to_date) and the year's forecast.
pub fn read(form: &Form, period: Period, path: &Path) -> Result<PeriodReport> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("无法读取 / cannot read {}", path.display()))?;
    let (text, _) = jixiao_import::decode(&bytes).with_context(|| path.display().to_string())?;
    let file = path.display().to_string();
    if text.trim_start().starts_with('{') {
        let f: MonitorFile = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{file}：JSON 第{}行第{}列 / line {}, column {}: {e}",
                e.line(),
                e.column(),
                e.line(),
                e.column()
            )
        })?;
        let indicators = f
            .indicators
            .into_iter()
            .enumerate()
            .map(|(n, row)| progress(form, row, &format!("{file} indicators[{n}]")))
            .collect::<Result<Vec<_>>>()?;
        return Ok(PeriodReport {
            period,
            spent: f.spent,
            forecast_spent: f.forecast_spent,
            indicators,
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .with_context(|| format!("{file}：无法读取表头 / cannot read the header row"))?
        .clone();
    let cols: Vec<Option<&str>> = headers.iter().map(column).collect();
    if let Some((i, h)) = headers.iter().enumerate().find(|(i, _)| cols[*i].is_none()) {
        bail!("{file}：第1行第{}列“{h}”不是可识别的列名 / column {} “{h}” of the header is not a known column", i + 1, i + 1);
    }
    if !cols.contains(&Some("indicator")) {
        bail!("{file}：表头缺少“指标名称”列 / the header has no indicator column");
    }
    let mut spent = None;
    let mut forecast_spent = None;
    let mut indicators = vec![];
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record
            .with_context(|| format!("{file}：第{line}行无法读取 / line {line} cannot be read"))?;
        let get = |name: &str| -> String {
            cols.iter()
                .position(|c| *c == Some(name))
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        let name = get("indicator");
        if name.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        let place = format!("{file} 第{line}行 / line {line}");
        if BUDGET_ROW.contains(&name.as_str()) {
            spent = Some(
                get("to_date")
                    .parse::<Money>()
                    .with_context(|| format!("{place}：预算执行数 / the amount spent"))?,
            );
            let f = get("forecast");
            if !f.is_empty() {
                forecast_spent =
                    Some(f.parse::<Money>().with_context(|| {
                        format!("{place}：全年预计执行数 / the year's forecast")
                    })?);
            }
            continue;
        }
        let row = ProgressIn {
            indicator: name,
            to_date: get("to_date"),
            forecast: get("forecast"),
            likelihood: get("likelihood"),
            deviation_category: get("deviation_category"),
            deviation: get("deviation"),
            rectification_needed: Some(serde_json::Value::String(get("rectification_needed"))),
            rectification_advice: get("rectification_advice"),
            rectification_result: get("rectification_result"),
        };
        indicators.push(progress(form, row, &place)?);
    }
    let spent = spent.with_context(|| {
        format!("{file}：缺少“预算执行”行（执行数）/ no 预算执行 row with the amount spent")
    })?;
    Ok(PeriodReport {
        period,
        spent,
        forecast_spent,
        indicators,
    })
}

pub fn thresholds(path: Option<&Path>) -> Result<Thresholds> {
    match path {
        None => Ok(Thresholds::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("无法读取 / cannot read {}", p.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("阈值配置有误 / invalid thresholds in {}", p.display()))
        }
    }
}

pub fn text(form: &Form, reports: &[(PeriodReport, Vec<Warning>)]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}（{}年度）绩效运行监控 / monitoring",
        form.name, form.year
    );
    for (r, ws) in reports {
        let budget = form.funds.annual_total.unwrap_or(Money::ZERO);
        let _ = writeln!(
            out,
            "\n== {}（{}–{}月）执行数 / spent {}，年度预算 / budget {}{}",
            r.period.label,
            r.period.start_month,
            r.period.end_month,
            r.spent.grouped(),
            budget.grouped(),
            r.forecast_spent
                .map(|f| format!("，全年预计 / forecast {}", f.grouped()))
                .unwrap_or_default()
        );
        for p in &r.indicators {
            let _ = writeln!(
                out,
                "  {}：完成 / to date {}；全年预计 / forecast {}{}",
                p.indicator,
                if p.to_date.is_empty() {
                    "—"
                } else {
                    &p.to_date
                },
                if p.forecast.is_empty() {
                    "—"
                } else {
                    &p.forecast
                },
                p.likelihood
                    .map(|l| format!(
                        "；{}",
                        serde_json::to_value(l)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    ))
                    .unwrap_or_default()
            );
        }
        if ws.is_empty() {
            let _ = writeln!(out, "  预警 / warnings: 无 / none");
        }
        for w in ws {
            let who = w
                .indicator
                .as_deref()
                .map(|i| format!("“{i}” "))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  [{}灯 {}] {}{} / {}",
                w.light.chinese(),
                w.code,
                who,
                w.message,
                w.message_en
            );
            let _ = writeln!(out, "      {}", w.numbers);
        }
    }
    out
}
