//! SQLite behind the [`Store`](crate::Store) trait: the embedded default. Its connection,
//! migrations (`migrations/sqlite`), write transaction, bulk write and dialect words; the SQL
//! itself is the shared `sql/` text, compiled here for SQLite.

use crate::bulk::{column_count, Cell};
use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

pub(crate) type Db = sqlx::Sqlite;
pub(crate) type Conn = sqlx::SqliteConnection;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type DbPool = sqlx::SqlitePool;

/// The actual values of a self-evaluation's indicator, joined by U+001F.
pub(crate) const JOINED_ACTUALS: &str = "group_concat(a.actual, char(31))";
/// The 1-based position of a text in another, 0 when absent.
pub(crate) const INSTR: &str = "instr";
/// Matching that ignores the case of Latin letters (SQLite's LIKE does).
pub(crate) const LIKE: &str = "LIKE";
/// An inner join whose left table drives the loop (SQLite's planner keeps CROSS JOIN's order).
pub(crate) const ORDERED_JOIN: &str = "CROSS JOIN";
/// Run after a bulk import: nothing (SQLite plans well without statistics).
pub(crate) const AFTER_BULK: &str = "";
/// The aggregate that makes rows one JSON array, and the function that makes a row's values
/// one (a list page comes back as one value: see `store::list_select`).
pub(crate) const JSON_ROWS: (&str, &str) = ("json_group_array", "json_array");

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

pub use store::SqlStore as SqliteStore;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A write transaction: it takes the database's write lock when it begins (`BEGIN
/// IMMEDIATE`), waiting up to the busy timeout, so what it reads stays true until it commits
/// and writers never fail half-way with "database is locked".
pub(crate) async fn begin_write(
    pool: &DbPool,
) -> Result<sqlx::Transaction<'static, Db>, StoreError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Writes rows into `table` (`columns` in the cells' order), `conflict` (an `ON CONFLICT`
/// clause, or nothing) deciding what a row whose key is stored already does: multi-row
/// `INSERT`s, each well under SQLite's limit of 32,766 bound values.
pub(crate) async fn insert_rows(
    conn: &mut Conn,
    table: &str,
    columns: &str,
    rows: &[Vec<Cell<'_>>],
    conflict: &str,
) -> Result<(), StoreError> {
    let per_statement = (8192 / column_count(columns)).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut qb: sqlx::QueryBuilder<Db> =
            sqlx::QueryBuilder::new(format!("INSERT INTO {table} ({columns}) "));
        qb.push_values(chunk, |mut b, row| {
            for cell in row {
                match cell {
                    Cell::Text(t) => b.push_bind(t.as_deref()),
                    Cell::Int(n) => b.push_bind(*n),
                    Cell::Bool(v) => b.push_bind(*v),
                };
            }
        });
        qb.push(conflict);
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 64 MiB of page cache per connection (SQLite's default is 2 MiB): bulk imports
            // touch index pages of random IDs all over the tree.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Reads straight from the operating system's cache of the file, mapped into memory
            // (up to 2 GiB, SQLite's own limit), rather than copied page by page into each
            // connection's cache with a system call per page: a list page read from the store
            // costs half as much (docs/benchmarks.md). The mapped pages are the kernel's file
            // cache, shared by the connections, though each connection's mapping counts them in
            // the process's RSS again.
            .pragma("mmap_size", "2147418112");
        // WAL lets readers run side by side, so a server gets several connections; each may
        // hold up to its 64 MiB page cache.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let counters = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().pragma("cache_size", "-256"))
            .await?;
        // A bulk import reads and writes pages all over a write-ahead log of gigabytes. With
        // the file mapped, SQLite keeps no clean page in its cache and looks each one up in
        // the log again at every touch: a million forms took 266 s with the mapping and 208 s
        // without (docs/benchmarks.md). Its connection is made when an import first asks.
        let bulk = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .connect_lazy_with(options.pragma("mmap_size", "0"));
        SqliteStore::new(pool, counters, bulk).await
    }
}
