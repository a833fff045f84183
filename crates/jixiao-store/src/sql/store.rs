//! The SQL behind the [`Store`] trait, one text for every backend: this file is compiled
//! once inside each backend's module (`crate::sqlite`, `crate::postgres`), where `super`
//! names that backend's database types, its write transaction and its few dialect words.
//! The SQL keeps to what SQLite and PostgreSQL-compatible engines share (ARCHITECTURE.md).

use super::workflow::{
    meta_from_row, remember_password, snapshot_current, status, taken, transition_from, user_from,
};
use super::{begin_write, Conn, Db, DbPool, DbRow};
use crate::bulk::Cell;
use crate::cursor;
use crate::{
    Account, AccountChange, AuditEntry, Dashboard, FormMeta, FormRow, ImportCounts, ImportOutcome,
    ImportReport, LibraryEntry, LibraryQuery, ListQuery, OnConflict, Org, Page, PeriodWarnings,
    Scope, Session, Store, StoreError, Transition, User, UserAuth, VersionInfo,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use jixiao_core::monitor::PeriodReport;
use jixiao_core::review::{Finding, Severity};
use jixiao_core::score::SelfEvaluation;
use jixiao_core::signature::{SignedText, SigningKey};
use jixiao_core::workflow::{Action, EvalStatus, Status};
use jixiao_core::{Form, Funds, Indicator, Level1, Level2, Money, Op, Target};
use rust_decimal::Decimal;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;
use std::str::FromStr;

/// Runs a write transaction's body again when the engine reports a serialization failure
/// (40001) or a deadlock (40P01), up to eight times with a growing, jittered pause: engines
/// that run every transaction SERIALIZABLE (CockroachDB, YugabyteDB) report them under
/// contention. PostgreSQL under the write lock and SQLite never do. The body starts again
/// from its own `begin_write`, so nothing of the failed attempt remains; a streamed import,
/// which cannot be read twice, is not retried.
macro_rules! retrying {
    ($($body:tt)*) => {{
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let done = async { $($body)* }.await;
            match done {
                Err(e) if attempt < 8 && serialization_failure(&e) => {
                    let jitter = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos() % 1_000_000);
                    let pause = std::time::Duration::from_millis(1 << attempt)
                        + std::time::Duration::from_nanos(u64::from(jitter));
                    tokio::time::sleep(pause).await;
                }
                done => break done,
            }
        }
    }};
}

/// A serialization failure or a deadlock: the transaction may succeed if run again.
fn serialization_failure(e: &StoreError) -> bool {
    matches!(e, StoreError::Db(sqlx::Error::Database(d))
        if matches!(d.code().as_deref(), Some("40001") | Some("40P01")))
}

/// The store on one database of the backend.
pub struct SqlStore {
    pub(crate) pool: DbPool,
    /// One connection of its own for the change counters ([`Store::generations`]), read on
    /// every request: it never waits behind the pool's queue of heavier queries.
    pub(crate) counters: DbPool,
    /// Where a bulk import writes (`import_batches`): on SQLite one connection of its own that
    /// does not map the file into memory (see `sqlite.rs`); on PostgreSQL the pool.
    pub(crate) bulk: DbPool,
    /// Totals of the portfolio list per filter, with the forms generation they were counted at.
    pub(crate) totals: std::sync::Mutex<HashMap<String, (i64, i64, i64)>>,
    /// The dashboard's counts by status and by grade per filter, with the forms generation
    /// they were counted at.
    pub(crate) counts: std::sync::Mutex<HashMap<String, (i64, FormCounts)>>,
}

/// Forms by status and by grade.
type FormCounts = (Vec<(String, i64)>, Vec<(String, i64)>);

impl SqlStore {
    /// The store on a migrated database; a database from before the indicator library gets
    /// its library built once from what is stored.
    pub(crate) async fn new(
        pool: DbPool,
        counters: DbPool,
        bulk: DbPool,
    ) -> Result<SqlStore, StoreError> {
        let empty: bool = sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM library) AND EXISTS (SELECT 1 FROM indicators)",
        )
        .fetch_one(&pool)
        .await?;
        if empty {
            let mut tx = begin_write(&pool).await?;
            super::library::rebuild(&mut tx).await?;
            tx.commit().await?;
        }
        count_old_warnings(&pool).await?;
        Ok(SqlStore {
            pool,
            counters,
            bulk,
            totals: std::sync::Mutex::new(HashMap::new()),
            counts: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Moves a form from `from` to `to` (on `seen_version` when given) and records the
    /// transition; with a key, also signs the version it checked, in the same transaction
    /// ([`Store::transition_signed`]).
    #[allow(clippy::too_many_arguments)]
    async fn transition_with(
        &self,
        id: &str,
        from: Status,
        seen_version: Option<i64>,
        to: Status,
        act: Action,
        actor: &str,
        comment: &str,
        detail: &str,
        key: Option<&SigningKey>,
    ) -> Result<(Transition, Option<crate::Signature>), StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            let t = now();
            let changed = sqlx::query(
                "UPDATE forms SET status = $1 WHERE id = $2 AND status = $3 AND ($4 IS NULL OR version = $5)",
            )
            .bind(to.name())
            .bind(id)
            .bind(from.name())
            .bind(seen_version)
            .bind(seen_version)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                let now: Option<(String, i64, Option<String>, String)> = sqlx::query_as(
                    "SELECT status, version, updated_by, updated_at FROM forms WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                return Err(match now {
                    None => StoreError::NotFound(id.to_string()),
                    Some((s, _, _, _)) if s != from.name() => StoreError::StatusChanged(
                        status(&s).map(|x| x.chinese().to_string()).unwrap_or(s),
                    ),
                    Some((_, current, by, at)) => StoreError::Conflict {
                        base: seen_version.unwrap_or(current),
                        current,
                        updated_by: by.unwrap_or_else(|| "导入 / import".into()),
                        updated_at: at,
                    },
                });
            }
            let row = sqlx::query(
                "INSERT INTO transitions (form_id, version, from_status, to_status, action, actor, at, comment, detail) \
                 VALUES ($1, (SELECT version FROM forms WHERE id = $2), $3, $4, $5, $6, $7, $8, $9) RETURNING *",
            )
            .bind(id)
            .bind(id)
            .bind(from.name())
            .bind(to.name())
            .bind(act.name())
            .bind(actor)
            .bind(&t)
            .bind(comment)
            .bind(detail)
            .fetch_one(&mut *tx)
            .await?;
            let tr = transition_from(&row)?;
            let signature = match key {
                None => None,
                Some(key) => {
                    // The version the update above checked, read in its transaction: what the
                    // reviewer decided on is what is signed.
                    let form = load_form(&mut tx, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
                    let signed = SignedText {
                        form_id: id.to_string(),
                        version: tr.version,
                        action: act.name().to_string(),
                        signer: actor.to_string(),
                        time: t.clone(),
                        digest: crate::form_digest(&form)?,
                    };
                    let text = signed.render().ok_or_else(|| {
                        StoreError::Unsignable(format!("{id}（{actor}）: 含换行或空的字段 / a field is empty or holds a line break"))
                    })?;
                    let sig = key
                        .sign(&jixiao_core::crypto::Software, &text)
                        .ok_or_else(|| StoreError::Unsignable("SM2".into()))?;
                    let row = sqlx::query(
                        "INSERT INTO signatures (seq, form_id, text, signature, public_key) VALUES ($1, $2, $3, $4, $5) \
                         RETURNING seq, form_id, text, signature, public_key",
                    )
                    .bind(tr.seq)
                    .bind(id)
                    .bind(&text)
                    .bind(jixiao_core::crypto::hex(&sig))
                    .bind(jixiao_core::crypto::hex(key.public()))
                    .fetch_one(&mut *tx)
                    .await?;
                    Some(signature_from(&row))
                }
            };
            commit(tx).await?;
            Ok((tr, signature))
        }
    }

    /// The connection pool (for `jixiao db copy` and tests).
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// The forms' generation: bumped by triggers on every change to `forms`, whichever server
    /// made it, so a cache of what is derived from the forms knows whether it still holds.
    async fn forms_generation(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM generations WHERE name = 'forms'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The number and the annual total of the forms a list query matches, as of the forms'
    /// `generation` (read with the page). Counting and
    /// summing every matching form is the costly part of a page; the result holds until the
    /// forms change, which the generation counter (bumped by triggers on every change,
    /// whichever server made it) tells.
    async fn list_totals(&self, q: &ListQuery, generation: i64) -> Result<(i64, i64), StoreError> {
        let key = filter_key(q);
        let cached = self
            .totals
            .lock()
            .ok()
            .and_then(|m| m.get(&key).copied())
            .filter(|(g, _, _)| *g == generation);
        if let Some((_, total, sum)) = cached {
            return Ok((total, sum));
        }
        // Summed in two parts (billions of fen and the rest), each far from overflowing
        // whatever is stored, and joined in 128 bits: a sum never fails.
        let mut count: QueryBuilder<Db> = QueryBuilder::new(
            "SELECT count(*), CAST(COALESCE(sum(f.funds_annual_total / 1000000000), 0) AS BIGINT), \
             CAST(COALESCE(sum(f.funds_annual_total % 1000000000), 0) AS BIGINT) FROM forms f",
        );
        filters(&mut count, q);
        let (total, high, low): (i64, i64, i64) =
            count.build_query_as().fetch_one(&self.pool).await?;
        let exact = i128::from(high) * 1_000_000_000 + i128::from(low);
        let sum = i64::try_from(exact).unwrap_or(if exact > 0 { i64::MAX } else { i64::MIN });
        if let Ok(mut m) = self.totals.lock() {
            if m.len() > 4096 {
                m.clear();
            }
            m.insert(key, (generation, total, sum));
        }
        Ok((total, sum))
    }

    /// Up to `limit` rows of a list query from a position on, in the sort's order or
    /// (`reverse`) against it. Each part is a range of the sort's index (`forms_by_*`, or
    /// `forms_unit_*` for one unit), read from the position, never counted from the start.
    /// The annual total may be missing: those forms come first in ascending order on every
    /// backend, and are read as a part of their own (by ID), before or after the others.
    async fn keyset(
        &self,
        q: &ListQuery,
        sort: &ListSort,
        reverse: bool,
        from: &cursor::Position,
        limit: i64,
    ) -> Result<(i64, Vec<FormRow>), StoreError> {
        let down = sort.desc != reverse;
        let op = if down { "<" } else { ">" };
        let nullable = sort.kind == cursor::KeyKind::NullableInt;
        // (the forms with the key: from which key and ID; the forms without it: after which ID)
        let (with_key, without_key): (Option<Option<&cursor::Key>>, Option<Option<&str>>) =
            match &from.key {
                cursor::Key::Null => ((!down).then_some(None), Some(Some(from.id.as_str()))),
                key => (Some(Some(key)), (nullable && down).then_some(None)),
            };
        let parts = if down {
            [with_key.map(Ok), without_key.map(Err)]
        } else {
            [without_key.map(Err), with_key.map(Ok)]
        };
        let mut rows: Vec<FormRow> = Vec::new();
        let mut generation = None;
        for part in parts.into_iter().flatten() {
            let need = limit - rows.len() as i64;
            if need <= 0 {
                break;
            }
            let mut list = list_select(q, &sort.order_by(reverse));
            let column = sort.column;
            match part {
                Ok(None) => {
                    if nullable {
                        list.push(format!(" AND f.{column} IS NOT NULL"));
                    }
                }
                Ok(Some(key)) => {
                    list.push(format!(" AND (f.{column}, f.id) {op} ("));
                    match key {
                        cursor::Key::Text(t) => {
                            list.push_bind(t.clone());
                        }
                        // `year` is an INTEGER column; the others BIGINT.
                        cursor::Key::Int(i) if column == "year" => {
                            let y = i32::try_from(*i).map_err(|_| StoreError::BadCursor {
                                zh: "年度超出范围",
                                en: "the year is out of range",
                            })?;
                            list.push_bind(y);
                        }
                        cursor::Key::Int(i) => {
                            list.push_bind(*i);
                        }
                        cursor::Key::Null => unreachable!("a missing key is the other part"),
                    }
                    list.push(", ").push_bind(from.id.clone()).push(")");
                }
                Err(after) => {
                    list.push(format!(" AND f.{column} IS NULL"));
                    if let Some(id) = after {
                        list.push(format!(" AND f.id {op} "))
                            .push_bind(id.to_string());
                    }
                }
            }
            // The limit is written, not bound: with `LIMIT $n` PostgreSQL's generic plan (used
            // after a statement's fifth run) guesses a tenth of the table and sorts a sequential
            // scan instead of reading the range. At most 201 texts per order; sqlx caches each.
            list.push(sort.order_by(reverse))
                .push(format!(" LIMIT {need}"));
            list.push(PAGE_END);
            let (g, part) = page_rows(&mut list, &self.pool).await?;
            generation.get_or_insert(g);
            rows.extend(part);
        }
        let generation = match generation {
            Some(g) => g,
            None => self.forms_generation().await?,
        };
        Ok((generation, rows))
    }

    /// Rows of (form ID, JSON document) read as the document's type.
    async fn documents<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        what: &str,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(id, json)| {
                serde_json::from_str(&json)
                    .map(|d| (id, d))
                    .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
            })
            .collect()
    }
}

