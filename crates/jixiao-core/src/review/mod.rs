//! Automatic review of target forms (智能审核).
//!
//! Every rule has a stable code, a default severity, and is a pure function of a form (and,
//! where given, last year's form). A finding says where it points (a field or an indicator),
//! why (message, in Chinese and English), what triggered it (evidence) and how to fix it.
//! Which rules run, and how severe they are, is configuration ([`RuleConfig`]), because
//! jurisdictions differ.

mod goals;
mod rules;
#[cfg(test)]
mod tests;

pub use goals::{stated_numbers, StatedNumber};

use crate::Form;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            Severity::Hint => "提示",
            Severity::Warning => "警告",
            Severity::Error => "错误",
        }
    }

    pub fn from_name(s: &str) -> Option<Severity> {
        match s {
            "hint" => Some(Severity::Hint),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding of the review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The form's name.
    pub form: String,
    /// The indicator's name, when the finding points to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// Position of that indicator in the form (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator_index: Option<usize>,
    /// The indicator's stable ID, when the form is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator_id: Option<String>,
    /// The form field the finding points to (`funds.total`, `goal_annual`, `indicators[3].target` …).
    pub field: String,
    pub code: String,
    pub severity: Severity,
    /// Why, in Chinese.
    pub message: String,
    pub message_en: String,
    /// The text or numbers that triggered the finding.
    pub evidence: String,
    /// How to fix it, in Chinese.
    pub fix: String,
    pub fix_en: String,
}

/// A rule as the registry knows it.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub title_en: &'static str,
}

/// Every rule, in the order findings are reported.
pub fn registry() -> Vec<RuleInfo> {
    rules::RULES.iter().map(|r| r.info).collect()
}

/// Per-rule overrides and settings, as written in a rules TOML file:
///
/// ```toml
/// [rules.COST-MISSING]
/// severity = "error"          # error | warning | hint
/// [rules.GOAL-NUMBER-UNMEASURED]
/// enabled = false
/// [settings]
/// history_jump_factor = "3"   # a target changing by this factor on last year's is a jump
/// vague_words = ["稳步推进"]   # added to the built-in list
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    #[serde(default)]
    pub rules: BTreeMap<String, RuleOverride>,
    #[serde(default)]
    pub settings: Settings,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// A target that changes by this factor or more on last year's is a jump.
    #[serde(with = "rust_decimal::serde::str")]
    pub history_jump_factor: rust_decimal::Decimal,
    /// Words that make a qualitative target vague, added to the built-in ones.
    pub vague_words: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            history_jump_factor: rust_decimal::Decimal::from(3),
            vague_words: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("规则配置中没有代码为“{0}”的规则 / the rule configuration names no rule “{0}”")]
    UnknownRule(String),
    #[error("历史跳变倍数须大于 1 / history_jump_factor must be greater than 1")]
    BadFactor,
}

/// The rules that run, with their severities and settings.
#[derive(Clone, Debug)]
pub struct RuleSet {
    active: Vec<(usize, Severity)>,
    pub settings: Settings,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::new(&RuleConfig::default()).unwrap_or_else(|_| RuleSet {
            active: vec![],
            settings: Settings::default(),
        })
    }
}

impl RuleSet {
    pub fn new(config: &RuleConfig) -> Result<RuleSet, ConfigError> {
        for code in config.rules.keys() {
            if !rules::RULES.iter().any(|r| r.info.code == code) {
                return Err(ConfigError::UnknownRule(code.clone()));
            }
        }
        if config.settings.history_jump_factor <= rust_decimal::Decimal::ONE {
            return Err(ConfigError::BadFactor);
        }
        let active = rules::RULES
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let o = config.rules.get(r.info.code);
                let enabled = o.and_then(|o| o.enabled).unwrap_or(true);
                enabled.then(|| (i, o.and_then(|o| o.severity).unwrap_or(r.info.severity)))
            })
            .collect();
        Ok(RuleSet {
            active,
            settings: config.settings.clone(),
        })
    }

    /// The severity a rule runs at, if it runs.
    pub fn severity_of(&self, code: &str) -> Option<Severity> {
        self.active
            .iter()
            .find(|(i, _)| rules::RULES[*i].info.code == code)
            .map(|(_, s)| *s)
    }

    /// The codes of the rules that run.
    pub fn codes(&self) -> Vec<&'static str> {
        self.active
            .iter()
            .map(|(i, _)| rules::RULES[*i].info.code)
            .collect()
    }
}

/// Reviews a form, with last year's form of the same project when there is one.
pub fn review(form: &Form, last_year: Option<&Form>, rules: &RuleSet) -> Vec<Finding> {
    review_with_actuals(form, last_year, &[], rules)
}

/// Reviews a form with last year's form and what last year actually achieved (indicator name
/// and actual value as written, from its self-evaluation): a target below last year's actual
/// is then measured against the actual, not only against last year's target.
pub fn review_with_actuals(
    form: &Form,
    last_year: Option<&Form>,
    last_actuals: &[(String, String)],
    rules: &RuleSet,
) -> Vec<Finding> {
    review_with_history(form, last_year, last_actuals, &[], rules)
}

/// Reviews a form with all that last year left: its form, its actuals, and the
/// rectifications (整改) its monitoring asked for that still have no result, as (indicator,
/// advice); those are carried into this year's review (rule `HISTORY-RECTIFY`).
pub fn review_with_history(
    form: &Form,
    last_year: Option<&Form>,
    last_actuals: &[(String, String)],
    last_rectifications: &[(String, String)],
    rules: &RuleSet,
) -> Vec<Finding> {
    let mut ctx = rules::Ctx::new(form, last_year, &rules.settings);
    ctx.last_actuals = last_actuals;
    ctx.last_rectifications = last_rectifications;
    let mut findings = Vec::new();
    for &(i, severity) in &rules.active {
        let rule = &rules::RULES[i];
        let mut drafts = Vec::new();
        (rule.check)(&ctx, &mut drafts);
        findings.extend(
            drafts
                .into_iter()
                .map(|d| d.finish(form, rule.info.code, severity)),
        );
    }
    findings
}
