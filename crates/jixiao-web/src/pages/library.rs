//! The indicator library (指标库) page: every signed-in user browses it (by name, level and
//! project category, with the usual targets and the ranges of targets and actuals);
//! administrators curate it (recommend, retire, merge a spelling into another name).

use super::{error_page, layout, PagePost, PageUser};
use crate::api::{curate, CurationBody};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jixiao_core::workflow::Role;
use jixiao_store::{LibraryEntry, LibraryQuery, Range};
use maud::{html, Markup};

#[derive(serde::Deserialize, Default)]
pub struct LibraryParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    level1: String,
    #[serde(default)]
    category: String,
    /// `1`: retired names and merged spellings too.
    #[serde(default)]
    all: String,
    /// A curation just done, said after the redirect.
    #[serde(default)]
    done: String,
}

fn range(r: &Option<Range>) -> String {
    match r {
        Some(r) if r.min == r.max => r.min.normalize().to_string(),
        Some(r) => format!(
            "{} – {}（中位 {}）",
            r.min.normalize(),
            r.max.normalize(),
            r.median.normalize()
        ),
        None => String::new(),
    }
}

fn row(e: &LibraryEntry, admin: Option<(&str, &str)>) -> Markup {
    html! {
        tr class=[(e.retired || e.merged_into.is_some()).then_some("muted")] {
            td {
                (e.name)
                @if e.recommended { " " span class="badge ok" { "推荐" } }
                @if e.retired { " " span class="badge bad" { "已停用" } }
                @if let Some(m) = &e.merged_into { " " span class="badge" { "已合并到“" (m) "”" } }
                @if !e.aliases.is_empty() { br; span class="muted" { "也写作：" (e.aliases.join("、")) } }
            }
            td class="level" { (e.level1) } td class="level" { (e.level2.as_deref().unwrap_or("")) }
            td { (e.unit) }
            td class="num" { (e.count) @if let Some(n) = e.in_category { span class="muted" { "（本类 " (n) "）" } } }
            td class="num" { (e.implementers) }
            td { (if e.years.0 == e.years.1 { e.years.0.to_string() } else { format!("{}–{}", e.years.0, e.years.1) }) }
            td { (e.usual) }
            td { (range(&e.targets)) }
            td { (range(&e.actuals)) }
            @if let Some((csrf, back)) = admin {
                td class="curate" {
                    form method="post" action="/library/curation" class="inline" {
                        input type="hidden" name="_csrf" value=(csrf);
                        input type="hidden" name="name" value=(e.name);
                        input type="hidden" name="back" value=(back);
                        @if e.recommended {
                            button type="submit" name="action" value="unrecommend" aria-label={ "取消推荐“" (e.name) "”" } { "取消推荐" }
                        } @else if !e.retired && e.merged_into.is_none() {
                            button type="submit" name="action" value="recommend" aria-label={ "推荐“" (e.name) "”" } { "推荐" }
                        }
                        " "
                        @if e.retired {
                            button type="submit" name="action" value="restore" aria-label={ "恢复“" (e.name) "”" } { "恢复" }
                        } @else {
                            button type="submit" name="action" value="retire" aria-label={ "停用“" (e.name) "”" } { "停用" }
                        }
                        " "
                        @if e.merged_into.is_some() {
                            button type="submit" name="action" value="unmerge" aria-label={ "取消合并“" (e.name) "”" } { "取消合并" }
                        } @else if e.aliases.is_empty() {
                            input name="into" size="10" aria-label={ "把“" (e.name) "”合并到" } placeholder="合并到…" list="library-page-names";
                            button type="submit" name="action" value="merge" aria-label={ "合并“" (e.name) "”" } { "合并" }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /library`
pub async fn page(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(p): Query<LibraryParams>,
) -> Response {
    render(&state, &auth, &p, None).await
}

async fn render(
    state: &AppState,
    auth: &crate::auth::Auth,
    p: &LibraryParams,
    error: Option<&ApiError>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let admin = auth.user.role == Role::Admin;
    let level1 =
        Some(p.level1.trim().to_string()).filter(|l| jixiao_core::Level1::from_name(l).is_some());
    let category = Some(p.category.trim().to_string()).filter(|c| !c.is_empty());
    let all = admin && p.all == "1";
    let loaded = async {
        let entries = state
            .store
            .library(&LibraryQuery {
                q: p.q.trim().chars().take(200).collect(),
                level1: level1.clone(),
                level2: None,
                limit: 100,
                category: category.clone(),
                all,
            })
            .await?;
        let categories = state.store.categories().await?;
        Ok::<_, ApiError>((entries, categories))
    }
    .await;
    let (entries, categories) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(user, &e),
    };
    let back = super::form_urlencoded(&[
        ("q", p.q.trim()),
        ("level1", p.level1.trim()),
        ("category", p.category.trim()),
        ("all", if all { "1" } else { "" }),
    ]);
    let done = match p.done.as_str() {
        "" => None,
        "recommend" => Some("已推荐"),
        "unrecommend" => Some("已取消推荐"),
        "retire" => Some("已停用：编辑时不再建议"),
        "restore" => Some("已恢复"),
        "merge" => Some("已合并：这个写法今后显示为另一个名称"),
        "unmerge" => Some("已取消合并"),
        _ => None,
    };
    let body = html! {
        h1 { "指标库" }
        p class="muted" { "所有申报表填报过的指标，按名称、级别和计量单位归并，附常用指标值、指标值和实际完成值的范围。编辑申报表时输入名称即可从这里选用。" }
        @if let Some(d) = done { p class="ok" role="status" { (d) } }
        @if let Some(e) = error { p class="error" role="alert" { (e.message) } }
        form method="get" action="/library" class="filters" role="search" {
            label { "名称 " input type="search" name="q" value=(p.q) placeholder="指标名称的一部分"; }
            label { "一级指标 " select name="level1" {
                option value="" { "全部" }
                @for l in jixiao_core::Level1::ALL { option value=(l.name()) selected[level1.as_deref() == Some(l.name())] { (l.name()) } }
            } }
            label { "项目类别 " select name="category" {
                option value="" { "全部" }
                @for (c, n) in &categories { option value=(c) selected[category.as_deref() == Some(c.as_str())] { (c) "（" (n) " 张）" } }
            } }
            @if admin { label { input type="checkbox" name="all" value="1" checked[all]; " 含已停用、已合并" } }
            button type="submit" { "查找" }
        }
        @if let Some(c) = &category { h2 { "“" (c) "”项目的常用指标" } }
        p { (entries.len()) " 条" @if entries.len() == 100 { "（只显示前 100 条，请缩小范围）" } }
        @if admin { datalist id="library-page-names" { @for e in entries.iter().filter(|e| e.merged_into.is_none()) { option value=(e.name) {} } } }
        div class="table-scroll" {
            table class="list library" {
                thead { tr {
                    th scope="col" { "三级指标" } th scope="col" { "一级指标" } th scope="col" { "二级指标" } th scope="col" { "计量单位" }
                    th scope="col" { "填报次数" } th scope="col" { "单位数" } th scope="col" { "年度" } th scope="col" { "常用指标值" }
                    th scope="col" { "指标值范围" } th scope="col" { "实际完成值范围" }
                    @if admin { th scope="col" { "维护" } }
                } }
                tbody { @for e in &entries { (row(e, admin.then_some((auth.csrf.as_str(), back.as_str())))) } }
            }
        }
    };
    let status = error
        .map(|e| e.status)
        .unwrap_or(axum::http::StatusCode::OK);
    (status, layout("指标库", user, "/library", body)).into_response()
}

#[derive(serde::Deserialize)]
pub struct CurationFields {
    name: String,
    action: String,
    #[serde(default)]
    into: String,
    /// The search to go back to.
    #[serde(default)]
    back: String,
}

/// `POST /library/curation` (administrators), then back to the same search.
pub async fn curation(State(state): State<AppState>, post: PagePost<CurationFields>) -> Response {
    let f = post.form;
    let body = CurationBody {
        name: f.name,
        action: f.action.clone(),
        into: Some(f.into).filter(|i| !i.trim().is_empty()),
    };
    // Only our own query string goes back into the address.
    let back: String = f
        .back
        .chars()
        .filter(|c| !c.is_control() && *c != '#')
        .collect();
    match curate(&state, &post.auth, body).await {
        Ok(_) => Redirect::to(&format!("/library?{back}&done={}", f.action)).into_response(),
        Err(e) => {
            let p = format!("/library?{back}")
                .parse::<axum::http::Uri>()
                .ok()
                .and_then(|u| Query::<LibraryParams>::try_from_uri(&u).ok())
                .map(|q| q.0)
                .unwrap_or_default();
            render(&state, &post.auth, &p, Some(&e)).await
        }
    }
}
