//! Monitoring (绩效运行监控) and self-evaluation (绩效自评) pages of a form.

use super::{error_page, layout, money, PagePost, PageUser};
use crate::api::{check_visible, record_evaluation, record_period, score_with};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jixiao_core::monitor::{DeviationCategory, Likelihood, Progress, Thresholds};
use jixiao_core::score::{BudgetLine, Scheme, Scored, SelfEvaluation, SelfIndicator};
use jixiao_core::workflow::Role;
use jixiao_core::{Form, Money};
use maud::{html, Markup};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

type Values = HashMap<String, String>;

async fn load(state: &AppState, auth: &Auth, id: &str) -> Result<Form, ApiError> {
    let (form, meta) = state
        .store
        .form_with_meta(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check_visible(state, auth, meta).await?;
    Ok(form)
}

/// The tabs of a form's pages.
pub fn tabs(id: &str, current: &str) -> Markup {
    html! {
        nav class="tabs noprint" aria-label="申报表页面" {
            @for (href, label) in [(format!("/forms/{id}"), "申报表"), (format!("/forms/{id}/monitoring"), "绩效监控"), (format!("/forms/{id}/evaluation"), "绩效自评")] {
                a href=(href) aria-current=[(label == current).then_some("page")] { (label) }
            }
        }
    }
}

fn v<'a>(values: &'a Values, key: &str) -> &'a str {
    values.get(key).map(String::as_str).unwrap_or("")
}

