//! `jixiao db copy`: a whole installation from one database to another (SQLite to
//! PostgreSQL or back), table by table, in one transaction on the target, verified before it
//! commits by each table's row count and an order-free SM3 checksum of its rows, read back
//! from the target and compared with what was read from the source. Sessions and sign-in
//! counters are not copied (everyone signs in again); the cache generations start afresh.

use crate::{is_postgres, sqlite_path, PostgresStore, SqliteStore, StoreError};
use futures_util::TryStreamExt;
use jixiao_core::crypto::{Crypto, Software};
use sqlx::{QueryBuilder, Row};

/// How a column is read and bound.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// 64-bit integer.
    Int,
    /// 32-bit integer (years).
    Year,
    Bool,
    Bytes,
}
use Kind::*;

/// A value as copied.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Text(String),
    Int(i64),
    Year(i32),
    Bool(bool),
    Bytes(Vec<u8>),
}

struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    /// A PostgreSQL serial column, whose sequence continues after the copied rows.
    serial: Option<&'static str>,
}

/// Every table of an installation, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "orgs",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("kind", Text),
            ("parent_id", Text),
        ],
        serial: None,
    },
    Table {
        name: "users",
        columns: &[
            ("id", Text),
            ("username", Text),
            ("display_name", Text),
            ("password_hash", Text),
            ("role", Text),
            ("org_id", Text),
            ("failed_logins", Int),
            ("locked_until", Text),
            ("created_at", Text),
            ("disabled", Bool),
            ("must_change_password", Bool),
            ("totp_secret", Text),
            ("totp_last_step", Int),
            ("totp_exempt", Bool),
        ],
        serial: None,
    },
    Table {
        name: "password_history",
        columns: &[
            ("rowid", Int),
            ("user_id", Text),
            ("hash", Text),
            ("set_at", Text),
        ],
        serial: Some("rowid"),
    },
    Table {
        name: "grants",
        columns: &[
            ("id", Text),
            ("kind", Text),
            ("user_id", Text),
            ("username", Text),
            ("display_name", Text),
            ("from_role", Text),
            ("role", Text),
            ("org_id", Text),
            ("password_hash", Text),
            ("requested_by", Text),
            ("requester_role", Text),
            ("requested_at", Text),
            ("status", Text),
            ("decided_by", Text),
            ("decided_at", Text),
            ("comment", Text),
        ],
        serial: None,
    },
    Table {
        name: "forms",
        columns: &[
            ("id", Text),
            ("year", Year),
            ("name", Text),
            ("nature", Text),
            ("category", Text),
            ("department", Text),
            ("implementer", Text),
            ("start_date", Text),
            ("end_date", Text),
            ("funds_total", Int),
            ("funds_fiscal", Int),
            ("funds_other", Int),
            ("funds_annual_total", Int),
            ("funds_annual_appropriation", Int),
            ("funds_annual_carryover", Int),
            ("funds_annual_other", Int),
            ("goal_overall", Text),
            ("goal_annual", Text),
            ("version", Int),
            ("created_at", Text),
            ("updated_at", Text),
            ("status", Text),
            ("unit_id", Text),
            ("updated_by", Text),
            ("grade", Text),
            ("warning_light", Text),
            ("indicator_count", Int),
        ],
        serial: None,
    },
    Table {
        name: "indicators",
        columns: &[
            ("id", Text),
            ("form_id", Text),
            ("position", Int),
            ("level1", Text),
            ("level2", Text),
            ("name", Text),
            ("kind", Text),
            ("op", Text),
            ("value", Text),
            ("unit", Text),
            ("subject", Text),
            ("op_implied", Bool),
            ("text", Text),
            ("raw", Text),
            ("weight", Text),
            ("direction", Text),
        ],
        serial: None,
    },
    Table {
        name: "findings",
        columns: &[
            ("form_id", Text),
            ("version", Int),
            ("seq", Int),
            ("code", Text),
            ("severity", Text),
            ("field", Text),
            ("indicator_index", Int),
            ("indicator_id", Text),
            ("indicator", Text),
            ("message", Text),
            ("message_en", Text),
            ("evidence", Text),
            ("fix", Text),
            ("fix_en", Text),
        ],
        serial: None,
    },
    Table {
        name: "monitoring",
        columns: &[
            ("form_id", Text),
            ("period", Text),
            ("end_month", Int),
            ("report", Text),
            ("updated_at", Text),
        ],
        serial: None,
    },
    Table {
        name: "self_evaluations",
        columns: &[
            ("form_id", Text),
            ("evaluation", Text),
            ("updated_at", Text),
            ("status", Text),
        ],
        serial: None,
    },
    Table {
        name: "evaluation_transitions",
        columns: &[
            ("seq", Int),
            ("form_id", Text),
            ("from_status", Text),
            ("to_status", Text),
            ("action", Text),
            ("actor", Text),
            ("at", Text),
            ("comment", Text),
        ],
        serial: Some("seq"),
    },
    Table {
        name: "form_versions",
        columns: &[
            ("form_id", Text),
            ("version", Int),
            ("snapshot", Text),
            ("created_by", Text),
            ("created_at", Text),
        ],
        serial: None,
    },
    Table {
        name: "transitions",
        columns: &[
            ("seq", Int),
            ("form_id", Text),
            ("version", Int),
            ("from_status", Text),
            ("to_status", Text),
            ("action", Text),
            ("actor", Text),
            ("at", Text),
            ("comment", Text),
            ("detail", Text),
        ],
        serial: Some("seq"),
    },
    Table {
        name: "signatures",
        columns: &[
            ("seq", Int),
            ("form_id", Text),
            ("text", Text),
            ("signature", Text),
            ("public_key", Text),
        ],
        serial: None,
    },
    Table {
        name: "settings",
        columns: &[
            ("name", Text),
            ("value", Text),
            ("updated_by", Text),
            ("updated_at", Text),
        ],
        serial: None,
    },
    Table {
        name: "documents",
        columns: &[
            ("id", Text),
            ("form_id", Text),
            ("indicator_id", Text),
            ("name", Text),
            ("content_type", Text),
            ("size", Int),
            ("sm3", Text),
            ("data", Bytes),
            ("uploaded_by", Text),
            ("uploaded_at", Text),
        ],
        serial: None,
    },
    Table {
        name: "self_actuals",
        columns: &[("form_id", Text), ("name", Text), ("actual", Text)],
        serial: None,
    },
    Table {
        name: "library_facts",
        columns: &[
            ("name", Text),
            ("level1", Text),
            ("level2", Text),
            ("unit", Text),
            ("fact", Text),
            ("value", Text),
            ("n", Int),
        ],
        serial: None,
    },
    Table {
        name: "library",
        columns: &[
            ("name", Text),
            ("level1", Text),
            ("level2", Text),
            ("unit", Text),
            ("count", Int),
            ("implementers", Int),
            ("first_year", Year),
            ("last_year", Year),
            ("usual", Text),
            ("target_min", Text),
            ("target_median", Text),
            ("target_max", Text),
            ("actual_min", Text),
            ("actual_median", Text),
            ("actual_max", Text),
        ],
        serial: None,
    },
    Table {
        name: "library_curation",
        columns: &[
            ("name", Text),
            ("recommended", Bool),
            ("retired", Bool),
            ("merged_into", Text),
            ("updated_by", Text),
            ("updated_at", Text),
        ],
        serial: None,
    },
    Table {
        name: "audit",
        columns: &[
            ("seq", Int),
            ("at", Text),
            ("actor", Text),
            ("ip", Text),
            ("action", Text),
            ("target", Text),
            ("detail", Text),
            ("mac", Text),
        ],
        serial: None,
    },
];

