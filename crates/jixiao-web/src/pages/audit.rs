//! The audit log for the audit administrator (`/audit`): filters by person, action, form and time, names
//! instead of IDs, Beijing time, and the same selection as a CSV file.

use super::{error_page, form_urlencoded, layout, PageUser};
use crate::api::{percent_encode, require};
use crate::auth::{beijing, Auth};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jixiao_core::workflow::Role;
use jixiao_store::{AuditEntry, AuditQuery};
use maud::html;
use serde::Deserialize;
use std::collections::HashMap;

/// Every action the log records, in words.
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("login_failed", "登录失败"),
    ("login_locked", "锁定期间尝试登录"),
    ("login_disabled", "停用账户尝试登录"),
    ("login_refused", "拒绝非本站登录请求"),
    ("logout", "退出"),
    ("logout_everywhere", "退出所有设备"),
    ("totp_enrolled", "启用动态口令"),
    ("login_totp_failed", "动态口令错误"),
    ("request_refused", "请求被拒绝（无权限、不在范围或冲突）"),
    ("password_change", "修改密码"),
    ("password_change_failed", "修改密码失败"),
    ("user_create", "新建用户"),
    ("user_reset_password", "重置密码"),
    ("user_unlock", "解锁账户"),
    ("user_disable", "停用账户"),
    ("user_enable", "启用账户"),
    ("user_reset_totp", "重置动态口令"),
    ("grant_request", "提出授权申请"),
    ("grant_approve", "批准授权"),
    ("grant_reject", "拒绝授权"),
    ("grant_withdraw", "撤回授权申请"),
    ("audit_export", "导出审计日志"),
    ("audit_retention", "设定审计日志保存期限"),
    ("audit_purge", "清理过期审计日志"),
    ("org_create", "新建组织"),
    ("user_update", "修改用户"),
    ("org_update", "修改组织"),
    ("form_assign", "申报表归属"),
    ("library_curate", "维护指标库"),
    ("document_upload", "上传佐证材料"),
    ("rules_save", "保存审核规则"),
    ("form_create", "新建申报表"),
    ("form_copy", "复制申报表"),
    ("form_save", "保存申报表"),
    ("forms_import", "导入申报表"),
    ("form_submit", "送审"),
    ("form_withdraw", "撤回"),
    ("form_return", "退回"),
    ("form_approve", "审核通过"),
    ("form_publish", "公开"),
    ("form_export", "下载申报表"),
    ("forms_summary", "下载汇总表"),
    ("monitoring_save", "保存监控数据"),
    ("monitoring_export", "下载监控表"),
    ("self_evaluation_save", "保存自评"),
    ("self_evaluation_submit", "自评送审"),
    ("self_evaluation_withdraw", "撤回自评"),
    ("self_evaluation_return", "退回自评"),
    ("self_evaluation_approve", "自评审核通过"),
    ("score_export", "下载自评表"),
];

fn action_label(a: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(k, _)| *k == a)
        .map(|(_, l)| *l)
        .unwrap_or(a)
}

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    /// Part of a form's name, or its ID.
    #[serde(default)]
    form: String,
    /// Beijing dates, `YYYY-MM-DD`, both included.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
    /// After a change to the retention (`retention`, `purged`): the page says so.
    #[serde(default)]
    done: String,
    #[serde(default)]
    n: String,
}

/// A Beijing date's first instant, in the log's UTC form.
fn beijing_midnight(date: &str, what: &str, days_after: i64) -> Result<Option<String>, ApiError> {
    let d = date.trim();
    if d.is_empty() {
        return Ok(None);
    }
    let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(
            format!("{what}“{d}”不是日期（如 2026-11-27）"),
            format!("{what} “{d}” is not a date (like 2026-11-27)"),
        )
    })?;
    let start = (day + chrono::Duration::days(days_after))
        .and_hms_opt(0, 0, 0)
        .map(|t| t - chrono::Duration::hours(8));
    Ok(start.map(|t| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }))
}

async fn search(
    state: &AppState,
    auth: &Auth,
    f: &Filters,
    limit: i64,
) -> Result<
    (
        Vec<AuditEntry>,
        HashMap<String, String>,
        HashMap<String, String>,
    ),
    ApiError,