const FORM_COLUMNS: &str =
    "id, year, name, nature, category, department, implementer, start_date, end_date, \
    funds_total, funds_fiscal, funds_other, funds_annual_total, funds_annual_appropriation, \
    funds_annual_carryover, funds_annual_other, goal_overall, goal_annual";

/// The columns of a form list line (see `workflow::row_from`).
pub(crate) const LIST_SELECT: &str =
    "SELECT f.id, f.year, f.name, f.department, f.implementer, f.funds_annual_total, \
    f.status, f.version, f.updated_at, f.grade, f.warning_light, f.unit_id, \
    f.indicator_count AS n FROM forms f";

const INDICATOR_COLUMNS: &str =
    "id, form_id, position, level1, level2, name, kind, op, value, unit, subject, op_implied, text, raw, \
    weight, direction";

const FINDING_COLUMNS: &str =
    "form_id, version, seq, code, severity, field, indicator_index, indicator_id, \
    indicator, message, message_en, evidence, fix, fix_en";
const FINDING_CHUNK: usize = 256;

/// Keys or IDs per statement that lists them: well under SQLite's limit of 32,766 bound
/// variables.
const FORM_CHUNK: usize = 256;

/// The stored IDs of forms with the keys of `forms`, in one query.
async fn existing_ids<'a>(
    conn: &mut Conn,
    forms: impl Iterator<Item = &'a Form>,
) -> Result<HashMap<(i32, String, String), String>, StoreError> {
    let mut qb: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT id, year, implementer, name FROM forms WHERE (year, implementer, name) IN (VALUES ",
    );
    let mut any = false;
    let mut sep = qb.separated(", ");
    for f in forms {
        any = true;
        sep.push("(");
        sep.push_bind_unseparated(f.year);
        sep.push_unseparated(", ");
        sep.push_bind_unseparated(f.implementer.clone());
        sep.push_unseparated(", ");
        sep.push_bind_unseparated(f.name.clone());
        sep.push_unseparated(")");
    }
    if !any {
        return Ok(HashMap::new());
    }
    qb.push(")");
    // Planned afresh each time (not a prepared statement kept for the session): an import
    // asks this of every batch in one transaction while `forms` grows from nothing, and
    // PostgreSQL's generic plan, made while the table was small, would scan it whole.
    let rows = qb.build().persistent(false).fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                (r.get("year"), r.get("implementer"), r.get("name")),
                r.get("id"),
            )
        })
        .collect())
}

/// The IDs of the unit organisations with these names, by name.
async fn units_named<'a>(
    conn: &mut Conn,
    names: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, String>, StoreError> {
    let names: std::collections::BTreeSet<&str> = names.collect();
    let names: Vec<&str> = names.into_iter().collect();
    let mut units = HashMap::new();
    for chunk in names.chunks(FORM_CHUNK) {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new("SELECT id, name FROM orgs WHERE kind = 'unit' AND name IN (");
        let mut sep = qb.separated(", ");
        for name in chunk {
            sep.push_bind(*name);
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut *conn).await? {
            units.insert(r.try_get("name")?, r.try_get("id")?);
        }
    }
    Ok(units)
}

/// Monitoring reports saved before their warnings were counted with them (a database from
/// before): counted once, with the default thresholds, as the dashboard counted them.
async fn count_old_warnings(pool: &DbPool) -> Result<(), StoreError> {
    let old: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT form_id, period, report FROM monitoring WHERE counted = FALSE ORDER BY form_id",
    )
    .fetch_all(pool)
    .await?;
    if old.is_empty() {
        return Ok(());
    }
    let mut tx = begin_write(pool).await?;
    for (id, period, json) in old {
        let Some(form) = load_form(&mut tx, &id).await? else {
            continue;
        };
        let report: PeriodReport = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("monitoring: {e}")))?;
        let ws = jixiao_core::monitor::warnings(
            &form,
            &report,
            &jixiao_core::monitor::Thresholds::default(),
        )
        .unwrap_or_default();
        let w = PeriodWarnings::of(&ws);
        sqlx::query(
            "UPDATE monitoring SET red = $1, yellow = $2, counted = TRUE WHERE form_id = $3 AND period = $4",
        )
        .bind(w.red)
        .bind(w.yellow)
        .bind(&id)
        .bind(&period)
        .execute(&mut *tx)
        .await?;
    }
    forms_changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the forms' generation for a change the triggers on `forms` do not see: the warnings
/// counted with a monitoring period, which the dashboard sums (a period saved before a later
/// one leaves the form's light, and so its row, untouched). Caches of every server check
/// against it.
async fn forms_changed(conn: &mut Conn) -> Result<(), StoreError> {
    sqlx::query("UPDATE generations SET value = value + 1 WHERE name = 'forms'")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The WHERE clause of a portfolio query (`forms f`): its scope and filters; `false` when the
/// scope sees nothing.
fn filters<'a>(qb: &mut QueryBuilder<'a, Db>, q: &'a ListQuery) -> bool {
    qb.push(" WHERE 1 = 1");
    match &q.scope {
        Scope::All => {}
        Scope::Nothing => return false,
        Scope::Department(dept) => {
            qb.push(" AND f.unit_id IN (SELECT id FROM orgs WHERE parent_id = ")
                .push_bind(dept.as_str())
                .push(")");
        }
        Scope::Units(units) => {
            if units.is_empty() {
                return false;
            }
            qb.push(" AND f.unit_id IN (");
            let mut sep = qb.separated(", ");
            for u in units {
                sep.push_bind(u.as_str());
            }
            qb.push(")");
        }
    }
    if let Some(y) = q.year {
        qb.push(" AND f.year = ").push_bind(y);
    }
    if let Some(s) = q.status {
        qb.push(" AND f.status = ").push_bind(s.name());
    }
    if let Some(g) = &q.grade {
        qb.push(" AND f.grade = ").push_bind(g.as_str());
    }
    match q.warnings.as_deref() {
        Some("any") => {
            qb.push(" AND f.warning_light IN ('red', 'yellow')");
        }
        Some(l) => {
            qb.push(" AND f.warning_light = ").push_bind(l);
        }
        None => {}
    }
    if let Some(d) = &q.department {
        qb.push(" AND f.department = ").push_bind(d.as_str());
    }
    if let Some(s) = q.search.as_deref().filter(|s| !s.trim().is_empty()) {
        let like = format!(
            "%{}%",
            s.trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        qb.push(format!(" AND (f.name {} ", super::LIKE))
            .push_bind(like.clone())
            .push(format!(" ESCAPE '\\' OR f.implementer {} ", super::LIKE))
            .push_bind(like.clone());
        qb.push(format!(" ESCAPE '\\' OR f.department {} ", super::LIKE))
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
    true
}

/// The cache key of a portfolio query: every filter, its order and page left out (the whole
/// query is in it, so a filter added later cannot be left out of the key).
fn filter_key(q: &ListQuery) -> String {
    format!(
        "{:?}",
        ListQuery {
            sort: String::new(),
            page: 0,
            per_page: 0,
            after: None,
            before: None,
            ..q.clone()
        }
    )
}

/// The order of a portfolio list: a sort key and a direction, ties broken by the ID in the
/// same direction, so each order is one of the `forms_by_*` indexes read forwards or
/// backwards, never a sort of every row.
struct ListSort {
    /// As a cursor names it: `name`, `-amount` (an unknown key reads as `name`).
    name: String,
    column: &'static str,
    desc: bool,
    kind: cursor::KeyKind,
}

impl ListSort {
    fn of(sort: &str) -> ListSort {
        let (desc, key) = match sort.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, sort),
        };
        let (key, column, kind) = match key {
            "year" => ("year", "year", cursor::KeyKind::Int),
            "amount" => ("amount", "funds_annual_total", cursor::KeyKind::NullableInt),
            "updated" => ("updated", "updated_at", cursor::KeyKind::Text),
            "status" => ("status", "status", cursor::KeyKind::Text),
            _ => ("name", "name", cursor::KeyKind::Text),
        };
        ListSort {
            name: format!("{}{key}", if desc { "-" } else { "" }),
            column,
            desc,
            kind,
        }
    }

    /// ` ORDER BY …` in this order or (`reverse`) against it. A missing annual total sorts
    /// first in ascending order on both backends (SQLite's own order; PostgreSQL's index
    /// `forms_by_amount` is built so), which the keyset's parts rely on.
    fn order_by(&self, reverse: bool) -> String {
        let down = self.desc != reverse;
        let dir = if down { "DESC" } else { "ASC" };
        let nulls = match (self.kind, down) {
            (cursor::KeyKind::NullableInt, false) => " NULLS FIRST",
            (cursor::KeyKind::NullableInt, true) => " NULLS LAST",
            _ => "",
        };
        format!(" ORDER BY f.{} {dir}{nulls}, f.id {dir}", self.column)
    }

    /// The cursor of a row's position in this order.
    fn cursor(&self, r: &FormRow) -> String {
        let key = match self.column {
            "year" => cursor::Key::Int(i64::from(r.year)),
            "funds_annual_total" => r
                .annual_total
                .map_or(cursor::Key::Null, |m| cursor::Key::Int(m.fen())),
            "updated_at" => cursor::Key::Text(r.updated_at.clone()),
            "status" => cursor::Key::Text(r.status.name().to_string()),
            _ => cursor::Key::Text(r.name.clone()),
        };
        cursor::encode(
            &self.name,
            &cursor::Position {
                key,
                id: r.id.clone(),
            },
        )
    }
}

/// A list query's rows up to its filters (`WHERE …`), the caller adding its range, order
/// and limit and closing the inner query. The page is chosen first and the indicators
/// counted for its rows only: rows passed over are not counted (PostgreSQL would count
/// them all).
/// The start of a list page's query, up to its filters: the caller adds the conditions of its
/// range, the order and the limit of the page's forms (`f`), then [`PAGE_END`]. The page
/// comes back as one row, a JSON array of the forms' lines in `order`: one value to carry from
/// the database instead of thirteen for each of fifty rows (read by [`page_rows`]).
fn list_select<'q>(q: &'q ListQuery, order: &str) -> QueryBuilder<'q, Db> {
    let (agg, row) = super::JSON_ROWS;
    let mut list: QueryBuilder<Db> = QueryBuilder::new(format!(
        "SELECT (SELECT value FROM generations WHERE name = 'forms'), \
         CAST({agg}({row}(f.id, f.year, f.name, f.department, f.implementer, \
         f.funds_annual_total, f.status, f.version, f.updated_at, f.grade, f.warning_light, \
         f.unit_id, f.indicator_count){order}) AS TEXT) FROM \
         (SELECT f.id, f.year, f.name, f.department, f.implementer, f.funds_annual_total, \
         f.status, f.version, f.updated_at, f.grade, f.warning_light, f.unit_id, \
         f.indicator_count FROM forms f"
    ));
    filters(&mut list, q);
    list
}