/// A serde name as text (the Chinese word the entry form's select uses).
fn word<T: serde::Serialize>(x: Option<T>) -> String {
    x.and_then(|l| serde_json::to_value(l).ok())
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A stored period as the entry form's values, to reload it for correction.
fn period_values(form: &Form, r: &jixiao_core::monitor::PeriodReport) -> Values {
    let mut values = Values::new();
    values.insert("period".into(), r.period.label.clone());
    values.insert("spent".into(), r.spent.grouped());
    if let Some(f) = r.forecast_spent {
        values.insert("forecast_spent".into(), f.grouped());
    }
    for (k, ind) in form.indicators.iter().enumerate() {
        let Some(p) = r.indicators.iter().find(|p| {
            (p.indicator_id.is_some() && p.indicator_id == ind.id) || p.indicator == ind.name
        }) else {
            continue;
        };
        values.insert(format!("to_date_{k}"), p.to_date.clone());
        values.insert(format!("forecast_{k}"), p.forecast.clone());
        values.insert(format!("likelihood_{k}"), word(p.likelihood));
        values.insert(format!("category_{k}"), word(p.deviation_category));
        values.insert(format!("deviation_{k}"), p.deviation.clone());
        if p.rectification_needed {
            values.insert(format!("rect_{k}"), "是".into());
        }
        values.insert(format!("advice_{k}"), p.rectification_advice.clone());
        values.insert(format!("result_{k}"), p.rectification_result.clone());
    }
    values
}

/// What saving `new` over the stored period would change: (what, before, after).
fn period_changes(form: &Form, old: &Values, new: &Values) -> Vec<(String, String, String)> {
    let mut fields: Vec<(String, String)> = vec![
        ("spent".into(), "截至本期执行数（元）".into()),
        ("forecast_spent".into(), "全年预计执行数（元）".into()),
    ];
    for (k, ind) in form.indicators.iter().enumerate() {
        for (p, label) in [
            ("to_date", "截至本期完成"),
            ("forecast", "全年预计"),
            ("likelihood", "完成可能性"),
            ("category", "偏差类型"),
            ("deviation", "偏差原因"),
            ("rect", "是否整改"),
            ("advice", "整改建议"),
            ("result", "整改结果"),
        ] {
            fields.push((format!("{p}_{k}"), format!("{} {label}", ind.name)));
        }
    }
    let norm = |key: &str, x: &str| -> String {
        let x = x.trim();
        // Amounts compare as money: 500000 and 500,000.00 are the same figure.
        if key.ends_with("spent") {
            if let Ok(m) = Money::from_str(x) {
                return m.grouped();
            }
        }
        x.to_string()
    };
    fields
        .into_iter()
        .filter_map(|(key, label)| {
            let (a, b) = (norm(&key, v(old, &key)), norm(&key, v(new, &key)));
            (a != b).then_some((label, a, b))
        })
        .collect()
}

fn monitoring_page(
    state_user: (&Auth, &Form, &str),
    reports: &[(
        jixiao_core::monitor::PeriodReport,
        Vec<jixiao_core::monitor::Warning>,
    )],
    values: &Values,
    error: Option<&ApiError>,
    confirm: Option<&[(String, String, String)]>,
) -> Markup {
    let (auth, form, id) = state_user;
    let editing = reports
        .iter()
        .any(|(r, _)| r.period.label == v(values, "period").trim());
    let likely = [
        ("", "—"),
        ("确定能", "确定能"),
        ("有可能", "有可能"),
        ("完全不可能", "完全不可能"),
    ];
    let cats = [
        ("", "—"),
        ("经费保障", "经费保障"),
        ("制度保障", "制度保障"),
        ("人员保障", "人员保障"),
        ("硬件保障", "硬件保障"),
        ("其他", "其他"),
    ];
    html! {
        h1 { (form.name) }
        (tabs(id, "绩效监控"))
        @if let Some(e) = error { p class="error" role="alert" { (e.message) } }
        @if let Some(changes) = confirm {
            section class="confirm" aria-labelledby="confirm-h" {
                h2 id="confirm-h" { "确认替换“" (v(values, "period").trim()) "”已保存的数据" }
                @if changes.is_empty() {
                    p role="status" { "与已保存的数据相同，没有改动。" }
                } @else {
                    p role="alert" { "这个期间已经保存过。保存后下列 " (changes.len()) " 项将被替换：" }
                    table class="list changes" {
                        thead { tr { th scope="col" { "项目" } th scope="col" { "原来" } th scope="col" { "改为" } } }
                        tbody { @for (what, before, after) in changes { tr {
                            td { (what) }
                            td { (if before.is_empty() { "（空）" } else { before.as_str() }) }
                            td { @if after.is_empty() { strong { "（清空）" } } @else { (after) } }
                        } } }
                    }
                    form method="post" action={ "/forms/" (id) "/monitoring" } {
                        input type="hidden" name="_csrf" value=(auth.csrf);
                        input type="hidden" name="confirm" value="replace";
                        @for (k, val) in values.iter().filter(|(k, _)| *k != "_csrf" && *k != "confirm") {
                            input type="hidden" name=(k) value=(val);
                        }
                        button type="submit" class="primary" { "确认替换" }
                        " "
                        a href={ "/forms/" (id) "/monitoring" } { "放弃这些改动" }
                    }
                }
            }
        }
        @if reports.is_empty() { p class="muted" { "还没有录入监控数据。" } } @else {
            p class="buttons noprint" { a class="button" href={ "/api/forms/" (id) "/monitoring?format=xlsx" } download { "下载绩效运行监控表（Excel）" } }
        }
        @for (r, warnings) in reports.iter().rev() {
            section class="period" aria-labelledby={ "p-" (r.period.label) } {
                h2 id={ "p-" (r.period.label) } { (r.period.label) "（" (r.period.start_month) "–" (r.period.end_month) "月）" }
                @if auth.user.role == Role::Unit {
                    p class="noprint" { a href={ "/forms/" (id) "/monitoring?" (super::form_urlencoded(&[("period", &r.period.label)])) "#enter-h" } { "修改“" (r.period.label) "”的数据" } }
                }
                p { "执行数 " strong class="num" { (r.spent.grouped()) } " 元，年度预算 " span class="num" { (money(form.funds.annual_total)) } " 元"
                    @if let Some(f) = r.forecast_spent { "，全年预计执行 " span class="num" { (f.grouped()) } " 元" } }
                @if warnings.is_empty() { p class="ok" { "没有预警。" } }
                ul class="warnings" {
                    @for w in warnings {
                        li class={ "warning light-" (serde_json::to_value(w.light).ok().and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()) } {
                            span class="light" { (w.light.chinese()) "灯" } " " span class="code" { (w.code) } " "
                            @if let Some(i) = &w.indicator { "“" (i) "”：" }
                            (w.message) br; span class="numbers" { (w.numbers) }
                        }
                    }
                }
                table class="list" {
                    thead { tr { th scope="col" { "三级指标" } th scope="col" { "指标值" } th scope="col" { "截至本期完成" } th scope="col" { "全年预计" } th scope="col" { "完成可能性" } th scope="col" { "偏差原因" } th scope="col" { "整改" } } }
                    tbody { @for p in &r.indicators { tr {
                        td { (p.indicator) }
                        td { (form.indicators.iter().find(|i| i.name == p.indicator).map(|i| i.raw.as_str()).unwrap_or("")) }
                        td { (p.to_date) } td { (p.forecast) }
                        td { (p.likelihood.and_then(|l| serde_json::to_value(l).ok()).and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()) }
                        td { (p.deviation_category.and_then(|l| serde_json::to_value(l).ok()).and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()) " " (p.deviation) }
                        td {
                            @if p.rectification_needed {
                                @if p.rectification_result.trim().is_empty() { span class="badge warn" { "待整改" } } @else { span class="badge" { "已整改" } }
                                " " (p.rectification_advice)
                                @if !p.rectification_result.trim().is_empty() { br; "结果：" (p.rectification_result) }
                            }
                        }
                    } } }
                }
            }
        }
        @if auth.user.role == Role::Unit {
            section class="enter" aria-labelledby="enter-h" {
                h2 id="enter-h" { @if editing { "修改期间“" (v(values, "period").trim()) "”" } @else { "录入一个期间" } }
                @if editing { p class="muted" { "已保存的数据已载入下表；保存时会先列出改动，确认后才替换。" } }
                form method="post" action={ "/forms/" (id) "/monitoring" } {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    div class="grid" {
                        label for="period" { "期间（如 1-7月、Q2、全年）" } input id="period" name="period" required value=(if v(values, "period").is_empty() { "1-7月" } else { v(values, "period") });
                        label for="spent" { "截至本期执行数（元）" } input id="spent" name="spent" inputmode="decimal" required value=(v(values, "spent"));
                        label for="forecast_spent" { "全年预计执行数（元）" } input id="forecast_spent" name="forecast_spent" inputmode="decimal" value=(v(values, "forecast_spent"));
                    }
                    table class="list" {
                        thead { tr { th scope="col" { "三级指标" } th scope="col" { "指标值" } th scope="col" { "截至本期完成" } th scope="col" { "全年预计" } th scope="col" { "完成可能性" } th scope="col" { "偏差类型" } th scope="col" { "偏差原因" } th scope="col" { "是否整改" } th scope="col" { "整改建议" } th scope="col" { "整改结果" } } }
                        tbody {
                            @for (k, ind) in form.indicators.iter().enumerate() {
                                tr {
                                    td { (ind.name) } td { (ind.raw) }
                                    td { input name={ "to_date_" (k) } aria-label={ (ind.name) " 截至本期完成" } value=(v(values, &format!("to_date_{k}"))); }
                                    td { input name={ "forecast_" (k) } aria-label={ (ind.name) " 全年预计" } value=(v(values, &format!("forecast_{k}"))); }
                                    td { select name={ "likelihood_" (k) } aria-label={ (ind.name) " 完成可能性" } { @for (val, label) in likely { option value=(val) selected[v(values, &format!("likelihood_{k}")) == val] { (label) } } } }
                                    td { select name={ "category_" (k) } aria-label={ (ind.name) " 偏差类型" } { @for (val, label) in cats { option value=(val) selected[v(values, &format!("category_{k}")) == val] { (label) } } } }
                                    td { input name={ "deviation_" (k) } aria-label={ (ind.name) " 偏差原因" } value=(v(values, &format!("deviation_{k}"))); }
                                    td { select name={ "rect_" (k) } aria-label={ (ind.name) " 是否整改" } { option value="" { "否" } option value="是" selected[v(values, &format!("rect_{k}")) == "是"] { "是" } } }
                                    td { input name={ "advice_" (k) } aria-label={ (ind.name) " 整改建议" } value=(v(values, &format!("advice_{k}"))); }
                                    td { input name={ "result_" (k) } aria-label={ (ind.name) " 整改结果" } value=(v(values, &format!("result_{k}"))); }
                                }
                            }
                        }
                    }
                    button type="submit" class="primary" { "保存本期数据" }
                }
            }
        }
    }
}

/// `GET /forms/{id}/monitoring`
pub async fn monitoring(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // `?period=1-7月`: that period's stored figures loaded into the entry form.
    let mut values = Values::new();
    if let Some(label) = q.get("period") {
        if let Ok(form) = load(&state, &auth, &id).await {
            if let Ok(periods) = state.store.periods(&id).await {
                if let Some(r) = periods.iter().find(|r| &r.period.label == label) {
                    values = period_values(&form, r);
                }
            }
        }
    }
    render_monitoring(&state, &auth, &id, &values, None, None, StatusCode::OK).await
}

async fn render_monitoring(
    state: &AppState,
    auth: &Auth,
    id: &str,
    values: &Values,
    error: Option<ApiError>,
    confirm: Option<Vec<(String, String, String)>>,
    status: StatusCode,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let loaded = async {
        let form = load(state, auth, id).await?;
        let mut reports = vec![];
        for r in state.store.periods(id).await? {
            let w = jixiao_core::monitor::warnings(&form, &r, &Thresholds::default())
                .unwrap_or_default();
            reports.push((r, w));
        }
        Ok::<_, ApiError>((form, reports))
    }
    .await;
    match loaded {
        Ok((form, reports)) => (
            status,
            layout(
                &format!("{} 绩效监控", form.name),
                user,
                "",
                monitoring_page(
                    (auth, &form, id),
                    &reports,
                    values,
                    error.as_ref(),
                    confirm.as_deref(),
                ),
            ),
        )
            .into_response(),
        Err(e) => error_page(user, &e),
    }
}

/// `POST /forms/{id}/monitoring`
pub async fn save_monitoring(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<Values>,
) -> Response {
    let values = post.form;
    let result = async {
        let form = load(&state, &post.auth, &id).await?;
        let amount = |key: &str, label: &str| -> Result<Option<Money>, ApiError> {
            let t = v(&values, key).trim();
            if t.is_empty() {
                return Ok(None);
            }
            Money::from_str(t).map(Some).map_err(|e| {
                ApiError::bad_request(format!("{label}：{e}"), format!("{label}: {e}"))
            })
        };
        let spent = amount("spent", "截至本期执行数")?.ok_or_else(|| {
            ApiError::bad_request("请填写截至本期执行数", "the amount spent is required")
        })?;
        let forecast_spent = amount("forecast_spent", "全年预计执行数")?;
        let mut progress = vec![];
        for (k, ind) in form.indicators.iter().enumerate() {
            let get = |p: &str| v(&values, &format!("{p}_{k}")).trim().to_string();
            let (to_date, forecast, likely, cat, deviation) = (
                get("to_date"),
                get("forecast"),
                get("likelihood"),
                get("category"),
                get("deviation"),
            );
            let (rect, advice, outcome) = (get("rect"), get("advice"), get("result"));
            if [
                &to_date, &forecast, &likely, &cat, &deviation, &rect, &advice, &outcome,
            ]
            .iter()
            .all(|x| x.is_empty())
            {
                continue;
            }
            if rect == "是" && advice.is_empty() {
                return Err(ApiError::bad_request(
                    format!("“{}”需整改：请写明整改建议", ind.name),
                    format!("“{}” needs rectification: write the advice", ind.name),
                ));
            }
            progress.push(Progress {
                indicator_id: ind.id.clone(),
                indicator: ind.name.clone(),
                to_date,
                forecast,
                likelihood: Likelihood::read(&likely),
                deviation_category: DeviationCategory::read(&cat),
                deviation,
                rectification_needed: rect == "是",
                rectification_advice: advice,
                rectification_result: outcome,
            });
        }
        // Replacing a saved period: once everything typed is valid, first show what changes;
        // save only once confirmed.
        if v(&values, "confirm") != "replace" {
            let label = v(&values, "period").trim();
            if let Some(old) = state
                .store
                .periods(&id)
                .await?
                .iter()
                .find(|r| r.period.label == label)
            {
                return Ok(Some(period_changes(
                    &form,
                    &period_values(&form, old),
                    &values,
                )));
            }
        }
        record_period(
            &state,
            &post.auth,
            &id,
            v(&values, "period").trim(),
            spent,
            forecast_spent,
            progress,
        )
        .await
        .map(|_| None)
    }
    .await;
    match result {
        Ok(None) => {
            axum::response::Redirect::to(&format!("/forms/{id}/monitoring")).into_response()
        }
        Ok(Some(changes)) => {
            render_monitoring(
                &state,
                &post.auth,
                &id,
                &values,
                None,
                Some(changes),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let status = e.status;
            render_monitoring(&state, &post.auth, &id, &values, Some(e), None, status).await
        }
    }
}

fn scores_table(scored: &Scored) -> Markup {
    html! {
        p { "预算执行：" (scored.budget_explanation) }
        table class="list scores" {
            thead { tr { th scope="col" { "一级指标" } th scope="col" { "三级指标" } th scope="col" { "年度指标值" } th scope="col" { "实际完成值" } th scope="col" { "分值" } th scope="col" { "得分" } th scope="col" { "计分说明" } } }
            tbody {
                tr { td colspan="4" { "预算执行率 " (scored.execution_rate) "%" } td class="num" { (scored.budget_weight) } td class="num" { (scored.budget_score) } td { "执行率 × 分值，不超过分值" } }
                @for s in &scored.indicators {
                    tr class=[(!s.met).then_some("missed")] {
                        td class="level" { (s.level1.name()) } td { (s.name) } td class=[(s.target.chars().count() <= 16).then_some("value")] { (s.target) } td class=[(s.actual.chars().count() <= 16).then_some("value")] { (s.actual) }
                        td class="num" { (s.weight.normalize()) } td class="num score" { (s.score) } td class="explain" { (s.explanation) }
                    }
                }
            }
            tfoot { tr { th colspan="5" scope="row" { "总分" } td class="num total" { (scored.total) } td { "等级：" strong class="grade" { (scored.grade.chinese()) } } } }
        }
        @if !scored.departures.is_empty() {
            h3 { "自评与规则不符之处（" (scored.departures.len()) "）" }
            ul class="departures" {
                @for d in &scored.departures {
                    li { strong { (d.indicator) } "：自评 " (d.self_score.map(|s| s.normalize().to_string()).unwrap_or("—".into())) "，按规则 " (d.computed.normalize()) " — " (d.reason) }
                }
            }
        }
    }
}

fn evaluation_page(
    auth: &Auth,
    form: &Form,
    id: &str,
    eval: Option<&SelfEvaluation>,
    scored: Option<&Scored>,
    error: Option<&ApiError>,
    scheme: &str,
) -> Markup {
    let find = |name: &str| eval.and_then(|e| e.indicators.iter().find(|i| i.name == name));
    let dec = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    html! {
        h1 { (form.name) }
        (tabs(id, "绩效自评"))
        @if let Some(e) = error { p class="error" role="alert" { (e.message) } }
        @if let Some(s) = scored {
            section aria-labelledby="score-h" {
                h2 id="score-h" { "项目支出绩效自评表（计分方案：" (Scheme::builtin().iter().find(|x| x.name == s.scheme).map(|x| x.label().to_string()).unwrap_or_else(|| s.scheme.clone())) "）" }
                form method="get" class="filters noprint" {
                    label { "计分方案 " select name="scheme" { @for sc in Scheme::builtin() { option value=(sc.name) selected[sc.name == scheme] { (sc.label()) } } } }
                    button type="submit" { "重新计分" }
                    " "
                    a class="button" href={ "/api/forms/" (id) "/score?format=xlsx&scheme=" (scheme) } download { "下载自评表（Excel）" }
                }
                (scores_table(s))
            }
        } @else { p class="muted" { "还没有自评数据。" } }
        @if auth.user.role == Role::Unit {
            section class="enter" aria-labelledby="enter-ev" {
                h2 id="enter-ev" { "填报自评" }
                form method="post" action={ "/forms/" (id) "/evaluation" } {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    div class="grid" {
                        label for="annual_budget" { "全年预算数（元）" } input id="annual_budget" name="annual_budget" inputmode="decimal" required value=(eval.map(|e| e.budget.in_yuan().0).or(form.funds.annual_total.map(|m| m.to_yuan())).map(|m| m.to_string()).unwrap_or_default());
                        label for="spent" { "全年执行数（元）" } input id="spent" name="spent" inputmode="decimal" required value=(eval.map(|e| e.budget.in_yuan().1.to_string()).unwrap_or_default());
                        label for="budget_self" { "预算执行自评得分" } input id="budget_self" name="budget_self" inputmode="decimal" value=(dec(eval.and_then(|e| e.budget.self_score)));
                    }
                    table class="list" {
                        thead { tr { th scope="col" { "三级指标" } th scope="col" { "年度指标值" } th scope="col" { "实际完成值" } th scope="col" { "分值（空则按方案平分）" } th scope="col" { "自评得分" } } }
                        tbody {
                            @for (k, ind) in form.indicators.iter().enumerate() {
                                @let mine = find(&ind.name);
                                tr {
                                    td { (ind.name) } td { (ind.raw) }
                                    td { input name={ "actual_" (k) } aria-label={ (ind.name) " 实际完成值" } value=(mine.map(|m| m.actual.as_str()).unwrap_or("")); }
                                    td { input name={ "weight_" (k) } aria-label={ (ind.name) " 分值" } inputmode="decimal" size="5" value=(dec(mine.and_then(|m| m.weight))); }
                                    td { input name={ "self_" (k) } aria-label={ (ind.name) " 自评得分" } inputmode="decimal" size="5" value=(dec(mine.and_then(|m| m.self_score))); }
                                }
                            }
                        }
                    }
                    button type="submit" class="primary" { "保存并计分" }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct SchemeParam {
    scheme: Option<String>,
}

/// `GET /forms/{id}/evaluation`
pub async fn evaluation(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(q): Query<SchemeParam>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let scheme_name = q.scheme.unwrap_or_else(|| "national".into());
    let loaded = async {
        let form = load(&state, &auth, &id).await?;
        let eval = state.store.self_evaluation(&id).await?;
        let scheme = Scheme::builtin()
            .into_iter()
            .find(|s| s.name == scheme_name)
            .ok_or_else(|| {
                ApiError::bad_request(format!("没有计分方案“{scheme_name}”"), "no such scheme")
            })?;
        let scored = match &eval {
            Some(e) => Some(score_with(&form, e, &scheme)?),
            None => None,
        };
        let docs = state.store.documents(&id).await?;
        Ok::<_, ApiError>((form, eval, scored, docs))
    }
    .await;
    match loaded {
        Ok((form, eval, scored, docs)) => layout(
            &format!("{} 绩效自评", form.name),
            user,
            "",
            html! {
                (evaluation_page(&auth, &form, &id, eval.as_ref(), scored.as_ref(), None, &scheme_name))
                (documents_section(&auth, &form, &id, &docs))
            },
        )
        .into_response(),
        Err(e) => error_page(user, &e),
    }
}

/// `POST /forms/{id}/evaluation`
pub async fn save_evaluation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<Values>,
) -> Response {
    let auth = &post.auth;
    let user = Some((&auth.user, auth.csrf.as_str()));
    let values = &post.form;
    let form = match load(&state, auth, &id).await {
        Ok(f) => f,
        Err(e) => return error_page(user, &e),
    };
    let parsed = (|| {
        let amount = |key: &str, label: &str| {
            Money::from_str(v(values, key).trim()).map_err(|e| {
                ApiError::bad_request(format!("{label}：{e}"), format!("{label}: {e}"))
            })
        };
        let number = |key: &str, label: &str| -> Result<Option<Decimal>, ApiError> {
            let t = v(values, key).trim();
            if t.is_empty() {
                return Ok(None);
            }
            Decimal::from_str(t).map(Some).map_err(|_| {
                ApiError::bad_request(
                    format!("{label}“{t}”不是数值"),
                    format!("{label} “{t}” is not a number"),
                )
            })
        };
        let mut indicators = vec![];
        for (k, ind) in form.indicators.iter().enumerate() {
            let actual = v(values, &format!("actual_{k}")).trim().to_string();
            if actual.is_empty() {
                continue;
            }
            indicators.push(SelfIndicator {
                level1: Some(ind.level1),
                level2: ind.level2,
                name: ind.name.clone(),
                target: None,
                actual,
                weight: number(&format!("weight_{k}"), &format!("“{}”的分值", ind.name))?,
                self_score: number(&format!("self_{k}"), &format!("“{}”的自评得分", ind.name))?,
                deviation: String::new(),
            });
        }
        Ok::<_, ApiError>(SelfEvaluation {
            budget: BudgetLine {
                annual_budget: amount("annual_budget", "全年预算数")?.to_yuan(),
                spent: amount("spent", "全年执行数")?.to_yuan(),
                unit: None,
                weight: None,
                self_score: number("budget_self", "预算执行自评得分")?,
            },
            indicators,
            total: None,
        })
    })();
    let result = match &parsed {
        Ok(eval) => record_evaluation(&state, auth, &id, eval).await,
        Err(e) => Err(ApiError::new(
            e.status,
            e.code,
            e.message.clone(),
            e.message_en.clone(),
        )),
    };
    match (result, parsed) {
        (Ok(scored), Ok(eval)) => layout(
            &format!("{} 绩效自评", form.name),
            user,
            "",
            evaluation_page(
                auth,
                &form,
                &id,
                Some(&eval),
                Some(&scored),
                None,
                "national",
            ),
        )
        .into_response(),
        (Err(e), parsed) => {
            let status = e.status;
            (
                status,
                layout(
                    &format!("{} 绩效自评", form.name),
                    user,
                    "",
                    evaluation_page(
                        auth,
                        &form,
                        &id,
                        parsed.as_ref().ok(),
                        None,
                        Some(&e),
                        "national",
                    ),
                ),
            )
                .into_response()
        }
        (Ok(_), Err(e)) => error_page(user, &e),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct RectParams {
    #[serde(default)]
    department: String,
}

/// `GET /rectifications`: open rectifications (整改) in the user's scope — indicators the
/// latest monitoring period of each form marks 需整改 with no result yet — by department.
pub async fn rectifications(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Query(p): Query<RectParams>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let loaded = async {
        let mut latest: HashMap<String, jixiao_core::monitor::PeriodReport> = HashMap::new();
        for (id, r) in state.store.all_periods().await? {
            let newer = latest
                .get(&id)
                .is_none_or(|o| r.period.end_month >= o.period.end_month);
            if newer {
                latest.insert(id, r);
            }
        }
        let mut rows = vec![];
        for (id, r) in latest {
            let Some((form, meta)) = state.store.form_with_meta(&id).await? else {
                continue;
            };
            if check_visible(&state, &auth, meta).await.is_err() {
                continue;
            }
            if !p.department.trim().is_empty() && form.department != p.department.trim() {
                continue;
            }
            for x in r
                .indicators
                .iter()
                .filter(|x| x.rectification_needed && x.rectification_result.trim().is_empty())
            {
                rows.push((
                    form.department.clone(),
                    form.implementer.clone(),
                    form.name.clone(),
                    form.year,
                    id.clone(),
                    r.period.label.clone(),
                    x.indicator.clone(),
                    x.rectification_advice.clone(),
                ));
            }
        }
        rows.sort();
        Ok::<_, ApiError>(rows)
    }
    .await;
    let rows = match loaded {
        Ok(r) => r,
        Err(e) => return error_page(user, &e),
    };
    let body = html! {
        h1 { "待整改" }
        p { "各项目最近一期监控中标为“需整改”、尚未填写整改结果的指标。整改结果在该项目的“绩效监控”中修改本期数据时填写。" }
        form method="get" action="/rectifications" class="filters" {
            label { "主管部门 " input name="department" value=(p.department); }
            button type="submit" { "筛选" }
        }
        p role="status" { "共 " (rows.len()) " 项待整改。" }
        @if !rows.is_empty() {
            table class="list" {
                thead { tr { th scope="col" { "主管部门" } th scope="col" { "实施单位" } th scope="col" { "项目" } th scope="col" { "期间" } th scope="col" { "三级指标" } th scope="col" { "整改建议" } } }
                tbody { @for (dept, unit, name, year, id, period, ind, advice) in &rows { tr {
                    td { (dept) } td { (unit) }
                    td { a href={ "/forms/" (id) "/monitoring" } { (name) "（" (year) "年度）" } }
                    td { (period) } td { (ind) } td { (advice) }
                } } }
            }
        }
    };
    layout("待整改", user, "/rectifications", body).into_response()
}

/// The form's supporting documents (佐证材料): listed for everyone who may read the form,
/// uploaded by its unit.
fn documents_section(
    auth: &Auth,
    form: &Form,
    id: &str,
    docs: &[jixiao_store::Document],
) -> Markup {
    let indicator = |iid: &Option<String>| {
        iid.as_ref()
            .and_then(|i| form.indicators.iter().find(|x| x.id.as_ref() == Some(i)))
            .map(|x| x.name.clone())
            .unwrap_or_else(|| "（整张表）".into())
    };
    html! {
        section class="documents" aria-labelledby="docs-h" {
            h2 id="docs-h" { "佐证材料（" (docs.len()) "）" }
            @if docs.is_empty() { p class="muted" { "还没有佐证材料。" } } @else {
                table class="list" {
                    thead { tr { th scope="col" { "文件" } th scope="col" { "佐证的指标" } th scope="col" { "大小" } th scope="col" { "SM3 摘要" } th scope="col" { "上传" } } }
                    tbody { @for d in docs { tr {
                        td { a href={ "/api/documents/" (d.id) } download { (d.name) } }
                        td { (indicator(&d.indicator_id)) }
                        td class="num" { (format!("{:.1} KB", d.size as f64 / 1024.0)) }
                        td { code title=(d.sm3) { (d.sm3.get(..16).unwrap_or(&d.sm3)) "…" } }
                        td { (d.uploaded_by) "，" (crate::auth::beijing(&d.uploaded_at)) }
                    } } }
                }
            }
            @if auth.user.role == Role::Unit {
                form method="post" action={ "/forms/" (id) "/documents" } enctype="multipart/form-data" class="enter" {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    label for="doc-ind" { "佐证的指标" }
                    select id="doc-ind" name="indicator_id" {
                        option value="" { "（整张表）" }
                        @for i in &form.indicators { @if let Some(iid) = &i.id { option value=(iid) { (i.name) } } }
                    }
                    label for="doc-file" { "文件（PDF、图片、Word、Excel、OFD，最大 10 MB）" }
                    input id="doc-file" type="file" name="file" required accept=".pdf,.png,.jpg,.jpeg,.doc,.docx,.xls,.xlsx,.ofd";
                    button type="submit" class="primary" { "上传佐证材料" }
                }
            }
        }
    }
}

/// `POST /forms/{id}/documents` (multipart: `_csrf`, `indicator_id`, `file`).
pub async fn upload_document(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    parts: axum::extract::Multipart,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let up = match super::read_upload(parts, &auth).await {
        Ok(u) => u,
        Err(e) => return error_page(user, &e),
    };
    let indicator = up.fields.get("indicator_id").cloned().unwrap_or_default();
    let (file, name) = (up.file, up.filename);
    match crate::documents::attach(&state, &auth, &id, Some(&indicator), &name, &file).await {
        Ok(_) => {
            axum::response::Redirect::to(&format!("/forms/{id}/evaluation#docs-h")).into_response()
        }
        Err(e) => error_page(user, &e),
    }
}
