//! Starting the year: a new form from scratch, and last year's form copied into a draft of
//! the new year (the editor then shows last year's targets and actuals beside it).

use super::{error_page, layout, PagePost, PageUser};
use crate::api::{copy_form_for, require_editor};
use crate::auth::audited;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use jixiao_core::{Form, Funds, Money};
use maud::html;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CopyForm {
    year: String,
}

/// `POST /forms/{id}/copy`: the copy opens in the editor.
pub async fn copy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<CopyForm>,
) -> Response {
    let PagePost { auth, form } = post;
    let user = Some((&auth.user, auth.csrf.as_str()));
    let Ok(year) = form.year.trim().parse::<i32>() else {
        return error_page(
            user,
            &ApiError::bad_request(
                format!("年度“{}”不是数字", form.year),
                format!("the year “{}” is not a number", form.year),
            ),
        );
    };
    match copy_form_for(&state, &auth, &id, year).await {
        Ok(new_id) => Redirect::to(&format!("/forms/{new_id}/edit")).into_response(),
        Err(e) => error_page(user, &e),
    }
}

/// `GET /forms/new`.
pub async fn page(State(state): State<AppState>, PageUser(auth): PageUser) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = require_editor(&auth) {
        return error_page(user, &e);
    }
    // The unit's own name and its department's, to start from.
    let orgs = state.store.orgs().await.unwrap_or_default();
    let unit = orgs
        .iter()
        .find(|o| Some(&o.id) == auth.user.org_id.as_ref());
    let department = unit
        .and_then(|u| u.parent_id.as_ref())
        .and_then(|p| orgs.iter().find(|o| &o.id == p))
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let unit_name = unit.map(|u| u.name.clone()).unwrap_or_default();
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    let body = html! {
        h1 { "新建申报表" }
        p { "先填表头、资金和年度目标；保存后在编辑页添加绩效指标。要沿用上年的表，请在申报表列表中点该项目的“复制为 N 年”。" }
        form method="post" action="/forms/new" class="grid new-form" {
            input type="hidden" name="_csrf" value=(auth.csrf);
            label for="n-name" { "项目名称" } input id="n-name" name="name" required maxlength="200";
            label for="n-year" { "年度" } input id="n-year" name="year" inputmode="numeric" required value=(year);
            label for="n-nature" { "项目性质" } input id="n-nature" name="nature" placeholder="如 经常性专项业务费";
            label for="n-category" { "项目类别" } input id="n-category" name="category" placeholder="如 特定目标类";
            label for="n-department" { "主管部门" } input id="n-department" name="department" value=(department);
            label for="n-implementer" { "实施单位" } input id="n-implementer" name="implementer" required value=(unit_name);
            label for="n-annual" { "年度资金申请总额（元）" } input id="n-annual" name="annual_total" inputmode="decimal" placeholder="如 1,200,000.00";
            label for="n-goal" { "年度总体目标" } textarea id="n-goal" name="goal_annual" rows="4" {}
            div class="buttons" { button type="submit" class="primary" { "创建并编辑指标" } " " a href="/forms" { "取消" } }
        }
    };
    layout("新建申报表", user, "forms", body).into_response()
}

#[derive(Deserialize)]
pub struct NewForm {
    name: String,
    year: String,
    #[serde(default)]
    nature: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    department: String,
    implementer: String,
    #[serde(default)]
    annual_total: String,
    #[serde(default)]
    goal_annual: String,
}

/// `POST /forms/new`: a draft with its header, to which the editor adds indicators.
pub async fn create(State(state): State<AppState>, post: PagePost<NewForm>) -> Response {
    let PagePost { auth, form: f } = post;
    let user = Some((&auth.user, auth.csrf.as_str()));
    let result = async {
        require_editor(&auth)?;
        let unit = crate::api::unit_of(&auth)?;
        let year: i32 = f
            .year
            .trim()
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                ApiError::bad_request(
                    format!("年度“{}”应为 2000–2100 的数字", f.year),
                    format!("the year “{}” must be a number from 2000 to 2100", f.year),
                )
            })?;
        let name = f.name.trim();
        if name.is_empty() || f.implementer.trim().is_empty() {
            return Err(ApiError::bad_request(
                "项目名称和实施单位必须填写",
                "the project name and the implementer are required",
            ));
        }
        let annual_total = match f.annual_total.trim() {
            "" => None,
            t => Some(Money::parse_scaled(t, 100).map_err(|e| {
                ApiError::bad_request(
                    format!("年度资金申请总额：{e}"),
                    format!("the annual request: {e}"),
                )
            })?),
        };
        if annual_total.is_some_and(|m| m.fen() < 0) {
            return Err(ApiError::bad_request(
                "金额不能为负",
                "an amount cannot be negative",
            ));
        }
        let form = Form {
            id: None,
            year,
            name: name.to_string(),
            nature: f.nature.trim().to_string(),
            category: f.category.trim().to_string(),
            department: f.department.trim().to_string(),
            implementer: f.implementer.trim().to_string(),
            start_date: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
            end_date: chrono::NaiveDate::from_ymd_opt(year, 12, 31),
            funds: Funds {
                annual_total,
                ..Funds::default()
            },
            goal_overall: String::new(),
            goal_annual: f.goal_annual.trim().to_string(),
            indicators: vec![],
        };
        form.funds
            .check()
            .map_err(|(_, zh, en)| ApiError::bad_request(zh, en))?;
        let id = audited(
            &state,
            &auth.user.username,
            &auth.ip,
            "form_create",
            "",
            &form.name,
            state
                .store
                .create_form(&form, Some(&unit), &auth.user.username),
        )
        .await?;
        crate::api::keep_findings(&state, &id).await;
        Ok::<_, ApiError>(id)
    }
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/forms/{id}/edit")).into_response(),
        Err(e) => error_page(user, &e),
    }
}
