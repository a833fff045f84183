//! Rows of organisations, users, the workflow and versions, shared by the store's methods
//! (compiled inside each backend's module, like `store.rs`).

use super::store::{load_form, now};
use super::{Conn, DbRow};
use crate::{FormMeta, FormRow, StoreError, Transition, User};
use jixiao_core::workflow::{Action, Role, Status};
use jixiao_core::Money;
use sqlx::Row;

pub(crate) fn user_from(r: &DbRow) -> Result<User, StoreError> {
    let role: String = r.get("role");
    Ok(User {
        id: r.get("id"),
        username: r.get("username"),
        display_name: r.get("display_name"),
        role: Role::from_name(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("role “{role}”")))?,
        org_id: r.get("org_id"),
    })
}

pub(crate) fn meta_from_row(r: &DbRow) -> Result<FormMeta, StoreError> {
    Ok(FormMeta {
        id: r.get("id"),
        version: r.get("version"),
        status: status(&r.get::<String, _>("status"))?,
        unit_id: r.get("unit_id"),
        updated_by: r.get("updated_by"),
        updated_at: r.get("updated_at"),
    })
}

/// A line of a form list, from a row of [`super::store::LIST_SELECT`].
pub(crate) fn row_from(r: &DbRow) -> Result<FormRow, StoreError> {
    Ok(FormRow {
        id: r.get("id"),
        year: r.get("year"),
        name: r.get("name"),
        department: r.get("department"),
        implementer: r.get("implementer"),
        annual_total: r
            .get::<Option<i64>, _>("funds_annual_total")
            .map(Money::from_fen),
        status: status(&r.get::<String, _>("status"))?,
        version: r.get("version"),
        indicators: r.get("n"),
        updated_at: r.get("updated_at"),
        grade: r.get("grade"),
        warning_light: r.get("warning_light"),
        unit_id: r.get("unit_id"),
    })
}

pub(crate) fn status(s: &str) -> Result<Status, StoreError> {
    Status::from_name(s).ok_or_else(|| StoreError::Corrupt(format!("status “{s}”")))
}

pub(crate) fn action(s: &str) -> Result<Action, StoreError> {
    [
        Action::Submit,
        Action::Withdraw,
        Action::Return,
        Action::Approve,
        Action::Publish,
    ]
    .into_iter()
    .find(|a| a.name() == s)
    .ok_or_else(|| StoreError::Corrupt(format!("action “{s}”")))
}

pub(crate) fn taken(e: sqlx::Error, what: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Taken(what.to_string()),
        _ => StoreError::Db(e),
    }
}

/// Keeps the current version of a form as a snapshot before it is superseded.
pub(crate) async fn snapshot_current(conn: &mut Conn, id: &str) -> Result<(), StoreError> {
    let Some(form) = load_form(conn, id).await? else {
        return Ok(());
    };
    let (version, by, at): (i64, Option<String>, String) =
        sqlx::query_as("SELECT version, updated_by, updated_at FROM forms WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let json = crate::form_json(&form)?;
    sqlx::query("INSERT INTO form_versions (form_id, version, snapshot, created_by, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(version)
        .bind(json)
        .bind(by)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) fn transition_from(r: &DbRow) -> Result<Transition, StoreError> {
    Ok(Transition {
        seq: r.get("seq"),
        form_id: r.get("form_id"),
        version: r.get("version"),
        from: status(&r.get::<String, _>("from_status"))?,
        to: status(&r.get::<String, _>("to_status"))?,
        action: action(&r.get::<String, _>("action"))?,
        actor: r.get("actor"),
        at: r.get("at"),
        comment: r.get("comment"),
        detail: r.get("detail"),
    })
}

/// Keeps a password's hash in the user's history, and only the last few.
pub(crate) async fn remember_password(
    tx: &mut Conn,
    user_id: &str,
    hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO password_history (user_id, hash, set_at) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(hash)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM password_history WHERE user_id = $1 AND rowid NOT IN \
         (SELECT rowid FROM password_history WHERE user_id = $2 ORDER BY set_at DESC, rowid DESC LIMIT $3)",
    )
    .bind(user_id)
    .bind(user_id)
    .bind(jixiao_core::password::HISTORY as i64)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
