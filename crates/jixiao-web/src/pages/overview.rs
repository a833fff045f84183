//! Dashboards (per department and for the whole jurisdiction) with charts drawn as SVG on the
//! server, and the administration page. Charts label every bar with its value, so they read
//! without colour.

use super::{error_page, layout, PagePost, PageUser};
use crate::api::{add_org, add_user, require, scope, NewOrg, NewUser, Outcome};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jixiao_core::score::Grade;
use jixiao_core::workflow::{Role, Status};
use jixiao_store::ListQuery;
use maud::{html, Markup, PreEscaped};
use std::collections::{BTreeMap, HashMap};

/// A horizontal bar chart: each bar with its label and its value written beside it (`size`
/// only draws the bar; the value shown is `text`, exact). A bar chart whose bars lead to the forms behind them (`links`, one per bar, or none) and
/// carry a class (`red`, `yellow`) where their colour means something.
fn bar_chart(
    title: &str,
    bars: &[(String, f64, String)],
    links: &[String],
    classes: &[&str],
) -> Markup {
    // Sized in the units the chart is drawn in: at the usual width the text reads at 14–16 px.
    let row = 34.0;
    let label_w = 300.0;
    let bar_w = 380.0;
    let height = row * bars.len().max(1) as f64 + 10.0;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1e-9);
    html! {
        figure class="chart" {
            figcaption { (title) }
            svg role="img" aria-label=(title) viewBox={ "0 0 " (label_w + bar_w + 170.0) " " (height) } width="100%" {
                title { (title) }
                @for (k, (label, size, text)) in bars.iter().enumerate() {
                    @let y = 5.0 + row * k as f64;
                    @let w = (size / max * bar_w).max(if *size > 0.0 { 2.0 } else { 0.0 });
                    @let bar = html! {
                        g class={ "bar " (classes.get(k).copied().unwrap_or("")) } {
                            text x=(label_w - 8.0) y=(y + 22.0) text-anchor="end" class="label" { (shorten(label, 15)) }
                            rect x=(label_w) y=(y + 4.0) width=(w) height=(row - 10.0) {}
                            text x=(label_w + w + 6.0) y=(y + 22.0) class="value" { (text) }
                        }
                    };
                    @match links.get(k) {
                        Some(href) => a href=(href) { title { (label) "：" (text) } (bar) },
                        None => (bar),
                    }
                }
            }
        }
    }
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

#[derive(serde::Deserialize, Default)]
pub struct DashParams {
    department: Option<String>,
    year: Option<String>,
}

/// `GET /dashboard`: the user's scope (a department's units, or the whole jurisdiction),
/// optionally one department.
pub async fn dashboard(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(p): Query<DashParams>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let year = match p.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => {
                return error_page(
                    user,
                    &ApiError::bad_request(
                        format!("年度“{y}”不是数字"),
                        format!("the year “{y}” is not a number"),
                    ),
                )
            }
        },
    };
    let department = p.department.filter(|d| !d.is_empty());
    // The charts are the same for everyone with this scope and role until the forms or who
    // may see what change: kept as HTML against the change counters, as the list's pages are.
    let key = format!(
        "dashboard {:?} {:?} {department:?} {year:?}",
        scope(&auth.user),
        auth.user.role
    );
    let body = match state.cache.list(&key, auth.generations) {
        Some(html) => PreEscaped(String::from_utf8_lossy(&html).into_owned()),
        None => match build(&state, &auth, department, year).await {
            Ok(body) => {
                let html = axum::body::Bytes::from(body.0.clone());
                state.cache.keep_list(&key, auth.generations, html);
                body
            }
            Err(e) => return error_page(user, &e),
        },
    };
    layout("看板", user, "/dashboard", body).into_response()
}

