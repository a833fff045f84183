//! Monitoring (绩效运行监控) and self-evaluation (绩效自评) pages of a form.

use super::{error_page, layout, money, PagePost, PageUser};
use crate::api::{check_visible, record_evaluation, record_period, score_with, take_eval_action};
use crate::auth::beijing;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jixiao_core::monitor::{DeviationCategory, Likelihood, Progress, Thresholds};
use jixiao_core::score::{BudgetLine, Scheme, Scored, SelfEvaluation, SelfIndicator};
use jixiao_core::workflow::{self, Action, EvalStatus, Role};
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
                            span class="light" { (w.light.chinese()) "灯" } " "
                            @if let Some(i) = &w.indicator { "“" (i) "”：" }
                            (w.message) " " span class="code" title="预警代码" { (w.code) }
                            br; span class="numbers" { (w.numbers) }
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

/// Everything the self-evaluation page shows.
struct EvalView<'a> {
    form: &'a Form,
    id: &'a str,
    eval: Option<&'a SelfEvaluation>,
    scored: Option<&'a Scored>,
    status: Option<EvalStatus>,
    history: &'a [jixiao_store::EvalTransition],
    people: &'a HashMap<String, String>,
    error: Option<&'a ApiError>,
    notice: Option<&'a str>,
    scheme: &'a str,
}

/// The 项目支出绩效自评表 of 财预〔2020〕10号 as the unit files it: the header block, the
/// funds line, 年度总体目标 预期目标 / 实际完成情况, and the indicators with their actuals,
/// points, scores and 偏差原因分析及改进措施; each score explained beside it (not printed).
fn official_self_table(form: &Form, eval: &SelfEvaluation, scored: &Scored) -> Markup {
    let deviation = |name: &str| {
        eval.indicators
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.deviation.as_str())
            .unwrap_or("")
    };
    let (annual, spent) = eval.budget.in_yuan();
    let weights: Decimal =
        scored.budget_weight + scored.indicators.iter().map(|s| s.weight).sum::<Decimal>();
    // Rows spanned by each level-1 group, as the printed table merges them.
    let n = scored.indicators.len();
    let mut span1 = vec![0usize; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && scored.indicators[j].level1 == scored.indicators[i].level1 {
            j += 1;
        }
        span1[i] = j - i;
        i = j;
    }
    html! {
        div class="sheet" {
            h2 class="sheet-title" id="score-h" { "项目支出绩效自评表" }
            p class="sheet-year" { "（" (form.year) "年度）" }
            p class="scheme-name" { "计分方案：" (Scheme::builtin().iter().find(|x| x.name == scored.scheme).map(|x| x.label().to_string()).unwrap_or_else(|| scored.scheme.clone())) }
            table class="official self-head" {
                tbody {
                    tr { th scope="row" { "项目名称" } td colspan="6" class="strong" { (form.name) } }
                    tr { th scope="row" { "主管部门" } td colspan="2" { (form.department) } th scope="row" { "实施单位" } td colspan="3" { (form.implementer) } }
                    tr { th rowspan="2" scope="rowgroup" { "项目资金" br; "（元）" } th { "年初预算数" } th { "全年预算数" } th { "全年执行数" } th { "分值" } th { "执行率" } th { "得分" } }
                    tr {
                        td class="num" { (money(form.funds.annual_total)) }
                        td class="num" { (jixiao_core::score::grouped(annual)) }
                        td class="num" { (jixiao_core::score::grouped(spent)) }
                        td class="num" { (scored.budget_weight.normalize()) }
                        td class="num" { (scored.execution_rate) "%" }
                        td class="num score" title=(scored.budget_explanation) { (scored.budget_score) }
                    }
                    tr { th rowspan="2" scope="rowgroup" { "年度总体目标" } th colspan="3" { "预期目标" } th colspan="3" { "实际完成情况" } }
                    tr { td colspan="3" class="goal" { (super::form::paragraphs(&form.goal_annual)) } td colspan="3" class="goal" { (super::form::paragraphs(&eval.overall_actual)) } }
                }
            }
            table class="official indicators scores" {
                thead { tr {
                    th scope="col" { "一级指标" } th scope="col" { "二级指标" } th scope="col" { "三级指标" }
                    th scope="col" { "年度指标值" } th scope="col" { "实际完成值" } th scope="col" { "分值" } th scope="col" { "得分" }
                    th scope="col" { "偏差原因分析及改进措施" } th scope="col" class="noprint" { "计分说明" }
                } }
                tbody {
                    @for (k, s) in scored.indicators.iter().enumerate() {
                        tr class=[(!s.met).then_some("missed")] {
                            @if span1[k] > 0 { th scope="rowgroup" rowspan=(span1[k]) class="level" { (s.level1.name()) } }
                            td class="level" { (s.level2.map(|l| l.name()).unwrap_or("")) }
                            td { (s.name) }
                            td class=[(s.target.chars().count() <= 16).then_some("value")] { (s.target) }
                            td class=[(s.actual.chars().count() <= 16).then_some("value")] { (s.actual) }
                            td class="num" { (s.weight.normalize()) }
                            td class="num score" { (s.score) }
                            td { (deviation(&s.name)) }
                            td class="explain noprint" { (s.explanation) }
                        }
                    }
                }
                tfoot { tr {
                    th colspan="5" scope="row" { "总分" }
                    td class="num" { (weights.normalize()) }
                    td class="num total" { (scored.total) }
                    td colspan="2" { "自评等级：" strong class="grade" { (scored.grade.chinese()) }
                        @if let Some(t) = scored.self_total { span class="muted" { "（单位自评总分 " (t.normalize()) "）" } } }
                } }
            }
            p class="noprint muted" { "预算执行：" (scored.budget_explanation) }
        }
        @if !scored.needs_judgement.is_empty() {
            h3 { "需要审核人判断的实际完成值（" (scored.needs_judgement.len()) "）" }
            ul class="departures" {
                @for j in &scored.needs_judgement { li { strong { (j.indicator) } "：" (chinese_part(&j.reason)) } }
            }
        }
        @if !scored.departures.is_empty() {
            h3 { "自评与规则不符之处（" (scored.departures.len()) "）" }
            ul class="departures" {
                @for d in &scored.departures {
                    li { strong { (d.indicator) } "：自评 " (d.self_score.map(|s| s.normalize().to_string()).unwrap_or("—".into())) "，按规则 " (d.computed.normalize()) " — " (chinese_part(&d.reason)) }
                }
            }
        }
    }
}

