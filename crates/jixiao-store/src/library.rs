//! The indicator library (指标库) in SQLite: entries are recomputed, name by name, in the
//! transaction that changes the indicators or actuals of those names, so the library never
//! disagrees with the forms and any app server reads it as it is.

use crate::{LibraryEntry, LibraryQuery, Range, StoreError};
use jixiao_core::actual::Actual;
use rust_decimal::Decimal;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The indicator names of some forms, as stored now.
pub(crate) async fn names_of(
    conn: &mut SqliteConnection,
    form_ids: &[String],
) -> Result<BTreeSet<String>, StoreError> {
    let mut names = BTreeSet::new();
    for chunk in form_ids.chunks(500) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT DISTINCT name FROM indicators WHERE form_id IN (");
        let mut ids = qb.separated(", ");
        for id in chunk {
            ids.push_bind(id);
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut *conn).await? {
            names.insert(r.try_get::<String, _>("name")?);
        }
    }
    Ok(names)
}

#[derive(Default)]
struct Acc {
    count: i64,
    implementers: HashSet<String>,
    first_year: i32,
    last_year: i32,
    raws: HashMap<String, i64>,
    targets: Vec<Decimal>,
    actuals: Vec<Decimal>,
}

fn range(mut v: Vec<Decimal>) -> Option<Range> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / Decimal::TWO
    };
    Some(Range {
        min: v[0].normalize(),
        median: median.normalize(),
        max: v[n - 1].normalize(),
    })
}

/// Recomputes the library entries of these names from the indicators and actuals stored now.
pub(crate) async fn refresh(
    conn: &mut SqliteConnection,
    names: &BTreeSet<String>,
) -> Result<(), StoreError> {
    let names: Vec<&String> = names.iter().collect();
    for chunk in names.chunks(200) {
        let mut del: QueryBuilder<Sqlite> =
            QueryBuilder::new("DELETE FROM library WHERE name IN (");
        let mut s = del.separated(", ");
        for n in chunk {
            s.push_bind(n.as_str());
        }
        del.push(")");
        del.build().execute(&mut *conn).await?;

        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT i.name, i.level1, coalesce(i.level2, '') AS level2, coalesce(i.unit, '') AS unit, \
             i.value, i.raw, f.year, f.implementer, \
             (SELECT group_concat(a.actual, char(31)) FROM self_actuals a \
              WHERE a.form_id = i.form_id AND a.name = i.name) AS actuals \
             FROM indicators i JOIN forms f ON f.id = i.form_id WHERE i.name IN (",
        );
        let mut s = qb.separated(", ");
        for n in chunk {
            s.push_bind(n.as_str());
        }
        qb.push(")");
        let mut acc: BTreeMap<(String, String, String, String), Acc> = BTreeMap::new();
        for r in qb.build().fetch_all(&mut *conn).await? {
            let key = (
                r.try_get::<String, _>("name")?,
                r.try_get::<String, _>("level1")?,
                r.try_get::<String, _>("level2")?,
                r.try_get::<String, _>("unit")?,
            );
            let year: i32 = r.try_get("year")?;
            let a = acc.entry(key).or_insert_with(|| Acc {
                first_year: year,
                last_year: year,
                ..Acc::default()
            });
            a.count += 1;
            a.first_year = a.first_year.min(year);
            a.last_year = a.last_year.max(year);
            a.implementers.insert(r.try_get("implementer")?);
            *a.raws.entry(r.try_get("raw")?).or_default() += 1;
            if let Some(v) = r.try_get::<Option<String>, _>("value")? {
                if let Ok(d) = v.parse::<Decimal>() {
                    a.targets.push(d);
                }
            }
            if let Some(all) = r.try_get::<Option<String>, _>("actuals")? {
                for raw in all.split('\u{1f}') {
                    if let Actual::Quantity { value, .. } = Actual::parse(raw) {
                        a.actuals.push(value);
                    }
                }
            }
        }
        for ((name, level1, level2, unit), a) in acc {
            // The most written target; ties go to the shorter, then the first in order.
            let usual = a
                .raws
                .iter()
                .max_by(|x, y| {
                    x.1.cmp(y.1)
                        .then(y.0.len().cmp(&x.0.len()))
                        .then(y.0.cmp(x.0))
                })
                .map(|(r, _)| r.clone())
                .unwrap_or_default();
            let t = range(a.targets);
            let ac = range(a.actuals);
            let text =
                |r: &Option<Range>, f: fn(&Range) -> Decimal| r.as_ref().map(|r| f(r).to_string());
            sqlx::query(
                "INSERT INTO library (name, level1, level2, unit, count, implementers, first_year, last_year, \
                 usual, target_min, target_median, target_max, actual_min, actual_median, actual_max) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(name)
            .bind(level1)
            .bind(level2)
            .bind(unit)
            .bind(a.count)
            .bind(a.implementers.len() as i64)
            .bind(a.first_year)
            .bind(a.last_year)
            .bind(usual)
            .bind(text(&t, |r| r.min))
            .bind(text(&t, |r| r.median))
            .bind(text(&t, |r| r.max))
            .bind(text(&ac, |r| r.min))
            .bind(text(&ac, |r| r.median))
            .bind(text(&ac, |r| r.max))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Rebuilds the whole library (after the migration that introduced it).
pub(crate) async fn rebuild(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let names: BTreeSet<String> = sqlx::query("SELECT DISTINCT name FROM indicators")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<_, _>>()?;
    refresh(conn, &names).await
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