/// What was copied of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: u64,
    /// SM3 of every row, summed modulo 2²⁵⁶ (so the order rows come in does not matter),
    /// hexadecimal: the same on both databases.
    pub checksum: String,
}

/// Count and order-free checksum of rows, as they are read.
#[derive(Default)]
struct Tally {
    rows: u64,
    sum: [u64; 4],
}

impl Tally {
    fn add(&mut self, row: &[Value]) {
        let mut bytes = Vec::with_capacity(256);
        for v in row {
            let (tag, data): (u8, Vec<u8>) = match v {
                Value::Null => (0, vec![]),
                Value::Text(s) => (1, s.as_bytes().to_vec()),
                // Integers of either width are the same number on both sides.
                Value::Int(i) => (2, i.to_be_bytes().to_vec()),
                Value::Year(i) => (2, i64::from(*i).to_be_bytes().to_vec()),
                Value::Bool(b) => (3, vec![u8::from(*b)]),
                Value::Bytes(b) => (4, b.clone()),
            };
            bytes.push(tag);
            bytes.extend_from_slice(&(data.len() as u64).to_be_bytes());
            bytes.extend_from_slice(&data);
        }
        let d = Software.hash(&bytes);
        let mut carry = 0u128;
        for (i, limb) in self.sum.iter_mut().enumerate().rev() {
            let part = u64::from_be_bytes(d[i * 8..i * 8 + 8].try_into().unwrap_or_default());
            let s = u128::from(*limb) + u128::from(part) + carry;
            *limb = s as u64;
            carry = s >> 64;
        }
        self.rows += 1;
    }

