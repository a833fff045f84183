//! PostgreSQL behind the [`Store`](crate::Store) trait: for a city or a province, with several
//! app servers on one database. Its connection, migrations (`migrations/postgres`), write
//! transaction and dialect words; the SQL itself is the shared `sql/` text, compiled here for
//! PostgreSQL.

use crate::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub(crate) type Db = sqlx::Postgres;
pub(crate) type Conn = sqlx::PgConnection;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type DbPool = sqlx::PgPool;

/// The actual values of a self-evaluation's indicator, joined by U+001F.
pub(crate) const JOINED_ACTUALS: &str = "string_agg(a.actual, chr(31))";
/// The 1-based position of a text in another, 0 when absent.
pub(crate) const INSTR: &str = "strpos";
/// Matching that ignores case, as SQLite's LIKE does for Latin letters.
pub(crate) const LIKE: &str = "ILIKE";
/// An inner join (PostgreSQL's planner picks the order; CROSS JOIN takes no ON).
pub(crate) const ORDERED_JOIN: &str = "JOIN";
/// Run after a bulk import: fresh statistics for the planner.
pub(crate) const AFTER_BULK: &str = "ANALYZE forms, indicators, library_facts";

// The shared SQL, compiled once per backend on purpose (`super` is this module in it).
#[allow(clippy::duplicate_mod)]
#[path = "sql/library.rs"]
mod library;
#[allow(clippy::duplicate_mod)]
#[path = "sql/store.rs"]
mod store;
#[allow(clippy::duplicate_mod)]
#[path = "sql/workflow.rs"]
mod workflow;

pub use store::SqlStore as PostgresStore;

/// A write transaction. It first locks the one row of `write_lock`, so write transactions
/// run one after another, whichever server began them, and what one reads stays true until
/// it commits (a version checked, the audit chain's last link, the library's facts) — the
/// guarantee SQLite's `BEGIN IMMEDIATE` gives, with a plain row lock that every
/// PostgreSQL-compatible engine has. Reads never wait for it.
pub(crate) async fn begin_write(
    pool: &DbPool,
) -> Result<sqlx::Transaction<'static, Db>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT id FROM write_lock WHERE id = 1 FOR UPDATE")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Connections per app server (`JIXIAO_DB_POOL`, default 16).
fn pool_size() -> u32 {
    std::env::var("JIXIAO_DB_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(16)
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("jixiao");
        let pool = PgPoolOptions::new()
            .max_connections(pool_size())
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        PostgresStore::new(pool).await
    }
}

/// Runs the migrations without the migrator's advisory lock (not every compatible engine has
/// one). Each migration is one transaction, so two servers starting together cannot both
/// apply one: the one that loses fails, waits and finds it applied.
async fn migrate(pool: &DbPool) -> Result<(), StoreError> {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_locking(false);
    let mut tries = 0;
    loop {
        match migrator.run(pool).await {
            Ok(()) => return Ok(()),
            Err(_) if tries < 3 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(500 * tries)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}
