//! PostgreSQL behind the [`Store`](crate::Store) trait: for a city or a province, with several
//! app servers on one database. Its connection, migrations (`migrations/postgres`), write
//! transaction, bulk write (`COPY`) and dialect words; the SQL itself is the shared `sql/`
//! text, compiled here for PostgreSQL.

use crate::bulk::Cell;
use crate::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::io::Write;
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
/// The aggregate that makes rows one JSON array, and the function that makes a row's values
/// one (a list page comes back as one value: see `store::list_select`).
pub(crate) const JSON_ROWS: (&str, &str) = ("json_agg", "json_build_array");

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

/// Writes rows into `table` (`columns` in the cells' order), `conflict` (an `ON CONFLICT`
/// clause, or nothing) deciding what a row whose key is stored already does. The rows go by
/// `COPY … FROM STDIN` on the transaction's connection, several times faster than multi-row
/// `INSERT`s: straight into the table when no row can conflict; otherwise into a temporary
/// staging table of the same columns, then `INSERT … SELECT … ON CONFLICT` into the table, so
/// a stored row is treated exactly as the `INSERT` with that clause treats it. Triggers and
/// constraints fire as for an `INSERT` (the forms generation once per statement).
pub(crate) async fn insert_rows(
    conn: &mut Conn,
    table: &str,
    columns: &str,
    rows: &[Vec<Cell<'_>>],
    conflict: &str,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if conflict.is_empty() {
        return copy_rows(conn, table, columns, rows).await;
    }
    // Kept for the session (a connection of the pool) and emptied after each use: TRUNCATE
    // rather than DELETE, as a million rows deleted in one import's transaction would stay
    // in the table to be scanned by every later batch.
    let stage = format!("stage_{table}");
    sqlx::query(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {columns} FROM {table} WITH NO DATA"
    ))
    .execute(&mut *conn)
    .await?;
    copy_rows(conn, &stage, columns, rows).await?;
    sqlx::query(&format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage}{conflict}"
    ))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!("TRUNCATE {stage}"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Bytes of COPY data sent at a time: the server parses one piece while the next is written.
const COPY_PIECE: usize = 1 << 20;

async fn copy_rows(
    conn: &mut Conn,
    table: &str,
    columns: &str,
    rows: &[Vec<Cell<'_>>],
) -> Result<(), StoreError> {
    let mut copy = conn
        .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
        .await?;
    let mut buf = Vec::with_capacity(COPY_PIECE + 4096);
    for row in rows {
        copy_line(&mut buf, row);
        if buf.len() >= COPY_PIECE {
            // On an error the copy is dropped, which tells the server it failed.
            copy.send(buf.as_slice()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_slice()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// One row in COPY's text format: cells separated by tabs, `\N` for NULL, and in text the
/// four bytes COPY reads specially (backslash, tab, newline, carriage return) escaped with a
/// backslash. Every other byte, UTF-8 of any script included, goes as it is: the bytes of a
/// multi-byte character are all ≥ 0x80, so none is mistaken for one of the four.
fn copy_line(buf: &mut Vec<u8>, row: &[Cell<'_>]) {
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        match cell {
            Cell::Text(None) | Cell::Int(None) => buf.extend_from_slice(b"\\N"),
            Cell::Text(Some(t)) => copy_text(buf, t),
            Cell::Int(Some(n)) => {
                let _ = write!(buf, "{n}"); // writing to a Vec cannot fail
            }
            Cell::Bool(v) => buf.push(if *v { b't' } else { b'f' }),
        }
    }
    buf.push(b'\n');
}

fn copy_text(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
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
            .connect_with(options.clone())
            .await?;
        migrate(&pool).await?;
        let counters = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        PostgresStore::new(pool.clone(), counters, pool).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut buf = vec![];
        copy_line(
            &mut buf,
            &[
                Cell::text("a\tb\nc\\d\re \"引号\" 'x' 𠀀龘"),
                Cell::Text(None),
                Cell::Int(Some(-12_345)),
                Cell::Int(None),
                Cell::Bool(true),
                Cell::Text(Some(Cow::Borrowed("\\."))),
                Cell::text(""),
            ],
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a\\tb\\nc\\\\d\\re \"引号\" 'x' 𠀀龘\t\\N\t-12345\t\\N\tt\t\\\\.\t\n"
        );
    }
}