    fn checksum(&self) -> String {
        self.sum.iter().map(|l| format!("{l:016x}")).collect()
    }
}

/// Rows bound per statement: well under either backend's limit of bound values.
fn batch_rows(t: &Table) -> usize {
    (20_000 / t.columns.len()).max(1)
}

fn select(t: &Table) -> String {
    let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    format!("SELECT {} FROM {}", cols.join(", "), t.name)
}

/// Reads, binds and streams for one backend; the same text for both (as in `sql/`).
macro_rules! backend {
    ($module:ident, $db:ty, $row:ty, $begin:path, $after:expr) => {
        mod $module {
            use super::*;

            /// Copies every table from `source` into this database, which must be empty, in
            /// one transaction, each table checked before the next ([`copy`]).
            pub(super) async fn copy_into(
                pool: &sqlx::Pool<$db>,
                source: &Pool,
                progress: &impl Fn(&TableCopy),
            ) -> Result<Vec<TableCopy>, StoreError> {
                let mut tx = $begin(pool).await?;
                for t in TABLES {
                    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", t.name))
                        .fetch_one(&mut *tx)
                        .await?;
                    not_empty(t, n)?;
                }
                // What the backend runs after a table's rows (a sequence set past them).
                let after: fn(&Table) -> Option<String> = $after;
                let mut report = vec![];
                for t in TABLES {
                    let mut source_tally = Tally::default();
                    read_source(source, t, &mut source_tally, async |b| {
                        insert(&mut tx, t, &b).await
                    })
                    .await?;
                    if let Some(sql) = after(t) {
                        sqlx::query(&sql).execute(&mut *tx).await?;
                    }
                    let mut target_tally = Tally::default();
                    tally(&mut *tx, t, &mut target_tally).await?;
                    report.push(compare(t, &source_tally, &target_tally)?);
                    progress(report.last().expect("pushed"));
                }
                tx.commit().await?;
                Ok(report)
            }

            pub(super) fn decode(row: &$row, t: &Table) -> Result<Vec<Value>, StoreError> {
                t.columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                            Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                            Year => row.try_get::<Option<i32>, _>(i)?.map(Value::Year),
                            Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
                            Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
                        }
                        .unwrap_or(Value::Null))
                    })
                    .collect()
            }

            /// Inserts rows; an organisation's parent is set by an update after its rows (a
            /// parent may come after its child).
            pub(super) async fn insert(
                conn: &mut <$db as sqlx::Database>::Connection,
                t: &Table,
                rows: &[Vec<Value>],
            ) -> Result<(), StoreError> {
                if rows.is_empty() {
                    return Ok(());
                }
                let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
                let mut qb: QueryBuilder<$db> =
                    QueryBuilder::new(format!("INSERT INTO {} ({}) ", t.name, cols.join(", ")));
                qb.push_values(rows, |mut b, row| {
                    for (v, (col, kind)) in row.iter().zip(t.columns) {
                        let v = if t.name == "orgs" && *col == "parent_id" {
                            &Value::Null
                        } else {
                            v
                        };
                        match (v, kind) {
                            (Value::Text(s), _) => b.push_bind(s.clone()),
                            (Value::Int(i), _) => b.push_bind(*i),
                            (Value::Year(i), _) => b.push_bind(*i),
                            (Value::Bool(x), _) => b.push_bind(*x),
                            (Value::Bytes(x), _) => b.push_bind(x.clone()),
                            (Value::Null, Text) => b.push_bind(None::<String>),
                            (Value::Null, Int) => b.push_bind(None::<i64>),
                            (Value::Null, Year) => b.push_bind(None::<i32>),
                            (Value::Null, Bool) => b.push_bind(None::<bool>),
                            (Value::Null, Bytes) => b.push_bind(None::<Vec<u8>>),
                        };
                    }
                });
                qb.build().execute(&mut *conn).await?;
                if t.name == "orgs" {
                    for row in rows {
                        if let (Value::Text(id), Value::Text(parent)) = (&row[0], &row[3]) {
                            sqlx::query("UPDATE orgs SET parent_id = $1 WHERE id = $2")
                                .bind(parent)
                                .bind(id)
                                .execute(&mut *conn)
                                .await?;
                        }
                    }
                }
                Ok(())
            }

            /// Every row of a table, tallied.
            pub(super) async fn tally<'c, E>(
                from: E,
                t: &Table,
                tally: &mut Tally,
            ) -> Result<(), StoreError>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                let sql = select(t);
                let mut rows = sqlx::query(&sql).fetch(from);
                while let Some(row) = rows.try_next().await? {
                    tally.add(&decode(&row, t)?);
                }
                Ok(())
            }
        }
    };
}

