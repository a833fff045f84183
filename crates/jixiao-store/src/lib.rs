//! The store of jixiao: the backend-neutral [`Store`] trait and its contract (this file),
//! and one module per backend, [`sqlite`] and [`postgres`], each compiling the one SQL text
//! in `src/sql/` with its own connection, migrations and write transaction.
//!
//! Callers see forms, IDs and reports, never SQL. Every write is one transaction; a failed one changes nothing.

mod bulk;
pub mod copy;
mod cursor;
pub mod postgres;
pub mod sqlite;
pub mod testing;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use jixiao_core::duties::{GrantKind, GrantStatus};
use jixiao_core::monitor::PeriodReport;
use jixiao_core::review::Finding;
use jixiao_core::score::SelfEvaluation;
use jixiao_core::signature::{SignedText, SigningKey};
use jixiao_core::workflow::{Action, EvalStatus, Role, Status};
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

/// How many forms an import created, replaced and left unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    pub replaced: u64,
    pub unchanged: u64,
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
    #[error("申报表已被 {updated_by} 于 {updated_at} 修改为第 {current} 版，你的修改基于第 {base} 版 / the form was changed by {updated_by} at {updated_at} to version {current}; your change was based on version {base}")]
    Conflict {
        base: i64,
        current: i64,
        updated_by: String,
        updated_at: String,
    },
    #[error("申报表状态已变为“{0}” / the form's status has changed to {0}")]
    StatusChanged(String),
    #[error("自评为“{0}”状态，不能修改 / the self-evaluation is {0} and cannot be changed")]
    EvalLocked(&'static str),
    #[error("自评状态已变为“{0}” / the self-evaluation's status has changed to {0}")]
    EvalStatusChanged(&'static str),
    #[error("“{name}”（{year}年度）为“{status}”，不能用导入替换；请在系统中撤回或办理调整 / “{name}” ({year}) is {status_en}: an import cannot replace it; withdraw or adjust it in the application")]
    NotReplaceable {
        name: String,
        year: i32,
        status: &'static str,
        status_en: &'static str,
    },
    #[error("名称“{0}”已被使用 / the name “{0}” is taken")]
    Taken(String),
    #[error("“{0}”已有待审批的授权申请，请先审批或撤回它 / “{0}” has a grant waiting for approval already: decide on it or withdraw it first")]
    GrantPending(String),
    #[error("此授权申请已{0}，不能再审批 / this grant was {1} already")]
    GrantDecided(&'static str, &'static str),
    #[error("账户“{0}”的角色在申请后已经改变，此申请不再适用，请拒绝后重新申请 / the role of “{0}” changed after the request: reject it and ask again")]
    GrantStale(String),
    /// A list cursor that is not one this store gave for this sort.
    #[error("分页游标无效（{zh}），请从第一页重新翻页 / the page cursor is not valid ({en}): start again from the first page")]
    BadCursor { zh: &'static str, en: &'static str },
    #[error("找不到申报表 {0} / no form {0}")]
    NotFound(String),
    #[error("“{prefix}”匹配到 {count} 张申报表，请写更长的 ID / “{prefix}” matches {count} forms: give more of the ID")]
    Ambiguous { prefix: String, count: usize },
    #[error("数据库中的数据无法读取：{0} / stored data cannot be read: {0}")]
    Corrupt(String),
    /// The reader of an import failed (its message), so nothing was imported.
    #[error("{0}")]
    Input(String),
    #[error("无法签名：{0} / cannot sign: {0}")]
    Unsignable(String),
    /// `jixiao db copy` refused or found a difference (nothing was committed).
    #[error("{0}")]
    Copy(String),
    #[error("数据库迁移失败 / database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("数据库错误 / database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The store. Implementations: [`SqliteStore`] and [`PostgresStore`] (the same SQL).
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores forms in one transaction. A form whose key is stored with the same content is
    /// left unchanged; with different content the import fails unless `on_conflict` is
    /// `Replace`, and a form under review or approved is never replaced
    /// ([`StoreError::NotReplaceable`]). Forms keep the IDs they carry (from the exchange
    /// format) or get new ones. New forms belong to the unit organisation named as their
    /// implementer, if there is one.
    async fn import(
        &self,
        forms: &[Form],
        on_conflict: OnConflict,
    ) -> Result<ImportReport, StoreError> {
        self.import_for(forms, on_conflict, None).await
    }

    /// [`Store::import`], the new forms given to the unit organisation `owner` (when given) in
    /// the same transaction.
    async fn import_for(
        &self,
        forms: &[Form],
        on_conflict: OnConflict,
        owner: Option<&str>,
    ) -> Result<ImportReport, StoreError>;

    /// An import of any size in one transaction, batch by batch, so memory holds one batch:
    /// each batch is stored as [`Store::import_for`] stores its forms (the library moved, new
    /// forms given their owner) and handed to `seen` with its outcomes before the next is
    /// read. A batch that is an error (the reader's, as text) or a form that cannot be stored
    /// ends the import with nothing written. A key repeated in a later batch is treated as
    /// stored already (unchanged if identical; else refused, or replaced with `Replace`).
    async fn import_batches(
        &self,
        batches: &mut (dyn Iterator<Item = Result<Vec<Form>, String>> + Send),
        on_conflict: OnConflict,
        owner: Option<&str>,
        seen: &mut (dyn for<'b> FnMut(&'b [Form], &'b [(String, ImportOutcome)]) + Send),
    ) -> Result<ImportCounts, StoreError>;

    /// Every form, newest year first, then by department and name.
    async fn list(&self) -> Result<Vec<FormRow>, StoreError>;

    /// A form with its indicators, by full ID.
    async fn get(&self, id: &str) -> Result<Option<Form>, StoreError>;

    /// The full ID of the one form whose ID starts with `prefix`.
    async fn resolve(&self, prefix: &str) -> Result<String, StoreError>;

    /// Every form with its indicators, in list order.
    async fn all(&self) -> Result<Vec<Form>, StoreError>;

    /// (forms, indicators) stored.
    async fn counts(&self) -> Result<(i64, i64), StoreError>;

    /// The change counters, read together: what a server caches is checked against them.
    async fn generations(&self) -> Result<Generations, StoreError>;

    /// The ID of the form with this key (year, implementing unit, project name).
    async fn find_key(
        &self,
        year: i32,
        implementer: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError>;

    /// Last year's form of the same project (year − 1, same implementer and name), with what it
    /// actually achieved, by indicator name, when its self-evaluation is recorded, and the
    /// rectifications its monitoring left open.
    async fn last_year(&self, form: &Form) -> Result<Option<LastYear>, StoreError> {
        let Some(id) = self
            .find_key(form.year - 1, &form.implementer, &form.name)
            .await?
        else {
            return Ok(None);
        };
        let Some(prev) = self.get(&id).await? else {
            return Ok(None);
        };
        let actuals = self
            .self_evaluation(&id)
            .await?
            .map(|e| {
                e.indicators
                    .into_iter()
                    .map(|i| (i.name, i.actual))
                    .collect()
            })
            .unwrap_or_default();
        let rectifications = jixiao_core::monitor::open_rectifications(&self.periods(&id).await?);
        Ok(Some(LastYear {
            form: prev,
            actuals,
            rectifications,
        }))
    }

    /// The indicator library (指标库): entries whose name contains the query.
    async fn library(&self, q: &LibraryQuery) -> Result<Vec<LibraryEntry>, StoreError>;

    /// Curates a name of the library (recommend, retire, merge into another name).
    async fn curate_library(
        &self,
        name: &str,
        change: &Curation,
        by: &str,
    ) -> Result<(), StoreError>;

    /// The project categories (项目类别) of the stored forms, with how many forms each.
    async fn categories(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// The form's current version (1 when created, +1 on each replacement).
    async fn version(&self, id: &str) -> Result<i64, StoreError>;

    /// Keeps a form's review findings with its current version, replacing earlier findings
    /// of the same version. Returns that version.
    async fn save_findings(&self, id: &str, findings: &[Finding]) -> Result<i64, StoreError>;

    /// The findings kept for a version of a form (the current one when `version` is `None`).
    async fn findings(&self, id: &str, version: Option<i64>) -> Result<Vec<Finding>, StoreError>;

    /// Records a period's monitoring report, replacing an earlier one of the same period, with
    /// its warnings counted (for the dashboard) and, in the same transaction, their worst light
    /// as the form's light if this is its latest period.
    async fn save_period(
        &self,
        id: &str,
        report: &PeriodReport,
        warnings: &PeriodWarnings<'_>,
    ) -> Result<(), StoreError>;

    /// What the dashboard shows beyond the list's totals, counted by the database over every
    /// form the query matches (its page and sort ignored): forms per status and per
    /// self-evaluation grade (kept until the forms change, like the list's totals), and
    /// the red and yellow warnings of every recorded period by the period's last month.
    async fn dashboard(&self, q: &ListQuery) -> Result<Dashboard, StoreError>;

    /// The form's monitoring reports, in the order of their periods.
    async fn periods(&self, id: &str) -> Result<Vec<PeriodReport>, StoreError>;

    /// Records the form's self-evaluation, replacing an earlier one, while it is a draft or
    /// returned ([`StoreError::EvalLocked`] once submitted or approved; checked in the write).
    /// The grade it scores is kept on the form in the same transaction.
    async fn save_self_evaluation(
        &self,
        id: &str,
        evaluation: &SelfEvaluation,
        grade: Option<&str>,
    ) -> Result<(), StoreError>;

    async fn self_evaluation(&self, id: &str) -> Result<Option<SelfEvaluation>, StoreError>;

    /// The status of the form's self-evaluation, `None` while there is none.
    async fn eval_status(&self, id: &str) -> Result<Option<EvalStatus>, StoreError>;

    /// Moves the self-evaluation from `from` to `to` if it is still in `from`
    /// ([`StoreError::EvalStatusChanged`] otherwise), with its history entry, in one transaction.
    async fn eval_transition(
        &self,
        id: &str,
        from: EvalStatus,
        to: EvalStatus,
        action: Action,
        actor: &str,
        comment: &str,
    ) -> Result<EvalTransition, StoreError>;

    /// The self-evaluation's history, oldest first.
    async fn eval_transitions(&self, id: &str) -> Result<Vec<EvalTransition>, StoreError>;

    /// The status of every self-evaluation, by form ID (for to-do lists).
    async fn eval_statuses(&self) -> Result<Vec<(String, EvalStatus)>, StoreError>;

    /// A setting changed through the application (e.g. `rules`, a JSON rule configuration).
    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError>;
    async fn set_setting(&self, name: &str, value: &str, by: &str) -> Result<(), StoreError>;

    /// Every recorded self-evaluation, by form ID (for dashboards).
    async fn all_self_evaluations(&self) -> Result<Vec<(String, SelfEvaluation)>, StoreError>;

    /// Every recorded monitoring report, by form ID (for dashboards).
    async fn all_periods(&self) -> Result<Vec<(String, PeriodReport)>, StoreError>;

    // ------------------------------------------------------------ organisations and users

    /// Creates an organisation and, in the same transaction, gives it the stored forms without
    /// a unit that name it as implementer; returns how many it was given.
    async fn create_org(&self, org: &Org) -> Result<u64, StoreError>;
    async fn orgs(&self) -> Result<Vec<Org>, StoreError>;
    /// Links stored forms without a unit to the unit organisation named as their implementer.
    async fn link_forms_to_units(&self) -> Result<u64, StoreError>;
    /// Renames or moves an organisation ([`StoreError::Taken`] for a name in use), linking the
    /// forms that name it as implementer in the same transaction.
    async fn update_org(&self, org: &Org) -> Result<(), StoreError>;
    /// Changes a user's name, role and organisation, and ends their sessions (the new role
    /// applies from the next sign-in).
    async fn update_user(&self, user: &User) -> Result<(), StoreError>;
    /// Gives a form to a unit organisation (or to none), so that unit and its department see it.
    async fn assign_form(&self, id: &str, unit_id: Option<&str>) -> Result<(), StoreError>;
    /// Creates an account; `must_change` makes its first sign-in lead to changing the
    /// password (someone else chose it).
    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        must_change: bool,
    ) -> Result<(), StoreError>;
    /// Enrols (or, with `None`, removes) a user's second factor.
    async fn set_totp(&self, user_id: &str, secret: Option<&str>) -> Result<(), StoreError>;
    /// Exempts an account from the second factor (the demo's accounts).
    async fn set_totp_exempt(&self, user_id: &str, exempt: bool) -> Result<(), StoreError>;
    /// Uses a time step's code: `true` the first time, `false` if this step or a later one
    /// was used already (a code is good once).
    async fn use_totp_step(&self, user_id: &str, step: i64) -> Result<bool, StoreError>;
    /// The hashes of a user's last passwords, the current one included, newest first.
    async fn password_history(&self, user_id: &str) -> Result<Vec<String>, StoreError>;
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Every account with its state (locked, disabled, password to change), for administrators.
    async fn accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// Changes an account's state; [`StoreError::NotFound`] if there is no such user. Resetting
    /// the password, disabling and changing the password end the account's other sessions
    /// (a change of one's own password keeps `keep_session`).
    async fn update_account(
        &self,
        user_id: &str,
        change: &AccountChange,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError>;
    async fn user_auth(&self, username: &str) -> Result<Option<UserAuth>, StoreError>;
    /// Counts a sign-in attempt on `key` (`u:USERNAME`, `a:ADDRESS`) before its password is
    /// checked, in one statement: an expired lock is lifted and the count starts again; the
    /// attempt past `max` locks the key until `lock_until`. Returns the attempt's number, or
    /// the end of the lock the key is under.
    async fn login_attempt(
        &self,
        key: &str,
        now: &str,
        max: i64,
        lock_until: &str,
    ) -> Result<LoginAttempt, StoreError>;
    /// A checked attempt failed: a key at `max` attempts or more is locked until `lock_until`.
    async fn login_failure(&self, key: &str, max: i64, lock_until: &str) -> Result<(), StoreError>;
    /// A sign-in succeeded (or an administrator unlocked it): the key's count starts again.
    async fn login_reset(&self, key: &str) -> Result<(), StoreError>;

    // ------------------------------------------------------------ grants (三权分立)

    /// Records a request for a grant (pending, no effect yet). `password_hash` is the new
    /// password of a `create` or `reset_password` grant, kept until the grant is decided. One
    /// pending grant per account at a time ([`StoreError::GrantPending`]).
    async fn request_grant(
        &self,
        grant: &Grant,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Grants, newest first: only the pending ones, or every one (at most `limit`).
    async fn grants(&self, pending_only: bool, limit: i64) -> Result<Vec<Grant>, StoreError>;
    async fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError>;
    /// Decides on a pending grant, in one transaction: an approval applies it (creates the
    /// account; changes the role if the account still has the role it had when asked,
    /// [`StoreError::GrantStale`] otherwise; resets the password or the second factor) and
    /// ends the account's sessions; a rejection only records the decision. A grant decided
    /// already is [`StoreError::GrantDecided`]. The kept password hash is cleared either way. A
    /// role grant sets the name and organisation asked for with the role.
    async fn decide_grant(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        comment: &str,
    ) -> Result<Grant, StoreError>;

    // ------------------------------------------------------------ sessions

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        expires_at: &str,
        ip: &str,
    ) -> Result<(), StoreError>;
    /// The session and its user, if it exists, has not reached its end at `now` and was used
    /// after `idle_since`.
    async fn session(
        &self,
        token_hash: &str,
        now: &str,
        idle_since: &str,
    ) -> Result<Option<Session>, StoreError>;
    /// Marks the session used at `now`, if it was last marked before `stale_before` (a write
    /// a minute at most, not one per request).
    async fn touch_session(
        &self,
        token_hash: &str,
        now: &str,
        stale_before: &str,
    ) -> Result<(), StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// A user's current sessions (not past their end at `now`, used after `idle_since`),
    /// the most recently used first.
    async fn user_sessions(
        &self,
        user_id: &str,
        now: &str,
        idle_since: &str,
    ) -> Result<Vec<SessionInfo>, StoreError>;
    /// Ends all of a user's sessions (but `keep`); returns how many ended.
    async fn end_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, StoreError>;

    // ------------------------------------------------------------ forms in the workflow

    async fn form_meta(&self, id: &str) -> Result<Option<FormMeta>, StoreError>;
    /// A form with its workflow metadata, read together.
    async fn form_with_meta(&self, id: &str) -> Result<Option<(Form, FormMeta)>, StoreError>;
    /// One page of the forms a scope may see, filtered, searched and sorted.
    async fn list_page(&self, q: &ListQuery) -> Result<Page, StoreError>;
    /// Creates a form (version 1, draft) for a unit.
    async fn create_form(
        &self,
        form: &Form,
        unit_id: Option<&str>,
        actor: &str,
    ) -> Result<String, StoreError>;
    /// Creates forms for a unit in one transaction (an upload): all or none.
    async fn create_forms(
        &self,
        forms: &[Form],
        unit_id: Option<&str>,
        actor: &str,
    ) -> Result<Vec<String>, StoreError>;
    /// Saves a new version of a form, in status `status`, if it is still at `base_version` and
    /// in status `expected` (both checked inside the write's transaction); the version before
    /// is kept. A later save of the same base is refused with [`StoreError::Conflict`], a save
    /// racing a workflow action with [`StoreError::StatusChanged`].
    #[allow(clippy::too_many_arguments)]
    async fn save_form(
        &self,
        id: &str,
        base_version: i64,
        expected: Status,
        form: &Form,
        status: Status,
        actor: &str,
    ) -> Result<i64, StoreError>;
    #[allow(clippy::too_many_arguments)]
    /// Moves a form from `from` to `to` and records who, when and why: refused with
    /// [`StoreError::StatusChanged`] if it is no longer in `from`, and, when `seen_version` is
    /// given (a reviewer's decision on what they read), with [`StoreError::Conflict`] if the
    /// form has another version now.
    async fn transition(
        &self,
        id: &str,
        from: Status,
        seen_version: Option<i64>,
        to: Status,
        action: Action,
        actor: &str,
        comment: &str,
        detail: &str,
    ) -> Result<Transition, StoreError>;
    #[allow(clippy::too_many_arguments)]
    /// [`Store::transition`] of a decision that is signed (an approval, a publication), on the
    /// version the reviewer read: in the same transaction, once the form is found in `from` at
    /// `seen_version`, its content as stored ([`form_json`]) is digested with SM3, the decision
    /// stated in a [`SignedText`] (the form, that version, the action, `actor` as signer, the
    /// transition's time, the digest) and the text signed with SM2 under `key`; the text, the
    /// signature and the public key are kept in `signatures` with the transition's sequence
    /// number. Both are written or neither.
    async fn transition_signed(
        &self,
        id: &str,
        from: Status,
        seen_version: i64,
        to: Status,
        action: Action,
        actor: &str,
        comment: &str,
        detail: &str,
        key: &SigningKey,
    ) -> Result<(Transition, Signature), StoreError>;
    /// The form's signatures, oldest first.
    async fn signatures(&self, id: &str) -> Result<Vec<Signature>, StoreError>;
    /// The sequence number of the installation's first signed transition (`None` before any):
    /// an approval after it without a signature lost its signature.
    async fn signatures_since(&self) -> Result<Option<i64>, StoreError>;
    async fn transitions(&self, id: &str) -> Result<Vec<Transition>, StoreError>;
    /// IDs of forms on which `actor` took a workflow action, newest first.
    async fn handled_by(&self, actor: &str) -> Result<Vec<String>, StoreError>;
    /// Every version: (version, saved by, saved at), oldest first; the last is the current one.
    async fn versions(&self, id: &str) -> Result<Vec<VersionInfo>, StoreError>;
    async fn version_form(&self, id: &str, version: i64) -> Result<Option<Form>, StoreError>;

    // ------------------------------------------------------------ documents

    /// Keeps a supporting document (its ID, digest and size set by the caller).
    async fn add_document(&self, doc: &Document, data: &[u8]) -> Result<(), StoreError>;
    /// A form's documents, oldest first, without their contents.
    async fn documents(&self, form_id: &str) -> Result<Vec<Document>, StoreError>;
    /// One document with its contents.
    async fn document(&self, id: &str) -> Result<Option<(Document, Vec<u8>)>, StoreError>;

    // ------------------------------------------------------------ audit

    /// Appends an entry, chained to the one before with HMAC-SM3 under `key`, in one
    /// transaction (so two servers never chain two entries to the same one).
    async fn audit(&self, entry: &AuditEntry, key: &[u8]) -> Result<(), StoreError>;
    /// Entries after `after_seq`, oldest first, with their links (`None` before the chain
    /// began), at most `limit`: for checking the chain.
    async fn audit_chain(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<(AuditEntry, Option<String>)>, StoreError>;
    /// The newest entries first.
    async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError>;
    /// Deletes the entries older than `before` (RFC 3339, UTC; only a run of the oldest, up to
    /// the first entry at or after `before`), in one transaction that first makes the last
    /// deleted entry the chain's anchor ([`Store::audit_anchor`]), so the rest still verifies.
    /// The database itself refuses to delete an entry younger than
    /// [`jixiao_core::duties::AUDIT_RETENTION_MIN_DAYS`] or past the anchor. Returns how many
    /// were deleted.
    async fn purge_audit(&self, before: &str, by: &str) -> Result<u64, StoreError>;
    /// Where the chain begins after a purge: the last deleted entry's number and link.
    async fn audit_anchor(&self) -> Result<Option<AuditAnchor>, StoreError>;
    /// Entries matching every filter given, newest first.
    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;

    /// Closes the database connections, waiting for those in use (a server stopping).
    async fn close(&self);
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    /// `unit`, `department` or `finance`.
    pub kind: String,
    pub parent_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct UserAuth {
    pub user: User,
    pub password_hash: String,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub disabled: bool,
    pub must_change_password: bool,
    /// The second factor's secret (base32), once enrolled.
    pub totp_secret: Option<String>,
}

/// An account as administrators see it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Account {
    #[serde(flatten)]
    pub user: User,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub disabled: bool,
    pub must_change_password: bool,
}

/// What an administrator (or the user, for `ChangePassword`) does to an account.
#[derive(Clone, Debug)]
pub enum AccountChange {
    /// A new password set by an administrator: to be changed at the next sign-in; unlocks.
    ResetPassword {
        hash: String,
    },
    /// The user's own new password.
    ChangePassword {
        hash: String,
    },
    Unlock,
    Disable,
    Enable,
    /// The second factor removed (a lost phone): enrolled again at the next sign-in where the
    /// role needs it; the account's sessions end.
    ResetTotp,
}

/// A grant of a privileged role (or a privileged account's credentials reset), asked for by
/// one administrator and approved by another ([`jixiao_core::duties`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Grant {
    pub id: String,
    pub kind: GrantKind,
    /// The account: the ID a `create` grant gives the new account.
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// The account's role when asked (`None` for a new account).
    pub from_role: Option<Role>,
    /// The role given (for resets: the account's role).
    pub role: Role,
    pub org_id: Option<String>,
    pub requested_by: String,
    pub requester_role: Role,
    pub requested_at: String,
    pub status: GrantStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub comment: String,
}

/// One of a user's sessions, as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SessionInfo {
    pub token_hash: String,
    pub created_at: String,
    pub last_seen: Option<String>,
    pub expires_at: String,
    pub ip: String,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: String,
    /// The password was set by an administrator and must be changed before anything else.
    pub must_change_password: bool,
    /// The role needs a second factor (finance, administrators, auditors) and none is enrolled
    /// yet (the demo's accounts are exempt): enrolling comes before anything else.
    pub needs_second_factor: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FormMeta {
    pub id: String,
    pub version: i64,
    pub status: Status,
    pub unit_id: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: String,
}

/// Counters the database bumps (by triggers, whichever server wrote) on every change of a
/// kind: a cache of something derived from that kind holds while its counter is unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generations {
    /// Forms: their content, status, version and owner.
    pub forms: i64,
    /// Who may do what: accounts, sessions ended, organisations.
    pub access: i64,
}

/// A period's warnings as kept with it: the worst light (the form's, if the period is its
/// latest) and how many red and yellow ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodWarnings<'a> {
    pub light: Option<&'a str>,
    pub red: i64,
    pub yellow: i64,
}

impl PeriodWarnings<'static> {
    /// The warnings the monitoring computed.
    pub fn of(warnings: &[jixiao_core::monitor::Warning]) -> PeriodWarnings<'static> {
        use jixiao_core::monitor::Light;
        let count = |l: Light| warnings.iter().filter(|w| w.light == l).count() as i64;
        PeriodWarnings {
            light: Some(Light::worst(warnings).name()),
            red: count(Light::Red),
            yellow: count(Light::Yellow),
        }
    }
}