/// What closes a query begun by [`list_select`].
const PAGE_END: &str = ") f";

/// A list line as [`list_select`] writes it into the page's JSON array.
type PageLine = (
    String,
    i32,
    String,
    String,
    String,
    Option<i64>,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

/// The forms' generation and the lines of a page, read by a query from [`list_select`] (in
/// one statement, so the generation is the one the page was read at).
async fn page_rows(
    list: &mut QueryBuilder<'_, Db>,
    pool: &DbPool,
) -> Result<(i64, Vec<FormRow>), StoreError> {
    let (generation, json): (i64, Option<String>) = list.build_query_as().fetch_one(pool).await?;
    let Some(json) = json else {
        return Ok((generation, Vec::new()));
    };
    let lines: Vec<PageLine> =
        serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("list page: {e}")))?;
    let rows = lines
        .into_iter()
        .map(
            |(
                id,
                year,
                name,
                department,
                implementer,
                total,
                status,
                version,
                updated_at,
                grade,
                warning_light,
                unit_id,
                n,
            )| {
                Ok(FormRow {
                    id,
                    year,
                    name,
                    department,
                    implementer,
                    annual_total: total.map(Money::from_fen),
                    status: super::workflow::status(&status)?,
                    version,
                    indicators: n,
                    updated_at,
                    grade,
                    warning_light,
                    unit_id,
                })
            },
        )
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((generation, rows))
}

