//! Separation of duties (三权分立) on the pages: the security administrator's page
//! (`/security`: roles, the review rule set, the policies in force) and the grants waiting
//! for approval (`/grants`, 授权审批, for the system and the security administrator).

use super::{error_page, form_urlencoded, layout, role_label, PagePost, PageUser};
use crate::api::{require, require_any, Outcome, ACCOUNT_KEEPERS};
use crate::auth::{beijing, Auth};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jixiao_core::duties::{check_decision, GrantStatus};
use jixiao_core::workflow::Role;
use maud::html;
use std::collections::HashMap;

#[derive(serde::Deserialize, Default)]
pub struct DoneParams {
    /// What was just done (`edited`, `asked`, `approved`, `rejected`, `withdrawn`) …
    done: Option<String>,
    /// … to whom: said only of an account or a grant that exists.
    who: Option<String>,
}

/// A message after a redirect, about an account or a grant that exists (a crafted link
/// cannot make the page claim anything about anyone else).
async fn done_message(state: &AppState, p: &DoneParams) -> Option<Result<String, ApiError>> {
    let (done, who) = (p.done.as_deref()?, p.who.as_deref()?);
    let users = state.store.users().await.ok()?;
    let grants = state.store.grants(false, 200).await.ok()?;
    if !users.iter().any(|u| u.username == who) && !grants.iter().any(|g| g.username == who) {
        return None;
    }
    Some(Ok(match done {
        "edited" => format!("已修改 {who} 的角色或组织；其现有会话已结束"),
        "asked" => format!("已提交对 {who} 的授权申请，待另一位管理员批准后生效"),
        "approved" => format!("已批准对 {who} 的授权，已生效"),
        "rejected" => format!("已拒绝对 {who} 的授权申请"),
        "withdrawn" => format!("已撤回对 {who} 的授权申请"),
        _ => return None,
    }))
}

fn message_html(message: &Option<Result<String, ApiError>>) -> maud::Markup {
    html! {
        @match message {
            Some(Ok(text)) => p class="ok" role="status" { (text) },
            Some(Err(e)) => p class="error" role="alert" { (e.message) },
            None => {},
        }
    }
}

fn status_of(message: &Option<Result<String, ApiError>>) -> axum::http::StatusCode {
    match message {
        Some(Err(e)) => e.status,
        _ => axum::http::StatusCode::OK,
    }
}

/// `GET /security` (the security administrator).
pub async fn security(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(p): Query<DoneParams>,
) -> Response {
    let message = done_message(&state, &p).await;
    render_security(&state, &auth, message).await
}