> {
    require(auth, Role::AuditAdmin)?;
    let forms = state.store.list().await?;
    let form_names: HashMap<String, String> = forms
        .iter()
        .map(|r| (r.id.clone(), format!("{}（{}年度）", r.name, r.year)))
        .collect();
    let targets = match f.form.trim() {
        "" => None,
        t => Some(
            forms
                .iter()
                .filter(|r| r.id == t || r.name.contains(t))
                .map(|r| r.id.clone())
                .collect(),
        ),
    };
    let q = AuditQuery {
        actor: Some(f.actor.trim().to_string()),
        action: Some(f.action.trim().to_string()),
        targets,
        from: beijing_midnight(&f.from, "起始日期", 0)?,
        until: beijing_midnight(&f.to, "截止日期", 1)?,
        limit,
    };
    let entries = state.store.audit_search(&q).await?;
    let people = super::people(state).await?;
    Ok((entries, people, form_names))
}

fn target_text(
    e: &AuditEntry,
    people: &HashMap<String, String>,
    forms: &HashMap<String, String>,
) -> String {
    if let Some(f) = forms.get(&e.target) {
        return f.clone();
    }
    match people.get(&e.target) {
        Some(name) => format!("{name}（{}）", e.target),
        None => e.target.clone(),
    }
}

/// A transition's detail (`draft → submitted`) in words (`草稿 → 已送审`); other details as kept.
fn detail_text(d: &str) -> String {
    match d.split_once(" → ") {
        Some((a, b)) => match (
            jixiao_core::workflow::Status::from_name(a),
            jixiao_core::workflow::Status::from_name(b),
        ) {
            (Some(a), Some(b)) => format!("{} → {}", a.chinese(), b.chinese()),
            _ => d.to_string(),
        },
        None => d.to_string(),
    }
}

fn person(actor: &str, people: &HashMap<String, String>) -> String {
    match people.get(actor) {
        Some(name) => format!("{name}（{actor}）"),
        None => actor.to_string(),
    }
}

/// `GET /audit` (and `?format=csv`: the same selection as a file).
pub async fn page(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(f): Query<Filters>,
) -> Response {
    let message = match f.done.as_str() {
        "retention" => Some(Ok("已保存审计日志的保存期限".to_string())),
        "purged" => Some(Ok(format!(
            "已清理超过保存期限的记录 {} 条；其余记录仍可校验",
            f.n.parse::<u64>().unwrap_or(0)
        ))),
        _ => None,
    };
    render(&state, &auth, &f, message).await
}