/// One batch of an import, inside the import's transaction: each form created, replaced
/// or left unchanged (in input order), the new forms given their owner, the library moved.
async fn import_batch(
    conn: &mut Conn,
    forms: &[Form],
    on_conflict: OnConflict,
    owner: Option<&str>,
    now: &str,
) -> Result<Vec<(String, ImportOutcome)>, StoreError> {
    // The same key twice in one import must be the same form.
    let mut first_of: HashMap<(i32, &str, &str), usize> = HashMap::with_capacity(forms.len());
    let mut repeat_of: Vec<Option<usize>> = vec![None; forms.len()];
    for (i, f) in forms.iter().enumerate() {
        match first_of.get(&f.key()) {
            Some(&j) if forms[j].without_ids() == f.without_ids() => repeat_of[i] = Some(j),
            Some(_) => {
                return Err(StoreError::DuplicateInImport {
                    year: f.year,
                    implementer: f.implementer.clone(),
                    name: f.name.clone(),
                })
            }
            None => {
                first_of.insert(f.key(), i);
            }
        }
    }
    let mut library = super::library::Facts::new();
    let mut ids: Vec<Option<(String, ImportOutcome)>> = vec![None; forms.len()];
    let firsts: Vec<usize> = (0..forms.len())
        .filter(|&i| repeat_of[i].is_none())
        .collect();
    for chunk in firsts.chunks(FORM_CHUNK) {
        let stored = existing_ids(&mut *conn, chunk.iter().map(|&i| &forms[i])).await?;
        let mut fresh: Vec<Form> = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let form = &forms[i];
            let key = (form.year, form.implementer.clone(), form.name.clone());
            if let Some(id) = stored.get(&key) {
                let old = load_form(&mut *conn, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(id.clone()))?;
                if old.without_ids() == form.without_ids() {
                    ids[i] = Some((id.clone(), ImportOutcome::Unchanged));
                    continue;
                }
                if on_conflict == OnConflict::Refuse {
                    return Err(StoreError::Exists {
                        id: id.clone(),
                        year: form.year,
                        implementer: form.implementer.clone(),
                        name: form.name.clone(),
                    });
                }
                // Only a form its unit may still edit in place is replaced: under review
                // or approved, a change goes through the workflow, not round it.
                let status: String = sqlx::query_scalar("SELECT status FROM forms WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?;
                let status = Status::from_name(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?;
                if status.on_edit() != jixiao_core::workflow::EditRule::InPlace {
                    return Err(StoreError::NotReplaceable {
                        name: form.name.clone(),
                        year: form.year,
                        status: status.chinese(),
                        status_en: status.name(),
                    });
                }
                let mut new = form.clone();
                new.id = Some(id.clone());
                keep_indicator_ids(&old, &mut new);
                super::workflow::snapshot_current(&mut *conn, id).await?;
                let d = write_forms(&mut *conn, std::slice::from_ref(&new), now, Written::Stored)
                    .await?;
                super::library::merge(&mut library, d);
                ids[i] = Some((id.clone(), ImportOutcome::Replaced));
            } else {
                let mut new = form.clone();
                let id = new.id.get_or_insert_with(new_id).clone();
                if form.id.is_some() {
                    let taken: Option<String> =
                        sqlx::query_scalar("SELECT name FROM forms WHERE id = $1")
                            .bind(&id)
                            .fetch_optional(&mut *conn)
                            .await?;
                    let in_batch = fresh
                        .iter()
                        .find(|f| f.id.as_deref() == Some(id.as_str()))
                        .map(|f| f.name.clone());
                    if let Some(other) = taken.or(in_batch) {
                        return Err(StoreError::IdTaken { id, other });
                    }
                }
                ids[i] = Some((id, ImportOutcome::Created));
                fresh.push(new);
            }
        }
        // Owners of the new forms, written with them: the unit given, or the unit
        // organisation named as their implementer.
        let units = match owner {
            Some(_) => HashMap::new(),
            None => units_named(&mut *conn, fresh.iter().map(|f| f.implementer.as_str())).await?,
        };
        let unit_of = |f: &Form| match owner {
            Some(unit) => Some(unit.to_string()),
            None => units.get(&f.implementer).cloned(),
        };
        let d = write_forms(&mut *conn, &fresh, now, Written::New(&unit_of)).await?;
        super::library::merge(&mut library, d);
    }
    super::library::apply(&mut *conn, library).await?;
    let outcomes = (0..forms.len())
        .map(|i| match repeat_of[i] {
            Some(j) => ids[j]
                .as_ref()
                .map(|(id, _)| (id.clone(), ImportOutcome::Unchanged)),
            None => ids[i].clone(),
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    Ok(outcomes)
}

#[async_trait]
impl Store for SqlStore {
    async fn import_for(
        &self,
        forms: &[Form],
        on_conflict: OnConflict,
        owner: Option<&str>,
    ) -> Result<ImportReport, StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            let outcomes = import_batch(&mut tx, forms, on_conflict, owner, &now()).await?;
            commit(tx).await?;
            Ok(ImportReport { outcomes })
        }
    }

    async fn import_batches(
        &self,
        batches: &mut (dyn Iterator<Item = Result<Vec<Form>, String>> + Send),
        on_conflict: OnConflict,
        owner: Option<&str>,
        seen: &mut (dyn for<'b> FnMut(&'b [Form], &'b [(String, ImportOutcome)]) + Send),
    ) -> Result<ImportCounts, StoreError> {
        let mut tx = begin_write(&self.bulk).await?;
        let now = now();
        let mut counts = ImportCounts::default();
        for batch in batches {
            let forms = batch.map_err(StoreError::Input)?;
            let outcomes = import_batch(&mut tx, &forms, on_conflict, owner, &now).await?;
            for (_, o) in &outcomes {
                match o {
                    ImportOutcome::Created => counts.created += 1,
                    ImportOutcome::Replaced => counts.replaced += 1,
                    ImportOutcome::Unchanged => counts.unchanged += 1,
                }
            }
            seen(&forms, &outcomes);
        }
        let note = format!(
            "created {}, replaced {}, unchanged {}",
            counts.created, counts.replaced, counts.unchanged
        );
        commit_noting(tx, "", &note).await?;
        // A bulk import changes the tables' statistics at once: brought up to date now rather
        // than at autovacuum's next turn, so the first lists are planned for what is stored.
        if counts.created + counts.replaced >= 10_000 && !super::AFTER_BULK.is_empty() {
            sqlx::query(super::AFTER_BULK).execute(&self.pool).await?;
        }
        Ok(counts)
    }

    async fn generations(&self) -> Result<crate::Generations, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, value FROM generations WHERE name IN ('forms', 'access')")
                .fetch_all(&self.counters)
                .await?;
        let mut g = crate::Generations::default();
        for (name, value) in rows {
            match name.as_str() {
                "forms" => g.forms = value,
                _ => g.access = value,
            }
        }
        Ok(g)
    }

    async fn list(&self) -> Result<Vec<FormRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "{LIST_SELECT} ORDER BY f.year DESC, f.department, f.name, f.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(super::workflow::row_from).collect()
    }

    async fn get(&self, id: &str) -> Result<Option<Form>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_form(&mut conn, id).await
    }

    async fn resolve(&self, prefix: &str) -> Result<String, StoreError> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Err(StoreError::NotFound(String::new()));
        }
        // Exact match first; then a prefix (LIKE wildcards in the input are taken literally).
        let escaped = prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM forms WHERE id = $1 UNION SELECT id FROM forms WHERE id LIKE $2 ESCAPE '\\' LIMIT 3",
        )
        .bind(prefix)
        .bind(format!("{escaped}%"))
        .fetch_all(&self.pool)
        .await?;
        if ids.iter().any(|i| i == prefix) {
            return Ok(prefix.to_string());
        }
        match ids.len() {
            0 => Err(StoreError::NotFound(prefix.to_string())),
            1 => Ok(ids.into_iter().next().unwrap_or_default()),
            n => Err(StoreError::Ambiguous {
                prefix: prefix.to_string(),
                count: n,
            }),
        }
    }

    async fn all(&self) -> Result<Vec<Form>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(&format!(
            "SELECT {FORM_COLUMNS} FROM forms ORDER BY year DESC, department, name, id"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut forms = rows
            .iter()
            .map(form_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut by_id: HashMap<String, usize> = HashMap::with_capacity(forms.len());
        for (i, f) in forms.iter().enumerate() {
            by_id.insert(f.id.clone().unwrap_or_default(), i);
        }
        let rows = sqlx::query(&format!(
            "SELECT {INDICATOR_COLUMNS} FROM indicators ORDER BY form_id, position"
        ))
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let form_id: String = r.get("form_id");
            if let Some(&i) = by_id.get(&form_id) {
                forms[i].indicators.push(indicator_from_row(r)?);
            }
        }
        Ok(forms)
    }

    async fn find_key(
        &self,
        year: i32,
        implementer: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM forms WHERE year = $1 AND implementer = $2 AND name = $3",
        )
        .bind(year)
        .bind(implementer)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn version(&self, id: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT version FROM forms WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))
    }

    async fn save_findings(&self, id: &str, findings: &[Finding]) -> Result<i64, StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            let version: i64 = sqlx::query_scalar("SELECT version FROM forms WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
            sqlx::query("DELETE FROM findings WHERE form_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            for (chunk_no, chunk) in findings.chunks(FINDING_CHUNK).enumerate() {
                let mut qb: QueryBuilder<Db> =
                    QueryBuilder::new(format!("INSERT INTO findings ({FINDING_COLUMNS}) "));
                qb.push_values(chunk.iter().enumerate(), |mut b, (k, f)| {
                    b.push_bind(id.to_string())
                        .push_bind(version)
                        .push_bind((chunk_no * FINDING_CHUNK + k) as i64)
                        .push_bind(f.code.clone())
                        .push_bind(f.severity.name())
                        .push_bind(f.field.clone())
                        .push_bind(f.indicator_index.map(|i| i as i64))
                        .push_bind(f.indicator_id.clone())
                        .push_bind(f.indicator.clone())
                        .push_bind(f.message.clone())
                        .push_bind(f.message_en.clone())
                        .push_bind(f.evidence.clone())
                        .push_bind(f.fix.clone())
                        .push_bind(f.fix_en.clone());
                });
                qb.build().execute(&mut *tx).await?;
            }
            commit(tx).await?;
            Ok(version)
        }
    }

    async fn findings(&self, id: &str, version: Option<i64>) -> Result<Vec<Finding>, StoreError> {
        let version = match version {
            Some(v) => v,
            None => self.version(id).await?,
        };
        let form_name: String = sqlx::query_scalar("SELECT name FROM forms WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let rows = sqlx::query(&format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE form_id = $1 AND version = $2 ORDER BY seq"
        ))
        .bind(id)
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let sev: String = r.get("severity");
                Ok(Finding {
                    form: form_name.clone(),
                    indicator: r.get("indicator"),
                    indicator_index: r
                        .get::<Option<i64>, _>("indicator_index")
                        .map(|i| i as usize),
                    indicator_id: r.get("indicator_id"),
                    field: r.get("field"),
                    code: r.get("code"),
                    severity: Severity::from_name(&sev)
                        .ok_or_else(|| StoreError::Corrupt(format!("severity “{sev}”")))?,
                    message: r.get("message"),
                    message_en: r.get("message_en"),
                    evidence: r.get("evidence"),
                    fix: r.get("fix"),
                    fix_en: r.get("fix_en"),
                })
            })
            .collect()
    }

    async fn save_period(
        &self,
        id: &str,
        report: &PeriodReport,
        warnings: &PeriodWarnings<'_>,
    ) -> Result<(), StoreError> {
        retrying! {
            self.version(id).await?;
            let light = warnings.light;
            let json = serde_json::to_string(report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let mut tx = super::begin_write(&self.pool).await?;
            sqlx::query(
                "INSERT INTO monitoring (form_id, period, end_month, report, updated_at, red, yellow, counted) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE) \
                 ON CONFLICT (form_id, period) DO UPDATE SET end_month = excluded.end_month, report = excluded.report, \
                 updated_at = excluded.updated_at, red = excluded.red, yellow = excluded.yellow, counted = TRUE",
            )
            .bind(id)
            .bind(&report.period.label)
            .bind(report.period.end_month as i64)
            .bind(json)
            .bind(now())
            .bind(warnings.red)
            .bind(warnings.yellow)
            .execute(&mut *tx)
            .await?;
            // The portfolio filters on the light of the latest period: this one's, unless a later
            // period is recorded (whose light was kept when it was saved).
            sqlx::query(
                "UPDATE forms SET warning_light = $1 WHERE id = $2 AND NOT EXISTS \
                 (SELECT 1 FROM monitoring WHERE form_id = $3 AND end_month > $4)",
            )
            .bind(light)
            .bind(id)
            .bind(id)
            .bind(report.period.end_month as i64)
            .execute(&mut *tx)
            .await?;
            forms_changed(&mut tx).await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn dashboard(&self, q: &ListQuery) -> Result<Dashboard, StoreError> {
        if !filters(&mut QueryBuilder::<Db>::new(""), q) {
            return Ok(Dashboard::default());
        }
        // Statuses and grades are columns of the forms: counted once per filter and kept until
        // the forms change (the generation counter, as for the list's totals).
        let generation = self.forms_generation().await?;
        let key = filter_key(q);
        let cached = self
            .counts
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
            .filter(|(g, _)| *g == generation)
            .map(|(_, c)| c);
        let (statuses, grades) = match cached {
            Some(c) => c,
            None => {
                let mut statuses: QueryBuilder<Db> =
                    QueryBuilder::new("SELECT f.status, count(*) FROM forms f");
                filters(&mut statuses, q);
                statuses.push(" GROUP BY f.status ORDER BY f.status");
                let statuses: Vec<(String, i64)> =
                    statuses.build_query_as().fetch_all(&self.pool).await?;
                let mut grades: QueryBuilder<Db> =
                    QueryBuilder::new("SELECT f.grade, count(*) FROM forms f");
                filters(&mut grades, q);
                grades.push(" AND f.grade IS NOT NULL GROUP BY f.grade ORDER BY f.grade");
                let grades: Vec<(String, i64)> =
                    grades.build_query_as().fetch_all(&self.pool).await?;
                if let Ok(mut m) = self.counts.lock() {
                    if m.len() > 4096 {
                        m.clear();
                    }
                    m.insert(key, (generation, (statuses.clone(), grades.clone())));
                }
                (statuses, grades)
            }
        };
        // Warnings belong to the monitoring reports, which the generation does not follow:
        // counted each time (a join of the reports, not of every form).
        let mut months: QueryBuilder<Db> = QueryBuilder::new(
            "SELECT m.end_month, CAST(sum(m.red) AS BIGINT), CAST(sum(m.yellow) AS BIGINT) \
             FROM monitoring m JOIN forms f ON f.id = m.form_id",
        );
        filters(&mut months, q);
        months.push(" GROUP BY m.end_month ORDER BY m.end_month");
        let warnings_by_month: Vec<(i64, i64, i64)> =
            months.build_query_as().fetch_all(&self.pool).await?;
        Ok(Dashboard {
            statuses,
            grades,
            warnings_by_month,
        })
    }

    async fn library(&self, q: &LibraryQuery) -> Result<Vec<LibraryEntry>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        super::library::search(&mut conn, q).await
    }

    async fn curate_library(
        &self,
        name: &str,
        change: &crate::Curation,
        by: &str,
    ) -> Result<(), StoreError> {
        retrying! {
            let (column, flag, into): (&str, bool, Option<String>) = match change {
                crate::Curation::Recommend(on) => ("recommended", *on, None),
                crate::Curation::Retire(on) => ("retired", *on, None),
                crate::Curation::MergeInto(into) => ("merged_into", false, into.clone()),
            };
            // The column name comes from the match above, never from input.
            let sql = format!(
                "INSERT INTO library_curation (name, {column}, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET {column} = excluded.{column}, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at"
            );
            let mut tx = super::begin_write(&self.pool).await?;
            let q = sqlx::query(&sql).bind(name);
            let q = if column == "merged_into" {
                q.bind(into)
            } else {
                q.bind(flag)
            };
            q.bind(by).bind(now()).execute(&mut *tx).await?;
            // A name with nothing curated left is forgotten.
            sqlx::query(
                "DELETE FROM library_curation WHERE name = $1 AND recommended = FALSE AND retired = FALSE AND merged_into IS NULL",
            )
            .bind(name)
            .execute(&mut *tx)
            .await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn categories(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT trim(category) AS c, count(*) FROM forms WHERE trim(category) <> '' GROUP BY c ORDER BY count(*) DESC, c",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn periods(&self, id: &str) -> Result<Vec<PeriodReport>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT report FROM monitoring WHERE form_id = $1 ORDER BY end_month, period",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(r).map_err(|e| StoreError::Corrupt(format!("monitoring: {e}")))
            })
            .collect()
    }

    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_setting(&self, name: &str, value: &str, by: &str) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            put_setting(&mut tx, name, value, by).await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn all_self_evaluations(&self) -> Result<Vec<(String, SelfEvaluation)>, StoreError> {
        self.documents(
            "SELECT form_id, evaluation FROM self_evaluations ORDER BY form_id",
            "self-evaluation",
        )
        .await
    }

    async fn all_periods(&self) -> Result<Vec<(String, PeriodReport)>, StoreError> {
        self.documents(
            "SELECT form_id, report FROM monitoring ORDER BY end_month, form_id",
            "monitoring",
        )
        .await
    }

    async fn save_self_evaluation(
        &self,
        id: &str,
        evaluation: &SelfEvaluation,
        grade: Option<&str>,
    ) -> Result<(), StoreError> {
        retrying! {
            self.version(id).await?;
            let json =
                serde_json::to_string(evaluation).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let mut tx = super::begin_write(&self.pool).await?;
            let ids = [id.to_string()];
            let before = super::library::contributions(&mut tx, &ids).await?;
            // Only a draft or a returned self-evaluation changes; the status is checked in the
            // write itself, so a save racing a submit cannot change what was submitted.
            let changed = sqlx::query(
                "INSERT INTO self_evaluations (form_id, evaluation, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (form_id) DO UPDATE SET evaluation = excluded.evaluation, updated_at = excluded.updated_at \
                 WHERE self_evaluations.status IN ('draft', 'returned')",
            )
            .bind(id)
            .bind(json)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                let status: Option<String> =
                    sqlx::query_scalar("SELECT status FROM self_evaluations WHERE form_id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let status = status.as_deref().and_then(EvalStatus::from_name);
                return Err(StoreError::EvalLocked(
                    status.map(|s| s.chinese()).unwrap_or("未知"),
                ));
            }
            let actuals: Vec<(String, String)> = evaluation
                .indicators
                .iter()
                .map(|i| (i.name.clone(), i.actual.clone()))
                .collect();
            super::library::set_actuals(&mut tx, id, &actuals).await?;
            sqlx::query("UPDATE forms SET grade = $1 WHERE id = $2")
                .bind(grade)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let after = super::library::contributions(&mut tx, &ids).await?;
            super::library::apply(&mut tx, super::library::difference(before, after)).await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn update_org(&self, org: &crate::Org) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            let r = sqlx::query("UPDATE orgs SET name = $1, kind = $2, parent_id = $3 WHERE id = $4")
                .bind(&org.name)
                .bind(&org.kind)
                .bind(&org.parent_id)
                .bind(&org.id)
                .execute(&mut *tx)
                .await
                .map_err(|e| super::workflow::taken(e, &org.name))?;
            if r.rows_affected() == 0 {
                return Err(StoreError::NotFound(org.id.clone()));
            }
            sqlx::query(LINK_FORMS).execute(&mut *tx).await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn update_user(&self, u: &crate::User) -> Result<(), StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            let r =
                sqlx::query("UPDATE users SET display_name = $1, role = $2, org_id = $3 WHERE id = $4")
                    .bind(&u.display_name)
                    .bind(u.role.name())
                    .bind(&u.org_id)
                    .bind(&u.id)
                    .execute(&mut *tx)
                    .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::NotFound(u.id.clone()));
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(&u.id)
                .execute(&mut *tx)
                .await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn assign_form(&self, id: &str, unit_id: Option<&str>) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            let r = sqlx::query("UPDATE forms SET unit_id = $1 WHERE id = $2")
                .bind(unit_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::NotFound(id.to_string()));
            }
            commit(tx).await?;
            Ok(())
        }
    }

    async fn eval_status(&self, id: &str) -> Result<Option<EvalStatus>, StoreError> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT status FROM self_evaluations WHERE form_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|s| {
            EvalStatus::from_name(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("self-evaluation status {s}")))
        })
        .transpose()
    }

    async fn eval_transition(
        &self,
        id: &str,
        from: EvalStatus,
        to: EvalStatus,
        action: Action,
        actor: &str,
        comment: &str,
    ) -> Result<crate::EvalTransition, StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            let changed = sqlx::query(
                "UPDATE self_evaluations SET status = $1 WHERE form_id = $2 AND status = $3",
            )
            .bind(to.name())
            .bind(id)
            .bind(from.name())
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                let now_status: Option<String> =
                    sqlx::query_scalar("SELECT status FROM self_evaluations WHERE form_id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(
                    match now_status.as_deref().and_then(EvalStatus::from_name) {
                        Some(s) => StoreError::EvalStatusChanged(s.chinese()),
                        None => StoreError::NotFound(id.to_string()),
                    },
                );
            }
            let row = sqlx::query(
                "INSERT INTO evaluation_transitions (form_id, from_status, to_status, action, actor, at, comment) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            )
            .bind(id)
            .bind(from.name())
            .bind(to.name())
            .bind(action.name())
            .bind(actor)
            .bind(now())
            .bind(comment)
            .fetch_one(&mut *tx)
            .await?;
            let t = eval_transition_from(&row)?;
            commit(tx).await?;
            Ok(t)
        }
    }

    async fn eval_transitions(&self, id: &str) -> Result<Vec<crate::EvalTransition>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM evaluation_transitions WHERE form_id = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(eval_transition_from).collect()
    }

    async fn eval_statuses(&self) -> Result<Vec<(String, EvalStatus)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT form_id, status FROM self_evaluations ORDER BY form_id")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(id, s)| {
                EvalStatus::from_name(&s)
                    .map(|st| (id, st))
                    .ok_or_else(|| StoreError::Corrupt(format!("self-evaluation status {s}")))
            })
            .collect()
    }

    async fn self_evaluation(&self, id: &str) -> Result<Option<SelfEvaluation>, StoreError> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT evaluation FROM self_evaluations WHERE form_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            serde_json::from_str(&r)
                .map_err(|e| StoreError::Corrupt(format!("self-evaluation: {e}")))
        })
        .transpose()
    }

    async fn create_org(&self, org: &Org) -> Result<u64, StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query("INSERT INTO orgs (id, name, kind, parent_id) VALUES ($1, $2, $3, $4)")
                .bind(&org.id)
                .bind(&org.name)
                .bind(&org.kind)
                .bind(&org.parent_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| taken(e, &org.name))?;
            let linked = sqlx::query(LINK_FORMS)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            commit(tx).await?;
            Ok(linked)
        }
    }
    async fn orgs(&self) -> Result<Vec<Org>, StoreError> {
        let rows = sqlx::query("SELECT id, name, kind, parent_id FROM orgs ORDER BY kind, name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Org {
                id: r.get("id"),
                name: r.get("name"),
                kind: r.get("kind"),
                parent_id: r.get("parent_id"),
            })
            .collect())
    }
    async fn link_forms_to_units(&self) -> Result<u64, StoreError> {
        let r = sqlx::query(LINK_FORMS).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }
    async fn create_user(&self, u: &User, hash: &str, must_change: bool) -> Result<(), StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            sqlx::query("INSERT INTO users (id, username, display_name, password_hash, role, org_id, created_at, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&u.id)
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(hash)
                .bind(u.role.name())
                .bind(&u.org_id)
                .bind(now())
                .bind(must_change)
                .execute(&mut *tx)
                .await
                .map_err(|e| taken(e, &u.username))?;
            remember_password(&mut tx, &u.id, hash).await?;
            commit(tx).await?;
            Ok(())
        }
    }
    async fn set_totp(&self, user_id: &str, secret: Option<&str>) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2")
                .bind(secret)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            commit(tx).await?;
            Ok(())
        }
    }
    async fn set_totp_exempt(&self, user_id: &str, exempt: bool) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query("UPDATE users SET totp_exempt = $1 WHERE id = $2")
                .bind(exempt)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            commit(tx).await?;
            Ok(())
        }
    }
    async fn use_totp_step(&self, user_id: &str, step: i64) -> Result<bool, StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            let used = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)",
            )
            .bind(step)
            .bind(user_id)
            .bind(step)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            commit(tx).await?;
            Ok(used)
        }
    }
    async fn password_history(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT hash FROM password_history WHERE user_id = $1 ORDER BY set_at DESC, rowid DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(jixiao_core::password::HISTORY as i64)
        .fetch_all(&self.pool)
        .await?)
    }
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, username, display_name, role, org_id FROM users ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }
    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        // Failures and locks are the sign-in throttle's, kept by username.
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.org_id, coalesce(t.attempts, 0) AS failed_logins, \
             t.locked_until, u.disabled, u.must_change_password FROM users u \
             LEFT JOIN login_throttle t ON t.key = 'u:' || u.username ORDER BY u.username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Account {
                    user: user_from(r)?,
                    failed_logins: r.get("failed_logins"),
                    locked_until: r.get("locked_until"),
                    disabled: r.get("disabled"),
                    must_change_password: r.get("must_change_password"),
                })
            })
            .collect()
    }
    async fn update_account(
        &self,
        user_id: &str,
        change: &AccountChange,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            change_account(&mut tx, user_id, change, keep_session).await?;
            commit(tx).await?;
            Ok(())
        }
    }
    async fn request_grant(
        &self,
        g: &crate::Grant,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query(
                "INSERT INTO grants (id, kind, user_id, username, display_name, from_role, role, org_id, password_hash, \
                 requested_by, requester_role, requested_at, status, decided_by, decided_at, comment) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', NULL, NULL, '')",
            )
            .bind(&g.id)
            .bind(g.kind.name())
            .bind(&g.user_id)
            .bind(&g.username)
            .bind(&g.display_name)
            .bind(g.from_role.map(|r| r.name()))
            .bind(g.role.name())
            .bind(&g.org_id)
            .bind(password_hash)
            .bind(&g.requested_by)
            .bind(g.requester_role.name())
            .bind(&g.requested_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    StoreError::GrantPending(g.username.clone())
                }
                _ => StoreError::Db(e),
            })?;
            commit(tx).await?;
            Ok(())
        }
    }
    async fn grants(
        &self,
        pending_only: bool,
        limit: i64,
    ) -> Result<Vec<crate::Grant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS} FROM grants WHERE status = 'pending' OR $1 = FALSE \
             ORDER BY requested_at DESC, id LIMIT $2"
        ))
        .bind(pending_only)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grant_from).collect()
    }
    async fn grant(&self, id: &str) -> Result<Option<crate::Grant>, StoreError> {
        let row = sqlx::query(&format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(grant_from).transpose()
    }
    async fn decide_grant(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        comment: &str,
    ) -> Result<crate::Grant, StoreError> {
        retrying! {
            use jixiao_core::duties::{GrantKind, GrantStatus};
            let mut tx = super::begin_write(&self.pool).await?;
            let Some(row) = sqlx::query(&format!(
                "SELECT {GRANT_COLUMNS}, password_hash FROM grants WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            else {
                return Err(StoreError::NotFound(id.to_string()));
            };
            let g = grant_from(&row)?;
            if g.status != GrantStatus::Pending {
                return Err(match g.status {
                    GrantStatus::Approved => StoreError::GrantDecided("批准", "approved"),
                    _ => StoreError::GrantDecided("拒绝", "rejected"),
                });
            }
            let hash: Option<String> = row.get("password_hash");
            if approve {
                match g.kind {
                    GrantKind::Create => {
                        let hash = hash.ok_or_else(|| {
                            StoreError::Corrupt(format!("grant {id} without a password"))
                        })?;
                        sqlx::query("INSERT INTO users (id, username, display_name, password_hash, role, org_id, created_at, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE)")
                            .bind(&g.user_id)
                            .bind(&g.username)
                            .bind(&g.display_name)
                            .bind(&hash)
                            .bind(g.role.name())
                            .bind(&g.org_id)
                            .bind(now())
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| taken(e, &g.username))?;
                        remember_password(&mut tx, &g.user_id, &hash).await?;
                    }
                    GrantKind::Role => {
                        let from = g.from_role.map(|r| r.name()).unwrap_or("");
                        let done = sqlx::query(
                            "UPDATE users SET role = $1, org_id = $2, display_name = $3 WHERE id = $4 AND role = $5",
                        )
                        .bind(g.role.name())
                        .bind(&g.org_id)
                        .bind(&g.display_name)
                        .bind(&g.user_id)
                        .bind(from)
                        .execute(&mut *tx)
                        .await?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::GrantStale(g.username.clone()));
                        }
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                            .bind(&g.user_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    GrantKind::ResetPassword => {
                        let hash = hash.ok_or_else(|| {
                            StoreError::Corrupt(format!("grant {id} without a password"))
                        })?;
                        change_account(
                            &mut tx,
                            &g.user_id,
                            &AccountChange::ResetPassword { hash },
                            None,
                        )
                        .await?;
                    }
                    GrantKind::ResetTotp => {
                        change_account(&mut tx, &g.user_id, &AccountChange::ResetTotp, None).await?;
                    }
                }
            }
            let status = if approve {
                GrantStatus::Approved
            } else {
                GrantStatus::Rejected
            };
            let at = now();
            let done = sqlx::query(
                "UPDATE grants SET status = $1, decided_by = $2, decided_at = $3, comment = $4, password_hash = NULL \
                 WHERE id = $5 AND status = 'pending'",
            )
            .bind(status.name())
            .bind(by)
            .bind(&at)
            .bind(comment)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::GrantDecided("处理", "decided"));
            }
            commit(tx).await?;
            Ok(crate::Grant {
                status,
                decided_by: Some(by.to_string()),
                decided_at: Some(at),
                comment: comment.to_string(),
                ..g
            })
        }
    }
    async fn user_auth(&self, username: &str) -> Result<Option<UserAuth>, StoreError> {
        let Some(r) = sqlx::query("SELECT id, username, display_name, role, org_id, password_hash, failed_logins, locked_until, disabled, must_change_password, totp_secret FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(UserAuth {
            user: user_from(&r)?,
            password_hash: r.get("password_hash"),
            failed_logins: r.get("failed_logins"),
            locked_until: r.get("locked_until"),
            disabled: r.get("disabled"),
            must_change_password: r.get("must_change_password"),
            totp_secret: r.get("totp_secret"),
        }))
    }
    async fn login_attempt(
        &self,
        key: &str,
        now: &str,
        max: i64,
        lock_until: &str,
    ) -> Result<crate::LoginAttempt, StoreError> {
        // One statement, so parallel attempts are numbered one by one: a lock that has ended
        // starts the count again; while locked nothing changes; the attempt past the limit
        // locks.
        let (attempts, locked): (i64, Option<String>) = sqlx::query_as(
            "INSERT INTO login_throttle (key, attempts, locked_until) VALUES ($1, 1, CASE WHEN 1 > $3 THEN $4 END) \
             ON CONFLICT (key) DO UPDATE SET \
               attempts = CASE WHEN login_throttle.locked_until IS NULL THEN login_throttle.attempts + 1 \
                               WHEN login_throttle.locked_until <= $2 THEN 1 \
                               ELSE login_throttle.attempts END, \
               locked_until = CASE WHEN login_throttle.locked_until IS NULL \
                                    THEN CASE WHEN login_throttle.attempts + 1 > $3 THEN $4 END \
                                   WHEN login_throttle.locked_until <= $2 THEN NULL \
                                   ELSE login_throttle.locked_until END \
             RETURNING attempts, locked_until",
        )
        .bind(key)
        .bind(now)
        .bind(max)
        .bind(lock_until)
        .fetch_one(&self.pool)
        .await?;
        Ok(match locked {
            Some(until) => crate::LoginAttempt::Locked(until),
            None => crate::LoginAttempt::Counted(attempts),
        })
    }

    async fn login_failure(&self, key: &str, max: i64, lock_until: &str) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query(
                "UPDATE login_throttle SET locked_until = $1 WHERE key = $2 AND attempts >= $3 AND locked_until IS NULL",
            )
            .bind(lock_until)
            .bind(key)
            .bind(max)
            .execute(&mut *tx)
            .await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn login_reset(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        expires_at: &str,
        ip: &str,
    ) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at, last_seen, ip) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(now())
            .bind(expires_at)
            .bind(now())
            .bind(ip)
            .execute(&mut *tx)
            .await?;
            commit(tx).await?;
            Ok(())
        }
    }
    async fn session(
        &self,
        token_hash: &str,
        now: &str,
        idle_since: &str,
    ) -> Result<Option<Session>, StoreError> {
        let Some(r) = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.org_id, u.must_change_password, s.csrf, s.expires_at, \
             (u.totp_secret IS NULL AND u.totp_exempt = FALSE) AS no_second_factor \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND coalesce(s.last_seen, s.created_at) > $3 AND u.disabled = FALSE",
        )
        .bind(token_hash)
        .bind(now)
        .bind(idle_since)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let user = user_from(&r)?;
        // The roles that need one are the privileged roles (jixiao_core::workflow::Role).
        let needs_second_factor = user.role.privileged() && r.get::<bool, _>("no_second_factor");
        Ok(Some(Session {
            user,
            csrf: r.get("csrf"),
            expires_at: r.get("expires_at"),
            must_change_password: r.get("must_change_password"),
            needs_second_factor,
        }))
    }
    async fn touch_session(
        &self,
        token_hash: &str,
        now: &str,
        stale_before: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET last_seen = $1 WHERE token_hash = $2 AND coalesce(last_seen, created_at) < $3",
        )
        .bind(now)
        .bind(token_hash)
        .bind(stale_before)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
    async fn user_sessions(
        &self,
        user_id: &str,
        now: &str,
        idle_since: &str,
    ) -> Result<Vec<crate::SessionInfo>, StoreError> {
        let rows: Vec<(String, String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT token_hash, created_at, last_seen, expires_at, ip FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 AND coalesce(last_seen, created_at) > $3 \
             ORDER BY coalesce(last_seen, created_at) DESC",
        )
        .bind(user_id)
        .bind(now)
        .bind(idle_since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(token_hash, created_at, last_seen, expires_at, ip)| crate::SessionInfo {
                    token_hash,
                    created_at,
                    last_seen,
                    expires_at,
                    ip,
                },
            )
            .collect())
    }
    async fn end_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            let n = sqlx::query(
                "DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2",
            )
            .bind(user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            commit(tx).await?;
            Ok(n)
        }
    }
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *tx)
                .await?;
            commit(tx).await?;
            Ok(())
        }
    }
    async fn form_meta(&self, id: &str) -> Result<Option<FormMeta>, StoreError> {
        let row = sqlx::query(
            "SELECT id, version, status, unit_id, updated_by, updated_at FROM forms WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(meta_from_row).transpose()
    }
    async fn form_with_meta(&self, id: &str) -> Result<Option<(Form, FormMeta)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query(&format!(
            "SELECT {FORM_COLUMNS}, status, version, unit_id, updated_by, updated_at FROM forms WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let mut form = form_from_row(&row)?;
        let meta = super::workflow::meta_from_row(&row)?;
        form.indicators = load_indicators(&mut conn, id).await?;
        Ok(Some((form, meta)))
    }
    async fn list_page(&self, q: &ListQuery) -> Result<Page, StoreError> {
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.max(1);
        let sort = ListSort::of(&q.sort);
        // `true` for a page after the cursor, `false` for one before it.
        let cursor = match (&q.after, &q.before) {
            (Some(_), Some(_)) => {
                return Err(StoreError::BadCursor {
                    zh: "after 与 before 只能给一个",
                    en: "give after or before, not both",
                })
            }
            (Some(c), None) => Some((true, cursor::decode(c, &sort.name, sort.kind)?)),
            (None, Some(c)) => Some((false, cursor::decode(c, &sort.name, sort.kind)?)),
            (None, None) => None,
        };
        let number = cursor.is_none().then_some(page);
        if matches!(&q.scope, Scope::Nothing) || matches!(&q.scope, Scope::Units(u) if u.is_empty())
        {
            return Ok(Page {
                items: vec![],
                total: 0,
                page: number,
                per_page,
                next: None,
                prev: None,
                annual_total_sum: Money::ZERO,
            });
        }
        let (items, next, prev, total, sum) = match cursor {
            None => {
                let mut list = list_select(q, &sort.order_by(false));
                list.push(sort.order_by(false))
                    .push(" LIMIT ")
                    .push_bind(per_page)
                    .push(" OFFSET ")
                    .push_bind((page - 1) * per_page);
                list.push(PAGE_END);
                let (generation, items) = page_rows(&mut list, &self.pool).await?;
                let (total, sum) = self.list_totals(q, generation).await?;
                let more = (page - 1) * per_page + (items.len() as i64) < total;
                let next = items.last().filter(|_| more).map(|r| sort.cursor(r));
                let prev = items.first().filter(|_| page > 1).map(|r| sort.cursor(r));
                (items, next, prev, total, sum)
            }
            Some((forward, from)) => {
                // One more row than the page tells whether another page lies beyond it.
                let (generation, mut items) =
                    self.keyset(q, &sort, !forward, &from, per_page + 1).await?;
                let (total, sum) = self.list_totals(q, generation).await?;
                let more = items.len() as i64 > per_page;
                items.truncate(per_page as usize);
                if !forward {
                    items.reverse();
                }
                let (first, last) = (items.first(), items.last());
                let (next, prev) = if forward {
                    (last.filter(|_| more), first)
                } else {
                    (last, first.filter(|_| more))
                };
                let (next, prev) = (next.map(|r| sort.cursor(r)), prev.map(|r| sort.cursor(r)));
                (items, next, prev, total, sum)
            }
        };
        Ok(Page {
            items,
            total,
            page: number,
            per_page,
            next,
            prev,
            annual_total_sum: Money::from_fen(sum),
        })
    }
    async fn create_form(
        &self,
        form: &Form,
        unit_id: Option<&str>,
        actor: &str,
    ) -> Result<String, StoreError> {
        let mut ids = self
            .create_forms(std::slice::from_ref(form), unit_id, actor)
            .await?;
        Ok(ids.remove(0))
    }
    async fn create_forms(
        &self,
        forms: &[Form],
        unit_id: Option<&str>,
        actor: &str,
    ) -> Result<Vec<String>, StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            let t = now();
            let mut ids = Vec::with_capacity(forms.len());
            let mut library = super::library::Facts::new();
            for form in forms {
                let mut f = form.clone();
                f.id = None;
                for i in &mut f.indicators {
                    i.id = None;
                }
                let exists: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM forms WHERE year = $1 AND implementer = $2 AND name = $3",
                )
                .bind(f.year)
                .bind(&f.implementer)
                .bind(&f.name)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = exists {
                    return Err(StoreError::Exists {
                        id,
                        year: f.year,
                        implementer: f.implementer.clone(),
                        name: f.name.clone(),
                    });
                }
                let id = super::store::new_id();
                f.id = Some(id.clone());
                let d = write_forms(
                    &mut tx,
                    std::slice::from_ref(&f),
                    &t,
                    Written::New(&|_| None),
                )
                .await?;
                super::library::merge(&mut library, d);
                sqlx::query("UPDATE forms SET unit_id = $1, updated_by = $2 WHERE id = $3")
                    .bind(unit_id)
                    .bind(actor)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                ids.push(id);
            }
            super::library::apply(&mut tx, library).await?;
            commit_created(tx, &ids.join(",")).await?;
            Ok(ids)
        }
    }
    async fn save_form(
        &self,
        id: &str,
        base: i64,
        expected: Status,
        form: &Form,
        st: Status,
        actor: &str,
    ) -> Result<i64, StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            let Some((current, now_status, by, at)): Option<(i64, String, Option<String>, String)> =
                sqlx::query_as(
                    "SELECT version, status, updated_by, updated_at FROM forms WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(StoreError::NotFound(id.to_string()));
            };
            if current != base {
                return Err(StoreError::Conflict {
                    base,
                    current,
                    updated_by: by.unwrap_or_else(|| "导入 / import".into()),
                    updated_at: at,
                });
            }
            // A workflow action since the editor read the form (a submit racing this save): the
            // save would write the old status back.
            if now_status != expected.name() {
                return Err(StoreError::StatusChanged(
                    status(&now_status)
                        .map(|s| s.chinese().to_string())
                        .unwrap_or(now_status),
                ));
            }
            // Another form with this key would make the save ambiguous.
            let clash: Option<String> = sqlx::query_scalar(
                "SELECT id FROM forms WHERE year = $1 AND implementer = $2 AND name = $3 AND id <> $4",
            )
            .bind(form.year)
            .bind(&form.implementer)
            .bind(&form.name)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(other) = clash {
                return Err(StoreError::Exists {
                    id: other,
                    year: form.year,
                    implementer: form.implementer.clone(),
                    name: form.name.clone(),
                });
            }
            snapshot_current(&mut tx, id).await?;
            let mut f = form.clone();
            f.id = Some(id.to_string());
            let t = now();
            let d = write_forms(&mut tx, std::slice::from_ref(&f), &t, Written::Stored).await?;
            super::library::apply(&mut tx, d).await?;
            sqlx::query("UPDATE forms SET status = $1, updated_by = $2 WHERE id = $3")
                .bind(st.name())
                .bind(actor)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            commit(tx).await?;
            Ok(current + 1)
        }
    }
    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        id: &str,
        from: Status,
        seen_version: Option<i64>,
        to: Status,
        act: Action,
        actor: &str,
        comment: &str,
        detail: &str,
    ) -> Result<Transition, StoreError> {
        let (t, _) = self
            .transition_with(
                id,
                from,
                seen_version,
                to,
                act,
                actor,
                comment,
                detail,
                None,
            )
            .await?;
        Ok(t)
    }
    #[allow(clippy::too_many_arguments)]
    async fn transition_signed(
        &self,
        id: &str,
        from: Status,
        seen_version: i64,
        to: Status,
        act: Action,
        actor: &str,
        comment: &str,
        detail: &str,
        key: &SigningKey,
    ) -> Result<(Transition, crate::Signature), StoreError> {
        let (t, sig) = self
            .transition_with(
                id,
                from,
                Some(seen_version),
                to,
                act,
                actor,
                comment,
                detail,
                Some(key),
            )
            .await?;
        let sig = sig.ok_or_else(|| StoreError::Unsignable(id.to_string()))?;
        Ok((t, sig))
    }
    async fn signatures(&self, id: &str) -> Result<Vec<crate::Signature>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, form_id, text, signature, public_key FROM signatures WHERE form_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(signature_from).collect())
    }
    async fn signatures_since(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT min(seq) FROM signatures")
            .fetch_one(&self.pool)
            .await?)
    }
    async fn transitions(&self, id: &str) -> Result<Vec<Transition>, StoreError> {
        let rows = sqlx::query("SELECT * FROM transitions WHERE form_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(transition_from).collect()
    }
    async fn handled_by(&self, actor: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT form_id FROM transitions WHERE actor = $1 GROUP BY form_id ORDER BY max(seq) DESC")
            .bind(actor)
            .fetch_all(&self.pool)
            .await?)
    }
    async fn versions(&self, id: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let Some((current, by, at)): Option<(i64, Option<String>, String)> =
            sqlx::query_as("SELECT version, updated_by, updated_at FROM forms WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Err(StoreError::NotFound(id.to_string()));
        };
        let rows = sqlx::query("SELECT version, created_by, created_at FROM form_versions WHERE form_id = $1 AND version < $2 ORDER BY version")
            .bind(id)
            .bind(current)
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<VersionInfo> = rows
            .iter()
            .map(|r| VersionInfo {
                version: r.get("version"),
                saved_by: r.get("created_by"),
                saved_at: r.get("created_at"),
            })
            .collect();
        out.push(VersionInfo {
            version: current,
            saved_by: by,
            saved_at: at,
        });
        Ok(out)
    }
    async fn version_form(&self, id: &str, version: i64) -> Result<Option<Form>, StoreError> {
        let current: Option<i64> = sqlx::query_scalar("SELECT version FROM forms WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        if current == Some(version) {
            let mut conn = self.pool.acquire().await?;
            return load_form(&mut conn, id).await;
        }
        let snap: Option<String> = sqlx::query_scalar(
            "SELECT snapshot FROM form_versions WHERE form_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        snap.map(|s| {
            serde_json::from_str(&s)
                .map_err(|e| StoreError::Corrupt(format!("version {version}: {e}")))
        })
        .transpose()
    }
    async fn audit(&self, e: &AuditEntry, key: &[u8]) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            append_audit(&mut tx, e, key).await?;
            tx.commit().await?;
            Ok(())
        }
    }

    async fn audit_chain(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<(AuditEntry, Option<String>)>, StoreError> {
        let rows: Vec<(
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT seq, at, actor, ip, action, target, detail, mac FROM audit \
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, at, actor, ip, action, target, detail, mac)| {
                (
                    AuditEntry {
                        seq,
                        at,
                        actor,
                        ip,
                        action,
                        target,
                        detail,
                    },
                    mac,
                )
            })
            .collect())
    }
    async fn purge_audit(&self, before: &str, by: &str) -> Result<u64, StoreError> {
        retrying! {
            let mut tx = super::begin_write(&self.pool).await?;
            // The last entry to go: every entry up to it is older than `before`.
            let last: Option<i64> = sqlx::query_scalar(
                "SELECT coalesce((SELECT min(seq) FROM audit WHERE at >= $1) - 1, (SELECT max(seq) FROM audit))",
            )
            .bind(before)
            .fetch_one(&mut *tx)
            .await?;
            let Some(last) = last else {
                return Ok(0);
            };
            let row: Option<(i64, Option<String>)> =
                sqlx::query_as("SELECT seq, mac FROM audit WHERE seq <= $1 ORDER BY seq DESC LIMIT 1")
                    .bind(last)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((seq, mac)) = row else {
                return Ok(0);
            };
            // The anchor first: the database's guard lets entries up to it (and old enough) go.
            for (name, value) in [
                ("audit_anchor_seq", seq.to_string()),
                ("audit_anchor_mac", mac.unwrap_or_default()),
            ] {
                put_setting(&mut tx, name, &value, by).await?;
            }
            let n = sqlx::query("DELETE FROM audit WHERE seq <= $1")
                .bind(seq)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            commit(tx).await?;
            Ok(n)
        }
    }

    async fn audit_anchor(&self) -> Result<Option<crate::AuditAnchor>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        anchor(&mut conn).await
    }

    async fn add_document(&self, d: &crate::Document, data: &[u8]) -> Result<(), StoreError> {
        retrying! {
            let mut tx = begin_write(&self.pool).await?;
            sqlx::query(
                "INSERT INTO documents (id, form_id, indicator_id, name, content_type, size, sm3, data, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&d.id)
            .bind(&d.form_id)
            .bind(&d.indicator_id)
            .bind(&d.name)
            .bind(&d.content_type)
            .bind(d.size)
            .bind(&d.sm3)
            .bind(data)
            .bind(&d.uploaded_by)
            .bind(&d.uploaded_at)
            .execute(&mut *tx)
            .await?;
            commit(tx).await?;
            Ok(())
        }
    }

    async fn documents(&self, form_id: &str) -> Result<Vec<crate::Document>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, form_id, indicator_id, name, content_type, size, sm3, uploaded_by, uploaded_at \
             FROM documents WHERE form_id = $1 ORDER BY uploaded_at, id",
        )
        .bind(form_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from).collect()
    }

    async fn document(&self, id: &str) -> Result<Option<(crate::Document, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, form_id, indicator_id, name, content_type, size, sm3, uploaded_by, uploaded_at, data \
             FROM documents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((document_from(&r)?, r.try_get("data")?))),
            None => Ok(None),
        }
    }

    async fn audit_search(&self, q: &crate::AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb: QueryBuilder<Db> = sqlx::QueryBuilder::new(
            "SELECT seq, at, actor, ip, action, target, detail FROM audit WHERE 1 = 1",
        );
        let some = |x: &Option<String>| x.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(a) = some(&q.actor) {
            qb.push(" AND actor = ").push_bind(a);
        }
        if let Some(a) = some(&q.action) {
            qb.push(" AND action = ").push_bind(a);
        }
        if let Some(targets) = &q.targets {
            if targets.is_empty() {
                return Ok(vec![]);
            }
            qb.push(" AND target IN (");
            let mut s = qb.separated(", ");
            for t in targets.iter().take(500) {
                s.push_bind(t.clone());
            }
            qb.push(")");
        }
        if let Some(f) = some(&q.from) {
            qb.push(" AND at >= ").push_bind(f);
        }
        if let Some(u) = some(&q.until) {
            qb.push(" AND at < ").push_bind(u);
        }
        qb.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(q.limit.clamp(1, 10_000));
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                seq: r.get("seq"),
                at: r.get("at"),
                actor: r.get("actor"),
                ip: r.get("ip"),
                action: r.get("action"),
                target: r.get("target"),
                detail: r.get("detail"),
            })
            .collect())
    }
    async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_search(&crate::AuditQuery {
            limit,
            ..crate::AuditQuery::default()
        })
        .await
    }

    async fn close(&self) {
        self.counters.close().await;
        self.bulk.close().await;
        self.pool.close().await;
    }
    async fn counts(&self) -> Result<(i64, i64), StoreError> {
        let forms: i64 = sqlx::query_scalar("SELECT count(*) FROM forms")
            .fetch_one(&self.pool)
            .await?;
        let inds: i64 = sqlx::query_scalar("SELECT count(*) FROM indicators")
            .fetch_one(&self.pool)
            .await?;
        Ok((forms, inds))
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A form ID: time-ordered (UUIDv7), so a bulk import appends to the forms' key and to the
/// indicators' `(form_id, position)` instead of touching a random page of each for every form
/// (a random ID made a million-form import 1.7 times slower on SQLite, see
/// docs/benchmarks.md). The price: forms made in the same millisecond share their first 12
/// characters, so the shortest prefix that tells them apart (what `jixiao list` shows) is
/// longer than for a random ID. Forms stored before keep their random IDs.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// An indicator ID: time-ordered, so bulk imports append to the index instead of splitting
/// pages all over it. Users never type these.
fn new_indicator_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A replaced form keeps the IDs of the indicators it still has (same levels and name).
fn keep_indicator_ids(stored: &Form, new: &mut Form) {
    let mut old: HashMap<(Level1, Option<Level2>, &str), Vec<&str>> = HashMap::new();
    for i in stored.indicators.iter().rev() {
        if let Some(id) = &i.id {
            old.entry((i.level1, i.level2, i.name.as_str()))
                .or_default()
                .push(id);
        }
    }
    for i in &mut new.indicators {
        if i.id.is_none() {
            i.id = old
                .get_mut(&(i.level1, i.level2, i.name.as_str()))
                .and_then(Vec::pop)
                .map(str::to_string);
        }
    }
}

/// Changes an account's state inside a write transaction (see [`Store::update_account`]).
async fn change_account(
    tx: &mut Conn,
    user_id: &str,
    change: &AccountChange,
    keep_session: Option<&str>,
) -> Result<(), StoreError> {
    let (sql, hash, end_sessions) = match change {
            AccountChange::ResetPassword { hash } => (
                "UPDATE users SET password_hash = $1, must_change_password = TRUE, failed_logins = 0, locked_until = NULL WHERE id = $2",
                Some(hash.as_str()),
                true,
            ),
            AccountChange::ChangePassword { hash } => (
                "UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2",
                Some(hash.as_str()),
                true,
            ),
            AccountChange::Unlock => (
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                None,
                false,
            ),
            AccountChange::Disable => ("UPDATE users SET disabled = TRUE WHERE id = $1", None, true),
            AccountChange::Enable => ("UPDATE users SET disabled = FALSE WHERE id = $1", None, false),
            AccountChange::ResetTotp => (
                "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1",
                None,
                true,
            ),
        };
    let mut q = sqlx::query(sql);
    if let Some(h) = hash {
        q = q.bind(h);
    }
    let done = q.bind(user_id).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(user_id.to_string()));
    }
    if let AccountChange::ResetPassword { hash } | AccountChange::ChangePassword { hash } = change {
        remember_password(tx, user_id, hash).await?;
    }
    // Unlocked, or a new password set by an administrator: the sign-in count starts again.
    if matches!(
        change,
        AccountChange::Unlock | AccountChange::ResetPassword { .. }
    ) {
        sqlx::query(
                "DELETE FROM login_throttle WHERE key = 'u:' || (SELECT username FROM users WHERE id = $1)",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    if end_sessions {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The audit log's anchor, once a purge set it (kept in `settings`).
/// Gives every form without an owner to the unit named as its implementer (实施单位): run in
/// the transaction that creates or renames a unit, so the unit sees its forms at once.
const LINK_FORMS: &str = "UPDATE forms SET unit_id = (SELECT id FROM orgs WHERE orgs.kind = 'unit' AND orgs.name = forms.implementer) \
     WHERE unit_id IS NULL AND EXISTS (SELECT 1 FROM orgs WHERE orgs.kind = 'unit' AND orgs.name = forms.implementer)";

/// Sets a setting (inserted or replaced), noting who and when.
async fn put_setting(conn: &mut Conn, name: &str, value: &str, by: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (name, value, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(value)
    .bind(by)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends an entry to the audit chain on a write transaction's connection (the write lock
/// held, so the chain's order is the commits' order).
async fn append_audit(conn: &mut Conn, e: &AuditEntry, key: &[u8]) -> Result<(), StoreError> {
    let last: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (seq, previous) = match last {
        Some((s, m)) => (s + 1, m.unwrap_or_default()),
        // Empty: a new log, or one whose every entry was purged (chained to the anchor).
        None => match anchor(conn).await? {
            Some(a) => (a.seq + 1, a.mac),
            None => (1, String::new()),
        },
    };
    let e = AuditEntry {
        seq,
        at: if e.at.is_empty() { now() } else { e.at.clone() },
        ..e.clone()
    };
    let mac = e.link(key, &previous);
    sqlx::query(
        "INSERT INTO audit (seq, at, actor, ip, action, target, detail, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(&e.at)
    .bind(&e.actor)
    .bind(&e.ip)
    .bind(&e.action)
    .bind(&e.target)
    .bind(&e.detail)
    .bind(mac)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Commits a write transaction; inside [`crate::audited`] work, the waiting audit entry is
/// appended first, so the change and its record commit together.
pub(crate) async fn commit(tx: sqlx::Transaction<'static, Db>) -> Result<(), StoreError> {
    commit_noting(tx, "", "").await
}

/// [`commit`] for a write that created `id`: a waiting entry without a target records it.
pub(crate) async fn commit_created(
    tx: sqlx::Transaction<'static, Db>,
    id: &str,
) -> Result<(), StoreError> {
    commit_noting(tx, id, "").await
}

/// [`commit_created`] that also puts what the write counted (`note`) before the waiting
/// entry's detail.
pub(crate) async fn commit_noting(
    mut tx: sqlx::Transaction<'static, Db>,
    id: &str,
    note: &str,
) -> Result<(), StoreError> {
    let Some((mut entry, key)) = crate::take_pending_audit() else {
        tx.commit().await?;
        return Ok(());
    };
    let original = entry.clone();
    if entry.target.is_empty() {
        entry.target = id.to_string();
    }
    if !note.is_empty() {
        entry.detail = if entry.detail.is_empty() {
            note.to_string()
        } else {
            format!("{note}; {}", entry.detail)
        };
    }
    let done = match append_audit(&mut tx, &entry, &key).await {
        Ok(()) => tx.commit().await.map_err(StoreError::from),
        Err(e) => Err(e),
    };
    if done.is_err() {
        crate::restore_pending_audit(original, key);
    }
    done
}

async fn anchor(conn: &mut Conn) -> Result<Option<crate::AuditAnchor>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, value FROM settings WHERE name IN ('audit_anchor_seq', 'audit_anchor_mac')",
    )
    .fetch_all(&mut *conn)
    .await?;
    let get = |n: &str| rows.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    match get("audit_anchor_seq") {
        None => Ok(None),
        Some(seq) => Ok(Some(crate::AuditAnchor {
            seq: seq
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("audit anchor “{seq}”")))?,
            mac: get("audit_anchor_mac").unwrap_or_default(),
        })),
    }
}

/// The columns of a grant as [`grant_from`] reads them (never the password hash).
const GRANT_COLUMNS: &str =
    "id, kind, user_id, username, display_name, from_role, role, org_id, requested_by, \
     requester_role, requested_at, status, decided_by, decided_at, comment";

fn grant_from(r: &DbRow) -> Result<crate::Grant, StoreError> {
    use jixiao_core::duties::{GrantKind, GrantStatus};
    use jixiao_core::workflow::Role;
    let role = |name: &str| {
        Role::from_name(name).ok_or_else(|| StoreError::Corrupt(format!("role “{name}”")))
    };
    let kind: String = r.get("kind");
    let status: String = r.get("status");
    Ok(crate::Grant {
        id: r.get("id"),
        kind: GrantKind::from_name(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("grant kind “{kind}”")))?,
        user_id: r.get("user_id"),
        username: r.get("username"),
        display_name: r.get("display_name"),
        from_role: r
            .get::<Option<String>, _>("from_role")
            .map(|f| role(&f))
            .transpose()?,
        role: role(&r.get::<String, _>("role"))?,
        org_id: r.get("org_id"),
        requested_by: r.get("requested_by"),
        requester_role: role(&r.get::<String, _>("requester_role"))?,
        requested_at: r.get("requested_at"),
        status: GrantStatus::from_name(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("grant status “{status}”")))?,
        decided_by: r.get("decided_by"),
        decided_at: r.get("decided_at"),
        comment: r.get("comment"),
    })
}

/// What a write of forms knows of them.
pub(crate) enum Written<'a> {
    /// New forms (no row has their IDs): nothing of them to read or remove first; each is
    /// given the unit the function names.
    New(&'a (dyn Fn(&Form) -> Option<String> + Sync)),
    /// Forms that may be stored already.
    Stored,
}

/// Writes forms (their IDs set) and their indicators through the backend's bulk write
/// (`insert_rows`), and returns what the write changes in the indicator library (for
/// [`super::library::apply`], once per transaction). A form whose ID is stored already has
/// its content replaced in place: the row keeps its creation time, its unit and the findings
/// of earlier versions, and its version goes up by one.
pub(crate) async fn write_forms(
    conn: &mut Conn,
    forms: &[Form],
    now: &str,
    written: Written<'_>,
) -> Result<super::library::Facts, StoreError> {
    let ids: Vec<String> = match written {
        Written::New(_) => vec![],
        Written::Stored => forms.iter().filter_map(|f| f.id.clone()).collect(),
    };
    let unit_of = |f: &Form| match &written {
        Written::New(unit_of) => unit_of(f),
        Written::Stored => None,
    };
    // What these forms gave the indicator library before this write (new ones nothing: the
    // queries are skipped, as a bulk import would otherwise ask them of every form).
    let before = super::library::contributions(conn, &ids).await?;
    let rows: Vec<Vec<Cell>> = forms
        .iter()
        .map(|form| {
            let f = &form.funds;
            let fen = |m: Option<Money>| Cell::Int(m.map(Money::fen));
            let date = |d: Option<NaiveDate>| Cell::owned(d.map(|d| d.to_string()));
            vec![
                Cell::text(form.id.as_deref().unwrap_or_default()),
                Cell::Int(Some(form.year.into())),
                Cell::text(&form.name),
                Cell::text(&form.nature),
                Cell::text(&form.category),
                Cell::text(&form.department),
                Cell::text(&form.implementer),
                date(form.start_date),
                date(form.end_date),
                fen(f.total),
                fen(f.fiscal),
                fen(f.other),
                fen(f.annual_total),
                fen(f.annual_appropriation),
                fen(f.annual_carryover),
                fen(f.annual_other),
                Cell::text(&form.goal_overall),
                Cell::text(&form.goal_annual),
                Cell::Int(Some(1)),
                Cell::text(now),
                Cell::text(now),
                Cell::owned(unit_of(form)),
                Cell::Int(Some(form.indicators.len() as i64)),
            ]
        })
        .collect();
    super::insert_rows(
        &mut *conn,
        "forms",
        &format!("{FORM_COLUMNS}, version, created_at, updated_at, unit_id, indicator_count"),
        &rows,
        // New forms cannot meet a stored ID: written straight, with no conflict to resolve.
        match written {
            Written::New(_) => "",
            Written::Stored => UPSERT,
        },
    )
    .await?;
    drop(rows);
    // A replaced form's indicators are written anew.
    for chunk in ids.chunks(FORM_CHUNK) {
        let mut del: QueryBuilder<Db> =
            QueryBuilder::new("DELETE FROM indicators WHERE form_id IN (");
        let mut sep = del.separated(", ");
        for id in chunk {
            sep.push_bind(id);
        }
        del.push(")");
        // Planned afresh, as `existing_ids` is: `indicators` may grow in the same transaction.
        del.build().persistent(false).execute(&mut *conn).await?;
    }
    insert_indicators(conn, forms).await?;
    let after = super::library::contributions_of(conn, forms).await?;
    Ok(super::library::difference(before, after))
}

/// What a write of an already-stored form changes: its content, its version, its update time
/// (not its unit, creation time or status).
const UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET year = excluded.year, name = excluded.name, \
    nature = excluded.nature, category = excluded.category, department = excluded.department, \
    implementer = excluded.implementer, start_date = excluded.start_date, end_date = excluded.end_date, \
    funds_total = excluded.funds_total, funds_fiscal = excluded.funds_fiscal, funds_other = excluded.funds_other, \
    funds_annual_total = excluded.funds_annual_total, funds_annual_appropriation = excluded.funds_annual_appropriation, \
    funds_annual_carryover = excluded.funds_annual_carryover, funds_annual_other = excluded.funds_annual_other, \
    goal_overall = excluded.goal_overall, goal_annual = excluded.goal_annual, version = forms.version + 1, \
    updated_at = excluded.updated_at, indicator_count = excluded.indicator_count";

/// Indicator rows handed to the backend at a time: a bounded buffer however many forms a
/// batch has.
const INDICATOR_CHUNK: usize = 8192;

async fn insert_indicators(conn: &mut Conn, forms: &[Form]) -> Result<(), StoreError> {
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(INDICATOR_CHUNK);
    for form in forms {
        let form_id = form.id.as_deref().unwrap_or_default();
        for (position, ind) in form.indicators.iter().enumerate() {
            let (kind, op, value, unit, subject, implied, text) = match &ind.target {
                Target::Quantitative {
                    op,
                    value,
                    unit,
                    subject,
                    op_implied,
                } => (
                    "quantitative",
                    Some(op.ascii()),
                    Some(value.normalize().to_string()),
                    Some(unit.as_str()),
                    subject.as_deref(),
                    *op_implied,
                    None,
                ),
                Target::Qualitative { text } => (
                    "qualitative",
                    None,
                    None,
                    None,
                    None,
                    false,
                    Some(text.as_str()),
                ),
            };
            rows.push(vec![
                match &ind.id {
                    Some(id) => Cell::text(id),
                    None => Cell::owned(Some(new_indicator_id())),
                },
                Cell::text(form_id),
                Cell::Int(Some(position as i64)),
                Cell::text(ind.level1.name()),
                Cell::opt(ind.level2.map(Level2::name)),
                Cell::text(&ind.name),
                Cell::text(kind),
                Cell::opt(op),
                Cell::owned(value),
                Cell::opt(unit),
                Cell::opt(subject),
                Cell::Bool(implied),
                Cell::opt(text),
                Cell::text(&ind.raw),
                Cell::owned(ind.weight.map(|w| w.normalize().to_string())),
                Cell::opt(ind.direction.as_deref()),
            ]);
        }
        if rows.len() >= INDICATOR_CHUNK {
            super::insert_rows(&mut *conn, "indicators", INDICATOR_COLUMNS, &rows, "").await?;
            rows.clear();
        }
    }
    super::insert_rows(&mut *conn, "indicators", INDICATOR_COLUMNS, &rows, "").await?;
    Ok(())
}

pub(crate) async fn load_form(conn: &mut Conn, id: &str) -> Result<Option<Form>, StoreError> {
    let Some(row) = sqlx::query(&format!("SELECT {FORM_COLUMNS} FROM forms WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut form = form_from_row(&row)?;
    form.indicators = load_indicators(conn, id).await?;
    Ok(Some(form))
}

async fn load_indicators(conn: &mut Conn, id: &str) -> Result<Vec<Indicator>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {INDICATOR_COLUMNS} FROM indicators WHERE form_id = $1 ORDER BY position"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(indicator_from_row).collect()
}

fn date(r: &DbRow, col: &str) -> Result<Option<NaiveDate>, StoreError> {
    r.get::<Option<String>, _>(col)
        .map(|s| {
            NaiveDate::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col} “{s}”: {e}")))
        })
        .transpose()
}

fn form_from_row(r: &DbRow) -> Result<Form, StoreError> {
    let money = |c: &str| r.get::<Option<i64>, _>(c).map(Money::from_fen);
    Ok(Form {
        id: Some(r.get("id")),
        year: r.get("year"),
        name: r.get("name"),
        nature: r.get("nature"),
        category: r.get("category"),
        department: r.get("department"),
        implementer: r.get("implementer"),
        start_date: date(r, "start_date")?,
        end_date: date(r, "end_date")?,
        funds: Funds {
            total: money("funds_total"),
            fiscal: money("funds_fiscal"),
            other: money("funds_other"),
            annual_total: money("funds_annual_total"),
            annual_appropriation: money("funds_annual_appropriation"),
            annual_carryover: money("funds_annual_carryover"),
            annual_other: money("funds_annual_other"),
        },
        goal_overall: r.get("goal_overall"),
        goal_annual: r.get("goal_annual"),
        indicators: vec![],
    })
}

fn indicator_from_row(r: &DbRow) -> Result<Indicator, StoreError> {
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("{what} “{v}”"));
    let l1: String = r.get("level1");
    let level1 = Level1::from_name(&l1).ok_or_else(|| corrupt("level1", &l1))?;
    let level2 = match r.get::<Option<String>, _>("level2") {
        Some(s) => Some(Level2::from_name(&s).ok_or_else(|| corrupt("level2", &s))?),
        None => None,
    };
    let kind: String = r.get("kind");
    let target = if kind == "quantitative" {
        let op: String = r.get::<Option<String>, _>("op").unwrap_or_default();
        let value: String = r.get::<Option<String>, _>("value").unwrap_or_default();
        Target::Quantitative {
            op: Op::from_ascii(&op).ok_or_else(|| corrupt("op", &op))?,
            value: Decimal::from_str(&value)
                .map_err(|_| corrupt("value", &value))?
                .normalize(),
            unit: r.get::<Option<String>, _>("unit").unwrap_or_default(),
            subject: r.get("subject"),
            op_implied: r.get("op_implied"),
        }
    } else {
        Target::Qualitative {
            text: r.get::<Option<String>, _>("text").unwrap_or_default(),
        }
    };
    let weight = match r.get::<Option<String>, _>("weight") {
        Some(w) => Some(Decimal::from_str(&w).map_err(|_| corrupt("weight", &w))?),
        None => None,
    };
    Ok(Indicator {
        id: Some(r.get("id")),
        level1,
        level2,
        name: r.get("name"),
        target,
        raw: r.get("raw"),
        weight,
        direction: r.get("direction"),
    })
}

