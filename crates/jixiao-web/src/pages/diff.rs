//! Two versions of a form side by side, the changes marked (`/forms/{id}/diff?from=&to=`).

use super::{error_page, layout, PageUser};
use crate::api::check_visible;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use jixiao_core::workflow::{diff, Change};
use jixiao_core::Funds;
use maud::html;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DiffParams {
    from: Option<String>,
    to: Option<String>,
}

/// A change's field in the words of the form.
fn label(field: &str) -> String {
    let fixed = [
        ("year", "年度"),
        ("name", "项目名称"),
        ("nature", "项目性质"),
        ("category", "项目类别"),
        ("department", "主管部门"),
        ("implementer", "实施单位"),
        ("start_date", "计划开始日期"),
        ("end_date", "计划完成日期"),
        ("goal_overall", "项目总目标"),
        ("goal_annual", "年度总体目标"),
        ("indicators.order", "指标的顺序"),
    ];
    if let Some((_, l)) = fixed.iter().find(|(f, _)| *f == field) {
        return (*l).to_string();
    }
    if let Some(name) = field.strip_prefix("funds.") {
        if let Some((_, l, _)) = Funds::default()
            .fields()
            .into_iter()
            .find(|(n, _, _)| *n == name)
        {
            return format!("项目资金：{l}（元）");
        }
    }
    if let Some(rest) = field.strip_prefix("indicators[") {
        if let Some((name, part)) = rest.rsplit_once(']') {
            let part = match part {
                "" => "",
                ".name" => "的名称",
                ".level" => "的一级/二级指标",
                ".raw" => "的指标值",
                other => other,
            };
            return format!("指标“{name}”{part}");
        }
    }
    field.to_string()
}

/// `GET /forms/{id}/diff?from=1&to=3` (to defaults to the current version).
pub async fn page(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(p): Query<DiffParams>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let loaded = async {
        let (form, meta) = state
            .store
            .form_with_meta(&id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let meta = check_visible(&state, &auth, meta).await?;
        let number = |v: &Option<String>, default: i64, what: &str| -> Result<i64, ApiError> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(default),
                Some(t) => t.parse().map_err(|_| {
                    ApiError::bad_request(
                        format!("{what}“{t}”不是版本号"),
                        format!("{what} “{t}” is not a version number"),
                    )
                }),
            }
        };
        let to = number(&p.to, meta.version, "to")?;
        let from = number(&p.from, (to - 1).max(1), "from")?;
        let version = |v: i64| {
            let state = &state;
            let id = &id;
            async move {
                state.store.version_form(id, v).await?.ok_or_else(|| {
                    ApiError::bad_request(
                        format!("没有第 {v} 版"),
                        format!("there is no version {v}"),
                    )
                })
            }
        };
        let (a, b) = (version(from).await?, version(to).await?);
        let versions = state.store.versions(&id).await?;
        Ok::<_, ApiError>((form, from, to, diff(&a, &b), versions))
    }
    .await;
    let (form, from, to, changes, versions) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(user, &e),
    };
    let cell = |c: &Change, before: bool| {
        let v = if before { &c.before } else { &c.after };
        html! {
            @match v {
                Some(t) if before => del { (t) },
                Some(t) => ins { (t) },
                None => span class="muted" { (if c.field == "indicators.order" { "（已调整）" } else if before { "（没有）" } else { "（已删除）" }) },
            }
        }
    };
    let body = html! {
        h1 { (form.name) "：版本比较" }
        form method="get" action={ "/forms/" (id) "/diff" } class="compare noprint" {
            label for="from" { "从" }
            select id="from" name="from" { @for v in &versions { option value=(v.version) selected[v.version == from] { "第 " (v.version) " 版" } } }
            label for="to" { "到" }
            select id="to" name="to" { @for v in &versions { option value=(v.version) selected[v.version == to] { "第 " (v.version) " 版" } } }
            button type="submit" { "比较" }
            " "
            a href={ "/forms/" (id) } { "返回申报表" }
        }
        @if changes.is_empty() {
            p role="status" { "第 " (from) " 版与第 " (to) " 版内容相同。" }
        } @else {
            p role="status" { "第 " (from) " 版到第 " (to) " 版共 " (changes.len()) " 处改动。" }
            table class="list diff" {
                thead { tr {
                    th scope="col" { "项目" }
                    th scope="col" { a href={ "/forms/" (id) "?version=" (from) } { "第 " (from) " 版" } }
                    th scope="col" { a href={ "/forms/" (id) "?version=" (to) } { "第 " (to) " 版" } }
                } }
                tbody { @for c in &changes { tr { th scope="row" { (label(&c.field)) } td { (cell(c, true)) } td { (cell(c, false)) } } } }
            }
        }
    };
    layout(&format!("{} 版本比较", form.name), user, "", body).into_response()
}