async fn render_security(
    state: &AppState,
    auth: &Auth,
    message: Option<Result<String, ApiError>>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = require(auth, Role::Security) {
        return error_page(user, &e);
    }
    let loaded = async {
        Ok::<_, ApiError>((
            state.store.users().await?,
            state.store.orgs().await?,
            state.store.grants(true, 1000).await?,
            crate::api::rule_set(state).await?,
        ))
    }
    .await;
    let (users, orgs, pending, rules) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(user, &e),
    };
    let org_name: HashMap<&str, &str> = orgs
        .iter()
        .map(|o| (o.id.as_str(), o.name.as_str()))
        .collect();
    let active = rules.codes();
    let severity_of = |code: &str| rules.severity_of(code);
    let cfg = &state.config;
    let body = html! {
        h1 { "安全管理" }
        p class="muted" { "安全管理员：角色、授权审批、审核规则和安全策略。不能查看申报表，不能新建账户，也不能给自己授权（三权分立）。" }
        (message_html(&message))
        section aria-labelledby="pending-h" {
            h2 id="pending-h" { "待审批的授权" }
            @if pending.is_empty() { p class="empty" { "没有待审批的授权申请。" } }
            @else { p { a href="/grants" { "待审批的授权：" (pending.len()) " 项，去审批" } } }
        }
        section aria-labelledby="roles-h" {
            h2 id="roles-h" { "用户和角色（" (users.len()) "）" }
            p class="muted" { "角色须与组织类型相符。改为或改离财政、管理员、审计角色须由系统管理员在“授权审批”中批准后生效；其余角色变更立即生效。账户的会话随之结束。" }
            table class="list" {
                thead { tr { th scope="col" { "用户名" } th scope="col" { "姓名" } th scope="col" { "角色" } th scope="col" { "所属组织" } th scope="col" { "变更角色" } } }
                tbody { @for u in &users { tr {
                    td { (u.username) } td { (u.display_name) } td { (role_label(u.role)) }
                    td { (u.org_id.as_deref().and_then(|o| org_name.get(o).copied()).unwrap_or("")) }
                    td {
                        @if u.id == auth.user.id { span class="muted" { "（不能变更自己的角色）" } }
                        @else {
                            form method="post" action={ "/security/users/" (u.id) } class="inline" {
                                input type="hidden" name="_csrf" value=(auth.csrf);
                                select name="role" aria-label={ "“" (u.username) "”的角色" } {
                                    @for r in Role::ALL { option value=(r.name()) selected[r == u.role] { (role_label(r)) @if r != u.role && jixiao_core::duties::needs_approval(Some(u.role), r) { "（须审批）" } } }
                                }
                                " "
                                select name="org_id" aria-label={ "“" (u.username) "”的组织" } {
                                    option value="" { "（无）" }
                                    @for o in &orgs { option value=(o.id) selected[u.org_id.as_deref() == Some(o.id.as_str())] { (o.name) } }
                                }
                                " "
                                button type="submit" aria-label={ "保存“" (u.username) "”的角色" } data-confirm={ "确认变更“" (u.username) "”的角色？其现有会话将结束。" } { "保存" }
                            }
                        }
                    }
                } } }
            }
        }
        section aria-labelledby="rules-h" {
            h2 id="rules-h" { "审核规则" }
            p class="muted" { "本辖区的规则集：启用、停用、调整级别。保存后对所有服务器立即生效，并记入审计日志。" }
            form method="post" action="/security/rules" {
                input type="hidden" name="_csrf" value=(auth.csrf);
                table class="list" {
                    thead { tr { th scope="col" { "代码" } th scope="col" { "规则" } th scope="col" { "默认级别" } th scope="col" { "启用" } th scope="col" { "级别" } } }
                    tbody {
                        @for r in jixiao_core::review::registry() {
                            @let on = active.contains(&r.code);
                            @let sev = severity_of(r.code).unwrap_or(r.severity);
                            tr {
                                td class="code" { (r.code) } td { (r.title) } td { (r.severity.chinese()) }
                                td { input type="checkbox" name={ "on_" (r.code) } aria-label={ "启用 " (r.code) } checked[on]; }
                                td { select name={ "sev_" (r.code) } aria-label={ (r.code) " 级别" } {
                                    @for s in [jixiao_core::review::Severity::Error, jixiao_core::review::Severity::Warning, jixiao_core::review::Severity::Hint] {
                                        option value=(s.name()) selected[s == sev] { (s.chinese()) }
                                    }
                                } }
                            }
                        }
                    }
                }
                button type="submit" class="primary" { "保存规则集" }
            }
        }
        section aria-labelledby="policy-h" {
            h2 id="policy-h" { "口令与登录策略（现行）" }
            p class="muted" { "由服务器配置文件设定（jixiao serve --config），所有服务器相同；修改须由服务器运维人员进行。" }
            table class="list" {
                tbody {
                    tr { th scope="row" { "密码" } td { "10–200 个字符，至少包含小写字母、大写字母、数字、其他字符中的三种；不能包含用户名；不能与最近 " (jixiao_core::password::HISTORY) " 次相同；管理员设定的密码须在首次登录时修改" } }
                    tr { th scope="row" { "登录失败锁定" } td { "连续失败 " (cfg.max_failed_logins) " 次后锁定 " (cfg.lockout().num_minutes().max(1)) " 分钟（按用户名；同一地址为其 " (crate::auth::ADDRESS_FACTOR) " 倍）" } }
                    tr { th scope="row" { "会话" } td { "登录 " (cfg.session_minutes) " 分钟后结束；闲置 " (cfg.idle().num_minutes().max(1)) " 分钟后结束" } }
                    tr { th scope="row" { "动态口令" } td { "须启用的角色：" @for (i, r) in Role::ALL.iter().filter(|r| r.privileged()).enumerate() { @if i > 0 { "、" } (role_label(*r)) } } }
                }
            }
        }
    };
    (
        status_of(&message),
        layout("安全管理", user, "/security", body),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct RoleFields {
    role: String,
    #[serde(default)]
    org_id: String,
}

/// `POST /security/users/{id}`: a user's role and organisation (the name stays).
pub async fn security_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<RoleFields>,
) -> Response {
    let f = post.form;
    let result = async {
        let role = Role::from_name(&f.role)
            .ok_or_else(|| ApiError::bad_request("未知角色", "unknown role"))?;
        let old = state
            .store
            .users()
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or_else(ApiError::not_found)?;
        crate::api::change_user(
            &state,
            &post.auth,
            &id,
            crate::api::UserEdit {
                display_name: old.display_name,
                role,
                org_id: Some(f.org_id),
            },
        )
        .await
    }
    .await;
    match result {
        Ok(Outcome::Done(u)) => Redirect::to(&format!(
            "/security?{}#roles-h",
            form_urlencoded(&[("done", "edited"), ("who", &u.username)])
        ))
        .into_response(),
        Ok(Outcome::Pending(g)) => Redirect::to(&format!(
            "/security?{}",
            form_urlencoded(&[("done", "asked"), ("who", &g.username)])
        ))
        .into_response(),
        Err(e) => render_security(&state, &post.auth, Some(Err(e))).await,
    }
}