/// The dashboard's counts (see [`Store::dashboard`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dashboard {
    /// (status name, forms), for the statuses that occur.
    pub statuses: Vec<(String, i64)>,
    /// (grade, forms), for the grades that occur.
    pub grades: Vec<(String, i64)>,
    /// (last month of the period, red warnings, yellow warnings).
    pub warnings_by_month: Vec<(i64, i64, i64)>,
}

/// Which forms a user may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Forms of these unit organisations.
    Units(Vec<String>),
    /// Forms of the units under this department organisation.
    Department(String),
    Nothing,
}

#[derive(Clone, Debug)]
pub struct ListQuery {
    pub scope: Scope,
    pub year: Option<i32>,
    pub status: Option<Status>,
    pub department: Option<String>,
    /// Matched against project name, implementer and department.
    pub search: Option<String>,
    /// 优, 良, 中 or 差: the grade of the latest self-evaluation.
    pub grade: Option<String>,
    /// `red`, `yellow`, `green`, or `any` (red or yellow): the latest period's worst light.
    pub warnings: Option<String>,
    /// `name`, `year`, `amount`, `updated`; `-` before it for descending.
    pub sort: String,
    /// The page by number (OFFSET: cheap near the start only); ignored with a cursor.
    pub page: i64,
    pub per_page: i64,
    /// Keyset paging: the page after this cursor (a [`Page::next`]), read from the sort's
    /// index at any depth.
    pub after: Option<String>,
    /// The page before this cursor (a [`Page::prev`]).
    pub before: Option<String>,
}

