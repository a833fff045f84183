//! The indicator library (指标库) in SQLite. A write of forms or of a self-evaluation
//! takes what those forms contributed before, what they contribute after, and moves the
//! counted facts by the difference, in its own transaction; only the entries it touched are
//! recomputed. So the library never disagrees with the forms, any app server reads it as it
//! is, and a save costs the same however many forms are stored.

use crate::{LibraryEntry, LibraryQuery, Range, StoreError};
use jixiao_core::actual::Actual;
use rust_decimal::Decimal;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::{BTreeSet, HashMap};

/// One entry of the library: name, level 1, level 2 ('' if none), unit ('' if none).
type Key = (String, String, String, String);
/// What a form contributes: per entry, fact and value, how many times.
pub(crate) type Facts = HashMap<(Key, char, String), i64>;

/// What these forms contribute to the library, as stored now.
pub(crate) async fn contributions(
    conn: &mut SqliteConnection,
    form_ids: &[String],
) -> Result<Facts, StoreError> {
    let mut facts = Facts::new();
    for chunk in form_ids.chunks(500) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT i.name, i.level1, coalesce(i.level2, '') AS level2, coalesce(i.unit, '') AS unit, \
             i.value, i.raw, f.year, f.implementer, \
             (SELECT group_concat(a.actual, char(31)) FROM self_actuals a \
              WHERE a.form_id = i.form_id AND a.name = i.name) AS actuals \
             FROM indicators i JOIN forms f ON f.id = i.form_id WHERE i.form_id IN (",
        );
        let mut ids = qb.separated(", ");
        for id in chunk {
            ids.push_bind(id);
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut *conn).await? {
            let key: Key = (
                r.try_get("name")?,
                r.try_get("level1")?,
                r.try_get("level2")?,
                r.try_get("unit")?,
            );
            let mut add = |fact: char, value: String| {
                *facts.entry((key.clone(), fact, value)).or_default() += 1;
            };
            add('c', String::new());
            add('r', r.try_get("raw")?);
            add('u', r.try_get("implementer")?);
            add('y', r.try_get::<i32, _>("year")?.to_string());
            if let Some(v) = r.try_get::<Option<String>, _>("value")? {
                add('t', v);
            }
            if let Some(all) = r.try_get::<Option<String>, _>("actuals")? {
                for raw in all.split('\u{1f}') {
                    if let Actual::Quantity { value, .. } = Actual::parse(raw) {
                        add('a', value.normalize().to_string());
                    }
                }
            }
        }
    }
    Ok(facts)
}

/// Moves the library from what some forms contributed `before` a write to what they
/// contribute `after` it, and recomputes the entries that changed.
pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    before: Facts,
    after: Facts,
) -> Result<(), StoreError> {
    let mut delta = after;
    for (k, n) in before {
        *delta.entry(k).or_default() -= n;
    }
    delta.retain(|_, n| *n != 0);
    if delta.is_empty() {
        return Ok(());
    }
    let mut keys: BTreeSet<Key> = BTreeSet::new();
    let rows: Vec<_> = delta.into_iter().collect();
    for chunk in rows.chunks(4000) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO library_facts (name, level1, level2, unit, fact, value, n) ",
        );
        qb.push_values(chunk, |mut b, ((key, fact, value), n)| {
            b.push_bind(key.0.as_str())
                .push_bind(key.1.as_str())
                .push_bind(key.2.as_str())
                .push_bind(key.3.as_str())
                .push_bind(fact.to_string())
                .push_bind(value.as_str())
                .push_bind(*n);
        });
        qb.push(" ON CONFLICT (name, level1, level2, unit, fact, value) DO UPDATE SET n = n + excluded.n");
        qb.build().execute(&mut *conn).await?;
        keys.extend(chunk.iter().map(|((k, _, _), _)| k.clone()));
    }
    for key in keys {
        recompute(conn, &key).await?;
    }
    Ok(())
}

/// The median of values each occurring `n` times.
fn weighted_range(mut v: Vec<(Decimal, i64)>) -> Option<Range> {
    v.retain(|(_, n)| *n > 0);
    if v.is_empty() {
        return None;
    }
    v.sort();
    let total: i64 = v.iter().map(|(_, n)| n).sum();
    // The value at 0-based position p of the sorted list with repeats.
    let at = |p: i64| {
        let mut seen = 0;
        for (d, n) in &v {
            seen += n;
            if p < seen {
                return *d;
            }
        }
        v[v.len() - 1].0
    };
    let median = if total % 2 == 1 {
        at(total / 2)
    } else {
        (at(total / 2 - 1) + at(total / 2)) / Decimal::TWO
    };
    Some(Range {
        min: v[0].0.normalize(),
        median: median.normalize(),
        max: v[v.len() - 1].0.normalize(),
    })
}

