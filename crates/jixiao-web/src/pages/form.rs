//! A form: the official table with its status, findings, history and versions; the workflow
//! actions; the editor.

use super::{error_page, layout, money, status_badge, PagePost, PageUser};
use crate::api::{check_visible, take_action};
use crate::auth::beijing;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jixiao_core::review::{review, Finding};
use jixiao_core::workflow::{Action, EditRule, Role, Status};
use jixiao_core::{Form, Level1, Level2};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// The official layout of 财政项目支出绩效目标申报表, with findings beside the rows they concern.
pub fn official_table(
    form: &Form,
    findings: &[Finding],
    comments: &HashMap<String, Vec<(String, String)>>,
) -> Markup {
    let by_indicator = |i: usize| {
        findings
            .iter()
            .filter(move |f| f.indicator_index == Some(i))
    };
    // Rows spanned by each level-1 and level-2 group, as the printed form merges them.
    let n = form.indicators.len();
    let mut span1 = vec![0usize; n];
    let mut span2 = vec![0usize; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && form.indicators[j].level1 == form.indicators[i].level1 {
            j += 1;
        }
        span1[i] = j - i;
        let mut k = i;
        while k < j {
            let mut m = k;
            while m < j && form.indicators[m].level2 == form.indicators[k].level2 {
                m += 1;
            }
            span2[k] = m - k;
            k = m;
        }
        i = j;
    }
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let f = &form.funds;
    html! {
        div class="sheet" {
            h2 class="sheet-title" { "财政项目支出绩效目标申报表" }
            p class="sheet-year" { "（" (form.year) "年度）" }
            table class="official" {
                tbody {
                    tr { th scope="row" { "项目名称" } td colspan="2" class="strong" { (form.name) } th scope="row" { "项目性质" } td { (form.nature) } th scope="row" { "项目类别" } td { (form.category) } }
                    tr { th scope="row" { "主管部门" } td colspan="2" { (form.department) } th scope="row" { "实施单位" } td colspan="3" { (form.implementer) } }
                    tr { th scope="row" { "计划开始日期" } td colspan="2" { (date(form.start_date)) } th scope="row" { "计划完成日期" } td colspan="3" { (date(form.end_date)) } }
                    tr { th rowspan="4" scope="rowgroup" { "项目资金" br; "（元）" } th { "项目资金总额" } td class="num" { (money(f.total)) } th { "年度资金申请总额" } td class="num" colspan="3" { (money(f.annual_total)) } }
                    tr { th { "其中：财政资金" } td class="num" { (money(f.fiscal)) } th { "其中：当年财政拨款" } td class="num" colspan="3" { (money(f.annual_appropriation)) } }
                    tr { th {} td {} th { "上年结转资金" } td class="num" colspan="3" { (money(f.annual_carryover)) } }
                    tr { th { "其他资金" } td class="num" { (money(f.other)) } th { "其他资金" } td class="num" colspan="3" { (money(f.annual_other)) } }
                    tr { th rowspan="2" scope="rowgroup" { "项目绩效目标" } th colspan="2" { "项目总目标" } th colspan="4" { "年度总体目标" } }
                    tr { td colspan="2" class="goal" { (paragraphs(&form.goal_overall)) } td colspan="4" class="goal" { (paragraphs(&form.goal_annual)) } }
                }
            }
            table class="official indicators" {
                thead { tr { th scope="col" { "一级指标" } th scope="col" { "二级指标" } th scope="col" { "三级指标" } th scope="col" { "年度指标值" } th scope="col" class="noprint" { "审核意见" } } }
                tbody {
                    @for (k, ind) in form.indicators.iter().enumerate() {
                        tr id={ "ind-" (k) } {
                            @if span1[k] > 0 { th scope="rowgroup" rowspan=(span1[k]) { (ind.level1.name()) } }
                            @if span2[k] > 0 { td rowspan=(span2[k]) { (ind.level2.map(|l| l.name()).unwrap_or("（未填）")) } }
                            td { (ind.name) }
                            td title=(ind.raw) class=[matches!(ind.target, jixiao_core::Target::Quantitative { .. }).then_some("value")] { (shown_target(ind)) }
                            td class="noprint findings-cell" {
                                @for (who, text) in ind.id.as_ref().and_then(|i| comments.get(i)).into_iter().flatten() {
                                    p class="ind-comment" { strong { "审核意见" } "（" (who) "）：" (text) }
                                }
                                @for x in by_indicator(k) {
                                    p class={ "finding " (x.severity.name()) } { (x.message) " " span class="code" title="规则代码" { (x.code) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Reviewers' comments on single indicators still open: those of the latest return, until a
/// later approval settles them. By indicator ID: (who and when, comment).
pub fn open_indicator_comments(
    history: &[jixiao_store::Transition],
    people: &HashMap<String, String>,
) -> HashMap<String, Vec<(String, String)>> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let Some(k) = history.iter().rposition(|t| t.action == Action::Return) else {
        return out;
    };
    if history[k + 1..].iter().any(|t| t.action == Action::Approve) {
        return out;
    }
    let t = &history[k];
    let who = people
        .get(&t.actor)
        .cloned()
        .unwrap_or_else(|| t.actor.clone());
    let label = format!("{who}，{}", crate::auth::beijing(&t.at));
    let detail: serde_json::Value = serde_json::from_str(&t.detail).unwrap_or_default();
    for c in detail["indicator_comments"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let (Some(i), Some(text)) = (c["indicator_id"].as_str(), c["comment"].as_str()) {
            out.entry(i.to_string())
                .or_default()
                .push((label.clone(), text.to_string()));
        }
    }
    out
}

/// The target as the form writes it, unless the writing is a LaTeX leftover (`$\geq 60\%$`),
/// which reads better as parsed; the original stays in the cell's title.
fn shown_target(ind: &jixiao_core::Indicator) -> String {
    if ind.raw.contains('$') || ind.raw.contains('\\') {
        ind.target.display()
    } else {
        ind.raw.clone()
    }
}

pub(crate) fn paragraphs(text: &str) -> Markup {
    html! { @for p in text.split('\n') { p { (p) } } }
}

fn findings_panel(findings: &[Finding]) -> Markup {
    html! {
        section class="findings noprint" aria-labelledby="findings-h" {
            h2 id="findings-h" { "智能审核（" (findings.len()) "）" }
            @if findings.is_empty() { p class="ok" { "未发现问题。" } }
            ul {
                @for f in findings {
                    li class={ "finding " (f.severity.name()) } {
                        span class="sev" { (f.severity.chinese()) } " "
                        @if let Some(i) = f.indicator_index { a href={ "#ind-" (i) } { (f.indicator.as_deref().unwrap_or("")) } "：" }
                        (f.message) " "
                        a class="code" href={ "/help#rule-" (f.code) } title="这条规则的说明" { (f.code) }
                        br; span class="fix" { "修改建议：" (f.fix) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ViewParams {
    version: Option<i64>,
    /// Just saved as this version (the editor comes back here).
    saved: Option<i64>,
}

/// `GET /forms/{id}`
pub async fn view(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(p): Query<ViewParams>,
) -> Response {
    render_view(&state, &auth, &id, p.version, p.saved, None).await
}

/// The form page; `failed` is a review action that was refused, with what the reviewer typed,
/// shown on the form (not on an error page) with the typed comments kept.
async fn render_view(
    state: &AppState,
    auth: &crate::auth::Auth,
    id: &str,
    version: Option<i64>,
    saved: Option<i64>,
    failed: Option<(&ApiError, &HashMap<String, String>)>,
) -> Response {
    let (state, id) = (state.clone(), id.to_string());
    let p = ViewParams { version, saved };
    let typed = |k: &str| {
        failed
            .and_then(|(_, t)| t.get(k))
            .map(String::as_str)
            .unwrap_or("")
    };
    let user = Some((&auth.user, auth.csrf.as_str()));
    let loaded = async {
        let (form, meta) = state
            .store
            .form_with_meta(&id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let meta = check_visible(&state, auth, meta).await?;
        let shown = match p.version {
            Some(v) if v != meta.version => state
                .store
                .version_form(&id, v)
                .await?
                .ok_or_else(ApiError::not_found)?,
            _ => form,
        };
        let history = state.store.transitions(&id).await?;
        // People by name in the history, not by their sign-in names.
        let people = super::people(&state).await?;
        let versions = state.store.versions(&id).await?;
        // Each signed decision with its check now, by the transition it was made with.
        let mut signed = HashMap::new();
        for sig in state.store.signatures(&id).await? {
            let check =
                jixiao_store::check_signature(&*state.store, &sig, state.signing_key.public())
                    .await?;
            signed.insert(sig.seq, check);
        }
        let since = state.store.signatures_since().await?;
        Ok::<_, ApiError>((shown, meta, history, versions, people, (signed, since)))
    }
    .await;
    let (form, meta, history, versions, people, (signed, signing_since)) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(user, &e),
    };
    let old = p.version.filter(|v| *v != meta.version);
    // The same review as the API's: with last year's form and its actuals when stored.
    let findings = match crate::api::review_stored(&state, &form).await {
        Ok(f) => f,
        Err(e) => return error_page(user, &e),
    };
    let names: HashMap<String, String> = form
        .indicators
        .iter()
        .filter_map(|i| Some((i.id.clone()?, i.name.clone())))
        .collect();
    let role = auth.user.role;
    let actions: Vec<(Action, &str)> = match (role, meta.status) {
        (Role::Unit, Status::Draft | Status::Returned) => vec![(Action::Submit, "送审")],
        (Role::Unit, Status::Submitted) => vec![(Action::Withdraw, "撤回")],
        (Role::Department, Status::Submitted) | (Role::Finance, Status::DeptApproved) => {
            vec![(Action::Approve, "审核通过"), (Action::Return, "退回")]
        }
        (Role::Finance, Status::FinanceApproved) => vec![(Action::Publish, "公开")],
        _ => vec![],
    };
    let editable =
        role == Role::Unit && meta.status.on_edit() != EditRule::Refused && old.is_none();
    let body = html! {
        div class="form-head noprint" {
            h1 { (form.name) }
            (super::track::tabs(&id, "申报表"))
            @if p.saved.is_some_and(|v| v == meta.version) && old.is_none() {
                p class="ok" role="status" { "已保存为第 " (meta.version) " 版。" }
            }
            p class="meta" {
                (status_badge(meta.status)) " 第 " (meta.version) " 版"
                @if let Some(v) = old { " · " strong class="warn" { "正在查看第 " (v) " 版（旧版本，只读）" } " " a href={ "/forms/" (id) } { "看当前版本" } }
                " · 更新于 " (beijing(&meta.updated_at))
                @if let Some(by) = &meta.updated_by { "（" (by) "）" }
            }
            div class="buttons" {
                @if editable {
                    a class="button" href={ "/forms/" (id) "/edit" } {
                        @if meta.status.on_edit() == EditRule::Adjustment { "调整（生成新版本并重新送审）" } @else { "编辑" }
                    }
                }
                @if auth.user.role.may_edit() && old.is_none() {
                    form method="post" action={ "/forms/" (id) "/copy" } class="inline" {
                        input type="hidden" name="_csrf" value=(auth.csrf);
                        label for="copy-year" { "复制为" }
                        input id="copy-year" name="year" inputmode="numeric" size="5" value=(form.year + 1);
                        button type="submit" { "年度草稿" }
                    }
                }
                button type="button" data-action="print" { "打印" }
                a class="button" href={ "/api/forms/" (id) "/export?format=xlsx" } download { "下载 Excel" }
                a class="button" href={ "/api/forms/" (id) "/export?format=json" } download { "下载 JSON" }
            }
        }
        div class="with-side" {
            div class="main-col" { (official_table(&form, &findings, &if old.is_none() { open_indicator_comments(&history, &people) } else { HashMap::new() })) }
            aside class="side-col" { (findings_panel(&findings)) }
        }
        @if !actions.is_empty() && old.is_none() {
            section class="actions noprint" aria-labelledby="act-h" {
                h2 id="act-h" { "审核操作" }
                @if let Some((e, _)) = failed { p class="error" role="alert" { (e.message) } }
                form method="post" action={ "/forms/" (id) "/action#act-h" } {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    input type="hidden" name="version" value=(meta.version);
                    @if actions.iter().any(|(a, _)| *a == Action::Return) {
                        label for="comment" { "意见（退回时必填）" }
                        textarea id="comment" name="comment" rows="3" { (typed("comment")) }
                        details open[form.indicators.iter().any(|i| i.id.as_ref().is_some_and(|iid| !typed(&format!("ic_{iid}")).is_empty()))] {
                            summary { "对单个指标的意见" }
                            @for ind in &form.indicators {
                                @if let Some(iid) = &ind.id {
                                    label { (ind.name) textarea name={ "ic_" (iid) } rows="1" { (typed(&format!("ic_{iid}"))) } }
                                }
                            }
                        }
                    }
                    @for (a, label) in &actions {
                        // 送审, 审核通过 and 公开 ask first (the page script); 退回 needs its comment.
                        @let ask = match a {
                            Action::Submit => Some("确认送审？送审后在退回前不能修改。"),
                            Action::Approve => Some("确认审核通过？"),
                            Action::Publish => Some("确认公开？公开后任何人都能看到这张表。"),
                            _ => None,
                        };
                        button type="submit" name="action" value=(a.name()) class={ "act-" (a.name()) } data-confirm=[ask] { (label) }
                    }
                }
            }
        }
        section class="history noprint" aria-labelledby="hist-h" {
            h2 id="hist-h" { "流程记录" }
            @if history.is_empty() { p class="muted" { "尚无流程记录。" } }
            @else {
                table class="list" {
                    thead { tr { th scope="col" { "时间" } th scope="col" { "操作" } th scope="col" { "操作人" } th scope="col" { "状态" } th scope="col" { "意见" } th scope="col" { "签名" } } }
                    tbody {
                        @for t in &history {
                            tr {
                                td class="when" { (beijing(&t.at)) }
                                td { (t.action.chinese()) }
                                td { (people.get(&t.actor).map(|n| format!("{n}（{}）", t.actor)).unwrap_or_else(|| t.actor.clone())) }
                                td { (t.from.chinese()) " → " (t.to.chinese()) }
                                td {
                                    (t.comment)
                                    @let detail: serde_json::Value = serde_json::from_str(&t.detail).unwrap_or_default();
                                    @for c in detail["indicator_comments"].as_array().into_iter().flatten() {
                                        @let iid = c["indicator_id"].as_str().unwrap_or("");
                                        p class="ind-comment" { "“" (names.get(iid).map(String::as_str).unwrap_or(iid)) "”：" (c["comment"].as_str().unwrap_or("")) }
                                    }
                                }
                                td class="signature" {
                                    @match (signed.get(&t.seq), t.action) {
                                        (Some(c), _) if c.ok() => span class="ok" title="SM2 签名有效，所签内容未改动 / the SM2 signature is valid and the content signed unchanged" { "已签名 ✓" }
                                        (Some(c), _) => strong class="warn" { "签名不符：" (c.problem().map(|p| p.0).unwrap_or("")) }
                                        (None, Action::Approve | Action::Publish) if signing_since.is_some_and(|first| t.seq > first) => strong class="warn" { "签名缺失" }
                                        (None, Action::Approve | Action::Publish) => span class="muted" { "无签名（启用签名前）" }
                                        _ => span class="muted" { "—" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section class="versions noprint" aria-labelledby="ver-h" {
            h2 id="ver-h" { "版本" }
            ol {
                @for v in &versions {
                    li {
                        a href={ "/forms/" (id) "?version=" (v.version) } { "第 " (v.version) " 版" }
                        " " (beijing(&v.saved_at))
                        @if let Some(by) = &v.saved_by { "（" (people.get(by).map(String::as_str).unwrap_or(by)) "）" }
                        @if v.version > 1 { " · " a href={ "/forms/" (id) "/diff?from=" (v.version - 1) "&to=" (v.version) } { "与第 " (v.version - 1) " 版比较" } }
                    }
                }
            }
        }
    };
    layout(&form.name, user, "", body).into_response()
}

/// `POST /forms/{id}/action`: the action buttons of the form page.
pub async fn action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: PagePost<HashMap<String, String>>,
) -> Response {
    let user = Some((&post.auth.user, post.auth.csrf.as_str()));
    let f = &post.form;
    let action = match f.get("action").map(String::as_str) {
        Some("submit") => Action::Submit,
        Some("withdraw") => Action::Withdraw,
        Some("return") => Action::Return,
        Some("approve") => Action::Approve,
        Some("publish") => Action::Publish,
        _ => return error_page(user, &ApiError::bad_request("未知操作", "unknown action")),
    };
    let comment = f.get("comment").cloned().unwrap_or_default();
    let version = f.get("version").and_then(|v| v.trim().parse::<i64>().ok());
    let indicator_comments: Vec<(String, String)> = f
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("ic_").map(|i| (i.to_string(), v.clone())))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    match take_action(
        &state,
        &post.auth,
        &id,
        action,
        version,
        &comment,
        &indicator_comments,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/forms/{id}")).into_response(),
        Err(e) => {
            let status = e.status;
            let mut page = render_view(&state, &post.auth, &id, None, None, Some((&e, f))).await;
            if page.status() == axum::http::StatusCode::OK {
                *page.status_mut() = status;
            }
            page
        }
    }
}

/// `GET /forms/{id}/edit`: the editor. The page's script keeps the form as JSON, shows each
/// target as read, shows the review live, and saves through the API with the base version.
pub async fn editor(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let loaded = async {
        let (form, meta) = state
            .store
            .form_with_meta(&id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let meta = check_visible(&state, &auth, meta).await?;
        Ok::<_, ApiError>((form, meta))
    }
    .await;
    let (form, meta) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(user, &e),
    };
    if auth.user.role != Role::Unit || meta.status.on_edit() == EditRule::Refused {
        return error_page(
            user,
            &ApiError::forbidden(
                "此表当前不能由你修改（审核中的表请先撤回）",
                "you cannot change this form now (withdraw a form under review first)",
            ),
        );
    }
    let findings = match crate::api::rule_set(&state).await {
        Ok(r) => review(&form, None, &r),
        Err(e) => return error_page(user, &e),
    };
    // Last year's form of the same project, with its actuals: a reference while editing.
    let last_year = state.store.last_year(&form).await.ok().flatten();
    let json = serde_json::to_string(&form).unwrap_or_default();
    // Open reviewer comments, shown under their indicators while editing.
    let people = super::people(&state).await.unwrap_or_default();
    let history = state.store.transitions(&id).await.unwrap_or_default();
    let comments_json =
        serde_json::to_string(&open_indicator_comments(&history, &people)).unwrap_or_default();
    let text = |name: &str, label: &str, value: &str| {
        html! {
            label for={ "f-" (name) } { (label) }
            input id={ "f-" (name) } name=(name) value=(value);
        }
    };
    let money_in = |name: &str, label: &str, value: Option<jixiao_core::Money>| {
        html! {
            label for={ "f-" (name) } { (label) }
            input id={ "f-" (name) } name={ "funds." (name) } inputmode="decimal" value=(value.map(|m| m.to_string()).unwrap_or_default());
        }
    };
    let body = html! {
        h1 { "编辑：" (form.name) }
        @if meta.status.on_edit() == EditRule::Adjustment {
            p class="notice" { "这张表已批复。保存后生成新版本（调整），需要重新送审；已批复的版本仍可查看。" }
        }
        // The form travels as an attribute: escaped by maud, decoded by the browser, never run.
        div id="editor" data-form-id=(id) data-base-version=(meta.version) data-form=(json) data-comments=(comments_json) {
            div class="with-side" {
                div class="main-col" {
                    fieldset {
                        legend { "表头" }
                        div class="grid" {
                            (text("name", "项目名称", &form.name))
                            label for="f-year" { "年度" } input id="f-year" name="year" inputmode="numeric" value=(form.year);
                            (text("nature", "项目性质", &form.nature))
                            (text("category", "项目类别", &form.category))
                            (text("department", "主管部门", &form.department))
                            (text("implementer", "实施单位", &form.implementer))
                            label for="f-start_date" { "计划开始日期" } input id="f-start_date" name="start_date" type="date" value=(form.start_date.map(|d| d.to_string()).unwrap_or_default());
                            label for="f-end_date" { "计划完成日期" } input id="f-end_date" name="end_date" type="date" value=(form.end_date.map(|d| d.to_string()).unwrap_or_default());
                        }
                    }
                    fieldset {
                        legend { "项目资金（元）" }
                        div class="grid" {
                            (money_in("total", "项目资金总额", form.funds.total))
                            (money_in("fiscal", "其中：财政资金", form.funds.fiscal))
                            (money_in("other", "其他资金", form.funds.other))
                            (money_in("annual_total", "年度资金申请总额", form.funds.annual_total))
                            (money_in("annual_appropriation", "其中：当年财政拨款", form.funds.annual_appropriation))
                            (money_in("annual_carryover", "上年结转资金", form.funds.annual_carryover))
                            (money_in("annual_other", "其他资金（年度）", form.funds.annual_other))
                        }
                    }
                    fieldset {
                        legend { "绩效目标" }
                        label for="f-goal_overall" { "项目总目标" }
                        textarea id="f-goal_overall" name="goal_overall" rows="5" { (form.goal_overall) }
                        label for="f-goal_annual" { "年度总体目标" }
                        textarea id="f-goal_annual" name="goal_annual" rows="5" { (form.goal_annual) }
                    }
                    fieldset {
                        legend { "绩效指标" }
                        table class="list edit-indicators" {
                            thead { tr { th scope="col" { "一级指标" } th scope="col" { "二级指标" } th scope="col" { "三级指标" } th scope="col" { "指标值（按习惯填写，如 ≥30项）" } th scope="col" { "读取为" } th scope="col" { "操作" } } }
                            tbody id="indicator-rows" {}
                        }
                        button type="button" id="add-indicator" { "添加指标" }
                        template id="level-options" {
                            select class="l1" aria-label="一级指标" { @for l in Level1::ALL { option value=(l.name()) { (l.name()) } } }
                            select class="l2" aria-label="二级指标" { option value="" { "（未填）" } @for l in Level2::ALL { option value=(l.name()) data-l1=(l.level1().name()) { (l.name()) } } }
                        }
                    }
                    @if let Some(jixiao_store::LastYear { form: prev, actuals, rectifications }) = &last_year {
                        section class="last-year" aria-labelledby="ly-h" {
                            h2 id="ly-h" { "上年（" (prev.year) "年度）参考" }
                            table class="list" {
                                thead { tr { th scope="col" { "三级指标" } th scope="col" { "上年指标值" } th scope="col" { "上年实际完成" } th scope="col" { "上年待整改" } } }
                                tbody {
                                    @for i in &prev.indicators {
                                        @let rect = rectifications.iter().find(|(n, _)| n == &i.name);
                                        tr class=[rect.is_some().then_some("missed")] {
                                            td { (i.name) }
                                            td { (i.raw) }
                                            td { (actuals.iter().find(|(n, _)| n == &i.name).map(|(_, a)| a.as_str()).unwrap_or("（未录入自评）")) }
                                            td { @if let Some((_, advice)) = rect { "需整改" @if !advice.trim().is_empty() { "：" (advice) } } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div class="buttons" {
                        button type="button" id="save" class="primary" { "保存" }
                        a href={ "/forms/" (id) } { "取消" }
                    }
                    p id="save-status" role="status" aria-live="polite" {}
                }
                aside class="side-col" id="live-findings" aria-live="polite" { (findings_panel(&findings)) }
            }
        }
    };
    layout(&format!("编辑 {}", form.name), user, "", body).into_response()
}