fn signature_from(r: &DbRow) -> crate::Signature {
    crate::Signature {
        seq: r.get("seq"),
        form_id: r.get("form_id"),
        text: r.get("text"),
        signature: r.get("signature"),
        public_key: r.get("public_key"),
    }
}

fn document_from(r: &DbRow) -> Result<crate::Document, StoreError> {
    Ok(crate::Document {
        id: r.try_get("id")?,
        form_id: r.try_get("form_id")?,
        indicator_id: r.try_get("indicator_id")?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sm3: r.try_get("sm3")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

fn eval_transition_from(r: &DbRow) -> Result<crate::EvalTransition, StoreError> {
    let st = |c: &str| -> Result<EvalStatus, StoreError> {
        let v: String = r.try_get(c)?;
        EvalStatus::from_name(&v).ok_or_else(|| StoreError::Corrupt(format!("{c} {v}")))
    };
    let act: String = r.try_get("action")?;
    Ok(crate::EvalTransition {
        seq: r.try_get("seq")?,
        form_id: r.try_get("form_id")?,
        from: st("from_status")?,
        to: st("to_status")?,
        action: [
            Action::Submit,
            Action::Withdraw,
            Action::Return,
            Action::Approve,
            Action::Publish,
        ]
        .into_iter()
        .find(|a| a.name() == act)
        .ok_or_else(|| StoreError::Corrupt(format!("action {act}")))?,
        actor: r.try_get("actor")?,
        at: r.try_get("at")?,
        comment: r.try_get("comment")?,
    })
}