/// Rewrites one entry from its facts (or removes it when nothing is left).
async fn recompute(conn: &mut SqliteConnection, key: &Key) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM library_facts WHERE name = ? AND level1 = ? AND level2 = ? AND unit = ? AND n <= 0",
    )
    .bind(&key.0)
    .bind(&key.1)
    .bind(&key.2)
    .bind(&key.3)
    .execute(&mut *conn)
    .await?;
    let facts = sqlx::query(
        "SELECT fact, value, n FROM library_facts WHERE name = ? AND level1 = ? AND level2 = ? AND unit = ?",
    )
    .bind(&key.0)
    .bind(&key.1)
    .bind(&key.2)
    .bind(&key.3)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM library WHERE name = ? AND level1 = ? AND level2 = ? AND unit = ?")
        .bind(&key.0)
        .bind(&key.1)
        .bind(&key.2)
        .bind(&key.3)
        .execute(&mut *conn)
        .await?;
    let (mut count, mut implementers) = (0_i64, 0_i64);
    let (mut first, mut last) = (i32::MAX, i32::MIN);
    let mut usual: Option<(i64, String)> = None;
    let (mut targets, mut actuals) = (vec![], vec![]);
    for r in &facts {
        let fact: String = r.try_get("fact")?;
        let value: String = r.try_get("value")?;
        let n: i64 = r.try_get("n")?;
        match fact.as_str() {
            "c" => count = n,
            "u" => implementers += 1,
            "y" => {
                if let Ok(y) = value.parse::<i32>() {
                    first = first.min(y);
                    last = last.max(y);
                }
            }
            // The most written target; ties go to the shorter, then the first in order.
            "r" => {
                let better = match &usual {
                    None => true,
                    Some((m, u)) => n > *m || (n == *m && (value.len(), &value) < (u.len(), u)),
                };
                if better {
                    usual = Some((n, value));
                }
            }
            "t" => targets.extend(value.parse::<Decimal>().ok().map(|d| (d, n))),
            "a" => actuals.extend(value.parse::<Decimal>().ok().map(|d| (d, n))),
            _ => {}
        }
    }
    if count <= 0 {
        return Ok(());
    }
    let t = weighted_range(targets);
    let a = weighted_range(actuals);
    let text = |r: &Option<Range>, f: fn(&Range) -> Decimal| r.as_ref().map(|r| f(r).to_string());
    sqlx::query(
        "INSERT INTO library (name, level1, level2, unit, count, implementers, first_year, last_year, \
         usual, target_min, target_median, target_max, actual_min, actual_median, actual_max) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&key.0)
    .bind(&key.1)
    .bind(&key.2)
    .bind(&key.3)
    .bind(count)
    .bind(implementers)
    .bind(if first == i32::MAX { 0 } else { first })
    .bind(if last == i32::MIN { 0 } else { last })
    .bind(usual.map(|(_, u)| u).unwrap_or_default())
    .bind(text(&t, |r| r.min))
    .bind(text(&t, |r| r.median))
    .bind(text(&t, |r| r.max))
    .bind(text(&a, |r| r.min))
    .bind(text(&a, |r| r.median))
    .bind(text(&a, |r| r.max))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Builds the whole library from what is stored (for a database from before it).
pub(crate) async fn rebuild(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM library_facts")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM library")
        .execute(&mut *conn)
        .await?;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM forms")
        .fetch_all(&mut *conn)
        .await?;
    for chunk in ids.chunks(2000) {
        let after = contributions(conn, chunk).await?;
        apply(conn, Facts::new(), after).await?;
    }
    Ok(())
}

/// Replaces a form's recorded actuals.
pub(crate) async fn set_actuals(
    conn: &mut SqliteConnection,
    form_id: &str,
    actuals: &[(String, String)],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM self_actuals WHERE form_id = ?")
        .bind(form_id)
        .execute(&mut *conn)
        .await?;
    for (name, actual) in actuals {
        sqlx::query("INSERT INTO self_actuals (form_id, name, actual) VALUES (?, ?, ?)")
            .bind(form_id)
            .bind(name)
            .bind(actual)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Entries whose name contains the query, the closest and most used first.
pub(crate) async fn search(
    conn: &mut SqliteConnection,
    q: &LibraryQuery,
) -> Result<Vec<LibraryEntry>, StoreError> {
    let text = q.q.trim();
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT name, level1, level2, unit, count, implementers, first_year, last_year, usual, \
         target_min, target_median, target_max, actual_min, actual_median, actual_max FROM library WHERE 1 = 1",
    );
    if !text.is_empty() {
        qb.push(" AND instr(name, ").push_bind(text).push(") > 0");
    }
    if let Some(l1) = &q.level1 {
        qb.push(" AND level1 = ").push_bind(l1.as_str());
    }
    if let Some(l2) = &q.level2 {
        qb.push(" AND level2 = ").push_bind(l2.as_str());
    }
    // The exact name first, then names that start with the query, then the most filed.
    qb.push(" ORDER BY name = ")
        .push_bind(text)
        .push(" DESC, instr(name, ")
        .push_bind(text)
        .push(") = 1 DESC, count DESC, name LIMIT ")
        .push_bind(q.limit.clamp(1, 100));
    let rows = qb.build().fetch_all(&mut *conn).await?;
    let dec = |r: &sqlx::sqlite::SqliteRow, c: &str| -> Result<Option<Decimal>, StoreError> {
        Ok(r.try_get::<Option<String>, _>(c)?
            .and_then(|s| s.parse().ok()))
    };
    let rng = |r: &sqlx::sqlite::SqliteRow, p: &str| -> Result<Option<Range>, StoreError> {
        Ok(
            match (
                dec(r, &format!("{p}_min"))?,
                dec(r, &format!("{p}_median"))?,
                dec(r, &format!("{p}_max"))?,
            ) {
                (Some(min), Some(median), Some(max)) => Some(Range { min, median, max }),
                _ => None,
            },
        )
    };
    rows.iter()
        .map(|r| {
            Ok(LibraryEntry {
                name: r.try_get("name")?,
                level1: r.try_get("level1")?,
                level2: Some(r.try_get::<String, _>("level2")?).filter(|s| !s.is_empty()),
                unit: r.try_get("unit")?,
                count: r.try_get("count")?,
                implementers: r.try_get("implementers")?,
                years: (r.try_get("first_year")?, r.try_get("last_year")?),
                usual: r.try_get("usual")?,
                targets: rng(r, "target")?,
                actuals: rng(r, "actual")?,
            })
        })
        .collect()
}