async fn build(
    state: &AppState,
    auth: &Auth,
    department: Option<String>,
    year: Option<i32>,
) -> Result<Markup, ApiError> {
    crate::api::forms_duty(auth)?;
    let q = |status: Option<Status>, sort: &str, per_page: i64| ListQuery {
        grade: None,
        warnings: None,
        scope: scope(&auth.user),
        year,
        status,
        department: department.clone(),
        search: None,
        sort: sort.into(),
        page: 1,
        per_page,
        after: None,
        before: None,
    };
    let all = state.store.list_page(&q(None, "-amount", 15)).await?;
    let money_bars: Vec<(String, f64, String)> = all
        .items
        .iter()
        .map(|r| {
            let fen = r.annual_total.map(|m| m.fen()).unwrap_or(0);
            (
                r.name.clone(),
                fen as f64,
                format!(
                    "{} 元",
                    r.annual_total.map(|m| m.grouped()).unwrap_or_default()
                ),
            )
        })
        .collect();
    // Grades and warnings, counted by the database over every form in scope (the grade kept
    // with each self-evaluation, the warnings with each monitoring period): the same cost with
    // 100 forms or 100,000.
    let counts = state.store.dashboard(&q(None, "name", 1)).await?;
    let statuses: Vec<(String, f64, String)> = Status::ALL
        .iter()
        .map(|s| {
            let n = counts
                .statuses
                .iter()
                .find(|(name, _)| name == s.name())
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (s.chinese().to_string(), n as f64, format!("{n} 张"))
        })
        .collect();
    let grades: BTreeMap<&str, i64> = counts
        .grades
        .iter()
        .map(|(g, n)| (g.as_str(), *n))
        .collect();
    let by_month: BTreeMap<i64, (i64, i64)> = counts
        .warnings_by_month
        .iter()
        .map(|(m, r, y)| (*m, (*r, *y)))
        .collect();
    let title = match (&department, auth.user.role) {
        (Some(d), _) => format!("看板：{d}"),
        (None, Role::Department) => "看板：本部门".into(),
        (None, Role::Unit) => "看板：本单位".into(),
        _ => "看板：全辖区".into(),
    };
    // The portfolio list behind a bar: its own filter plus the dashboard's year and department.
    let list_link = |extra: &[(&str, &str)]| {
        let y = year.map(|y| y.to_string()).unwrap_or_default();
        let d = department.clone().unwrap_or_default();
        let mut pairs: Vec<(&str, &str)> = extra.to_vec();
        if !y.is_empty() {
            pairs.push(("year", &y));
        }
        if !d.is_empty() {
            pairs.push(("department", &d));
        }
        format!("/forms?{}", super::form_urlencoded(&pairs))
    };
    Ok(html! {
        h1 { (title) }
        form class="filters" method="get" action="/dashboard" {
            label { "年度 " input name="year" inputmode="numeric" size="6" value=[year]; }
            label { "主管部门 " input name="department" value=[department.as_deref()]; }
            button type="submit" { "查看" }
            a href="/dashboard" { "全部" }
        }
        p class="totals" { "共 " strong { (all.total) } " 张申报表，年度资金合计 " strong class="num" { (all.annual_total_sum.grouped()) } " 元" }
        div class="charts" {
            (bar_chart("各项目年度资金（前 15 个）", &money_bars, &all.items.iter().map(|r| format!("/forms/{}", r.id)).collect::<Vec<_>>(), &[]))
            (bar_chart("申报表状态", &statuses, &Status::ALL.iter().map(|s| list_link(&[("status", s.name())])).collect::<Vec<_>>(), &[]))
            (bar_chart("自评等级", &[Grade::Excellent, Grade::Good, Grade::Fair, Grade::Poor].iter().map(|g| {
                let n = grades.get(g.chinese()).copied().unwrap_or(0);
                (g.chinese().to_string(), n as f64, format!("{n} 个项目"))
            }).collect::<Vec<_>>(), &[Grade::Excellent, Grade::Good, Grade::Fair, Grade::Poor].iter().map(|g| list_link(&[("grade", g.chinese())])).collect::<Vec<_>>(), &[]))
            (bar_chart("各期预警（按期末月份；红灯 / 黄灯）", &by_month.iter().flat_map(|(m, (r, y))| [
                (format!("{m}月 红灯"), *r as f64, format!("{r} 条")),
                (format!("{m}月 黄灯"), *y as f64, format!("{y} 条")),
            ]).collect::<Vec<_>>(),
            &by_month.keys().flat_map(|_| [list_link(&[("warnings", "red")]), list_link(&[("warnings", "yellow")])]).collect::<Vec<_>>(),
            &by_month.keys().flat_map(|_| ["red", "yellow"]).collect::<Vec<_>>()))
        }
        p class="muted" { "点击柱条可列出其中的申报表；各项目的自评得分及每项得分的说明见其自评页。" }
    })
}