/// A search of the indicator library.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibraryQuery {
    /// Part of the indicator name ('' for all).
    pub q: String,
    pub level1: Option<String>,
    pub level2: Option<String>,
    /// At most this many entries (1–100).
    pub limit: i64,
    /// Only indicators filed on forms of this project category (项目类别), the most filed in it
    /// first.
    pub category: Option<String>,
    /// Retired names and merged spellings too (for curating).
    pub all: bool,
}

/// A sign-in attempt as counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The attempt's number since the count last started.
    Counted(i64),
    /// The key is locked until then.
    Locked(String),
}

/// What last year left for a project's new form.
#[derive(Clone, Debug, PartialEq)]
pub struct LastYear {
    pub form: Form,
    /// What was achieved, by indicator name, as written in its self-evaluation.
    pub actuals: Vec<(String, String)>,
    /// Rectifications (整改) its monitoring asked for with no result yet: (indicator, advice).
    pub rectifications: Vec<(String, String)>,
}

/// What an administrator does to a name in the indicator library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Curation {
    /// Recommended names come first in suggestions.
    Recommend(bool),
    /// A retired name is no longer suggested.
    Retire(bool),
    /// A variant spelling shown as the other name (`None` undoes it).
    MergeInto(Option<String>),
}

/// The smallest, middle and largest of some values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Range {
    pub min: rust_decimal::Decimal,
    pub median: rust_decimal::Decimal,
    pub max: rust_decimal::Decimal,
}