backend!(
    on_sqlite,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteRow,
    crate::sqlite::begin_write,
    |_| None
);
backend!(
    on_postgres,
    sqlx::Postgres,
    sqlx::postgres::PgRow,
    crate::postgres::begin_write,
    // The sequence continues after the copied rows.
    |t| {
        t.serial.map(|col| format!(
        "SELECT setval(pg_get_serial_sequence('{0}', '{1}'), COALESCE(max({1}), 0) + 1, false) FROM {0}",
        t.name, col
    ))
    }
);

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

async fn connect(location: &str) -> Result<Pool, StoreError> {
    Ok(if is_postgres(location) {
        Pool::Postgres(PostgresStore::connect(location).await?.pool().clone())
    } else {
        let path = sqlite_path(location);
        if !std::path::Path::new(path).exists() {
            return Err(StoreError::NotFound(path.to_string()));
        }
        Pool::Sqlite(
            SqliteStore::open(std::path::Path::new(path))
                .await?
                .pool()
                .clone(),
        )
    })
}

/// Copies an installation from `from` to `to` (each a SQLite path or a `postgres://` URL),
/// which must be empty (migrated here if new). `progress` hears of each table as it is
/// done. On any difference between what was read and what the target holds, nothing is
/// committed.
pub async fn copy(
    from: &str,
    to: &str,
    progress: impl Fn(&TableCopy),
) -> Result<Vec<TableCopy>, StoreError> {
    let source = connect(from).await?;
    let target = match connect(to).await {
        Err(StoreError::NotFound(_)) => {
            // A new SQLite file is made by opening it.
            Pool::Sqlite(
                SqliteStore::open(std::path::Path::new(sqlite_path(to)))
                    .await?
                    .pool()
                    .clone(),
            )
        }
        other => other?,
    };
    match target {
        Pool::Sqlite(pool) => on_sqlite::copy_into(&pool, &source, &progress).await,
        Pool::Postgres(pool) => on_postgres::copy_into(&pool, &source, &progress).await,
    }
}

