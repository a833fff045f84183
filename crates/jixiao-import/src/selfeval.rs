//! Published self-evaluation tables (项目支出绩效自评表) as read, and how they become the
//! self-evaluation that `jixiao score` scores.

use crate::Warning;
use jixiao_core::score::{BudgetLine, SelfEvaluation, SelfIndicator};
use jixiao_core::{Level1, Level2};
use rust_decimal::Decimal;

/// One self-evaluation table, with its cells as written.
#[derive(Clone, Debug, PartialEq)]
pub struct SelfTable {
    pub year: Option<i32>,
    pub name: String,
    pub department: String,
    pub implementer: String,
    /// The unit of the amounts: `元` or `万元`.
    pub funds_unit: String,
    pub budget: SelfBudget,
    /// 年度总体目标: 预期目标 and 实际完成情况.
    pub goal_expected: String,
    pub goal_actual: String,
    pub rows: Vec<SelfRow>,
    /// The 总分 row: the weights' total and the unit's own total, as published.
    pub total_weight: Option<Decimal>,
    pub self_total: Option<Decimal>,
    pub grade: Option<String>,
}

/// The 年度资金总额 line (or the appropriation's when the total is empty), in `funds_unit`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelfBudget {
    pub initial: Option<Decimal>,
    pub annual: Option<Decimal>,
    pub spent: Option<Decimal>,
    pub weight: Option<Decimal>,
    /// 执行率 as written (`100%`).
    pub rate: Option<String>,
    pub self_score: Option<Decimal>,
    /// Fewer amounts than columns: which one is missing is a guess.
    pub ambiguous: bool,
}

/// One indicator row: target and actual as written.
#[derive(Clone, Debug, PartialEq)]
pub struct SelfRow {
    pub line: usize,
    pub level1: Level1,
    pub level2: Option<Level2>,
    pub name: String,
    pub target: String,
    pub actual: String,
    pub weight: Option<Decimal>,
    pub self_score: Option<Decimal>,
    pub deviation: String,
}

/// A table read from a file, with where it starts and the reader's warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadSelfTable {
    pub table: SelfTable,
    /// 1-based line where the table starts.
    pub line: usize,
    pub warnings: Vec<Warning>,
}

impl SelfTable {
    /// The self-evaluation to score. The annual budget is the 全年预算数, else the 年初预算数;
    /// with neither, the amount spent stands for it and a warning says so.
    pub fn to_self_evaluation(&self) -> (SelfEvaluation, Vec<String>) {
        let mut notes = vec![];
        let annual = self.budget.annual.or(self.budget.initial);
        let spent = self.budget.spent;
        let (annual, spent) = match (annual, spent) {
            (Some(a), Some(s)) => (a, s),
            (Some(a), None) => {
                notes.push("预算行没有全年执行数，按 0 计 / the budget line gives no amount spent: taken as 0".to_string());
                (a, Decimal::ZERO)
            }
            (None, Some(s)) => {
                notes.push("预算行没有全年预算数，按执行数计 / the budget line gives no annual budget: the amount spent stands for it".to_string());
                (s, s)
            }
            (None, None) => {
                notes.push("表中没有预算执行数据 / the table gives no budget figures".to_string());
                (Decimal::ZERO, Decimal::ZERO)
            }
        };
        let eval = SelfEvaluation {
            budget: BudgetLine {
                annual_budget: annual,
                spent,
                unit: Some(self.funds_unit.clone()),
                weight: self.budget.weight,
                self_score: self.budget.self_score,
            },
            indicators: self
                .rows
                .iter()
                .map(|r| SelfIndicator {
                    level1: Some(r.level1),
                    level2: r.level2,
                    name: r.name.clone(),
                    target: Some(r.target.clone()),
                    actual: r.actual.clone(),
                    weight: r.weight,
                    self_score: r.self_score,
                    deviation: r.deviation.clone(),
                })
                .collect(),
            total: self.self_total,
            overall_actual: self.goal_actual.clone(),
        };
        (eval, notes)
    }
}
