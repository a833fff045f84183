//! The store of jixiao: a backend-neutral [`Store`] trait and its SQLite implementation.
//!
//! Callers see forms, IDs and reports, never SQL: a PostgreSQL implementation plugs in
//! behind the same trait. Every write is one transaction; a failed one changes nothing.

mod sqlite;

pub use sqlite::SqliteStore;

use async_trait::async_trait;
use jixiao_core::monitor::PeriodReport;
use jixiao_core::review::Finding;
use jixiao_core::score::SelfEvaluation;
use jixiao_core::{Form, Money};

/// What to do when an imported form's key (year, implementer, name) is already stored
/// with different content. Identical content is always left alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Refuse the whole import (the default: replacing is explicit).
    #[default]
    Refuse,
    /// Replace the stored form's content, keeping its ID.
    Replace,
}

/// What an import did, form by form, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub outcomes: Vec<(String, ImportOutcome)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    Replaced,
    /// Already stored with the same content.
    Unchanged,
}

impl ImportReport {
    pub fn count(&self, o: ImportOutcome) -> usize {
        self.outcomes.iter().filter(|(_, x)| *x == o).count()
    }
}

/// A line of the form list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormSummary {
    pub id: String,
    pub year: i32,
    pub name: String,
    pub department: String,
    pub implementer: String,
    pub annual_total: Option<Money>,
    pub indicators: i64,
    pub version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("申报表“{name}”（{year}年度，{implementer}）已存在且内容不同（ID {id}）；如要替换请加 --replace / the form “{name}” ({year}, {implementer}) is already stored with different content (ID {id}); use --replace to replace it")]
    Exists {
        id: String,
        year: i32,
        implementer: String,
        name: String,
    },
    #[error("导入内容中有两张不同的申报表都是“{name}”（{year}年度，{implementer}）/ the import holds two different forms “{name}” ({year}, {implementer})")]
    DuplicateInImport {
        year: i32,
        implementer: String,
        name: String,
    },
    #[error(
        "ID {id} 已被另一张申报表“{other}”使用 / ID {id} is already used by another form “{other}”"
    )]
    IdTaken { id: String, other: String },
    #[error("找不到申报表 {0} / no form {0}")]
    NotFound(String),
    #[error("“{prefix}”匹配到 {count} 张申报表，请写更长的 ID / “{prefix}” matches {count} forms: give more of the ID")]
    Ambiguous { prefix: String, count: usize },
    #[error("数据库中的数据无法读取：{0} / stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("数据库迁移失败 / database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("数据库错误 / database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The store. Implementations: [`SqliteStore`]; PostgreSQL next, behind the same trait.
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores forms in one transaction. A form whose key is stored with the same content is
    /// left unchanged; with different content the import fails unless `on_conflict` is
    /// `Replace`. Forms keep the IDs they carry (from the exchange format) or get new ones.
    async fn import(
        &self,
        forms: &[Form],
        on_conflict: OnConflict,
    ) -> Result<ImportReport, StoreError>;

    /// Every form, newest year first, then by department and name.
    async fn list(&self) -> Result<Vec<FormSummary>, StoreError>;

    /// A form with its indicators, by full ID.
    async fn get(&self, id: &str) -> Result<Option<Form>, StoreError>;

    /// The full ID of the one form whose ID starts with `prefix`.
    async fn resolve(&self, prefix: &str) -> Result<String, StoreError>;

    /// Every form with its indicators, in list order.
    async fn all(&self) -> Result<Vec<Form>, StoreError>;

    /// (forms, indicators) stored.
    async fn counts(&self) -> Result<(i64, i64), StoreError>;

    /// The ID of the form with this key (year, implementing unit, project name).
    async fn find_key(
        &self,
        year: i32,
        implementer: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError>;

    /// The form's current version (1 when created, +1 on each replacement).
    async fn version(&self, id: &str) -> Result<i64, StoreError>;

    /// Keeps a form's review findings with its current version, replacing earlier findings
    /// of the same version. Returns that version.
    async fn save_findings(&self, id: &str, findings: &[Finding]) -> Result<i64, StoreError>;

    /// The findings kept for a version of a form (the current one when `version` is `None`).
    async fn findings(&self, id: &str, version: Option<i64>) -> Result<Vec<Finding>, StoreError>;

    /// Records a period's monitoring report, replacing an earlier one of the same period.
    async fn save_period(&self, id: &str, report: &PeriodReport) -> Result<(), StoreError>;

    /// The form's monitoring reports, in the order of their periods.
    async fn periods(&self, id: &str) -> Result<Vec<PeriodReport>, StoreError>;

    /// Records the form's self-evaluation, replacing an earlier one.
    async fn save_self_evaluation(
        &self,
        id: &str,
        evaluation: &SelfEvaluation,
    ) -> Result<(), StoreError>;

    async fn self_evaluation(&self, id: &str) -> Result<Option<SelfEvaluation>, StoreError>;
}

/// Opens the store a location names: a file path (SQLite, created with its migrations on
/// first use) or a `sqlite:` URL.
pub async fn open(location: &str) -> Result<Box<dyn Store>, StoreError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Err(StoreError::Corrupt(
            "PostgreSQL 尚未支持 / PostgreSQL is not supported yet".into(),
        ));
    }
    let path = location
        .strip_prefix("sqlite://")
        .or_else(|| location.strip_prefix("sqlite:"))
        .unwrap_or(location);
    Ok(Box::new(
        SqliteStore::open(std::path::Path::new(path)).await?,
    ))
}
