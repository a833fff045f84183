//! Rows written in bulk: the shared SQL (`sql/`) builds each row as cells and hands them to
//! its backend's `insert_rows`, which writes them as that backend writes fastest (multi-row
//! `INSERT`s on SQLite, `COPY … FROM STDIN` on PostgreSQL). The cells carry the plain types
//! the schema uses, so money stays integer fen on the way.

use std::borrow::Cow;

/// One value of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cell<'a> {
    /// `TEXT` (times and exact decimals are text too); `None` is NULL.
    Text(Option<Cow<'a, str>>),
    /// `BIGINT` or `INTEGER` (money in fen, counts, versions, years); `None` is NULL.
    Int(Option<i64>),
    /// `BOOLEAN`.
    Bool(bool),
}

impl<'a> Cell<'a> {
    pub(crate) fn text(s: &'a str) -> Cell<'a> {
        Cell::Text(Some(Cow::Borrowed(s)))
    }

    pub(crate) fn opt(s: Option<&'a str>) -> Cell<'a> {
        Cell::Text(s.map(Cow::Borrowed))
    }

    pub(crate) fn owned(s: Option<String>) -> Cell<'a> {
        Cell::Text(s.map(Cow::Owned))
    }
}

/// How many columns a column list (`a, b, c`) names.
pub(crate) fn column_count(columns: &str) -> usize {
    columns.split(',').count()
}