/// `GET /admin`: accounts, organisations, forms' owners (the system administrator).
#[derive(serde::Deserialize, Default)]
pub struct AdminParams {
    /// An account action just done (`reset-password`, `unlock`, `disable`, `enable`) …
    done: Option<String>,
    /// … to this user (or organisation): the page says so after the redirect.
    who: Option<String>,
    /// Forms to give to a unit: part of their name or implementer.
    fq: Option<String>,
}

pub async fn admin(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(p): Query<AdminParams>,
) -> Response {
    // Said only of an account or organisation that exists: a crafted link cannot make the
    // page claim anything about anyone else.
    let known = match p.who.as_deref() {
        Some(name) => {
            state
                .store
                .accounts()
                .await
                .map(|a| a.iter().any(|a| a.user.username == name))
                .unwrap_or(false)
                || state
                    .store
                    .grants(true, 1000)
                    .await
                    .map(|g| g.iter().any(|g| g.username == name))
                    .unwrap_or(false)
                || state
                    .store
                    .orgs()
                    .await
                    .map(|o| o.iter().any(|o| o.name == name))
                    .unwrap_or(false)
        }
        None => false,
    };
    let message = match (p.done.as_deref(), p.who.as_deref()) {
        (Some(action), Some(name)) if known => account_message(action, name).map(Ok),
        _ => None,
    };
    render_admin(&state, &auth, p.fq.as_deref(), message).await
}

/// What an account action did, in words (`None` for an unknown action).
fn account_message(action: &str, name: &str) -> Option<String> {
    Some(match action {
        "reset-password" => format!("已重置 {name} 的密码；其下次登录时须修改密码，现有会话已结束"),
        "unlock" => format!("已解锁 {name}"),
        "disable" => format!("已停用 {name}，其会话已结束"),
        "enable" => format!("已启用 {name}"),
        "reset-totp" => {
            format!("已重置 {name} 的动态口令，其会话已结束；如其角色需要，下次登录后须重新启用")
        }
        "edited" => format!("已修改 {name} 的姓名、角色或组织；其现有会话已结束"),
        "org" => format!("已修改组织 {name}"),
        "assigned" => format!("已将申报表归属 {name}"),
        "asked" => format!("已提交对 {name} 的授权申请，待另一位管理员在“授权审批”中批准后生效"),
        _ => return None,
    })
}