/// `POST /security/rules`: the rule set from the table of checkboxes and severities.
pub async fn security_rules(
    State(state): State<AppState>,
    post: PagePost<HashMap<String, String>>,
) -> Response {
    use jixiao_core::review::{RuleConfig, RuleOverride, Severity};
    let f = &post.form;
    let mut config = RuleConfig::default();
    for r in jixiao_core::review::registry() {
        let enabled = f.contains_key(&format!("on_{}", r.code));
        let severity = f
            .get(&format!("sev_{}", r.code))
            .and_then(|s| Severity::from_name(s));
        if !enabled || severity.is_some_and(|s| s != r.severity) {
            config.rules.insert(
                r.code.to_string(),
                RuleOverride {
                    enabled: Some(enabled),
                    severity: severity.filter(|s| *s != r.severity),
                },
            );
        }
    }
    let result = crate::api::save_rule_config(&state, &post.auth, &config)
        .await
        .map(|_| "已保存规则集".to_string());
    render_security(&state, &post.auth, Some(result)).await
}

/// `GET /grants`: the grants waiting for approval and the latest decided (授权审批).
pub async fn grants(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(p): Query<DoneParams>,
) -> Response {
    let message = done_message(&state, &p).await;
    render_grants(&state, &auth, message).await
}

async fn render_grants(
    state: &AppState,
    auth: &Auth,
    message: Option<Result<String, ApiError>>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = require_any(auth, &ACCOUNT_KEEPERS) {
        return error_page(user, &e);
    }
    let loaded = async {
        Ok::<_, ApiError>((
            state.store.grants(false, 200).await?,
            super::people(state).await?,
            state.store.orgs().await?,
        ))
    }
    .await;
    let (all, people, orgs) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(user, &e),
    };
    let org_name: HashMap<&str, &str> = orgs
        .iter()
        .map(|o| (o.id.as_str(), o.name.as_str()))
        .collect();
    let person = |u: &str| match people.get(u) {
        Some(n) => format!("{n}（{u}）"),
        None => u.to_string(),
    };
    let (pending, decided): (Vec<_>, Vec<_>) =
        all.iter().partition(|g| g.status == GrantStatus::Pending);
    let me = (auth.user.username.as_str(), auth.user.role);
    let body = html! {
        h1 { "授权审批" }
        p class="muted" { "新建或改为财政、管理员、审计角色的账户，改离这些角色，以及重置这些账户的密码或动态口令，须由另一职责的管理员批准后才生效：系统管理员提出的由安全管理员审批，安全管理员提出的由系统管理员审批。不能审批自己提出的申请，也不能审批给自己的授权；申请人可以撤回。批准后该账户的现有会话结束，新角色在其下次登录时生效。" }
        (message_html(&message))
        section aria-labelledby="pending-h" {
            h2 id="pending-h" { "待审批的授权（" (pending.len()) "）" }
            @if pending.is_empty() { p class="empty" { "没有待审批的授权申请。" } } @else {
                table class="list grants" {
                    thead { tr { th scope="col" { "申请时间" } th scope="col" { "申请人" } th scope="col" { "内容" } th scope="col" { "账户" } th scope="col" { "组织" } th scope="col" { "审批" } } }
                    tbody { @for g in &pending {
                        @let own = g.requested_by == me.0;
                        @let may = check_decision(me, (&g.requested_by, g.requester_role), &g.username, false);
                        tr {
                            td class="num" { (beijing(&g.requested_at)) }
                            td { (person(&g.requested_by)) }
                            td { (crate::api::grant_words(g)) }
                            td { (g.display_name) "（" (g.username) "）" }
                            td { (g.org_id.as_deref().and_then(|o| org_name.get(o).copied()).unwrap_or("")) }
                            td {
                                form method="post" action={ "/grants/" (g.id) } class="inline" {
                                    input type="hidden" name="_csrf" value=(auth.csrf);
                                    @if may.is_ok() {
                                        label class="visually-hidden" for={ "c-" (g.id) } { "对“" (g.username) "”的审批意见" }
                                        input id={ "c-" (g.id) } name="comment" placeholder="意见（可不填）" size="12";
                                        " "
                                        button type="submit" name="decision" value="approve" aria-label={ "批准对“" (g.username) "”的授权" } data-confirm={ "确认批准：" (crate::api::grant_words(g)) "？" } { "批准" }
                                        " "
                                        button type="submit" name="decision" value="reject" aria-label={ "拒绝对“" (g.username) "”的授权" } { "拒绝" }
                                    } @else if own {
                                        span class="muted" { "待" (jixiao_core::duties::approver_for(g.requester_role).map(|r| r.chinese()).unwrap_or("安全管理员")) "审批 " }
                                        button type="submit" name="decision" value="reject" aria-label={ "撤回对“" (g.username) "”的授权申请" } { "撤回" }
                                    } @else if let Err(e) = &may {
                                        span class="muted" { (e.to_string().split(" / ").next().unwrap_or("")) }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        }
        section aria-labelledby="decided-h" {
            h2 id="decided-h" { "最近的审批记录" }
            @if decided.is_empty() { p class="empty" { "还没有审批记录。" } } @else {
                table class="list grants" {
                    thead { tr { th scope="col" { "申请时间" } th scope="col" { "申请人" } th scope="col" { "内容" } th scope="col" { "结果" } th scope="col" { "审批人" } th scope="col" { "审批时间" } th scope="col" { "意见" } } }
                    tbody { @for g in &decided { tr {
                        td class="num" { (beijing(&g.requested_at)) }
                        td { (person(&g.requested_by)) }
                        td { (crate::api::grant_words(g)) }
                        td { span class={ "badge " @if g.status == GrantStatus::Approved { "ok" } @else { "bad" } } {
                            @if g.status == GrantStatus::Rejected && g.decided_by.as_deref() == Some(g.requested_by.as_str()) { "已撤回" } @else { (g.status.chinese()) }
                        } }
                        td { (g.decided_by.as_deref().map(person).unwrap_or_default()) }
                        td class="num" { (g.decided_at.as_deref().map(beijing).unwrap_or_default()) }
                        td { (g.comment) }
                    } } }
                }
            }
        }
    };
    (
        status_of(&message),
        layout("授权审批", user, "/grants", body),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct DecisionFields {
    decision: String,
    #[serde(default)]
    comment: String,
}

/// `POST /grants/{id}`: approve or reject (or, for the requester, withdraw) a grant.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<DecisionFields>,
) -> Response {
    let f = post.form;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            let e = ApiError::bad_request(
                format!("未知操作“{other}”"),
                format!("unknown decision “{other}”"),
            );
            return render_grants(&state, &post.auth, Some(Err(e))).await;
        }
    };
    match crate::api::decide_grant(&state, &post.auth, &id, approve, &f.comment).await {
        Ok(g) => {
            let done = if approve {
                "approved"
            } else if g.requested_by == post.auth.user.username {
                "withdrawn"
            } else {
                "rejected"
            };
            Redirect::to(&format!(
                "/grants?{}",
                form_urlencoded(&[("done", done), ("who", &g.username)])
            ))
            .into_response()
        }
        Err(e) => render_grants(&state, &post.auth, Some(Err(e))).await,
    }
}
