//! The indicator library (指标库) in SQL (compiled inside each backend's module). A write of forms or of a self-evaluation
//! takes what those forms contributed before, what they contribute after, and moves the
//! counted facts by the difference, in its own transaction; only the entries it touched are
//! recomputed. So the library never disagrees with the forms, any app server reads it as it
//! is, and a save costs the same however many forms are stored.

use super::{Conn, Db, DbRow};
use crate::{LibraryEntry, LibraryQuery, Range, StoreError};
use jixiao_core::actual::Actual;
use rust_decimal::Decimal;
use sqlx::{QueryBuilder, Row};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

/// One entry of the library: name, level 1, level 2 ('' if none), unit ('' if none).
type Key = (String, String, String, String);
/// What a form contributes: per entry, fact and value, how many times.
pub(crate) type Facts = HashMap<(Key, char, String), i64>;

/// What these forms contribute to the library, as stored now.
pub(crate) async fn contributions(
    conn: &mut Conn,
    form_ids: &[String],
) -> Result<Facts, StoreError> {
    let mut facts = Facts::new();
    for chunk in form_ids.chunks(500) {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT i.name, i.level1, coalesce(i.level2, '') AS level2, coalesce(i.unit, '') AS unit, \
             i.value, i.raw, f.year, f.implementer, f.category, \
             (SELECT {} FROM self_actuals a \
              WHERE a.form_id = i.form_id AND a.name = i.name) AS actuals \
             FROM indicators i JOIN forms f ON f.id = i.form_id WHERE i.form_id IN (",
            super::JOINED_ACTUALS
        ));
        let mut ids = qb.separated(", ");
        for id in chunk {
            ids.push_bind(id);
        }
        qb.push(")");
        // Planned afresh (see `existing_ids`): the tables may grow in the same transaction.
        for r in qb.build().persistent(false).fetch_all(&mut *conn).await? {
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
            let category: String = r.try_get("category")?;
            if !category.trim().is_empty() {
                add('k', category.trim().to_string());
            }
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

/// What these forms will contribute once written as they are (computed from them, without
/// reading them back; the same facts [`contributions`] reads from the stored rows), with the
/// self-evaluation actuals already stored for them.
pub(crate) async fn contributions_of(
    conn: &mut Conn,
    forms: &[jixiao_core::Form],
) -> Result<Facts, StoreError> {
    let mut actuals: HashMap<(String, String), Vec<String>> = HashMap::new();
    let ids: Vec<&str> = forms.iter().filter_map(|f| f.id.as_deref()).collect();
    for chunk in ids.chunks(500) {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new("SELECT form_id, name, actual FROM self_actuals WHERE form_id IN (");
        let mut s = qb.separated(", ");
        for id in chunk {
            s.push_bind(*id);
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut *conn).await? {
            actuals
                .entry((r.try_get("form_id")?, r.try_get("name")?))
                .or_default()
                .push(r.try_get("actual")?);
        }
    }
    // Counted on borrowed strings first (a bulk import has many indicators and few distinct
    // facts), then made owned once per distinct fact.
    let years: Vec<String> = forms.iter().map(|f| f.year.to_string()).collect();
    type Borrowed<'a> = (&'a str, &'a str, &'a str, &'a str, char, Cow<'a, str>);
    let mut local: HashMap<Borrowed, i64> = HashMap::new();
    for (f, year) in forms.iter().zip(&years) {
        let id = f.id.as_deref().unwrap_or_default();
        for i in &f.indicators {
            let (value, unit) = match &i.target {
                jixiao_core::Target::Quantitative { value, unit, .. } => {
                    (Some(value.normalize().to_string()), unit.as_str())
                }
                jixiao_core::Target::Qualitative { .. } => (None, ""),
            };
            let key = (
                i.name.as_str(),
                i.level1.name(),
                i.level2.map(|l| l.name()).unwrap_or_default(),
                unit,
            );
            let mut add = |fact: char, value| {
                *local
                    .entry((key.0, key.1, key.2, key.3, fact, value))
                    .or_default() += 1;
            };
            add('c', Cow::Borrowed(""));
            add('r', Cow::Borrowed(&i.raw));
            add('u', Cow::Borrowed(&f.implementer));
            add('y', Cow::Borrowed(year));
            if !f.category.trim().is_empty() {
                add('k', Cow::Borrowed(f.category.trim()));
            }
            if let Some(v) = value {
                add('t', Cow::Owned(v));
            }
            if let Some(all) = actuals.get(&(id.to_string(), i.name.clone())) {
                for raw in all {
                    if let Actual::Quantity { value, .. } = Actual::parse(raw) {
                        add('a', Cow::Owned(value.normalize().to_string()));
                    }
                }
            }
        }
    }
    Ok(local
        .into_iter()
        .map(|((n, l1, l2, u, fact, v), c)| {
            (
                (
                    (n.to_string(), l1.to_string(), l2.to_string(), u.to_string()),
                    fact,
                    v.into_owned(),
                ),
                c,
            )
        })
        .collect())
}

/// What a write changes: what the forms contribute `after` it less what they did `before`.
pub(crate) fn difference(before: Facts, after: Facts) -> Facts {
    let mut delta = after;
    for (k, n) in before {
        *delta.entry(k).or_default() -= n;
    }
    delta.retain(|_, n| *n != 0);
    delta
}

/// Adds one write's changes to those of the others in the same transaction.
pub(crate) fn merge(into: &mut Facts, delta: Facts) {
    for (k, n) in delta {
        *into.entry(k).or_default() += n;
    }
}

/// Moves the counted facts by a transaction's changes and recomputes the entries touched.
pub(crate) async fn apply(conn: &mut Conn, mut delta: Facts) -> Result<(), StoreError> {
    delta.retain(|_, n| *n != 0);
    if delta.is_empty() {
        return Ok(());
    }
    let mut keys: BTreeSet<Key> = BTreeSet::new();
    let rows: Vec<_> = delta.into_iter().collect();
    for chunk in rows.chunks(4000) {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(
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
        qb.push(" ON CONFLICT (name, level1, level2, unit, fact, value) DO UPDATE SET n = library_facts.n + excluded.n");
        qb.build().execute(&mut *conn).await?;
        // Facts that went down may have reached nothing: remove those, one by one (a save
        // lowers a few dozen; an import of new forms none).
        for ((k, fact, value), _) in chunk.iter().filter(|(_, n)| *n < 0) {
            sqlx::query(
                "DELETE FROM library_facts WHERE name = $1 AND level1 = $2 AND level2 = $3 AND unit = $4 \
                 AND fact = $5 AND value = $6 AND n <= 0",
            )
            .bind(k.0.as_str())
            .bind(k.1.as_str())
            .bind(k.2.as_str())
            .bind(k.3.as_str())
            .bind(fact.to_string())
            .bind(value.as_str())
            .execute(&mut *conn)
            .await?;
        }
        keys.extend(chunk.iter().map(|((k, _, _), _)| k.clone()));
    }
    let keys: Vec<Key> = keys.into_iter().collect();
    for chunk in keys.chunks(2000) {
        recompute(conn, chunk).await?;
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

/// Rewrites these entries from their facts (removing those with nothing left), in a few
/// statements whatever their number: the keys go into a temporary table first.
async fn recompute(conn: &mut Conn, keys: &[Key]) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS library_touched \
         (name TEXT, level1 TEXT, level2 TEXT, unit TEXT, PRIMARY KEY (name, level1, level2, unit))",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM library_touched")
        .execute(&mut *conn)
        .await?;
    for chunk in keys.chunks(1000) {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new("INSERT INTO library_touched (name, level1, level2, unit) ");
        qb.push_values(chunk, |mut b, k| {
            b.push_bind(k.0.as_str())
                .push_bind(k.1.as_str())
                .push_bind(k.2.as_str())
                .push_bind(k.3.as_str());
        });
        qb.build().execute(&mut *conn).await?;
    }
    // Driven by the few touched keys through the primary keys (SQLite's CROSS JOIN fixes the
    // loop order), never a scan of the library.
    sqlx::query(&format!(
        "DELETE FROM library WHERE (name, level1, level2, unit) IN (SELECT l.name, l.level1, l.level2, l.unit \
         FROM library_touched t {} library l \
         ON l.name = t.name AND l.level1 = t.level1 AND l.level2 = t.level2 AND l.unit = t.unit)",
        super::ORDERED_JOIN
    ))
    .execute(&mut *conn)
    .await?;
    let rows = sqlx::query(&format!(
        "SELECT f.name, f.level1, f.level2, f.unit, f.fact, f.value, f.n \
         FROM library_touched t {} library_facts f \
         ON f.name = t.name AND f.level1 = t.level1 AND f.level2 = t.level2 AND f.unit = t.unit",
        super::ORDERED_JOIN
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut by_key: HashMap<Key, Vec<(String, String, i64)>> = HashMap::new();
    for r in &rows {
        by_key
            .entry((
                r.try_get("name")?,
                r.try_get("level1")?,
                r.try_get("level2")?,
                r.try_get("unit")?,
            ))
            .or_default()
            .push((r.try_get("fact")?, r.try_get("value")?, r.try_get("n")?));
    }
    let entries: Vec<(Key, Summary)> = by_key
        .into_iter()
        .filter_map(|(k, facts)| summarise(&facts).map(|s| (k, s)))
        .collect();
    for chunk in entries.chunks(2000) {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO library (name, level1, level2, unit, count, implementers, first_year, last_year, \
             usual, target_min, target_median, target_max, actual_min, actual_median, actual_max) ",
        );
        qb.push_values(chunk, |mut b, (k, e)| {
            let text =
                |r: &Option<Range>, f: fn(&Range) -> Decimal| r.as_ref().map(|r| f(r).to_string());
            b.push_bind(k.0.as_str())
                .push_bind(k.1.as_str())
                .push_bind(k.2.as_str())
                .push_bind(k.3.as_str())
                .push_bind(e.count)
                .push_bind(e.implementers)
                .push_bind(e.first_year)
                .push_bind(e.last_year)
                .push_bind(e.usual.clone())
                .push_bind(text(&e.targets, |r| r.min))
                .push_bind(text(&e.targets, |r| r.median))
                .push_bind(text(&e.targets, |r| r.max))
                .push_bind(text(&e.actuals, |r| r.min))
                .push_bind(text(&e.actuals, |r| r.median))
                .push_bind(text(&e.actuals, |r| r.max));
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

struct Summary {
    count: i64,
    implementers: i64,
    first_year: i32,
    last_year: i32,
    usual: String,
    targets: Option<Range>,
    actuals: Option<Range>,
}

/// An entry from its counted facts; none when no indicator is left.
fn summarise(facts: &[(String, String, i64)]) -> Option<Summary> {
    let (mut count, mut implementers) = (0_i64, 0_i64);
    let (mut first, mut last) = (i32::MAX, i32::MIN);
    let mut usual: Option<(i64, &str)> = None;
    let (mut targets, mut actuals) = (vec![], vec![]);
    for (fact, value, n) in facts {
        let n = *n;
        if n <= 0 {
            continue;
        }
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
                let better = match usual {
                    None => true,
                    Some((m, u)) => {
                        n > m || (n == m && (value.len(), value.as_str()) < (u.len(), u))
                    }
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
    (count > 0).then(|| Summary {
        count,
        implementers,
        first_year: if first == i32::MAX { 0 } else { first },
        last_year: if last == i32::MIN { 0 } else { last },
        usual: usual.map(|(_, u)| u.to_string()).unwrap_or_default(),
        targets: weighted_range(targets),
        actuals: weighted_range(actuals),
    })
}

/// Builds the whole library from what is stored (for a database from before it).
pub(crate) async fn rebuild(conn: &mut Conn) -> Result<(), StoreError> {
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
        apply(conn, after).await?;
    }
    Ok(())
}

/// Replaces a form's recorded actuals.
pub(crate) async fn set_actuals(
    conn: &mut Conn,
    form_id: &str,
    actuals: &[(String, String)],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM self_actuals WHERE form_id = $1")
        .bind(form_id)
        .execute(&mut *conn)
        .await?;
    for (name, actual) in actuals {
        sqlx::query("INSERT INTO self_actuals (form_id, name, actual) VALUES ($1, $2, $3)")
            .bind(form_id)
            .bind(name)
            .bind(actual)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Entries whose name (or a variant spelling merged into it) contains the query: the exact
/// name first, then names that start with it, then recommended ones, then the most filed (in
/// the category, when one is asked for). Retired names and merged spellings are left out
/// unless `all` asks for every entry (the curation page).
pub(crate) async fn search(
    conn: &mut Conn,
    q: &LibraryQuery,
) -> Result<Vec<LibraryEntry>, StoreError> {
    let text = q.q.trim();
    let category = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    // The curation is small (what administrators marked): read whole once, and used in the
    // search only through IN lists that SQLite builds once, never a join per library row.
    let curated: HashMap<String, (bool, bool, Option<String>)> =
        sqlx::query_as::<_, (String, bool, bool, Option<String>)>(
            "SELECT name, recommended, retired, merged_into FROM library_curation",
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(n, r, t, m)| (n, (r, t, m)))
        .collect();
    let mut qb: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT l.name, l.level1, l.level2, l.unit, l.count, l.implementers, l.first_year, l.last_year, l.usual, \
         l.target_min, l.target_median, l.target_max, l.actual_min, l.actual_median, l.actual_max, ",
    );
    if category.is_some() && text.is_empty() {
        // Driven by the category's facts (a partial index on value and count), most filed
        // first, each joined to its entry by the library's primary key.
        qb.push(format!("k.n AS in_category FROM library_facts k {} library l ON k.name = l.name AND k.level1 = l.level1 \
                 AND k.level2 = l.level2 AND k.unit = l.unit WHERE k.fact = 'k' AND k.n > 0 AND k.value = ", super::ORDERED_JOIN))
            .push_bind(category.unwrap_or_default());
    } else if category.is_some() {
        // With a name to match, the names are fewer than the category's entries: driven by
        // the library, each match's category count found by primary key.
        qb.push(format!("k.n AS in_category FROM library l {} library_facts k ON k.name = l.name AND k.level1 = l.level1 \
                 AND k.level2 = l.level2 AND k.unit = l.unit AND k.fact = 'k' AND k.n > 0 AND k.value = ", super::ORDERED_JOIN))
            .push_bind(category.unwrap_or_default())
            .push(" WHERE 1 = 1");
    } else {
        qb.push("CAST(NULL AS BIGINT) AS in_category FROM library l");
    }
    if category.is_none() {
        qb.push(" WHERE 1 = 1");
    }
    if !text.is_empty() {
        qb.push(format!(" AND ({}(l.name, ", super::INSTR))
            .push_bind(text)
            .push(format!(
                ") > 0 OR l.name IN (SELECT merged_into FROM library_curation WHERE merged_into IS NOT NULL AND {}(name, ",
                super::INSTR
            ))
            .push_bind(text)
            .push(") > 0))");
    }
    if !q.all && !curated.is_empty() {
        qb.push(" AND l.name NOT IN (SELECT name FROM library_curation WHERE retired = TRUE OR merged_into IS NOT NULL)");
    }
    if let Some(l1) = &q.level1 {
        qb.push(" AND l.level1 = ").push_bind(l1.as_str());
    }
    if let Some(l2) = &q.level2 {
        qb.push(" AND l.level2 = ").push_bind(l2.as_str());
    }
    qb.push(" ORDER BY ");
    if !text.is_empty() {
        qb.push("l.name = ")
            .push_bind(text)
            .push(format!(" DESC, {}(l.name, ", super::INSTR))
            .push_bind(text)
            .push(") = 1 DESC, ");
    }
    if curated.values().any(|c| c.0) {
        qb.push("l.name IN (SELECT name FROM library_curation WHERE recommended = TRUE) DESC, ");
    }
    if category.is_some() {
        qb.push("k.n DESC, ");
    }
    qb.push("l.count DESC, l.name LIMIT ")
        .push_bind(q.limit.clamp(1, 100));
    let rows = qb.build().fetch_all(&mut *conn).await?;
    let dec = |r: &DbRow, c: &str| -> Result<Option<Decimal>, StoreError> {
        Ok(r.try_get::<Option<String>, _>(c)?
            .and_then(|s| s.parse().ok()))
    };
    let rng = |r: &DbRow, p: &str| -> Result<Option<Range>, StoreError> {
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
    let mut entries = rows
        .iter()
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
                recommended: false,
                retired: false,
                merged_into: None,
                aliases: vec![],
                in_category: r.try_get("in_category")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // Each entry's marks, and the variant spellings merged into it.
    let mut aliases: HashMap<&str, Vec<String>> = HashMap::new();
    for (name, (_, _, into)) in &curated {
        if let Some(into) = into {
            aliases.entry(into.as_str()).or_default().push(name.clone());
        }
    }
    for e in &mut entries {
        if let Some((recommended, retired, into)) = curated.get(&e.name) {
            e.recommended = *recommended;
            e.retired = *retired;
            e.merged_into = into.clone();
        }
        if let Some(a) = aliases.get(e.name.as_str()) {
            e.aliases = a.clone();
            e.aliases.sort();
        }
    }
    Ok(entries)
}