async fn render_admin(
    state: &AppState,
    auth: &Auth,
    fq: Option<&str>,
    message: Option<Result<String, ApiError>>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = require(auth, Role::Admin) {
        return error_page(user, &e);
    }
    let loaded =
        async { Ok::<_, ApiError>((state.store.accounts().await?, state.store.orgs().await?)) }
            .await;
    let (users, orgs) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(user, &e),
    };
    // Forms to give to a unit: their name, year, implementer and owner only.
    let fq = fq.map(str::trim).filter(|q| !q.is_empty());
    let forms = match fq {
        Some(q) => match state
            .store
            .list_page(&ListQuery {
                scope: jixiao_store::Scope::All,
                year: None,
                status: None,
                department: None,
                search: Some(q.to_string()),
                grade: None,
                warnings: None,
                sort: "name".into(),
                page: 1,
                per_page: 30,
                after: None,
                before: None,
            })
            .await
        {
            Ok(p) => Some(p),
            Err(e) => return error_page(user, &e.into()),
        },
        None => None,
    };
    let units: Vec<&jixiao_store::Org> = orgs.iter().filter(|o| o.kind == "unit").collect();

    let org_name: HashMap<&str, &str> = orgs
        .iter()
        .map(|o| (o.id.as_str(), o.name.as_str()))
        .collect();
    let pending = state
        .store
        .grants(true, 1000)
        .await
        .map(|g| g.len())
        .unwrap_or(0);
    let status = message.as_ref().map(|m| match m {
        Ok(_) => axum::http::StatusCode::OK,
        Err(e) => e.status,
    });
    let body = html! {
        h1 { "管理" }
        p class="muted" { "系统管理员：账户和组织。新建或改为财政、管理员、审计角色，以及重置这些账户的密码或动态口令，须由安全管理员在" a href="/grants" { "授权审批" } "中批准后生效（三权分立）。" }
        @if pending > 0 { p class="notice" role="note" { a href="/grants" { "待审批的授权：" (pending) " 项" } } }
        @match &message {
            Some(Ok(text)) => p class="ok" role="status" { (text) },
            Some(Err(e)) => p class="error" role="alert" { (e.message) },
            None => {},
        }
        section aria-labelledby="users-h" {
            h2 id="users-h" { "用户（" (users.len()) "）" }
            table class="list" {
                thead { tr { th scope="col" { "用户名" } th scope="col" { "姓名" } th scope="col" { "角色" } th scope="col" { "所属组织" } th scope="col" { "状态" } th scope="col" { "账户操作" } th scope="col" { "修改" } } }
                tbody { @for a in &users {
                    @let u = &a.user;
                    @let now = crate::auth::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                    @let locked = a.locked_until.as_deref().filter(|t| *t > now.as_str());
                    tr {
                        td { (u.username) } td { (u.display_name) } td { (super::role_label(u.role)) }
                        td { (u.org_id.as_deref().and_then(|o| org_name.get(o).copied()).unwrap_or("")) }
                        td {
                            @if a.disabled { span class="badge bad" { "已停用" } " " }
                            @if let Some(t) = locked { span class="badge warn" { "锁定至 " (crate::auth::beijing(t)) } " " }
                            @if a.must_change_password { span class="badge" { "待改密码" } " " }
                            @if !a.disabled && locked.is_none() && !a.must_change_password { "正常" }
                        }
                        td class="account-actions" {
                            form method="post" action={ "/admin/users/" (u.id) } class="inline" {
                                input type="hidden" name="_csrf" value=(auth.csrf);
                                label for={ "pw-" (u.id) } class="visually-hidden" { "“" (u.username) "”的新密码" }
                                input id={ "pw-" (u.id) } name="password" type="password" autocomplete="new-password" placeholder="新密码（至少 10 位）" size="14";
                                button type="submit" name="action" value="reset-password" aria-label={ "重置“" (u.username) "”的密码" } { "重置密码" }
                                @if locked.is_some() || a.failed_logins > 0 {
                                    " " button type="submit" name="action" value="unlock" aria-label={ "解锁“" (u.username) "”" } { "解锁" }
                                }
                                @if a.disabled {
                                    " " button type="submit" name="action" value="enable" aria-label={ "启用“" (u.username) "”" } { "启用" }
                                } @else if u.id != auth.user.id {
                                    " " button type="submit" name="action" value="disable" aria-label={ "停用“" (u.username) "”" } data-confirm={ "确认停用“" (u.username) "”？其会话将立即结束。" } { "停用" }
                                }
                                @if u.id != auth.user.id {
                                    " " button type="submit" name="action" value="reset-totp" aria-label={ "重置“" (u.username) "”的动态口令" } data-confirm={ "确认重置“" (u.username) "”的动态口令？其会话将立即结束。" } { "重置动态口令" }
                                }
                            }
                        }
                        td {
                            details class="edit-user" {
                                summary aria-label={ "修改“" (u.username) "”" } { "修改" }
                                form method="post" action={ "/admin/users/" (u.id) "/edit" } class="inline" {
                                    input type="hidden" name="_csrf" value=(auth.csrf);
                                    label { "姓名 " input name="display_name" aria-label={ "“" (u.username) "”的姓名" } value=(u.display_name) size="10"; }
                                    " "
                                    label { "角色 "
                                        select name="role" aria-label={ "“" (u.username) "”的角色" } disabled[u.id == auth.user.id] {
                                            @for r in Role::ALL { option value=(r.name()) selected[r == u.role] { (super::role_label(r)) @if jixiao_core::duties::needs_approval(Some(u.role), r) { "（须审批）" } } }
                                        }
                                    }
                                    @if u.id == auth.user.id { input type="hidden" name="role" value=(u.role.name()); }
                                    " "
                                    label { "组织 "
                                        select name="org_id" aria-label={ "“" (u.username) "”的组织" } {
                                            option value="" { "（无）" }
                                            @for o in &orgs { option value=(o.id) selected[u.org_id.as_deref() == Some(o.id.as_str())] { (o.name) } }
                                        }
                                    }
                                    " "
                                    button type="submit" aria-label={ "保存对“" (u.username) "”的修改" } data-confirm={ "确认修改“" (u.username) "”？其现有会话将结束。" } { "保存" }
                                }
                            }
                        }
                    }
                } }
            }
            form method="post" action="/admin/users" class="enter" {
                h3 { "新建用户" }
                input type="hidden" name="_csrf" value=(auth.csrf);
                div class="grid" {
                    label for="nu-username" { "用户名" } input id="nu-username" name="username" required;
                    label for="nu-name" { "姓名" } input id="nu-name" name="display_name";
                    label for="nu-password" { "初始密码（至少 10 位）" } input id="nu-password" name="password" type="password" autocomplete="new-password" required;
                    label for="nu-role" { "角色" }
                    select id="nu-role" name="role" { @for r in Role::ALL { option value=(r.name()) { (super::role_label(r)) @if jixiao_core::duties::needs_approval(None, r) { "（须审批）" } } } }
                    label for="nu-org" { "所属组织" }
                    select id="nu-org" name="org_id" { option value="" { "（无）" } @for o in &orgs { option value=(o.id) { (o.name) } } }
                }
                button type="submit" class="primary" { "新建用户" }
            }
        }
        section aria-labelledby="orgs-h" {
            h2 id="orgs-h" { "组织（" (orgs.len()) "）" }
            table class="list" {
                thead { tr { th scope="col" { "名称" } th scope="col" { "类型" } th scope="col" { "上级" } th scope="col" { "修改" } } }
                tbody { @for o in &orgs { tr {
                    td { (o.name) } td { (org_kind(&o.kind)) } td { (o.parent_id.as_deref().and_then(|p| org_name.get(p).copied()).unwrap_or("")) }
                    td { details class="edit-org" {
                        summary aria-label={ "修改组织“" (o.name) "”" } { "修改" }
                        form method="post" action={ "/admin/orgs/" (o.id) } class="inline" {
                            input type="hidden" name="_csrf" value=(auth.csrf);
                            label { "名称 " input name="name" aria-label={ "“" (o.name) "”的新名称" } value=(o.name) required; }
                            " "
                            label { "上级 " select name="parent_id" aria-label={ "“" (o.name) "”的上级" } {
                                option value="" { "（无）" }
                                @for p in orgs.iter().filter(|p| p.id != o.id) { option value=(p.id) selected[o.parent_id.as_deref() == Some(p.id.as_str())] { (p.name) } }
                            } }
                            " "
                            button type="submit" aria-label={ "保存组织“" (o.name) "”" } { "保存" }
                        }
                    } }
                } } }
            }
            form method="post" action="/admin/orgs" class="enter" {
                h3 { "新建组织" }
                input type="hidden" name="_csrf" value=(auth.csrf);
                div class="grid" {
                    label for="no-name" { "名称" } input id="no-name" name="name" required;
                    label for="no-kind" { "类型" } select id="no-kind" name="kind" { option value="unit" { "实施单位" } option value="department" { "主管部门" } option value="finance" { "财政部门" } }
                    label for="no-parent" { "上级组织" } select id="no-parent" name="parent_id" { option value="" { "（无）" } @for o in &orgs { option value=(o.id) { (o.name) } } }
                }
                button type="submit" class="primary" { "新建组织" }
            }
        }
        section aria-labelledby="assign-h" {
            h2 id="assign-h" { "申报表归属" }
            p class="muted" { "申报表归属哪个实施单位，该单位和它的主管部门就能看到它。新建实施单位时，实施单位名称与之相同的申报表自动归属。这里只显示名称和归属，不显示内容。" }
            form method="get" action="/admin" class="filters" role="search" {
                label { "查找申报表 " input type="search" name="fq" placeholder="项目名称或实施单位" value=[fq]; }
                button type="submit" { "查找" }
            }
            @if let Some(p) = &forms {
                @if p.items.is_empty() { p class="empty" { "没有符合条件的申报表。" } } @else {
                    p { "找到 " (p.total) " 张" @if p.total > p.items.len() as i64 { "，显示前 " (p.items.len()) " 张，请缩小范围" } }
                    table class="list" {
                        thead { tr { th scope="col" { "项目名称" } th scope="col" { "年度" } th scope="col" { "实施单位（表上）" } th scope="col" { "归属" } } }
                        tbody { @for f in &p.items { tr {
                            td { (f.name) } td class="num" { (f.year) } td { (f.implementer) }
                            td {
                                form method="post" action={ "/admin/forms/" (f.id) "/unit" } class="inline" {
                                    input type="hidden" name="_csrf" value=(auth.csrf);
                                    input type="hidden" name="fq" value=[fq];
                                    select name="unit_id" aria-label={ "“" (f.name) "”（" (f.year) "）归属" } {
                                        option value="" { "（未归属）" }
                                        @for u in &units { option value=(u.id) selected[f.unit_id.as_deref() == Some(u.id.as_str())] { (u.name) } }
                                    }
                                    " "
                                    button type="submit" aria-label={ "保存“" (f.name) "”（" (f.year) "）的归属" } { "保存" }
                                    @if f.unit_id.is_none() { " " span class="badge warn" { "未归属" } }
                                }
                            }
                        } } }
                    }
                }
            }
        }
    };
    (
        status.unwrap_or(axum::http::StatusCode::OK),
        layout("管理", user, "/admin", body),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct UserFields {
    username: String,
    display_name: String,
    password: String,
    role: String,
    org_id: String,
}

/// `POST /admin/users`
pub async fn admin_user(State(state): State<AppState>, post: PagePost<UserFields>) -> Response {
    let f = post.form;
    let result = match Role::from_name(&f.role) {
        Some(role) => add_user(
            &state,
            &post.auth,
            NewUser {
                username: f.username,
                display_name: f.display_name,
                password: f.password,
                role,
                org_id: Some(f.org_id).filter(|o| !o.is_empty()),
            },
        )
        .await
        .map(|o| match o {
            Outcome::Done(u) => format!("已建立用户 {}", u.username),
            Outcome::Pending(g) => pending_message(&g),
        }),
        None => Err(ApiError::bad_request("未知角色", "unknown role")),
    };
    render_admin(&state, &post.auth, None, Some(result)).await
}

#[derive(serde::Deserialize)]
pub struct AccountFields {
    action: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/users/{id}`: reset a password, unlock, disable or enable an account.
pub async fn admin_account(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    post: PagePost<AccountFields>,
) -> Response {
    let f = post.form;
    let password = (!f.password.is_empty()).then_some(f.password.as_str());
    match crate::api::change_account(&state, &post.auth, &id, &f.action, password).await {
        // Redirect after the change, so that reloading the page does not do it again.
        Ok(Outcome::Done(name)) => Redirect::to(&format!(
            "/admin?{}",
            super::form_urlencoded(&[("done", &f.action), ("who", &name)])
        ))
        .into_response(),
        Ok(Outcome::Pending(g)) => Redirect::to(&format!(
            "/admin?{}",
            super::form_urlencoded(&[("done", "asked"), ("who", &g.username)])
        ))
        .into_response(),
        Err(e) => render_admin(&state, &post.auth, None, Some(Err(e))).await,
    }
}

#[derive(serde::Deserialize)]
pub struct OrgFields {
    name: String,
    kind: String,
    parent_id: String,
}

/// `POST /admin/orgs`
pub async fn admin_org(State(state): State<AppState>, post: PagePost<OrgFields>) -> Response {
    let f = post.form;
    let result = add_org(
        &state,
        &post.auth,
        NewOrg {
            name: f.name,
            kind: f.kind,
            parent_id: Some(f.parent_id),
        },
    )
    .await
    .map(|o| format!("已建立组织 {}", o.name));
    match result {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(e) => render_admin(&state, &post.auth, None, Some(Err(e))).await,
    }
}

fn org_kind(kind: &str) -> &'static str {
    match kind {
        "unit" => "实施单位",
        "department" => "主管部门",
        _ => "财政部门",
    }
}

#[derive(serde::Deserialize)]
pub struct UserEditFields {
    display_name: String,
    role: String,
    #[serde(default)]
    org_id: String,
}

/// `POST /admin/users/{id}/edit`: name, role, organisation.
pub async fn admin_user_edit(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    post: PagePost<UserEditFields>,
) -> Response {
    let f = post.form;
    let result = match Role::from_name(&f.role) {
        Some(role) => {
            crate::api::change_user(
                &state,
                &post.auth,
                &id,
                crate::api::UserEdit {
                    display_name: f.display_name,
                    role,
                    org_id: Some(f.org_id),
                },
            )
            .await
        }
        None => Err(ApiError::bad_request("未知角色", "unknown role")),
    };
    match result {
        Ok(Outcome::Done(u)) => Redirect::to(&format!(
            "/admin?{}",
            super::form_urlencoded(&[("done", "edited"), ("who", &u.username)])
        ))
        .into_response(),
        Ok(Outcome::Pending(g)) => Redirect::to(&format!(
            "/admin?{}",
            super::form_urlencoded(&[("done", "asked"), ("who", &g.username)])
        ))
        .into_response(),
        Err(e) => render_admin(&state, &post.auth, None, Some(Err(e))).await,
    }
}

#[derive(serde::Deserialize)]
pub struct OrgEditFields {
    name: String,
    #[serde(default)]
    parent_id: String,
}

/// `POST /admin/orgs/{id}`: rename or move an organisation.
pub async fn admin_org_edit(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    post: PagePost<OrgEditFields>,
) -> Response {
    let f = post.form;
    let edit = crate::api::OrgEdit {
        name: f.name,
        parent_id: Some(f.parent_id),
    };
    match crate::api::change_org(&state, &post.auth, &id, edit).await {
        Ok(o) => Redirect::to(&format!(
            "/admin?{}#orgs-h",
            super::form_urlencoded(&[("done", "org"), ("who", &o.name)])
        ))
        .into_response(),
        Err(e) => render_admin(&state, &post.auth, None, Some(Err(e))).await,
    }
}

#[derive(serde::Deserialize)]
pub struct AssignFields {
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    fq: String,
}

/// `POST /admin/forms/{id}/unit`: give a form to a unit; back to the same search.
pub async fn admin_assign(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    post: PagePost<AssignFields>,
) -> Response {
    let f = post.form;
    match crate::api::assign_form_to(&state, &post.auth, &id, Some(&f.unit_id)).await {
        Ok(unit) => {
            let name = unit.map(|u| u.name).unwrap_or_default();
            let mut q = vec![("fq", f.fq.as_str())];
            if !name.is_empty() {
                q.push(("done", "assigned"));
                q.push(("who", &name));
            }
            Redirect::to(&format!("/admin?{}#assign-h", super::form_urlencoded(&q))).into_response()
        }
        Err(e) => render_admin(&state, &post.auth, Some(&f.fq), Some(Err(e))).await,
    }
}

/// What a request for a grant did, in words.
pub(crate) fn pending_message(g: &jixiao_store::Grant) -> String {
    let approver = jixiao_core::duties::approver_for(g.requester_role).unwrap_or(Role::Security);
    format!(
        "已提交授权申请：{}；待{}在“授权审批”中批准后生效",
        crate::api::grant_words(g),
        approver.chinese()
    )
}