/// An indicator as filed across all forms: one entry per name, level and unit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LibraryEntry {
    pub name: String,
    pub level1: String,
    pub level2: Option<String>,
    /// The unit of its quantitative targets ('' for qualitative ones).
    pub unit: String,
    /// How many forms filed it.
    pub count: i64,
    /// How many implementing units.
    pub implementers: i64,
    /// The first and the last year it was filed.
    pub years: (i32, i32),
    /// The target most often written, as written.
    pub usual: String,
    /// The quantitative targets' range (none for qualitative ones).
    pub targets: Option<Range>,
    /// The quantities reached in self-evaluations (none if never evaluated as a quantity).
    pub actuals: Option<Range>,
    /// Marked recommended by an administrator.
    pub recommended: bool,
    /// Retired by an administrator: no longer suggested.
    pub retired: bool,
    /// The name this spelling was merged into, if it was.
    pub merged_into: Option<String>,
    /// Variant spellings merged into this name.
    pub aliases: Vec<String>,
    /// With a category asked for: how many of its forms' indicators carry this entry.
    pub in_category: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FormRow {
    pub id: String,
    pub year: i32,
    pub name: String,
    pub department: String,
    pub implementer: String,
    pub annual_total: Option<Money>,
    pub status: Status,
    pub version: i64,
    pub indicators: i64,
    pub updated_at: String,
    pub grade: Option<String>,
    pub warning_light: Option<String>,
    /// The unit organisation the form belongs to.
    pub unit_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Page {
    pub items: Vec<FormRow>,
    pub total: i64,
    /// The page's number when it was asked for by number; `None` for a page read by cursor.
    pub page: Option<i64>,
    pub per_page: i64,
    /// The cursor of the page after this one (for [`ListQuery::after`]), if there is one.
    pub next: Option<String>,
    /// The cursor of the page before this one (for [`ListQuery::before`]), if there is one.
    pub prev: Option<String>,
    /// The sum of the annual totals of every matching form (not only this page).
    pub annual_total_sum: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EvalTransition {
    pub seq: i64,
    pub form_id: String,
    pub from: EvalStatus,
    pub to: EvalStatus,
    pub action: Action,
    pub actor: String,
    pub at: String,
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Transition {
    pub seq: i64,
    pub form_id: String,
    pub version: i64,
    pub from: Status,
    pub to: Status,
    pub action: Action,
    pub actor: String,
    pub at: String,
    pub comment: String,
    /// JSON: comments on single indicators and the like.
    pub detail: String,
}

/// A signed decision as kept: the transition it was made with, the text signed, verbatim, the
/// SM2 signature and the public key (hexadecimal).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Signature {
    /// The sequence number of the signed transition.
    pub seq: i64,
    pub form_id: String,
    /// What was signed ([`SignedText::render`]).
    pub text: String,
    /// SM2 `r ‖ s`, hexadecimal.
    pub signature: String,
    /// The signing key's public half, SEC1 uncompressed, hexadecimal.
    pub public_key: String,
}

impl Signature {
    /// What the text states, if it reads as a signed text.
    pub fn signed(&self) -> Option<SignedText> {
        SignedText::parse(&self.text)
    }
}

/// A form's content as stored and signed: its JSON (`serde_json::to_string` of the form, IDs
/// as stored), the text of version snapshots too.
pub fn form_json(form: &Form) -> Result<String, StoreError> {
    serde_json::to_string(form).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The SM3 digest (hexadecimal) of a form's content ([`form_json`]).
pub fn form_digest(form: &Form) -> Result<String, StoreError> {
    Ok(jixiao_core::signature::digest(
        &jixiao_core::crypto::Software,
        &form_json(form)?,
    ))
}

/// What a check of a kept signature found, each part on its own.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SignatureCheck {
    /// What the text states, when it reads as a signed text of this signature's form.
    pub signed: Option<SignedText>,
    /// The SM2 signature verifies over the stored text under the stored public key.
    pub signature_valid: bool,
    /// The stored public key is the installation's.
    pub key_ours: bool,
    /// The digest the text states is the SM3 of that version of the form as stored now
    /// (`None`: that version is not stored, or the text does not read).
    pub content_unchanged: Option<bool>,
}

impl SignatureCheck {
    /// Every part holds.
    pub fn ok(&self) -> bool {
        self.signed.is_some()
            && self.signature_valid
            && self.key_ours
            && self.content_unchanged == Some(true)
    }

    /// The first part that fails, in Chinese and in English.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        if self.signed.is_none() {
            Some((
                "签名文本无法读取或不属于这张申报表",
                "the signed text does not read, or names another form",
            ))
        } else if !self.signature_valid {
            Some(("SM2 签名与签名文本不符：文本或签名被改动", "the SM2 signature does not match the signed text: the text or the signature was changed"))
        } else if !self.key_ours {
            Some((
                "签名公钥不是本系统的签名密钥",
                "the public key is not this installation's signing key",
            ))
        } else if self.content_unchanged.is_none() {
            Some((
                "所签的版本已不在数据库中",
                "the version signed is no longer stored",
            ))
        } else if self.content_unchanged == Some(false) {
            Some((
                "申报表内容在签名后被改动（SM3 摘要不符）",
                "the form's content was changed after it was signed (the SM3 digest differs)",
            ))
        } else {
            None
        }
    }
}