/// The Chinese half of a bilingual message (`中文 / English`), as the pages show it.
fn chinese_part(text: &str) -> &str {
    text.split_once(" / ").map_or(text, |(zh, _)| zh)
}

/// What the signed-in user may do with the self-evaluation now, with the button's words.
fn eval_actions(role: Role, status: Option<EvalStatus>) -> Vec<(Action, &'static str)> {
    let Some(status) = status else { return vec![] };
    [
        (Action::Submit, "自评送审"),
        (Action::Withdraw, "撤回自评"),
        (Action::Approve, "自评审核通过"),
        (Action::Return, "退回自评"),
    ]
    .into_iter()
    .filter(|(a, _)| workflow::eval_transition(status, *a, role, "x").is_ok())
    .collect()
}

fn evaluation_page(auth: &Auth, view: &EvalView) -> Markup {
    let EvalView {
        form,
        id,
        eval,
        scored,
        status,
        history,
        people,
        error,
        notice,
        scheme,
    } = *view;
    let find = |name: &str| eval.and_then(|e| e.indicators.iter().find(|i| i.name == name));
    let dec = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    let actions = eval_actions(auth.user.role, status);
    let editable = auth.user.role == Role::Unit && status.is_none_or(|s| s.editable());
    let last_return = history.iter().rev().find(|t| t.action == Action::Return);
    let who = |actor: &str| {
        people
            .get(actor)
            .map(|n| format!("{n}（{actor}）"))
            .unwrap_or_else(|| actor.to_string())
    };
    html! {
        h1 { (form.name) }
        (tabs(id, "绩效自评"))
        p class="status-line" {
            "自评状态："
            @match status {
                Some(s) => strong class={ "eval-status eval-" (s.name()) } { (s.chinese()) },
                None => span class="muted" { "未填报" },
            }
        }
        @if let Some(n) = notice { p class="notice" role="status" { (n) } }
        @if let Some(e) = error { p class="error" role="alert" { (e.message) } }
        @if status == Some(EvalStatus::Returned) {
            @if let Some(t) = last_return {
                p class="error" role="alert" { "自评被 " (who(&t.actor)) " 于 " (beijing(&t.at)) " 退回：" (t.comment) }
            }
        }
        @if let (Some(s), Some(e)) = (scored, eval) {
            section aria-labelledby="score-h" {
                form method="get" class="filters noprint" {
                    label { "计分方案 " select name="scheme" { @for sc in Scheme::builtin() { option value=(sc.name) selected[sc.name == scheme] { (sc.label()) } } } }
                    button type="submit" { "重新计分" }
                    " "
                    a class="button" href={ "/api/forms/" (id) "/score?format=xlsx&scheme=" (scheme) } download { "下载自评表（Excel）" }
                    " "
                    button type="button" data-action="print" { "打印" }
                }
                (official_self_table(form, e, s))
            }
        } @else { p class="muted" { "还没有自评数据。" } }
        @if !actions.is_empty() {
            section class="actions noprint" aria-labelledby="eval-act-h" {
                h2 id="eval-act-h" { "自评审核" }
                form method="post" action={ "/forms/" (id) "/evaluation/action" } {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    @if actions.iter().any(|(a, _)| *a == Action::Return) {
                        label for="eval-comment" { "意见（退回时必填）" }
                        textarea id="eval-comment" name="comment" rows="3" {}
                    }
                    @for (a, label) in &actions {
                        @let ask = match a {
                            Action::Submit => Some("确认自评送审？送审后在退回前不能修改。"),
                            Action::Approve => Some("确认自评审核通过？"),
                            _ => None,
                        };
                        button type="submit" name="action" value=(a.name()) class={ "act-" (a.name()) } data-confirm=[ask] { (label) }
                    }
                }
            }
        }
        @if !history.is_empty() {
            section class="history noprint" aria-labelledby="eval-hist-h" {
                h2 id="eval-hist-h" { "自评流程记录" }
                table class="list" {
                    thead { tr { th scope="col" { "时间" } th scope="col" { "操作" } th scope="col" { "操作人" } th scope="col" { "状态" } th scope="col" { "意见" } } }
                    tbody { @for t in history { tr {
                        td class="when" { (beijing(&t.at)) }
                        td { (t.action.chinese()) }
                        td { (who(&t.actor)) }
                        td { (t.from.chinese()) " → " (t.to.chinese()) }
                        td { (t.comment) }
                    } } }
                }
            }
        }
        @if auth.user.role == Role::Unit && !editable {
            p class="muted noprint" { "自评" (status.map(|s| s.chinese()).unwrap_or("")) "，不能修改；需要修改时请先撤回，或等待退回。" }
        }
        @if editable {
            section class="enter noprint" aria-labelledby="enter-ev" {
                h2 id="enter-ev" { "填报自评" }
                form method="post" action={ "/forms/" (id) "/evaluation" } {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    div class="grid" {
                        label for="annual_budget" { "全年预算数（元）" } input id="annual_budget" name="annual_budget" inputmode="decimal" required value=(eval.map(|e| e.budget.in_yuan().0).or(form.funds.annual_total.map(|m| m.to_yuan())).map(|m| m.to_string()).unwrap_or_default());
                        label for="spent" { "全年执行数（元）" } input id="spent" name="spent" inputmode="decimal" required value=(eval.map(|e| e.budget.in_yuan().1.to_string()).unwrap_or_default());
                        label for="budget_self" { "预算执行自评得分" } input id="budget_self" name="budget_self" inputmode="decimal" value=(dec(eval.and_then(|e| e.budget.self_score)));
                    }
                    label for="overall_actual" { "年度总体目标实际完成情况" }
                    p class="muted" { "预期目标：" (form.goal_annual) }
                    textarea id="overall_actual" name="overall_actual" rows="4" { (eval.map(|e| e.overall_actual.as_str()).unwrap_or("")) }
                    div class="table-scroll" {
                        table class="list" {
                            thead { tr { th scope="col" { "三级指标" } th scope="col" { "年度指标值" } th scope="col" { "实际完成值" } th scope="col" { "分值（空则按方案平分）" } th scope="col" { "自评得分" } th scope="col" { "偏差原因分析及改进措施" } } }
                            tbody {
                                @for (k, ind) in form.indicators.iter().enumerate() {
                                    @let mine = find(&ind.name);
                                    tr {
                                        td { (ind.name) } td { (ind.raw) }
                                        td { input name={ "actual_" (k) } aria-label={ (ind.name) " 实际完成值" } value=(mine.map(|m| m.actual.as_str()).unwrap_or("")); }
                                        td { input name={ "weight_" (k) } aria-label={ (ind.name) " 分值" } inputmode="decimal" size="5" value=(dec(mine.and_then(|m| m.weight))); }
                                        td { input name={ "self_" (k) } aria-label={ (ind.name) " 自评得分" } inputmode="decimal" size="5" value=(dec(mine.and_then(|m| m.self_score))); }
                                        td { textarea name={ "deviation_" (k) } aria-label={ (ind.name) " 偏差原因分析及改进措施" } rows="1" { (mine.map(|m| m.deviation.as_str()).unwrap_or("")) } }
                                    }
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
    saved: Option<String>,
}

/// Loads what the self-evaluation page shows and renders it (with an error or a notice).
async fn render_evaluation(
    state: &AppState,
    auth: &Auth,
    id: &str,
    scheme_name: &str,
    typed: Option<&SelfEvaluation>,
    error: Option<&ApiError>,
    notice: Option<&str>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let loaded = async {
        let form = load(state, auth, id).await?;
        let stored = state.store.self_evaluation(id).await?;
        let status = state.store.eval_status(id).await?;
        let history = state.store.eval_transitions(id).await?;
        let people = super::people(state).await?;
        let scheme = Scheme::builtin()
            .into_iter()
            .find(|s| s.name == scheme_name)
            .ok_or_else(|| {
                ApiError::bad_request(format!("没有计分方案“{scheme_name}”"), "no such scheme")
            })?;
        let scored = match &stored {
            Some(e) => Some(score_with(&form, e, &scheme)?),
            None => None,
        };
        let docs = state.store.documents(id).await?;
        Ok::<_, ApiError>((form, stored, status, history, people, scored, docs))
    }
    .await;
    match loaded {
        Ok((form, stored, status, history, people, scored, docs)) => {
            let view = EvalView {
                form: &form,
                id,
                // What the user typed, when a save failed; what is stored otherwise.
                eval: typed.or(stored.as_ref()),
                scored: scored.as_ref(),
                status,
                history: &history,
                people: &people,
                error,
                notice,
                scheme: scheme_name,
            };
            let page = layout(
                &format!("{} 绩效自评", form.name),
                user,
                "",
                html! {
                    (evaluation_page(auth, &view))
                    (documents_section(auth, &form, id, &docs, status))
                },
            );
            match error {
                Some(e) => (e.status, page).into_response(),
                None => page.into_response(),
            }
        }
        Err(e) => error_page(user, &e),
    }
}

/// `GET /forms/{id}/evaluation`
pub async fn evaluation(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(q): Query<SchemeParam>,
) -> Response {
    let scheme = q.scheme.unwrap_or_else(|| "national".into());
    let notice = q.saved.map(|_| "自评已保存并计分。");
    render_evaluation(&state, &auth, &id, &scheme, None, None, notice).await
}

/// The entry form's values as a self-evaluation of `form`.
fn typed_evaluation(form: &Form, values: &Values) -> Result<SelfEvaluation, ApiError> {
    let amount = |key: &str, label: &str| {
        Money::from_str(v(values, key).trim())
            .map_err(|e| ApiError::bad_request(format!("{label}：{e}"), format!("{label}: {e}")))
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
        let deviation = v(values, &format!("deviation_{k}")).trim().to_string();
        if actual.is_empty() {
            if !deviation.is_empty() {
                return Err(ApiError::bad_request(
                    format!("“{}”写了偏差原因，但没有实际完成值", ind.name),
                    format!("“{}” has a deviation reason but no actual value", ind.name),
                ));
            }
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
            deviation,
        });
    }
    Ok(SelfEvaluation {
        budget: BudgetLine {
            annual_budget: amount("annual_budget", "全年预算数")?.to_yuan(),
            spent: amount("spent", "全年执行数")?.to_yuan(),
            unit: None,
            weight: None,
            self_score: number("budget_self", "预算执行自评得分")?,
        },
        indicators,
        total: None,
        overall_actual: v(values, "overall_actual").trim().to_string(),
    })
}

/// `POST /forms/{id}/evaluation`: saved, then back to the page (a reload does not post again).
pub async fn save_evaluation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<Values>,
) -> Response {
    let auth = &post.auth;
    let user = Some((&auth.user, auth.csrf.as_str()));
    let form = match load(&state, auth, &id).await {
        Ok(f) => f,
        Err(e) => return error_page(user, &e),
    };
    let typed = typed_evaluation(&form, &post.form);
    let result = match &typed {
        Ok(eval) => record_evaluation(&state, auth, &id, eval).await.map(|_| ()),
        Err(e) => Err(ApiError::new(
            e.status,
            e.code,
            e.message.clone(),
            e.message_en.clone(),
        )),
    };
    match result {
        Ok(()) => axum::response::Redirect::to(&format!("/forms/{id}/evaluation?saved=1#score-h"))
            .into_response(),
        Err(e) => {
            render_evaluation(
                &state,
                auth,
                &id,
                "national",
                typed.as_ref().ok(),
                Some(&e),
                None,
            )
            .await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct EvalActionForm {
    action: String,
    #[serde(default)]
    comment: String,
}

/// `POST /forms/{id}/evaluation/action`: submit, withdraw, return, approve.
pub async fn evaluation_action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<EvalActionForm>,
) -> Response {
    let auth = &post.auth;
    let action = [
        Action::Submit,
        Action::Withdraw,
        Action::Return,
        Action::Approve,
    ]
    .into_iter()
    .find(|a| a.name() == post.form.action);
    let result = match action {
        Some(a) => take_eval_action(&state, auth, &id, a, &post.form.comment)
            .await
            .map(|_| ()),
        None => Err(ApiError::bad_request(
            format!("没有操作“{}”", post.form.action),
            "no such action",
        )),
    };
    match result {
        Ok(()) => axum::response::Redirect::to(&format!("/forms/{id}/evaluation#eval-act-h"))
            .into_response(),
        Err(e) => render_evaluation(&state, auth, &id, "national", None, Some(&e), None).await,
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
    if let Err(e) = crate::api::forms_duty(&auth) {
        return error_page(user, &e);
    }
    let loaded = async {
        let mut by_form: HashMap<String, Vec<jixiao_core::monitor::PeriodReport>> = HashMap::new();
        for (id, r) in state.store.all_periods().await? {
            by_form.entry(id).or_default().push(r);
        }
        let mut rows = vec![];
        for (id, periods) in by_form {
            let open = jixiao_core::monitor::open_rectifications(&periods);
            if open.is_empty() {
                continue;
            }
            let Some((form, meta)) = state.store.form_with_meta(&id).await? else {
                continue;
            };
            if check_visible(&state, &auth, meta).await.is_err() {
                continue;
            }
            if !p.department.trim().is_empty() && form.department != p.department.trim() {
                continue;
            }
            let label = periods
                .iter()
                .max_by_key(|r| r.period.end_month)
                .map(|r| r.period.label.clone())
                .unwrap_or_default();
            for (indicator, advice) in open {
                rows.push((
                    form.department.clone(),
                    form.implementer.clone(),
                    form.name.clone(),
                    form.year,
                    id.clone(),
                    label.clone(),
                    indicator,
                    advice,
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
    status: Option<EvalStatus>,
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
            @if auth.user.role == Role::Unit && status.is_none_or(|s| s.editable()) {
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