/// Reads a source table batch by batch, each written by `write` before the next is read, so
/// memory holds one batch whatever the table's size.
async fn read_source(
    source: &Pool,
    t: &Table,
    tally: &mut Tally,
    mut write: impl AsyncFnMut(Vec<Vec<Value>>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let sql = select(t);
    let mut batch = Vec::with_capacity(batch_rows(t));
    macro_rules! stream {
        ($pool:expr, $decode:path) => {{
            let mut conn = $pool.acquire().await?;
            let mut rows = sqlx::query(&sql).fetch(&mut *conn);
            while let Some(row) = rows.try_next().await? {
                let values = $decode(&row, t)?;
                tally.add(&values);
                batch.push(values);
                if batch.len() == batch_rows(t) {
                    write(std::mem::take(&mut batch)).await?;
                }
            }
        }};
    }
    match source {
        Pool::Sqlite(p) => stream!(p, on_sqlite::decode),
        Pool::Postgres(p) => stream!(p, on_postgres::decode),
    }
    if !batch.is_empty() {
        write(batch).await?;
    }
    Ok(())
}

fn compare(t: &Table, source: &Tally, target: &Tally) -> Result<TableCopy, StoreError> {
    if source.rows != target.rows || source.sum != target.sum {
        return Err(StoreError::Copy(format!(
            "复制后 {} 表不一致：源 {} 行 {}，目标 {} 行 {}；未提交 / table {} differs after the copy: source {} rows {}, target {} rows {}; nothing was committed",
            t.name, source.rows, source.checksum(), target.rows, target.checksum(),
            t.name, source.rows, source.checksum(), target.rows, target.checksum()
        )));
    }
    Ok(TableCopy {
        table: t.name,
        rows: source.rows,
        checksum: source.checksum(),
    })
}

fn not_empty(t: &Table, n: i64) -> Result<(), StoreError> {
    if n > 0 {
        return Err(StoreError::Copy(format!(
            "目标数据库不是空的（{} 表有 {n} 行）；复制只写入空数据库 / the target database is not empty (table {} has {n} rows): a copy only goes into an empty database",
            t.name, t.name
        )));
    }
    Ok(())
}

/// Every table's count and checksum on one database, as [`copy`] computes them (for a check
/// after the fact, or of a backup).
pub async fn tally(location: &str) -> Result<Vec<TableCopy>, StoreError> {
    let pool = connect(location).await?;
    let mut out = vec![];
    for t in TABLES {
        let mut tally = Tally::default();
        match &pool {
            Pool::Sqlite(p) => on_sqlite::tally(p, t, &mut tally).await?,
            Pool::Postgres(p) => on_postgres::tally(p, t, &mut tally).await?,
        }
        out.push(TableCopy {
            table: t.name,
            rows: tally.rows,
            checksum: tally.checksum(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(rows: &[Vec<Value>]) -> Tally {
        let mut t = Tally::default();
        for r in rows {
            t.add(r);
        }
        t
    }

    #[test]
    fn the_checksum_ignores_order_but_not_content() {
        let a = vec![Value::Text("甲".into()), Value::Int(1), Value::Null];
        let b = vec![Value::Text("乙".into()), Value::Year(2), Value::Bool(true)];
        let c = vec![Value::Text("乙".into()), Value::Year(2), Value::Bool(false)];
        assert_eq!(
            tally(&[a.clone(), b.clone()]).sum,
            tally(&[b.clone(), a.clone()]).sum
        );
        assert_ne!(
            tally(&[a.clone(), b.clone()]).sum,
            tally(&[a.clone(), c]).sum
        );
        // A row twice is not the row once, nor nothing (a sum, not an exclusive or).
        assert_ne!(
            tally(&[a.clone(), a.clone()]).sum,
            tally(std::slice::from_ref(&a)).sum
        );
        assert_ne!(tally(&[b.clone(), b]).sum, [0; 4]);
        // NULL, empty text and zero differ; an integer is the same number at either width.
        assert_ne!(
            tally(&[vec![Value::Null]]).sum,
            tally(&[vec![Value::Text(String::new())]]).sum
        );
        assert_eq!(
            tally(&[vec![Value::Int(2023)]]).sum,
            tally(&[vec![Value::Year(2023)]]).sum
        );
    }
}