/// Checks a kept signature against `ours` (the installation's public key): the SM2 signature
/// over the stored text with the stored public key, that key against ours, and the digest the
/// text states against the SM3 of the signed version as stored now (the current version from
/// the form's tables, an older one from its snapshot).
pub async fn check_signature(
    store: &dyn Store,
    sig: &Signature,
    ours: &[u8],
) -> Result<SignatureCheck, StoreError> {
    use jixiao_core::crypto::{from_hex, Software};
    let signed = sig.signed().filter(|s| s.form_id == sig.form_id);
    let public = from_hex(&sig.public_key);
    let signature_valid = match (&public, from_hex(&sig.signature)) {
        (Some(p), Some(s)) => jixiao_core::signature::verify(&Software, p, &sig.text, &s),
        _ => false,
    };
    let key_ours = public.as_deref() == Some(ours);
    let content_unchanged = match &signed {
        Some(s) => match store.version_form(&s.form_id, s.version).await? {
            Some(form) => Some(form_digest(&form)? == s.digest),
            None => None,
        },
        None => None,
    };
    Ok(SignatureCheck {
        signed,
        signature_valid,
        key_ours,
        content_unchanged,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub saved_by: Option<String>,
    pub saved_at: String,
}

/// A supporting document (佐证材料) as listed: everything but its contents.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Document {
    pub id: String,
    pub form_id: String,
    /// The indicator whose actual value it supports, if one.
    pub indicator_id: Option<String>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// SM3 digest of the contents, hex.
    pub sm3: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// Filters of the audit log; `None` (or '') matches everything.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// The acting username, exactly.
    pub actor: Option<String>,
    /// The action, exactly (`login_failed`, `form_approve`, …).
    pub action: Option<String>,
    /// Any of these targets, exactly (a username, or form IDs found by name).
    pub targets: Option<Vec<String>>,
    /// From this instant (RFC 3339, UTC), inclusive.
    pub from: Option<String>,
    /// Before this instant (RFC 3339, UTC), exclusive.
    pub until: Option<String>,
    pub limit: i64,
}

/// The last entry a purge deleted: its number and its link, which the first entry kept
/// chains from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditAnchor {
    pub seq: i64,
    pub mac: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// An audit entry waiting for the write it records (see [`audited`]).
struct PendingAudit {
    entry: AuditEntry,
    key: Vec<u8>,
}

tokio::task_local! {
    static PENDING_AUDIT: std::cell::RefCell<Option<PendingAudit>>;
}

/// Runs `work` so that the first write transaction it commits also appends `entry` to the
/// audit chain, in that same transaction: the change and its record are kept or lost
/// together, and a failure to record fails the change. An entry whose `target` is empty takes
/// the ID of what the write created (a new form). Returns what `work` returned and the entry
/// if no write took it (the work wrote nothing, or failed): the caller decides whether that
/// is still worth recording on its own.
pub async fn audited<F: std::future::Future>(
    entry: AuditEntry,
    key: &[u8],
    work: F,
) -> (F::Output, Option<AuditEntry>) {
    let cell = std::cell::RefCell::new(Some(PendingAudit {
        entry,
        key: key.to_vec(),
    }));
    PENDING_AUDIT
        .scope(cell, async move {
            let out = work.await;
            let left = PENDING_AUDIT.with(|c| c.borrow_mut().take().map(|p| p.entry));
            (out, left)
        })
        .await
}

/// The audit entry waiting for this task's next commit, taken (None outside [`audited`]).
pub(crate) fn take_pending_audit() -> Option<(AuditEntry, Vec<u8>)> {
    PENDING_AUDIT
        .try_with(|c| c.borrow_mut().take().map(|p| (p.entry, p.key)))
        .ok()
        .flatten()
}

/// Puts back an entry whose transaction did not commit, for a later write of the same work.
pub(crate) fn restore_pending_audit(entry: AuditEntry, key: Vec<u8>) {
    let _ = PENDING_AUDIT.try_with(|c| *c.borrow_mut() = Some(PendingAudit { entry, key }));
}

impl AuditEntry {
    /// This entry's link in the audit log's chain, after the link `previous` (empty for the
    /// first): what the store writes and what a check recomputes. The fields' order is the
    /// format: sequence number, time, actor, address, action, target, detail.
    pub fn link(&self, key: &[u8], previous: &str) -> String {
        jixiao_core::crypto::audit_link(
            &jixiao_core::crypto::Software,
            key,
            previous,
            &[
                &self.seq.to_string(),
                &self.at,
                &self.actor,
                &self.ip,
                &self.action,
                &self.target,
                &self.detail,
            ],
        )
    }
}

/// Whether a location names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A location as it may be shown: a URL's password replaced by `***`.
pub fn redacted(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => location.to_string(),
        },
        None => location.to_string(),
    }
}

/// The file of a SQLite location: a path, or a `sqlite:` URL.
pub fn sqlite_path(location: &str) -> &str {
    location
        .strip_prefix("sqlite://")
        .or_else(|| location.strip_prefix("sqlite:"))
        .unwrap_or(location)
}

/// Opens the store a location names: a `postgres://user@host:port/db` URL (PostgreSQL,
/// migrated on first use), or a file path or `sqlite:` URL (SQLite, the file created with its
/// migrations on first use).
pub async fn open(location: &str) -> Result<Box<dyn Store>, StoreError> {
    if is_postgres(location) {
        return Ok(Box::new(PostgresStore::connect(location).await?));
    }
    Ok(Box::new(
        SqliteStore::open(std::path::Path::new(sqlite_path(location))).await?,
    ))
}
