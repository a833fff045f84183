//! The portfolio (every form the user may see) and the to-do and "handled by me" lists.

use super::{error_page, form_urlencoded, layout, money, status_badge, PageUser};
use crate::api::scope;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use jixiao_core::workflow::{self, Role, Status};
use jixiao_store::{FormRow, ListQuery};
use maud::{html, Markup};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Filters {
    grade: Option<String>,
    warnings: Option<String>,
    year: Option<String>,
    status: Option<String>,
    department: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    after: Option<String>,
    before: Option<String>,
}

/// The list of forms; `copy` (the CSRF token) adds a button to copy each into next year.
fn table(rows: &[FormRow], sort: Option<(&Filters, &str)>, copy: Option<&str>) -> Markup {
    let head = |key: &str, label: &str| -> Markup {
        match sort {
            Some((f, current)) => {
                let next = if current == key {
                    format!("-{key}")
                } else {
                    key.to_string()
                };
                let mark = if current == key {
                    " ▲"
                } else if current == format!("-{key}") {
                    " ▼"
                } else {
                    ""
                };
                let aria = if current == key {
                    Some("ascending")
                } else if current == format!("-{key}") {
                    Some("descending")
                } else {
                    None
                };
                let q = query(f, Some(&next), None);
                html! { th scope="col" aria-sort=[aria] { a href={ "/forms?" (q) } { (label) (mark) } } }
            }
            None => html! { th scope="col" { (label) } },
        }
    };
    html! {
        table class="list" {
            thead { tr {
                (head("name", "项目名称")) (head("year", "年度")) th scope="col" { "主管部门" } th scope="col" { "实施单位" }
                (head("amount", "年度资金（元）")) (head("status", "状态")) th scope="col" { "等级" } th scope="col" { "预警" } th scope="col" { "版本" } th scope="col" { "指标数" } (head("updated", "更新时间"))
                @if copy.is_some() { th scope="col" { "新年度" } }
            } }
            tbody {
                @for r in rows {
                    tr {
                        td class="name" { a href={ "/forms/" (r.id) } { (r.name) } }
                        td { (r.year) }
                        td { (r.department) }
                        td { (r.implementer) }
                        td class="num" { (money(r.annual_total)) }
                        td { (status_badge(r.status)) }
                        td { (r.grade.as_deref().unwrap_or("")) }
                        td { (match r.warning_light.as_deref() { Some("red") => "红灯", Some("yellow") => "黄灯", Some("green") => "绿灯", _ => "" }) }
                        td class="num" { (r.version) }
                        td class="num" { (r.indicators) }
                        td class="when" { (crate::auth::beijing(&r.updated_at)) }
                        @if let Some(csrf) = copy {
                            td {
                                form method="post" action={ "/forms/" (r.id) "/copy" } class="inline" {
                                    input type="hidden" name="_csrf" value=(csrf);
                                    input type="hidden" name="year" value=(r.year + 1);
                                    button type="submit" aria-label={ "复制“" (r.name) "”为 " (r.year + 1) " 年度草稿" } { "复制为 " (r.year + 1) " 年" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn query(f: &Filters, sort: Option<&str>, page: Option<i64>) -> String {
    let page = page.map(|p| p.to_string());
    let mut pairs: Vec<(&str, &str)> = vec![];
    for (k, v) in [
        ("year", &f.year),
        ("status", &f.status),
        ("department", &f.department),
        ("q", &f.q),
        ("grade", &f.grade),
        ("warnings", &f.warnings),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((k, v));
        }
    }
    if let Some(s) = sort.or(f.sort.as_deref()) {
        pairs.push(("sort", s));
    }
    if let Some(p) = page.as_deref() {
        pairs.push(("page", p));
    }
    form_urlencoded(&pairs)
}

/// The list's address at a cursor (`after` or `before`), the filters and order kept.
fn cursor_query(f: &Filters, key: &str, cursor: &str) -> String {
    let q = query(f, None, None);
    let c = form_urlencoded(&[(key, cursor)]);
    if q.is_empty() {
        c
    } else {
        format!("{q}&{c}")
    }
}

/// Pages near the start get their numbers (OFFSET is cheap there); beyond them the list is
/// walked by cursor, 上一页/下一页, at the same cost at any depth.
const NUMBERED_PAGES: i64 = 5;

/// `GET /forms`
pub async fn portfolio(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(f): Query<Filters>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = crate::api::forms_duty(&auth) {
        return error_page(user, &e);
    }
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => match Status::from_name(s) {
            Some(s) => Some(s),
            None => {
                return error_page(
                    user,
                    &ApiError::bad_request(
                        format!("未知状态“{s}”"),
                        format!("unknown status “{s}”"),
                    ),
                )
            }
        },
        None => None,
    };
    let year = match f.year.as_deref().filter(|y| !y.is_empty()) {
        Some(y) => match y.trim().parse::<i32>() {
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
        None => None,
    };
    let sort = f.sort.clone().unwrap_or_else(|| "name".into());
    let (grade, warnings) = match (
        crate::api::grade_param(f.grade.as_deref()),
        crate::api::warnings_param(f.warnings.as_deref()),
    ) {
        (Ok(g), Ok(w)) => (g, w),
        (Err(e), _) | (_, Err(e)) => return error_page(user, &e),
    };
    let q = ListQuery {
        grade,
        warnings,
        scope: scope(&auth.user),
        year,
        status,
        department: f.department.clone().filter(|d| !d.is_empty()),
        search: f.q.clone(),
        sort: sort.clone(),
        page: f.page.unwrap_or(1),
        per_page: 50,
        after: f.after.clone().filter(|c| !c.is_empty()),
        before: f.before.clone().filter(|c| !c.is_empty()),
    };
    let page = match state.store.list_page(&q).await {
        Ok(p) => p,
        Err(e) => return error_page(user, &e.into()),
    };
    let pages = (page.total + page.per_page - 1) / page.per_page;
    let body = html! {
        h1 { "申报表" }
        @if auth.user.role.may_edit() {
            p class="buttons" {
                a class="button" href="/forms/new" { "新建申报表" }
                " "
                a class="button" href="/forms/import" { "导入文件（Excel、文本、JSON）" }
            }
        }
        form class="filters" method="get" action="/forms" role="search" {
            label { "年度 " input name="year" inputmode="numeric" size="6" value=[f.year.as_deref()]; }
            label { "状态 "
                select name="status" {
                    option value="" { "全部" }
                    @for s in Status::ALL {
                        option value=(s.name()) selected[status == Some(s)] { (s.chinese()) }
                    }
                }
            }
            label { "主管部门 " input name="department" value=[f.department.as_deref()]; }
            label { "自评等级 "
                select name="grade" {
                    option value="" { "全部" }
                    @for g in ["优", "良", "中", "差"] { option value=(g) selected[f.grade.as_deref() == Some(g)] { (g) } }
                }
            }
            label { "预警 "
                select name="warnings" {
                    @for (v, l) in [("", "全部"), ("any", "有预警（红或黄）"), ("red", "红灯"), ("yellow", "黄灯"), ("green", "绿灯")] {
                        option value=(v) selected[f.warnings.as_deref().unwrap_or("") == v] { (l) }
                    }
                }
            }
            label { "搜索 " input type="search" name="q" placeholder="项目名称、单位" value=[f.q.as_deref()]; }
            @if let Some(s) = &f.sort { input type="hidden" name="sort" value=(s); }
            button type="submit" { "筛选" }
            a href="/forms" { "清除" }
        }
        p class="totals" aria-live="polite" {
            "共 " strong { (page.total) } " 张申报表，年度资金合计 " strong class="num" { (page.annual_total_sum.grouped()) } " 元"
            " "
            a class="button" href={ "/api/forms/summary?" (query(&f, None, None)) } download { "下载汇总表（Excel）" }
        }
        @if page.items.is_empty() {
            p class="empty" { "没有符合条件的申报表。" }
        } @else {
            (table(&page.items, Some((&f, &sort)), auth.user.role.may_edit().then_some(auth.csrf.as_str())))
        }
        @if pages > 1 {
            nav class="pages" aria-label="分页" {
                @if let Some(c) = &page.prev { a href={ "/forms?" (cursor_query(&f, "before", c)) } rel="prev" { "上一页" } }
                @for n in 1..=pages.min(NUMBERED_PAGES) {
                    @if page.page == Some(n) {
                        span class="current" aria-current="page" { (n) }
                    } @else {
                        a href={ "/forms?" (query(&f, None, Some(n))) } aria-label={ "第 " (n) " 页" } { (n) }
                    }
                }
                @if pages > NUMBERED_PAGES { span { "…" } }
                @match page.page {
                    Some(n) => span { "第 " (n) " / " (pages) " 页" },
                    None => span { "共 " (pages) " 页" },
                }
                @if let Some(c) = &page.next { a href={ "/forms?" (cursor_query(&f, "after", c)) } rel="next" { "下一页" } }
            }
        }
    };
    layout("申报表", user, "/forms", body).into_response()
}

/// `GET /todo`: forms waiting for this user.
pub async fn todo(State(state): State<AppState>, PageUser(auth): PageUser) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = crate::api::forms_duty(&auth) {
        return error_page(user, &e);
    }
    let waiting = match auth.user.role {
        Role::Unit => Some(Status::Returned),
        r => workflow::waiting_for(r),
    };
    let rows = match waiting {
        Some(status) => {
            let q = ListQuery {
                grade: None,
                warnings: None,
                scope: scope(&auth.user),
                year: None,
                status: Some(status),
                department: None,
                search: None,
                sort: "-updated".into(),
                page: 1,
                per_page: 200,
                after: None,
                before: None,
            };
            match state.store.list_page(&q).await {
                Ok(p) => p.items,
                Err(e) => return error_page(user, &e.into()),
            }
        }
        None => vec![],
    };
    let what = match auth.user.role {
        Role::Unit => "被退回、待修改的申报表",
        Role::Department => "待主管部门审核的申报表",
        Role::Finance => "待财政审核的申报表",
        _ => "此角色没有审核任务",
    };
    let evals = match crate::api::eval_todo(&state, &auth).await {
        Ok(e) => e,
        Err(e) => return error_page(user, &e),
    };
    let eval_what = match auth.user.role {
        Role::Unit => "被退回、待修改的自评",
        _ => "待审核的自评",
    };
    let body = html! {
        h1 { "待办" }
        p { (what) "：" (rows.len()) " 张" }
        @if !rows.is_empty() { (table(&rows, None, None)) }
        @if matches!(auth.user.role, Role::Unit | Role::Department) {
            h2 { (eval_what) "：" (evals.len()) " 张" }
            @if !evals.is_empty() {
                table class="list" {
                    thead { tr { th scope="col" { "项目名称" } th scope="col" { "年度" } th scope="col" { "实施单位" } th scope="col" { "自评状态" } } }
                    tbody { @for r in &evals { tr {
                        td { a href={ "/forms/" (r["id"].as_str().unwrap_or("")) "/evaluation" } { (r["name"].as_str().unwrap_or("")) } }
                        td class="num" { (r["year"]) }
                        td { (r["implementer"].as_str().unwrap_or("")) }
                        td { (r["self_evaluation_status_label"].as_str().unwrap_or("")) }
                    } } }
                }
            }
        }
    };
    layout("待办", user, "/todo", body).into_response()
}

/// `GET /handled`: forms this user acted on.
pub async fn handled(State(state): State<AppState>, PageUser(auth): PageUser) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = crate::api::forms_duty(&auth) {
        return error_page(user, &e);
    }
    let ids = match state.store.handled_by(&auth.user.username).await {
        Ok(ids) => ids,
        Err(e) => return error_page(user, &e.into()),
    };
    let mut rows = vec![];
    for id in ids {
        if let Ok(Some((form, meta))) = state.store.form_with_meta(&id).await {
            rows.push(FormRow {
                id: id.clone(),
                year: form.year,
                name: form.name,
                department: form.department,
                implementer: form.implementer,
                annual_total: form.funds.annual_total,
                status: meta.status,
                version: meta.version,
                indicators: form.indicators.len() as i64,
                updated_at: meta.updated_at,
                grade: None,
                warning_light: None,
                unit_id: meta.unit_id,
            });
        }
    }
    let body = html! {
        h1 { "我处理过的" }
        p { (rows.len()) " 张" }
        @if !rows.is_empty() { (table(&rows, None, None)) }
    };
    layout("我处理过的", user, "/handled", body).into_response()
}