async fn render(
    state: &AppState,
    auth: &Auth,
    f: &Filters,
    message: Option<Result<String, ApiError>>,
) -> Response {
    let state = state.clone();
    let user = Some((&auth.user, auth.csrf.as_str()));
    let csv = f.format == "csv";
    let (entries, people, forms) =
        match search(&state, auth, f, if csv { 10_000 } else { 500 }).await {
            Ok(x) => x,
            Err(e) => return error_page(user, &e),
        };
    if csv {
        let mut out = String::from("\u{feff}时间（北京时间）,人员,地址,操作,对象,详情\r\n");
        for e in &entries {
            let row = [
                beijing(&e.at),
                person(&e.actor, &people),
                e.ip.clone(),
                action_label(&e.action).to_string(),
                target_text(e, &people, &forms),
                detail_text(&e.detail),
            ];
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            out.push_str(&jixiao_export::csv_line(&cells));
        }
        crate::auth::audit(
            &state,
            &auth.user.username,
            &auth.ip,
            "audit_export",
            "",
            &format!("{} entries", entries.len()),
        )
        .await;
        return (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"audit.csv\"; filename*=UTF-8''{}",
                        percent_encode("审计日志.csv")
                    ),
                ),
            ],
            out,
        )
            .into_response();
    }
    let mut people_sorted: Vec<(&String, &String)> = people.iter().collect();
    people_sorted.sort();
    let export = form_urlencoded(&[
        ("actor", &f.actor),
        ("action", &f.action),
        ("form", &f.form),
        ("from", &f.from),
        ("to", &f.to),
        ("format", "csv"),
    ]);
    let retention = match crate::api::retention_json(&state).await {
        Ok(r) => r,
        Err(e) => return error_page(user, &e),
    };
    let status = match &message {
        Some(Err(e)) => e.status,
        _ => axum::http::StatusCode::OK,
    };
    let body = html! {
        h1 { "审计日志" }
        @match &message {
            Some(Ok(text)) => p class="ok" role="status" { (text) },
            Some(Err(e)) => p class="error" role="alert" { (e.message) },
            None => {},
        }
        form method="get" action="/audit" class="filters compare" {
            label for="a-actor" { "人员" }
            select id="a-actor" name="actor" {
                option value="" { "全部" }
                @for (u, name) in &people_sorted { option value=(u) selected[f.actor == **u] { (name) "（" (u) "）" } }
            }
            label for="a-action" { "操作" }
            select id="a-action" name="action" {
                option value="" { "全部" }
                @for (k, l) in ACTIONS { option value=(k) selected[f.action == *k] { (l) } }
            }
            label for="a-form" { "申报表（名称或 ID）" } input id="a-form" name="form" value=(f.form);
            label for="a-from" { "从" } input id="a-from" name="from" type="date" value=(f.from);
            label for="a-to" { "到" } input id="a-to" name="to" type="date" value=(f.to);
            button type="submit" { "筛选" }
            a class="button" href={ "/audit?" (export) } download { "导出 CSV" }
        }
        p role="status" { "共 " (entries.len()) " 条" @if entries.len() == 500 { "（只显示最新 500 条；导出可得最多 10,000 条）" } "，时间为北京时间。" " " a href="#retention-h" { "保存期限与清理" } }
        table class="list audit" {
            thead { tr { th scope="col" { "时间" } th scope="col" { "人员" } th scope="col" { "地址" } th scope="col" { "操作" } th scope="col" { "对象" } th scope="col" { "详情" } } }
            tbody { @for e in entries.iter() { tr {
                td class="num" { (beijing(&e.at)) }
                td { (person(&e.actor, &people)) }
                td { (e.ip) }
                td class={ "act " (e.action) } { (action_label(&e.action)) }
                // A form by its name only: its content is not the audit administrator's.
                td { (target_text(e, &people, &forms)) }
                td { (detail_text(&e.detail)) }
            } } }
        }
        section aria-labelledby="retention-h" {
            h2 id="retention-h" { "保存期限与清理" }
            p class="muted" {
                "审计日志至少保存 " (jixiao_core::duties::AUDIT_RETENTION_MIN_DAYS) " 天（六个月，网络安全法第二十一条）。清理只删除超过保存期限的最早记录；最后一条被清理的记录成为校验链的起点，其余记录仍可用 jixiao audit verify 校验；清理本身记入日志。数据库拒绝删除 "
                (jixiao_core::duties::AUDIT_RETENTION_MIN_DAYS) " 天内的记录。"
            }
            p {
                "现行：" @match retention["days"].as_i64() { Some(d) => { "保存 " (d) " 天" }, None => "全部保留（未设定期限）" }
                @if let Some(at) = retention["oldest_at"].as_str() { "；最早的记录：" (beijing(at)) }
                @if let Some(s) = retention["anchor_seq"].as_i64() { "；已清理第 " (s) " 条及之前的记录" }
            }
            form method="post" action="/audit/retention" class="inline" {
                input type="hidden" name="_csrf" value=(auth.csrf);
                label for="r-days" { "保存天数（至少 " (jixiao_core::duties::AUDIT_RETENTION_MIN_DAYS) "，留空为全部保留）" }
                " "
                input id="r-days" name="days" type="number" min=(jixiao_core::duties::AUDIT_RETENTION_MIN_DAYS) max=(jixiao_core::duties::AUDIT_RETENTION_MAX_DAYS) value=[retention["days"].as_i64()] size="8";
                " "
                button type="submit" { "保存期限" }
            }
            @if retention["days"].as_i64().is_some() {
                form method="post" action="/audit/purge" class="inline" {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    button type="submit" data-confirm="确认清理超过保存期限的审计记录？清理后不能恢复（导出的 CSV 和备份除外）。" { "清理过期记录" }
                }
            }
        }
    };
    (status, layout("审计日志", user, "/audit", body)).into_response()
}

#[derive(Deserialize)]
pub struct RetentionFields {
    #[serde(default)]
    days: String,
}

/// `POST /audit/retention`: how long the log is kept (empty: everything).
pub async fn retention(
    State(state): State<AppState>,
    post: super::PagePost<RetentionFields>,
) -> Response {
    let days = match post.form.days.trim() {
        "" => Ok(None),
        d => d.parse::<i64>().map(Some).map_err(|_| {
            ApiError::bad_request(
                format!("保存天数“{d}”不是整数"),
                format!("the days “{d}” are not a whole number"),
            )
        }),
    };
    let result = match days {
        Ok(d) => crate::api::set_retention(&state, &post.auth, d).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => axum::response::Redirect::to("/audit?done=retention#retention-h").into_response(),
        Err(e) => render(&state, &post.auth, &Filters::default(), Some(Err(e))).await,
    }
}

/// `POST /audit/purge`: the entries past the retention deleted.
pub async fn purge(State(state): State<AppState>, post: super::PagePost<Empty>) -> Response {
    match crate::api::purge_audit_log(&state, &post.auth).await {
        Ok((n, _)) => {
            axum::response::Redirect::to(&format!("/audit?done=purged&n={n}#retention-h"))
                .into_response()
        }
        Err(e) => render(&state, &post.auth, &Filters::default(), Some(Err(e))).await,
    }
}

/// A form post with no fields but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}
