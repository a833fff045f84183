//! SQLite: organisations, users, sessions, the workflow, versions and the audit log.

use crate::sqlite::{load_form, now, SqliteStore};
use crate::{
    Account, AccountChange, AuditEntry, FormMeta, FormRow, ListQuery, Org, Page, Scope, Session,
    StoreError, Transition, User, UserAuth, VersionInfo,
};
use jixiao_core::workflow::{Action, Role, Status};
use jixiao_core::{Form, Money};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

fn user_from(r: &SqliteRow) -> Result<User, StoreError> {
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

pub(crate) fn meta_from_row(r: &SqliteRow) -> Result<FormMeta, StoreError> {
    Ok(FormMeta {
        id: r.get("id"),
        version: r.get("version"),
        status: status(&r.get::<String, _>("status"))?,
        unit_id: r.get("unit_id"),
        updated_by: r.get("updated_by"),
        updated_at: r.get("updated_at"),
    })
}

/// A line of a form list, from a row of [`crate::sqlite::LIST_SELECT`].
pub(crate) fn row_from(r: &SqliteRow) -> Result<FormRow, StoreError> {
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

fn status(s: &str) -> Result<Status, StoreError> {
    Status::from_name(s).ok_or_else(|| StoreError::Corrupt(format!("status “{s}”")))
}

fn action(s: &str) -> Result<Action, StoreError> {
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
pub(crate) async fn snapshot_current(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<(), StoreError> {
    let Some(form) = load_form(conn, id).await? else {
        return Ok(());
    };
    let (version, by, at): (i64, Option<String>, String) =
        sqlx::query_as("SELECT version, updated_by, updated_at FROM forms WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let json = serde_json::to_string(&form).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query("INSERT OR IGNORE INTO form_versions (form_id, version, snapshot, created_by, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(version)
        .bind(json)
        .bind(by)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn transition_from(r: &SqliteRow) -> Result<Transition, StoreError> {
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

impl SqliteStore {
    pub(crate) async fn do_create_org(&self, org: &Org) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO orgs (id, name, kind, parent_id) VALUES (?, ?, ?, ?)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(&org.kind)
            .bind(&org.parent_id)
            .execute(&self.pool)
            .await
            .map_err(|e| taken(e, &org.name))?;
        Ok(())
    }

    pub(crate) async fn do_orgs(&self) -> Result<Vec<Org>, StoreError> {
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

    pub(crate) async fn do_link_forms_to_units(&self) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE forms SET unit_id = (SELECT id FROM orgs WHERE orgs.kind = 'unit' AND orgs.name = forms.implementer) \
             WHERE unit_id IS NULL AND EXISTS (SELECT 1 FROM orgs WHERE orgs.kind = 'unit' AND orgs.name = forms.implementer)",
        )
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    pub(crate) async fn do_create_user(
        &self,
        u: &User,
        hash: &str,
        must_change: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("INSERT INTO users (id, username, display_name, password_hash, role, org_id, created_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&u.id)
            .bind(&u.username)
            .bind(&u.display_name)
            .bind(hash)
            .bind(u.role.name())
            .bind(&u.org_id)
            .bind(now())
            .bind(must_change as i64)
            .execute(&mut *tx)
            .await
            .map_err(|e| taken(e, &u.username))?;
        remember_password(&mut tx, &u.id, hash).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn do_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, username, display_name, role, org_id FROM users ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }

    pub(crate) async fn do_user_auth(
        &self,
        username: &str,
    ) -> Result<Option<UserAuth>, StoreError> {
        let Some(r) = sqlx::query("SELECT id, username, display_name, role, org_id, password_hash, failed_logins, locked_until, disabled, must_change_password, totp_secret FROM users WHERE username = ?")
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
            disabled: r.get::<i64, _>("disabled") != 0,
            must_change_password: r.get::<i64, _>("must_change_password") != 0,
            totp_secret: r.get("totp_secret"),
        }))
    }

    pub(crate) async fn do_accounts(&self) -> Result<Vec<Account>, StoreError> {
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
                    disabled: r.get::<i64, _>("disabled") != 0,
                    must_change_password: r.get::<i64, _>("must_change_password") != 0,
                })
            })
            .collect()
    }

    pub(crate) async fn do_update_account(
        &self,
        user_id: &str,
        change: &AccountChange,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (sql, hash, end_sessions) = match change {
            AccountChange::ResetPassword { hash } => (
                "UPDATE users SET password_hash = ?, must_change_password = 1, failed_logins = 0, locked_until = NULL WHERE id = ?",
                Some(hash.as_str()),
                true,
            ),
            AccountChange::ChangePassword { hash } => (
                "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
                Some(hash.as_str()),
                true,
            ),
            AccountChange::Unlock => (
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?",
                None,
                false,
            ),
            AccountChange::Disable => ("UPDATE users SET disabled = 1 WHERE id = ?", None, true),
            AccountChange::Enable => ("UPDATE users SET disabled = 0 WHERE id = ?", None, false),
            AccountChange::ResetTotp => (
                "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = ?",
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
        if let AccountChange::ResetPassword { hash } | AccountChange::ChangePassword { hash } =
            change
        {
            remember_password(&mut tx, user_id, hash).await?;
        }
        // Unlocked, or a new password set by an administrator: the sign-in count starts again.
        if matches!(
            change,
            AccountChange::Unlock | AccountChange::ResetPassword { .. }
        ) {
            sqlx::query(
                "DELETE FROM login_throttle WHERE key = 'u:' || (SELECT username FROM users WHERE id = ?)",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        if end_sessions {
            sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?")
                .bind(user_id)
                .bind(keep_session)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn do_session(
        &self,
        token_hash: &str,
        now: &str,
        idle_since: &str,
    ) -> Result<Option<Session>, StoreError> {
        let Some(r) = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.org_id, u.must_change_password, s.csrf, s.expires_at, \
             (u.role IN ('finance', 'admin', 'auditor') AND u.totp_secret IS NULL AND u.totp_exempt = 0) AS needs_second_factor \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND coalesce(s.last_seen, s.created_at) > ? AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(now)
        .bind(idle_since)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Session {
            user: user_from(&r)?,
            csrf: r.get("csrf"),
            expires_at: r.get("expires_at"),
            must_change_password: r.get::<i64, _>("must_change_password") != 0,
            needs_second_factor: r.get::<i64, _>("needs_second_factor") != 0,
        }))
    }

    pub(crate) async fn do_delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn do_form_meta(&self, id: &str) -> Result<Option<FormMeta>, StoreError> {
        let row = sqlx::query(
            "SELECT id, version, status, unit_id, updated_by, updated_at FROM forms WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(meta_from_row).transpose()
    }

    pub(crate) async fn do_list_page(&self, q: &ListQuery) -> Result<Page, StoreError> {
        fn filters<'a>(qb: &mut QueryBuilder<'a, Sqlite>, q: &'a ListQuery) -> bool {
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
                qb.push(" AND (f.name LIKE ")
                    .push_bind(like.clone())
                    .push(" ESCAPE '\\' OR f.implementer LIKE ")
                    .push_bind(like.clone());
                qb.push(" ESCAPE '\\' OR f.department LIKE ")
                    .push_bind(like)
                    .push(" ESCAPE '\\')");
            }
            true
        }
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.max(1);
        if matches!(&q.scope, Scope::Nothing) || matches!(&q.scope, Scope::Units(u) if u.is_empty())
        {
            return Ok(Page {
                items: vec![],
                total: 0,
                page,
                per_page,
                annual_total_sum: Money::ZERO,
            });
        }
        // Counting and summing every matching form is the costly part of a page; the result
        // holds until the forms change, which the generation counter (bumped by triggers on
        // every change, whichever server made it) tells.
        let generation: i64 =
            sqlx::query_scalar("SELECT value FROM generations WHERE name = 'forms'")
                .fetch_one(&self.pool)
                .await?;
        // Every filter is in the key: the whole query but its order and page, so a filter
        // added later cannot be left out of it.
        let key = format!(
            "{:?}",
            ListQuery {
                sort: String::new(),
                page: 0,
                per_page: 0,
                ..q.clone()
            }
        );
        let cached = self
            .totals
            .lock()
            .ok()
            .and_then(|m| m.get(&key).copied())
            .filter(|(g, _, _)| *g == generation);
        let (total, sum) = match cached {
            Some((_, total, sum)) => (total, sum),
            None => {
                // Summed in two parts (billions of fen and the rest), each far from overflowing
                // whatever is stored, and joined in 128 bits: a sum never fails.
                let mut count: QueryBuilder<Sqlite> = QueryBuilder::new(
                    "SELECT count(*), COALESCE(sum(f.funds_annual_total / 1000000000), 0), \
                     COALESCE(sum(f.funds_annual_total % 1000000000), 0) FROM forms f",
                );
                filters(&mut count, q);
                let (total, high, low): (i64, i64, i64) =
                    count.build_query_as().fetch_one(&self.pool).await?;
                let exact = i128::from(high) * 1_000_000_000 + i128::from(low);
                let sum =
                    i64::try_from(exact).unwrap_or(if exact > 0 { i64::MAX } else { i64::MIN });
                if let Ok(mut m) = self.totals.lock() {
                    if m.len() > 4096 {
                        m.clear();
                    }
                    m.insert(key, (generation, total, sum));
                }
                (total, sum)
            }
        };
        let mut list: QueryBuilder<Sqlite> = QueryBuilder::new(crate::sqlite::LIST_SELECT);
        filters(&mut list, q);
        let (desc, key) = match q.sort.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, q.sort.as_str()),
        };
        let column = match key {
            "year" => "f.year",
            "amount" => "f.funds_annual_total",
            "updated" => "f.updated_at",
            "status" => "f.status",
            _ => "f.name",
        };
        list.push(format!(
            " ORDER BY {column} {}, f.id LIMIT ",
            if desc { "DESC" } else { "ASC" }
        ));
        list.push_bind(per_page)
            .push(" OFFSET ")
            .push_bind((page - 1) * per_page);
        let rows = list.build().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(row_from)
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
            annual_total_sum: Money::from_fen(sum),
        })
    }

    pub(crate) async fn do_create_form(
        &self,
        form: &Form,
        unit_id: Option<&str>,
        actor: &str,
    ) -> Result<String, StoreError> {
        let mut ids = self
            .do_create_forms(std::slice::from_ref(form), unit_id, actor)
            .await?;
        Ok(ids.remove(0))
    }

    /// Creates forms (version 1, draft) for a unit, all in one transaction: one that exists
    /// already refuses them all.
    pub(crate) async fn do_create_forms(
        &self,
        forms: &[Form],
        unit_id: Option<&str>,
        actor: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let t = now();
        let mut ids = Vec::with_capacity(forms.len());
        let mut library = crate::library::Facts::new();
        for form in forms {
            let mut f = form.clone();
            f.id = None;
            for i in &mut f.indicators {
                i.id = None;
            }
            let exists: Option<String> = sqlx::query_scalar(
                "SELECT id FROM forms WHERE year = ? AND implementer = ? AND name = ?",
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
            let id = crate::sqlite::new_id();
            f.id = Some(id.clone());
            let d = crate::sqlite::write_forms(&mut tx, std::slice::from_ref(&f), &t).await?;
            crate::library::merge(&mut library, d);
            sqlx::query("UPDATE forms SET unit_id = ?, updated_by = ? WHERE id = ?")
                .bind(unit_id)
                .bind(actor)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            ids.push(id);
        }
        crate::library::apply(&mut tx, library).await?;
        tx.commit().await?;
        Ok(ids)
    }

    pub(crate) async fn do_save_form(
        &self,
        id: &str,
        base: i64,
        expected: Status,
        form: &Form,
        st: Status,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some((current, now_status, by, at)): Option<(i64, String, Option<String>, String)> =
            sqlx::query_as(
                "SELECT version, status, updated_by, updated_at FROM forms WHERE id = ?",
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
            "SELECT id FROM forms WHERE year = ? AND implementer = ? AND name = ? AND id <> ?",
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
        let d = crate::sqlite::write_forms(&mut tx, std::slice::from_ref(&f), &t).await?;
        crate::library::apply(&mut tx, d).await?;
        sqlx::query("UPDATE forms SET status = ?, updated_by = ? WHERE id = ?")
            .bind(st.name())
            .bind(actor)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(current + 1)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn do_transition(
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let t = now();
        let changed = sqlx::query(
            "UPDATE forms SET status = ? WHERE id = ? AND status = ? AND (? IS NULL OR version = ?)",
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
                "SELECT status, version, updated_by, updated_at FROM forms WHERE id = ?",
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
             VALUES (?, (SELECT version FROM forms WHERE id = ?), ?, ?, ?, ?, ?, ?, ?) RETURNING *",
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
        tx.commit().await?;
        Ok(tr)
    }

    pub(crate) async fn do_transitions(&self, id: &str) -> Result<Vec<Transition>, StoreError> {
        let rows = sqlx::query("SELECT * FROM transitions WHERE form_id = ? ORDER BY seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(transition_from).collect()
    }

    pub(crate) async fn do_handled_by(&self, actor: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT form_id FROM transitions WHERE actor = ? GROUP BY form_id ORDER BY max(seq) DESC")
            .bind(actor)
            .fetch_all(&self.pool)
            .await?)
    }

    pub(crate) async fn do_versions(&self, id: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let Some((current, by, at)): Option<(i64, Option<String>, String)> =
            sqlx::query_as("SELECT version, updated_by, updated_at FROM forms WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Err(StoreError::NotFound(id.to_string()));
        };
        let rows = sqlx::query("SELECT version, created_by, created_at FROM form_versions WHERE form_id = ? AND version < ? ORDER BY version")
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

    pub(crate) async fn do_version_form(
        &self,
        id: &str,
        version: i64,
    ) -> Result<Option<Form>, StoreError> {
        let current: Option<i64> = sqlx::query_scalar("SELECT version FROM forms WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        if current == Some(version) {
            let mut conn = self.pool.acquire().await?;
            return load_form(&mut conn, id).await;
        }
        let snap: Option<String> = sqlx::query_scalar(
            "SELECT snapshot FROM form_versions WHERE form_id = ? AND version = ?",
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

    pub(crate) async fn do_audit_search(
        &self,
        q: &crate::AuditQuery,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
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

    pub(crate) async fn do_audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.do_audit_search(&crate::AuditQuery {
            limit,
            ..crate::AuditQuery::default()
        })
        .await
    }
}

/// Keeps a password's hash in the user's history, and only the last few.
async fn remember_password(
    tx: &mut sqlx::SqliteConnection,
    user_id: &str,
    hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO password_history (user_id, hash, set_at) VALUES (?, ?, ?)")
        .bind(user_id)
        .bind(hash)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM password_history WHERE user_id = ? AND rowid NOT IN \
         (SELECT rowid FROM password_history WHERE user_id = ? ORDER BY set_at DESC, rowid DESC LIMIT ?)",
    )
    .bind(user_id)
    .bind(user_id)
    .bind(jixiao_core::password::HISTORY as i64)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
