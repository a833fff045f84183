//! `jixiao check`: the automatic review, printed like a compiler's diagnostics or as JSON.

use anyhow::{Context, Result};
use jixiao_core::review::{self, Finding, RuleConfig, RuleSet, Severity};
use jixiao_core::Form;
use jixiao_store::Store;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The rule set a `--rules FILE` names, or the default one.
pub fn rule_set(path: Option<&Path>) -> Result<RuleSet> {
    let config = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| {
                format!(
                    "无法读取规则文件 / cannot read the rules file {}",
                    p.display()
                )
            })?;
            toml::from_str::<RuleConfig>(&text).with_context(|| {
                format!("规则文件有误 / the rules file {} is not valid", p.display())
            })?
        }
        None => RuleConfig::default(),
    };
    RuleSet::new(&config).with_context(|| "规则配置有误 / invalid rule configuration".to_string())
}

/// A form to review: where it came from and its stored ID, if any.
pub struct Subject {
    pub form: Form,
    pub origin: String,
    pub stored_id: Option<String>,
}

/// Reviews every subject, with last year's form from `history` (matched by implementer and
/// name, year − 1) or from the store.
pub async fn review_all(
    subjects: &[Subject],
    history: &[Form],
    store: Option<&dyn Store>,
    rules: &RuleSet,
) -> Result<Vec<Vec<Finding>>> {
    let mut all = Vec::with_capacity(subjects.len());
    for s in subjects {
        let f = &s.form;
        let given = history
            .iter()
            .find(|h| h.year == f.year - 1 && h.implementer == f.implementer && h.name == f.name)
            .map(|h| jixiao_store::LastYear {
                form: h.clone(),
                actuals: vec![],
                rectifications: vec![],
            });
        let last = match (given, store) {
            (Some(l), _) => Some(l),
            (None, Some(store)) => store.last_year(f).await?,
            (None, None) => None,
        };
        all.push(match &last {
            Some(l) => {
                review::review_with_history(f, Some(&l.form), &l.actuals, &l.rectifications, rules)
            }
            None => review::review(f, None, rules),
        });
    }
    Ok(all)
}

#[derive(Serialize)]
struct Report<'a> {
    findings: Vec<&'a Finding>,
    summary: Summary,
}

#[derive(Serialize, Default)]
struct Summary {
    forms: usize,
    errors: usize,
    warnings: usize,
    hints: usize,
    by_rule: BTreeMap<String, usize>,
}

fn summarize<'a>(findings: impl Iterator<Item = &'a Finding>) -> Summary {
    let mut s = Summary::default();
    for f in findings {
        match f.severity {
            Severity::Error => s.errors += 1,
            Severity::Warning => s.warnings += 1,
            Severity::Hint => s.hints += 1,
        }
        *s.by_rule.entry(f.code.clone()).or_default() += 1;
    }
    s
}

pub fn json(subjects: &[Subject], findings: &[Vec<Finding>]) -> String {
    let mut summary = summarize(findings.iter().flatten());
    summary.forms = subjects.len();
    let report = Report {
        findings: findings.iter().flatten().collect(),
        summary,
    };
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}

pub fn text(subjects: &[Subject], findings: &[Vec<Finding>]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (s, fs) in subjects.iter().zip(findings) {
        let id = s
            .stored_id
            .as_deref()
            .map(|i| format!(" ID {}", i.chars().take(12).collect::<String>()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "== {}（{}年度）{}  [{}]",
            s.form.name, s.form.year, id, s.origin
        );
        for f in fs {
            let place = match &f.indicator {
                Some(name) => format!("{} “{}”", f.field, name),
                None => f.field.clone(),
            };
            let _ = writeln!(
                out,
                "{}[{}] {} {}",
                f.severity.name(),
                f.code,
                f.severity.chinese(),
                place
            );
            let _ = writeln!(out, "    {}", f.message);
            let _ = writeln!(out, "    {}", f.message_en);
            if !f.evidence.is_empty() {
                let _ = writeln!(out, "    依据 / evidence: {}", f.evidence);
            }
            let _ = writeln!(out, "    修改 / fix: {} / {}", f.fix, f.fix_en);
        }
        let sum = summarize(fs.iter());
        let _ = writeln!(
            out,
            "  {} 个错误 / errors，{} 个警告 / warnings，{} 个提示 / hints\n",
            sum.errors, sum.warnings, sum.hints
        );
    }
    let sum = summarize(findings.iter().flatten());
    if !sum.by_rule.is_empty() {
        let _ = writeln!(out, "按规则 / by rule:");
        let registry = review::registry();
        for (code, n) in &sum.by_rule {
            let title = registry
                .iter()
                .find(|r| r.code == code)
                .map(|r| format!("{} / {}", r.title, r.title_en))
                .unwrap_or_default();
            let _ = writeln!(out, "  {code:<26} {n:>4}  {title}");
        }
    }
    let _ = writeln!(
        out,
        "合计 / total: {} 张申报表 / forms，{} 个错误 / errors，{} 个警告 / warnings，{} 个提示 / hints",
        subjects.len(),
        sum.errors,
        sum.warnings,
        sum.hints
    );
    out
}
