//! The JSON API: forms, versions, findings, workflow, monitoring, scores, users, organisations,
//! audit. Every handler checks access on the server: a form outside the caller's scope is
//! 404 (its existence is not revealed); a duty the role does not have is 403.

use crate::auth::{audit, audited, Auth};
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use jixiao_core::monitor::{PeriodReport, Thresholds};
use jixiao_core::review::{review, RuleSet};
use jixiao_core::score::{score, Scheme, SelfEvaluation};
use jixiao_core::workflow::{self, Action, EditRule, EvalStatus, Role, Status};
use jixiao_core::{Form, Indicator, Target};
use jixiao_store::{FormMeta, ListQuery, Org, Scope, User};
use serde::Deserialize;
use serde_json::{json, Value};

type Body<T> = Result<Json<T>, JsonRejection>;

/// Which forms a user may see.
pub fn scope(user: &User) -> Scope {
    match (user.role, &user.org_id) {
        (Role::Finance | Role::Auditor, _) => Scope::All,
        (Role::Unit, Some(org)) => Scope::Units(vec![org.clone()]),
        (Role::Department, Some(org)) => Scope::Department(org.clone()),
        _ => Scope::Nothing,
    }
}

/// The form's metadata if the user may see it; 404 otherwise.
pub(crate) async fn visible(state: &AppState, auth: &Auth, id: &str) -> ApiResult<FormMeta> {
    // Before the lookup: an administrator learns not even whether a form exists.
    forms_duty(auth)?;
    let meta = state
        .store
        .form_meta(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check_visible(state, auth, meta).await
}

/// The three administrators (system, security, audit) keep apart from the business: a form
/// route refuses them outright (403), whatever the form, so they learn nothing of any form.
pub(crate) fn forms_duty(auth: &Auth) -> ApiResult<()> {
    if auth.user.role.administrator() {
        return Err(ApiError::forbidden(
            format!(
                "{}不能查看或办理申报表（三权分立）",
                auth.user.role.chinese()
            ),
            "administrators have no access to forms (separation of duties)",
        ));
    }
    Ok(())
}

/// The metadata back if the user may see the form; 404 otherwise (403 for administrators).
pub(crate) async fn check_visible(
    state: &AppState,
    auth: &Auth,
    meta: FormMeta,
) -> ApiResult<FormMeta> {
    forms_duty(auth)?;
    let ok = match scope(&auth.user) {
        Scope::All => true,
        Scope::Nothing => false,
        Scope::Units(units) => meta.unit_id.as_ref().is_some_and(|u| units.contains(u)),
        Scope::Department(dept) => match &meta.unit_id {
            Some(u) => state
                .cache
                .orgs(&*state.store, auth.generations.access)
                .await?
                .iter()
                .any(|o| &o.id == u && o.parent_id.as_deref() == Some(dept.as_str())),
            None => false,
        },
    };
    if ok {
        Ok(meta)
    } else {
        Err(ApiError::not_found())
    }
}

fn form_json(form: &Form, meta: &FormMeta) -> Value {
    let mut v = serde_json::to_value(form).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("status".into(), json!(meta.status));
        m.insert("status_label".into(), json!(meta.status.chinese()));
        m.insert("version".into(), json!(meta.version));
        m.insert("unit_id".into(), json!(meta.unit_id));
        m.insert("updated_by".into(), json!(meta.updated_by));
        m.insert("updated_at".into(), json!(meta.updated_at));
    }
    v
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    grade: Option<String>,
    warnings: Option<String>,
    year: Option<i32>,
    status: Option<String>,
    department: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
    /// Keyset paging: the `next` cursor of the page before (any depth at the same cost).
    after: Option<String>,
    /// The `prev` cursor of the page after.
    before: Option<String>,
}

/// The list's `status=`: none, or a status by its name.
fn status_param(s: Option<&str>) -> ApiResult<Option<Status>> {
    match s {
        None | Some("") => Ok(None),
        Some(s) => Status::from_name(s).map(Some).ok_or_else(|| {
            ApiError::bad_request(format!("未知状态“{s}”"), format!("unknown status “{s}”"))
        }),
    }
}

/// `GET /api/forms`
pub async fn list_forms(
    State(state): State<AppState>,
    auth: Auth,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<axum::response::Response> {
    forms_duty(&auth)?;
    let Query(p) = params?;
    let q = list_query(&auth, p)?;
    // The page as JSON from memory while neither the forms nor who may see what have changed
    // (the scope names units and departments), whichever server changed them.
    let key = format!("{q:?}");
    let json = match state.cache.list(&key, auth.generations) {
        Some(json) => json,
        None => {
            let page = state.store.list_page(&q).await?;
            let json = axum::body::Bytes::from(
                serde_json::to_string(&page).unwrap_or_else(|_| "null".into()),
            );
            state.cache.keep_list(&key, auth.generations, json.clone());
            json
        }
    };
    Ok(json_response(json))
}

/// A JSON body already serialized (kept in memory), as the response.
fn json_response(json: axum::body::Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response()
}

/// The list's query from its parameters, in the caller's scope.
fn list_query(auth: &Auth, p: ListParams) -> ApiResult<ListQuery> {
    Ok(ListQuery {
        grade: grade_param(p.grade.as_deref())?,
        warnings: warnings_param(p.warnings.as_deref())?,
        scope: scope(&auth.user),
        year: p.year,
        status: status_param(p.status.as_deref())?,
        department: p.department,
        search: p.q,
        sort: p.sort.unwrap_or_else(|| "name".into()),
        page: p.page.unwrap_or(1),
        per_page: p.per_page.unwrap_or(50),
        after: p.after.filter(|c| !c.is_empty()),
        before: p.before.filter(|c| !c.is_empty()),
    })
}

/// `GET /api/forms/summary`: every form the list's filters choose (all pages) as a 汇总表
/// workbook, the filters written above the table.
pub async fn summary(
    State(state): State<AppState>,
    auth: Auth,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    forms_duty(&auth)?;
    let Query(p) = params?;
    let status = status_param(p.status.as_deref())?;
    let mut described = vec![];
    if let Some(y) = p.year {
        described.push(format!("年度 {y}"));
    }
    if let Some(s) = status {
        described.push(format!("状态 {}", s.chinese()));
    }
    for (label, v) in [
        ("主管部门", &p.department),
        ("搜索", &p.q),
        ("自评等级", &p.grade),
        ("预警", &p.warnings),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            described.push(format!("{label} {v}"));
        }
    }
    // Every page, read in batches from the first.
    let mut q = ListQuery {
        page: 1,
        per_page: 500,
        after: None,
        before: None,
        ..list_query(&auth, p)?
    };
    let mut rows = vec![];
    loop {
        let page = state.store.list_page(&q).await?;
        let n = page.items.len();
        rows.extend(page.items.into_iter().map(|r| jixiao_export::SummaryRow {
            year: r.year,
            name: r.name,
            department: r.department,
            implementer: r.implementer,
            annual_total: r.annual_total,
            status: r.status.chinese().to_string(),
            indicators: r.indicators,
            grade: r.grade,
            warning: r.warning_light.map(|l| match l.as_str() {
                "red" => "红".to_string(),
                "yellow" => "黄".to_string(),
                "green" => "绿".to_string(),
                other => other.to_string(),
            }),
        }));
        // By cursor: each batch read from where the last ended, never counted from the start.
        match page.next {
            Some(next) if n == q.per_page as usize => q.after = Some(next),
            _ => break,
        }
    }
    let bytes = jixiao_export::summary_xlsx(&rows, &described.join("，")).map_err(|e| {
        eprintln!("summary workbook: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "无法生成工作簿",
            "cannot write the workbook",
        )
    })?;
    audit(
        &state,
        &auth.user.username,
        &auth.ip,
        "forms_summary",
        "",
        &described.join("，"),
    )
    .await;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"summary.xlsx\"; filename*=UTF-8''{}",
                    percent_encode("申报表汇总表.xlsx")
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A grade filter: 优 良 中 差.
pub fn grade_param(g: Option<&str>) -> ApiResult<Option<String>> {
    match g.filter(|g| !g.is_empty()) {
        None => Ok(None),
        Some(g @ ("优" | "良" | "中" | "差")) => Ok(Some(g.to_string())),
        Some(g) => Err(ApiError::bad_request(
            format!("等级“{g}”应为 优/良/中/差"),
            format!("the grade “{g}” must be 优, 良, 中 or 差"),
        )),
    }
}

/// A warnings filter: red, yellow, green, or any (red or yellow).
pub fn warnings_param(w: Option<&str>) -> ApiResult<Option<String>> {
    match w.filter(|w| !w.is_empty()) {
        None => Ok(None),
        Some(w @ ("red" | "yellow" | "green" | "any")) => Ok(Some(w.to_string())),
        Some(w) => Err(ApiError::bad_request(
            format!("预警“{w}”应为 red/yellow/green/any"),
            format!("warnings “{w}” must be red, yellow, green or any"),
        )),
    }
}

/// `GET /api/forms/{id}`: the form in the exchange format, with its status and version.
pub async fn get_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    // The form as JSON from memory while no form has changed since it was kept (checked
    // against the forms' generation, whichever server changed it); else one read of the form
    // with its status and version. The access check comes first either way.
    let generation = auth.generations.forms;
    let (meta, json) = match state.cache.form(&id, generation) {
        Some(kept) => (kept.meta, kept.json),
        None => {
            let (form, meta) = state
                .store
                .form_with_meta(&id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            let json = axum::body::Bytes::from(form_json(&form, &meta).to_string());
            state
                .cache
                .keep_form(&id, generation, meta.clone(), json.clone());
            (meta, json)
        }
    };
    check_visible(&state, &auth, meta).await?;
    Ok(json_response(json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    format: Option<String>,
}

/// `GET /api/forms/{id}/export?format=xlsx|json`: the form as a file to download (the
/// official layout as a workbook, or the exchange format), named after the project.
pub async fn export_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Query(params) = params.map_err(|e| {
        ApiError::bad_request(format!("查询参数有误：{e}"), format!("bad query: {e}"))
    })?;
    let (form, meta) = state
        .store
        .form_with_meta(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check_visible(&state, &auth, meta).await?;
    let (bytes, mime, ext) = match params.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => (
            jixiao_export::forms_xlsx(std::slice::from_ref(&form)).map_err(|e| {
                eprintln!("workbook for {id}: {e}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "无法生成工作簿",
                    "cannot write the workbook",
                )
            })?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "json" => (
            jixiao_export::to_json(std::slice::from_ref(&form)).into_bytes(),
            "application/json; charset=utf-8",
            "json",
        ),
        other => {
            return Err(ApiError::bad_request(
                format!("不支持的格式“{other}”，可用 xlsx 或 json"),
                format!("unknown format “{other}”: use xlsx or json"),
            ))
        }
    };
    audit(
        &state,
        &auth.user.username,
        &auth.ip,
        "form_export",
        &id,
        ext,
    )
    .await;
    let filename = format!("{}（{}年度）.{ext}", form.name, form.year);
    let disposition = format!(
        "attachment; filename=\"form.{ext}\"; filename*=UTF-8''{}",
        percent_encode(&filename)
    );
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    dry_run: Option<bool>,
    filename: Option<String>,
}

/// `POST /api/imports?dry_run=true`: the file in the body (xlsx, xls, text or JSON) read and
/// reviewed, nothing saved; without `dry_run` its forms are saved for the caller's unit, all
/// or none.
pub async fn import_file(
    State(state): State<AppState>,
    auth: Auth,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Query(params) = params.map_err(|e| {
        ApiError::bad_request(format!("查询参数有误：{e}"), format!("bad query: {e}"))
    })?;
    require_editor(&auth)?;
    if params.dry_run.unwrap_or(false) {
        let (p, _) = crate::upload::preview(&state, &body).await?;
        return Ok((
            StatusCode::OK,
            Json(serde_json::to_value(p).unwrap_or(Value::Null)),
        ));
    }
    let saved = crate::upload::commit(
        &state,
        &auth,
        &body,
        params.filename.as_deref().unwrap_or(""),
    )
    .await?;
    let ids: Vec<String> = saved.into_iter().map(|(id, _)| id).collect();
    Ok((StatusCode::CREATED, Json(json!({ "ids": ids }))))
}

/// RFC 5987 percent-encoding of a file name: every byte but unreserved ASCII.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ------------------------------------------------------------------ input checking

const FORM_KEYS: [&str; 14] = [
    "id",
    "year",
    "name",
    "nature",
    "category",
    "department",
    "implementer",
    "start_date",
    "end_date",
    "funds",
    "goal_overall",
    "goal_annual",
    "indicators",
    "version",
];
const FUND_KEYS: [&str; 7] = [
    "total",
    "fiscal",
    "other",
    "annual_total",
    "annual_appropriation",
    "annual_carryover",
    "annual_other",
];
const INDICATOR_KEYS: [&str; 8] = [
    "id",
    "level1",
    "level2",
    "name",
    "target",
    "raw",
    "weight",
    "direction",
];
/// Fields a client may send back unchanged from a GET; they are ignored.
const READ_ONLY_KEYS: [&str; 5] = [
    "status",
    "status_label",
    "unit_id",
    "updated_by",
    "updated_at",
];

fn unknown_keys(v: &Value, allowed: &[&str], place: &str) -> ApiResult<()> {
    if let Value::Object(m) = v {
        if let Some(k) = m
            .keys()
            .find(|k| !allowed.contains(&k.as_str()) && !READ_ONLY_KEYS.contains(&k.as_str()))
        {
            return Err(ApiError::bad_request(
                format!("{place}中有未知字段“{k}”"),
                format!("unknown field “{k}” in {place}"),
            )
            .with_detail(json!({ "field": format!("{place}.{k}") })));
        }
    }
    Ok(())
}

fn too_long(value: &str, max: usize, field: &str) -> ApiResult<()> {
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::bad_request(
            format!("“{field}”过长（{n} 字，上限 {max}）"),
            format!("{field} is too long ({n} characters, at most {max})"),
        )
        .with_detail(json!({ "field": field })));
    }
    Ok(())
}

/// A form from a request body: unknown fields refused, lengths bounded, each indicator's
/// target read from what was typed (`raw`) when no parsed `target` is given.
pub fn form_from_body(mut v: Value) -> ApiResult<Form> {
    unknown_keys(&v, &FORM_KEYS, "form")?;
    if let Some(f) = v.get("funds") {
        unknown_keys(f, &FUND_KEYS, "funds")?;
    }
    if let Some(Value::Array(items)) = v.get_mut("indicators") {
        if items.len() > 500 {
            return Err(ApiError::bad_request(
                "指标过多（上限 500）",
                "too many indicators (at most 500)",
            ));
        }
        for (n, item) in items.iter_mut().enumerate() {
            unknown_keys(item, &INDICATOR_KEYS, &format!("indicators[{n}]"))?;
            if let Value::Object(m) = item {
                let raw = m.get("raw").and_then(Value::as_str).map(str::to_string);
                if !m.contains_key("target") || m.get("target") == Some(&Value::Null) {
                    let raw = raw.unwrap_or_default();
                    m.insert(
                        "target".into(),
                        serde_json::to_value(Target::parse(&raw)).unwrap_or(Value::Null),
                    );
                    m.insert("raw".into(), Value::String(raw));
                } else if raw.is_none() {
                    let t: Option<Target> = serde_json::from_value(m["target"].clone()).ok();
                    m.insert(
                        "raw".into(),
                        Value::String(t.map(|t| t.display()).unwrap_or_default()),
                    );
                }
                m.entry("id").or_insert(Value::Null);
                m.entry("level2").or_insert(Value::Null);
            }
        }
    }
    if let Value::Object(m) = &mut v {
        for k in ["id", "version"].into_iter().chain(READ_ONLY_KEYS) {
            m.remove(k);
        }
    }
    let form: Form = serde_json::from_value(v).map_err(|e| {
        ApiError::bad_request(
            format!("申报表内容有误：{e}"),
            format!("the form is not valid: {e}"),
        )
    })?;
    too_long(&form.name, 200, "name")?;
    if let Err((field, zh, en)) = form.funds.check() {
        return Err(
            ApiError::bad_request(zh, en).with_detail(json!({ "field": format!("funds.{field}") }))
        );
    }
    for (f, v) in [
        ("nature", &form.nature),
        ("category", &form.category),
        ("department", &form.department),
        ("implementer", &form.implementer),
    ] {
        too_long(v, 200, f)?;
    }
    too_long(&form.goal_overall, 20_000, "goal_overall")?;
    too_long(&form.goal_annual, 20_000, "goal_annual")?;
    for (n, i) in form.indicators.iter().enumerate() {
        too_long(&i.name, 500, &format!("indicators[{n}].name"))?;
        too_long(&i.raw, 500, &format!("indicators[{n}].raw"))?;
    }
    if form.name.trim().is_empty() {
        return Err(
            ApiError::bad_request("项目名称不能为空", "the project name cannot be empty")
                .with_detail(json!({ "field": "name" })),
        );
    }
    if !(1900..=2200).contains(&form.year) {
        return Err(
            ApiError::bad_request("年度不合理", "the year is implausible")
                .with_detail(json!({ "field": "year" })),
        );
    }
    Ok(form)
}

/// The unit a filer's new forms belong to.
pub(crate) fn unit_of(auth: &Auth) -> ApiResult<String> {
    auth.user
        .org_id
        .clone()
        .ok_or_else(|| ApiError::forbidden("账户没有所属单位", "the account belongs to no unit"))
}

pub(crate) fn require_editor(auth: &Auth) -> ApiResult<()> {
    if !auth.user.role.may_edit() {
        return Err(ApiError::forbidden(
            "只有实施单位填报人可以填报和修改申报表",
            "only an implementing unit's filer can fill in and change forms",
        ));
    }
    Ok(())
}

/// `POST /api/forms`: a unit creates a form (version 1, draft).
pub async fn create_form(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_editor(&auth)?;
    let Json(v) = body?;
    let form = form_from_body(v)?;
    let unit = unit_of(&auth)?;
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
    keep_findings(&state, &id).await;
    let meta = state
        .store
        .form_meta(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let form = state
        .store
        .get(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(form_json(&form, &meta))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyBody {
    year: i32,
}

/// Copies a form the caller may see into a draft of another year for the caller's unit.
pub async fn copy_form_for(
    state: &AppState,
    auth: &Auth,
    id: &str,
    year: i32,
) -> ApiResult<String> {
    require_editor(auth)?;
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::bad_request(
            format!("年度 {year} 不在 2000–2100 之间"),
            format!("the year {year} is not between 2000 and 2100"),
        ));
    }
    visible(state, auth, id).await?;
    let unit = unit_of(auth)?;
    let form = state.store.get(id).await?.ok_or_else(ApiError::not_found)?;
    let copy = form.copy_for_year(year);
    let new_id = match audited(
        state,
        &auth.user.username,
        &auth.ip,
        "form_copy",
        "",
        &format!("{id} → {year}"),
        state
            .store
            .create_form(&copy, Some(&unit), &auth.user.username),
    )
    .await
    {
        Err(jixiao_store::StoreError::Exists { id: there, .. }) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "exists",
                format!(
                    "“{}”已有 {year} 年度的申报表（ID {there}），请打开它继续填写",
                    form.name
                ),
                format!(
                    "“{}” already has a form for {year} (ID {there}); open it to go on",
                    form.name
                ),
            )
            .with_detail(json!({ "id": there })))
        }
        r => r?,
    };
    keep_findings(state, &new_id).await;
    Ok(new_id)
}

/// `POST /api/forms/{id}/copy` `{"year": 2024}`: last year's form as a draft of the new year.
pub async fn copy_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<CopyBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(b) = body?;
    let new_id = copy_form_for(&state, &auth, &id, b.year).await?;
    let (form, meta) = state
        .store
        .form_with_meta(&new_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(form_json(&form, &meta))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveBody {
    base_version: i64,
    form: Value,
}

/// `PUT /api/forms/{id}`: saves a new version, if it is based on the current one.
pub async fn save_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<SaveBody>,
) -> ApiResult<Json<Value>> {
    require_editor(&auth)?;
    let meta = visible(&state, &auth, &id).await?;
    let Json(body) = body?;
    let form = form_from_body(body.form)?;
    let status = match meta.status.on_edit() {
        EditRule::InPlace => meta.status,
        EditRule::Adjustment => Status::Draft,
        EditRule::Refused => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "under_review",
                format!(
                    "申报表“{}”，审核期间不能修改；请先撤回",
                    meta.status.chinese()
                ),
                format!(
                    "the form is {} and cannot change during review: withdraw it first",
                    meta.status.name()
                ),
            ))
        }
    };
    // A save succeeds only on its base version, so the version it makes is known before.
    let detail = if meta.status.on_edit() == EditRule::Adjustment {
        "adjustment"
    } else {
        ""
    };
    let version = body.base_version + 1;
    match audited(
        &state,
        &auth.user.username,
        &auth.ip,
        "form_save",
        &id,
        &format!("version {version} {detail}"),
        state.store.save_form(
            &id,
            body.base_version,
            meta.status,
            &form,
            status,
            &auth.user.username,
        ),
    )
    .await
    {
        Ok(_) => {
            keep_findings(&state, &id).await;
            let meta = state
                .store
                .form_meta(&id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            let form = state
                .store
                .get(&id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            Ok(Json(form_json(&form, &meta)))
        }
        Err(jixiao_store::StoreError::Conflict {
            base,
            current,
            updated_by,
            updated_at,
        }) => {
            // Say who changed what since the version the editor started from.
            let changes = match (
                state.store.version_form(&id, base).await?,
                state.store.get(&id).await?,
            ) {
                (Some(a), Some(b)) => workflow::diff(&a, &b),
                _ => vec![],
            };
            let e: ApiError = jixiao_store::StoreError::Conflict {
                base,
                current,
                updated_by: updated_by.clone(),
                updated_at: updated_at.clone(),
            }
            .into();
            Err(e.with_detail(json!({ "base_version": base, "current_version": current, "updated_by": updated_by, "updated_at": updated_at, "changes": changes })))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/forms/{id}/versions`
pub async fn versions(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    visible(&state, &auth, &id).await?;
    Ok(Json(
        json!({ "versions": state.store.versions(&id).await? }),
    ))
}

/// `GET /api/forms/{id}/versions/{version}`
pub async fn version(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, v)): Path<(String, i64)>,
) -> ApiResult<Json<Value>> {
    visible(&state, &auth, &id).await?;
    let form = state
        .store
        .version_form(&id, v)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({ "version": v, "form": form })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    from: i64,
    to: Option<i64>,
}

/// `GET /api/forms/{id}/diff?from=1&to=2`
pub async fn diff(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<DiffParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let meta = visible(&state, &auth, &id).await?;
    let Query(p) = params?;
    let to = p.to.unwrap_or(meta.version);
    let a = state
        .store
        .version_form(&id, p.from)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let b = state
        .store
        .version_form(&id, to)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(
        json!({ "from": p.from, "to": to, "changes": workflow::diff(&a, &b) }),
    ))
}

/// `GET /api/forms/{id}/indicators`
pub async fn indicators(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    visible(&state, &auth, &id).await?;
    let form = state
        .store
        .get(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let list: Vec<&Indicator> = form.indicators.iter().collect();
    Ok(Json(json!({ "indicators": list })))
}

/// `GET /api/forms/{id}/findings`: the review of the current version by the rules in force
/// now, with last year's data as stored now. A `GET` writes nothing: the findings kept with a
/// version are kept when the version is written.
pub async fn findings(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let meta = visible(&state, &auth, &id).await?;
    let form = state
        .store
        .get(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let found = review_stored(&state, &form).await?;
    Ok(Json(json!({ "version": meta.version, "findings": found })))
}

/// Keeps the review of a form's new version with it (after a create, a copy, a save or an
/// upload). The version is written already: a failure here is logged, not the request's.
pub(crate) async fn keep_findings(state: &AppState, id: &str) {
    let kept = async {
        let form = state.store.get(id).await?.ok_or_else(ApiError::not_found)?;
        let found = review_stored(state, &form).await?;
        state.store.save_findings(id, &found).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(e) = kept {
        eprintln!("findings of {id} not kept: {}", e.message_en);
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorComment {
    indicator_id: String,
    comment: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    action: Action,
    /// The version the reviewer read: required to return, approve or publish.
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    indicator_comments: Vec<IndicatorComment>,
}

/// `POST /api/forms/{id}/actions`: submit, withdraw, return, approve, publish.
pub async fn act(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<ActionBody>,
) -> ApiResult<Json<Value>> {
    let Json(body) = body?;
    let comments: Vec<(String, String)> = body
        .indicator_comments
        .into_iter()
        .map(|c| (c.indicator_id, c.comment))
        .collect();
    let (to, t) = take_action(
        &state,
        &auth,
        &id,
        body.action,
        body.version,
        &body.comment,
        &comments,
    )
    .await?;
    Ok(Json(
        json!({ "status": to, "status_label": to.chinese(), "transition": t }),
    ))
}

/// A workflow action on a form, checked and recorded: the API and the pages both come here.
pub async fn take_action(
    state: &AppState,
    auth: &Auth,
    id: &str,
    action: Action,
    version: Option<i64>,
    comment: &str,
    indicator_comments: &[(String, String)],
) -> ApiResult<(Status, jixiao_store::Transition)> {
    let meta = visible(state, auth, id).await?;
    // A decision is about what the reviewer read: it names the version, and a form that has
    // changed since is not decided on blindly.
    if matches!(action, Action::Return | Action::Approve | Action::Publish) && version.is_none() {
        return Err(ApiError::bad_request(
            "审核操作须写明所审阅的版本号（version）",
            "a review decision names the version it was made on (version)",
        ));
    }
    too_long(comment, 5_000, "comment")?;
    let form = state.store.get(id).await?.ok_or_else(ApiError::not_found)?;
    for (ind, text) in indicator_comments {
        too_long(text, 5_000, "indicator_comments.comment")?;
        if !form
            .indicators
            .iter()
            .any(|i| i.id.as_deref() == Some(ind.as_str()))
        {
            return Err(ApiError::bad_request(
                format!("没有 ID 为 {ind} 的指标"),
                format!("no indicator {ind}"),
            ));
        }
    }
    let comment = comment.trim().to_string();
    let has_comments =
        !comment.is_empty() || indicator_comments.iter().any(|(_, c)| !c.trim().is_empty());
    let to = workflow::transition(
        meta.status,
        action,
        auth.user.role,
        if has_comments { "x" } else { "" },
    )
    .map_err(workflow_error)?;
    let detail = json!({ "indicator_comments": indicator_comments.iter().filter(|(_, c)| !c.trim().is_empty()).map(|(i, c)| json!({"indicator_id": i, "comment": c})).collect::<Vec<_>>() });
    let detail = detail.to_string();
    // An approval or a publication signs the version the store checks, in its transaction.
    let work = async {
        match (action, version) {
            (Action::Approve | Action::Publish, Some(seen)) => state
                .store
                .transition_signed(
                    id,
                    meta.status,
                    seen,
                    to,
                    action,
                    &auth.user.username,
                    &comment,
                    &detail,
                    &state.signing_key,
                )
                .await
                .map(|(t, _)| t),
            _ => {
                state
                    .store
                    .transition(
                        id,
                        meta.status,
                        version,
                        to,
                        action,
                        &auth.user.username,
                        &comment,
                        &detail,
                    )
                    .await
            }
        }
    };
    let done = audited(
        state,
        &auth.user.username,
        &auth.ip,
        &format!("form_{}", action.name()),
        id,
        &format!("{} → {}", meta.status.name(), to.name()),
        work,
    )
    .await;
    let t = done.map_err(|e| match e {
            jixiao_store::StoreError::Conflict {
                base,
                current,
                updated_by,
                updated_at,
            } => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "你审阅的是第 {base} 版，申报表已被 {updated_by} 于 {}（北京时间）改为第 {current} 版：请重新审阅后再操作",
                    crate::auth::beijing(&updated_at)
                ),
                format!("you reviewed version {base}; the form was changed by {updated_by} at {updated_at} to version {current}: review it again"),
            )
            .with_detail(json!({ "seen_version": base, "current_version": current, "updated_by": updated_by, "updated_at": updated_at })),
            other => other.into(),
        })?;
    Ok((to, t))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParseParams {
    raw: String,
}

/// `GET /api/targets/parse?raw=≥30(项)`: a target read as the editor's user typed it.
pub async fn parse_target(
    _auth: Auth,
    params: Result<Query<ParseParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(p) = params?;
    too_long(&p.raw, 500, "raw")?;
    let t = Target::parse(&p.raw);
    Ok(Json(json!({ "target": t, "display": t.display() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryParams {
    #[serde(default)]
    q: String,
    level1: Option<String>,
    level2: Option<String>,
    limit: Option<i64>,
    /// 项目类别: the indicators typical of this category.
    category: Option<String>,
    /// `true`: retired names and merged spellings too.
    all: Option<bool>,
}

/// `GET /api/library?q=满意度&level1=&level2=&limit=20`: the indicator library (指标库), every
/// indicator filed on any form, one entry per name, level and unit, the closest and most
/// filed first.
pub async fn library(
    State(state): State<AppState>,
    _auth: Auth,
    params: Result<Query<LibraryParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(p) = params?;
    too_long(&p.q, 200, "q")?;
    let level =
        |v: Option<String>, known: fn(&str) -> bool, what: &str| -> ApiResult<Option<String>> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(l) if known(l) => Ok(Some(l.to_string())),
                Some(l) => Err(ApiError::bad_request(
                    format!("未知的{what}“{l}”"),
                    format!("unknown {what} “{l}”"),
                )),
            }
        };
    let level1 = level(
        p.level1,
        |l| jixiao_core::Level1::from_name(l).is_some(),
        "一级指标",
    )?;
    let level2 = level(
        p.level2,
        |l| jixiao_core::Level2::from_name(l).is_some(),
        "二级指标",
    )?;
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request(
            format!("limit 应为 1–100，而不是 {limit}"),
            format!("limit must be from 1 to 100, not {limit}"),
        ));
    }
    let entries = state
        .store
        .library(&jixiao_store::LibraryQuery {
            q: p.q.trim().to_string(),
            level1,
            level2,
            limit,
            category: p.category.filter(|c| !c.trim().is_empty()),
            all: p.all.unwrap_or(false),
        })
        .await?;
    Ok(Json(json!(entries)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurationBody {
    pub name: String,
    /// `recommend`, `unrecommend`, `retire`, `restore`, `merge` (with `into`), `unmerge`.
    pub action: String,
    #[serde(default)]
    pub into: Option<String>,
}

/// `POST /api/library/curation` (administrators): recommend, retire or merge a name.
pub async fn curate_library(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<CurationBody>,
) -> ApiResult<Json<Value>> {
    let Json(b) = body?;
    curate(&state, &auth, b).await?;
    Ok(Json(json!({ "ok": true })))
}

/// A curation of the indicator library, checked: the name is in the library; a merge goes
/// into another name that is in it and is not itself merged (no chains, no loops).
pub async fn curate(state: &AppState, auth: &Auth, b: CurationBody) -> ApiResult<String> {
    use jixiao_store::{Curation, LibraryQuery};
    require(auth, Role::Admin)?;
    too_long(&b.name, 200, "name")?;
    let name = b.name.trim().to_string();
    let exact = |n: &str| {
        let n = n.to_string();
        async move {
            let found = state
                .store
                .library(&LibraryQuery {
                    q: n.clone(),
                    limit: 100,
                    all: true,
                    ..LibraryQuery::default()
                })
                .await?;
            Ok::<_, ApiError>(found.into_iter().find(|e| e.name == n))
        }
    };
    let entry = exact(&name).await?.ok_or_else(|| {
        ApiError::bad_request(
            format!("指标库中没有“{name}”"),
            format!("the library has no “{name}”"),
        )
    })?;
    let change = match b.action.as_str() {
        "recommend" => Curation::Recommend(true),
        "unrecommend" => Curation::Recommend(false),
        "retire" => Curation::Retire(true),
        "restore" => Curation::Retire(false),
        "unmerge" => Curation::MergeInto(None),
        "merge" => {
            let into = b.into.as_deref().map(str::trim).unwrap_or("").to_string();
            too_long(&into, 200, "into")?;
            if into.is_empty() || into == name {
                return Err(ApiError::bad_request(
                    "合并须指明另一个指标名称",
                    "a merge needs another indicator name",
                ));
            }
            let target = exact(&into).await?.ok_or_else(|| {
                ApiError::bad_request(
                    format!("指标库中没有“{into}”"),
                    format!("the library has no “{into}”"),
                )
            })?;
            if target.merged_into.is_some() {
                return Err(ApiError::bad_request(
                    format!(
                        "“{into}”已合并到“{}”，请直接合并到后者",
                        target.merged_into.unwrap_or_default()
                    ),
                    format!("“{into}” is itself merged into another name: merge into that one"),
                ));
            }
            if !entry.aliases.is_empty() {
                return Err(ApiError::bad_request(
                    format!("已有写法合并到“{name}”，先取消那些合并"),
                    format!("other spellings are merged into “{name}”: undo those first"),
                ));
            }
            Curation::MergeInto(Some(into))
        }
        other => {
            return Err(ApiError::bad_request(
                format!("未知操作“{other}”"),
                format!("unknown action “{other}”"),
            ))
        }
    };
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "library_curate",
        &name,
        &format!(
            "{}{}",
            b.action,
            b.into.map(|i| format!(" → {i}")).unwrap_or_default()
        ),
        state
            .store
            .curate_library(&name, &change, &auth.user.username),
    )
    .await?;
    Ok(name)
}

/// `POST /api/review`: the findings of a form not yet saved (the editor shows them live).
pub async fn review_draft(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<Value>,
) -> ApiResult<Json<Value>> {
    forms_duty(&auth)?;
    let Json(v) = body?;
    let form = form_from_body(v)?;
    Ok(Json(
        json!({ "findings": review(&form, None, &rule_set(&state).await?) }),
    ))
}

/// `GET /api/forms/{id}/history`
pub async fn history(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    visible(&state, &auth, &id).await?;
    let list: Vec<Value> = state
        .store
        .transitions(&id)
        .await?
        .into_iter()
        .map(|t| {
            let detail: Value = serde_json::from_str(&t.detail).unwrap_or(Value::Null);
            let mut v = serde_json::to_value(&t).unwrap_or(Value::Null);
            v["detail"] = detail;
            v
        })
        .collect();
    Ok(Json(json!({ "history": list })))
}

/// `GET /api/forms/{id}/signatures`: the signed approvals and publications of a form, each
/// with the text signed, the signature, the public key, and what a check finds now (the SM2
/// signature, the key against this server's, the form's content against the digest).
pub async fn signatures(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    visible(&state, &auth, &id).await?;
    let ours = state.signing_key.public();
    let mut list = vec![];
    for s in state.store.signatures(&id).await? {
        let check = jixiao_store::check_signature(&*state.store, &s, ours).await?;
        let problem = check
            .problem()
            .map(|(zh, en)| json!({ "message": zh, "message_en": en }));
        list.push(json!({
            "seq": s.seq,
            "signed": check.signed,
            "text": s.text,
            "signature": s.signature,
            "public_key": s.public_key,
            "check": {
                "ok": check.ok(),
                "signature_valid": check.signature_valid,
                "key_ours": check.key_ours,
                "content_unchanged": check.content_unchanged,
                "problem": problem,
            },
        }));
    }
    Ok(Json(json!({
        "algorithm": "SM2 (GB/T 32918) over SM3 (GB/T 32905)",
        "signer_id": jixiao_core::signature::SM2_ID,
        "public_key": jixiao_core::crypto::hex(ours),
        "signatures": list,
    })))
}

async fn rows_for(state: &AppState, auth: &Auth, ids: Vec<String>) -> ApiResult<Vec<Value>> {
    let mut out = vec![];
    for id in ids {
        if let Ok(meta) = visible(state, auth, &id).await {
            if let Some(f) = state.store.get(&id).await? {
                out.push(json!({ "id": id, "name": f.name, "year": f.year, "implementer": f.implementer, "annual_total": f.funds.annual_total, "status": meta.status, "status_label": meta.status.chinese(), "version": meta.version }));
            }
        }
    }
    Ok(out)
}

/// Self-evaluations waiting for the caller: a department's submitted ones, a unit's returned
/// ones (finance re-checks from the form's page; its to-do is the forms').
pub async fn eval_todo(state: &AppState, auth: &Auth) -> ApiResult<Vec<Value>> {
    let waiting = match auth.user.role {
        Role::Unit => EvalStatus::Returned,
        Role::Department => EvalStatus::Submitted,
        _ => return Ok(vec![]),
    };
    let ids = state
        .store
        .eval_statuses()
        .await?
        .into_iter()
        .filter(|(_, s)| *s == waiting)
        .map(|(id, _)| id)
        .collect();
    let mut rows = rows_for(state, auth, ids).await?;
    for r in &mut rows {
        r["self_evaluation_status"] = json!(waiting);
        r["self_evaluation_status_label"] = json!(waiting.chinese());
    }
    Ok(rows)
}

/// `GET /api/todo`: forms waiting for the caller's review (or, for a unit, returned to it),
/// and in `evaluations` the self-evaluations waiting likewise.
pub async fn todo(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    forms_duty(&auth)?;
    let waiting = match auth.user.role {
        Role::Unit => Some(Status::Returned),
        r => workflow::waiting_for(r),
    };
    let evaluations = eval_todo(&state, &auth).await?;
    let Some(status) = waiting else {
        return Ok(Json(
            json!({ "items": [], "total": 0, "evaluations": evaluations }),
        ));
    };
    let page = state
        .store
        .list_page(&ListQuery {
            grade: None,
            warnings: None,
            scope: scope(&auth.user),
            year: None,
            status: Some(status),
            department: None,
            search: None,
            sort: "updated".into(),
            page: 1,
            per_page: 200,
            after: None,
            before: None,
        })
        .await?;
    Ok(Json(
        json!({ "items": page.items, "total": page.total, "evaluations": evaluations }),
    ))
}

/// `GET /api/handled`: forms the caller has acted on.
pub async fn handled(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    forms_duty(&auth)?;
    let ids = state.store.handled_by(&auth.user.username).await?;
    Ok(Json(
        json!({ "items": rows_for(&state, &auth, ids).await? }),
    ))
}

// ------------------------------------------------------------------ monitoring and scores

/// `GET /api/forms/{id}/monitoring`: every recorded period with its warnings.
pub async fn monitoring(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Query(params) = params?;
    visible(&state, &auth, &id).await?;
    let form = state
        .store
        .get(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut reports = vec![];
    for r in state.store.periods(&id).await? {
        let w =
            jixiao_core::monitor::warnings(&form, &r, &Thresholds::default()).unwrap_or_default();
        reports.push((r, w));
    }
    match params.format.as_deref().unwrap_or("json") {
        "json" => {
            let out: Vec<Value> = reports
                .iter()
                .map(|(r, w)| json!({ "report": r, "warnings": w }))
                .collect();
            Ok(Json(json!({ "periods": out })).into_response())
        }
        "xlsx" => {
            let bytes = jixiao_export::monitoring_xlsx(&form, &reports).map_err(|e| {
                eprintln!("monitoring workbook for {id}: {e}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "无法生成工作簿",
                    "cannot write the workbook",
                )
            })?;
            audit(
                &state,
                &auth.user.username,
                &auth.ip,
                "monitoring_export",
                &id,
                "",
            )
            .await;
            let filename = format!("{}（{}年度）绩效运行监控表.xlsx", form.name, form.year);
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"monitoring.xlsx\"; filename*=UTF-8''{}",
                            percent_encode(&filename)
                        ),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        other => Err(ApiError::bad_request(
            format!("不支持的格式“{other}”，可用 json 或 xlsx"),
            format!("unknown format “{other}”: use json or xlsx"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodBody {
    spent: jixiao_core::Money,
    #[serde(default)]
    forecast_spent: Option<jixiao_core::Money>,
    #[serde(default)]
    indicators: Vec<jixiao_core::monitor::Progress>,
}

/// `PUT /api/forms/{id}/monitoring/{period}`: records a period's figures (unit filers).
pub async fn put_period(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, label)): Path<(String, String)>,
    body: Body<PeriodBody>,
) -> ApiResult<Json<Value>> {
    let Json(b) = body?;
    let (report, warnings) = record_period(
        &state,
        &auth,
        &id,
        &label,
        b.spent,
        b.forecast_spent,
        b.indicators,
    )
    .await?;
    Ok(Json(json!({ "report": report, "warnings": warnings })))
}

/// Records a period's figures after checking them against the form: the API and the
/// monitoring page both come here.
pub async fn record_period(
    state: &AppState,
    auth: &Auth,
    id: &str,
    label: &str,
    spent: jixiao_core::Money,
    forecast_spent: Option<jixiao_core::Money>,
    indicators: Vec<jixiao_core::monitor::Progress>,
) -> ApiResult<(PeriodReport, Vec<jixiao_core::monitor::Warning>)> {
    require_editor(auth)?;
    visible(state, auth, id).await?;
    let period = jixiao_core::monitor::Period::parse(label).ok_or_else(|| {
        ApiError::bad_request(
            format!("无法识别期间“{label}”（如 1-7月、Q2、上半年、全年）"),
            format!("unknown period “{label}” (e.g. 1-7月, Q2, 上半年, 全年)"),
        )
    })?;
    let form = state.store.get(id).await?.ok_or_else(ApiError::not_found)?;
    let mut report = PeriodReport {
        period,
        spent,
        forecast_spent,
        indicators,
    };
    for p in &mut report.indicators {
        if let Some(i) = form.indicators.iter().find(|i| i.name == p.indicator) {
            p.indicator_id = i.id.clone();
        }
    }
    let warnings =
        jixiao_core::monitor::warnings(&form, &report, &Thresholds::default()).map_err(|e| {
            ApiError::from_bilingual(StatusCode::BAD_REQUEST, "bad_figures", &e.to_string())
        })?;
    // The period with its warnings counted and, if it is the latest, its worst light (the
    // portfolio's filter), in one transaction.
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "monitoring_save",
        id,
        label,
        state
            .store
            .save_period(id, &report, &jixiao_store::PeriodWarnings::of(&warnings)),
    )
    .await?;
    Ok((report, warnings))
}

/// `PUT /api/forms/{id}/self-evaluation` (unit filers).
pub async fn put_self_evaluation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<SelfEvaluation>,
) -> ApiResult<Json<Value>> {
    let Json(eval) = body?;
    let scored = record_evaluation(&state, &auth, &id, &eval).await?;
    Ok(Json(serde_json::to_value(scored).unwrap_or(Value::Null)))
}

/// `GET /api/forms/{id}/self-evaluation`: the self-evaluation as entered, its status and its
/// history (`null` evaluation and status while there is none).
pub async fn get_self_evaluation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    visible(&state, &auth, &id).await?;
    let eval = state.store.self_evaluation(&id).await?;
    let status = state.store.eval_status(&id).await?;
    let history = state.store.eval_transitions(&id).await?;
    Ok(Json(json!({
        "status": status,
        "status_label": status.map(|s| s.chinese()),
        "evaluation": eval,
        "history": history,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalActionBody {
    action: Action,
    #[serde(default)]
    comment: String,
}

/// `POST /api/forms/{id}/self-evaluation/actions`: submit, withdraw, return, approve.
pub async fn eval_act(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<EvalActionBody>,
) -> ApiResult<Json<Value>> {
    let Json(body) = body?;
    let t = take_eval_action(&state, &auth, &id, body.action, &body.comment).await?;
    Ok(Json(
        json!({ "status": t.to, "status_label": t.to.chinese(), "transition": t }),
    ))
}

/// A workflow action on a form's self-evaluation, checked and recorded (API and page).
pub async fn take_eval_action(
    state: &AppState,
    auth: &Auth,
    id: &str,
    action: Action,
    comment: &str,
) -> ApiResult<jixiao_store::EvalTransition> {
    visible(state, auth, id).await?;
    too_long(comment, 5_000, "comment")?;
    // Duties first: whether this role may take the action at all does not depend on whether
    // a self-evaluation exists.
    if let Err(e @ workflow::WorkflowError::NotYourDuty { .. }) =
        workflow::eval_transition(EvalStatus::Draft, action, auth.user.role, "x")
    {
        return Err(workflow_error(e));
    }
    let status = state.store.eval_status(id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_self_evaluation",
            "还没有自评，先填报并保存自评",
            "there is no self-evaluation yet: enter and save it first",
        )
    })?;
    let comment = comment.trim();
    let to = workflow::eval_transition(status, action, auth.user.role, comment)
        .map_err(workflow_error)?;
    let t = audited(
        state,
        &auth.user.username,
        &auth.ip,
        &format!("self_evaluation_{}", action.name()),
        id,
        &format!("{} → {}", status.name(), to.name()),
        state
            .store
            .eval_transition(id, status, to, action, &auth.user.username, comment),
    )
    .await?;
    Ok(t)
}

fn workflow_error(e: workflow::WorkflowError) -> ApiError {
    let code = match e {
        workflow::WorkflowError::NotYourDuty { .. } => StatusCode::FORBIDDEN,
        workflow::WorkflowError::CommentRequired => StatusCode::BAD_REQUEST,
        workflow::WorkflowError::NotNow { .. } | workflow::WorkflowError::EvalNotNow { .. } => {
            StatusCode::CONFLICT
        }
    };
    ApiError::from_bilingual(code, "workflow", &e.to_string())
}

/// Records a form's self-evaluation once it scores without error; returns the scores. The
/// API and the self-evaluation page both come here.
pub async fn record_evaluation(
    state: &AppState,
    auth: &Auth,
    id: &str,
    eval: &SelfEvaluation,
) -> ApiResult<jixiao_core::score::Scored> {
    require_editor(auth)?;
    visible(state, auth, id).await?;
    let form = state.store.get(id).await?.ok_or_else(ApiError::not_found)?;
    let scored = score_with(&form, eval, &Scheme::national())?;
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "self_evaluation_save",
        id,
        "",
        state
            .store
            .save_self_evaluation(id, eval, Some(scored.grade.chinese())),
    )
    .await?;
    Ok(scored)
}

/// A self-evaluation of a stored form, scored by a scheme.
pub fn score_with(
    form: &Form,
    eval: &SelfEvaluation,
    scheme: &Scheme,
) -> ApiResult<jixiao_core::score::Scored> {
    let e = eval.to_evaluation(Some(form)).map_err(|e| {
        ApiError::from_bilingual(StatusCode::BAD_REQUEST, "bad_evaluation", &e.to_string())
    })?;
    score(&e, scheme).map_err(|e| {
        ApiError::from_bilingual(StatusCode::BAD_REQUEST, "bad_evaluation", &e.to_string())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreParams {
    scheme: Option<String>,
    format: Option<String>,
}

/// `GET /api/forms/{id}/score?scheme=national`
pub async fn get_score(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<ScoreParams>, QueryRejection>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    visible(&state, &auth, &id).await?;
    let Query(p) = params?;
    let name = p.scheme.unwrap_or_else(|| "national".into());
    let scheme = Scheme::builtin()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            ApiError::bad_request(
                format!("没有计分方案“{name}”"),
                format!("no scheme “{name}”"),
            )
        })?;
    let form = state
        .store
        .get(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let eval = match state.store.self_evaluation(&id).await? {
        Some(e) => e,
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no_evaluation",
                "还没有自评数据",
                "no self-evaluation yet",
            ))
        }
    };
    let e = eval.to_evaluation(Some(&form)).map_err(|e| {
        ApiError::from_bilingual(StatusCode::BAD_REQUEST, "bad_evaluation", &e.to_string())
    })?;
    let scored = score(&e, &scheme).map_err(|e| {
        ApiError::from_bilingual(StatusCode::BAD_REQUEST, "bad_evaluation", &e.to_string())
    })?;
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(serde_json::to_value(scored).unwrap_or(Value::Null)).into_response()),
        "xlsx" => {
            let head = jixiao_export::SelfHeader {
                year: Some(form.year),
                name: form.name.clone(),
                department: form.department.clone(),
                implementer: form.implementer.clone(),
                goal_expected: form.goal_annual.clone(),
                goal_actual: eval.overall_actual.clone(),
            };
            let bytes =
                jixiao_export::self_evaluations_xlsx(&[(head, &eval, &scored)]).map_err(|e| {
                    eprintln!("self-evaluation workbook for {id}: {e}");
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "无法生成工作簿",
                        "cannot write the workbook",
                    )
                })?;
            audit(
                &state,
                &auth.user.username,
                &auth.ip,
                "score_export",
                &id,
                &scheme.name,
            )
            .await;
            let filename = format!("{}（{}年度）绩效自评表.xlsx", form.name, form.year);
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"self-evaluation.xlsx\"; filename*=UTF-8''{}",
                            percent_encode(&filename)
                        ),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        other => Err(ApiError::bad_request(
            format!("不支持的格式“{other}”，可用 json 或 xlsx"),
            format!("unknown format “{other}”: use json or xlsx"),
        )),
    }
}

// ------------------------------------------------------------------ administration

pub(crate) fn require(auth: &Auth, role: Role) -> ApiResult<()> {
    require_any(auth, &[role])
}

/// The caller holds one of these roles; 403 otherwise.
pub(crate) fn require_any(auth: &Auth, roles: &[Role]) -> ApiResult<()> {
    if !roles.contains(&auth.user.role) {
        return Err(ApiError::forbidden(
            "此角色无权访问",
            "this role may not do this",
        ));
    }
    Ok(())
}

/// The administrators who keep accounts and roles: the system administrator and the
/// security administrator.
pub(crate) const ACCOUNT_KEEPERS: [Role; 2] = [Role::Admin, Role::Security];

/// `GET /api/users` (system and security administrators).
pub async fn users(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    require_any(&auth, &ACCOUNT_KEEPERS)?;
    Ok(Json(json!({ "users": state.store.users().await? })))
}

/// What a change to an account did: done at once, or asked for as a grant that waits for a
/// second administrator's approval (三权分立).
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    Pending(Box<jixiao_store::Grant>),
}

/// The pending grant's answer: `202 Accepted`, the grant, and what happens next.
fn pending_json(g: &jixiao_store::Grant) -> Value {
    let approver = jixiao_core::duties::approver_for(g.requester_role).unwrap_or(Role::Security);
    json!({
        "grant": g,
        "message": format!("已提交授权申请（{}），待{}审批后生效", grant_words(g), approver.chinese()),
        "message_en": format!("asked for a grant ({}): it takes effect once another administrator approves it", grant_detail(g)),
    })
}

/// A grant in words: what it gives to whom.
pub fn grant_words(g: &jixiao_store::Grant) -> String {
    use jixiao_core::duties::GrantKind;
    match g.kind {
        GrantKind::Create => format!("新建账户 {}，角色{}", g.username, g.role.chinese()),
        GrantKind::Role => format!(
            "{} 的角色由{}改为{}",
            g.username,
            g.from_role.map(|r| r.chinese()).unwrap_or("-"),
            g.role.chinese()
        ),
        GrantKind::ResetPassword => format!("重置 {}（{}）的密码", g.username, g.role.chinese()),
        GrantKind::ResetTotp => format!("重置 {}（{}）的动态口令", g.username, g.role.chinese()),
    }
}

/// A grant as the audit log records it.
pub fn grant_detail(g: &jixiao_store::Grant) -> String {
    use jixiao_core::duties::GrantKind;
    match g.kind {
        GrantKind::Create => format!("create {}", g.role.name()),
        GrantKind::Role => format!(
            "role {} → {}",
            g.from_role.map(|r| r.name()).unwrap_or("-"),
            g.role.name()
        ),
        GrantKind::ResetPassword | GrantKind::ResetTotp => {
            format!("{} ({})", g.kind.name(), g.role.name())
        }
    }
}

/// Records a request for a grant and audits it.
async fn ask_grant(
    state: &AppState,
    auth: &Auth,
    grant: jixiao_store::Grant,
    password_hash: Option<&str>,
) -> ApiResult<jixiao_store::Grant> {
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "grant_request",
        &grant.username,
        &grant_detail(&grant),
        state.store.request_grant(&grant, password_hash),
    )
    .await?;
    Ok(grant)
}

/// A grant asked for now by the caller, pending.
fn new_grant(
    auth: &Auth,
    kind: jixiao_core::duties::GrantKind,
    user: &User,
    from_role: Option<Role>,
) -> jixiao_store::Grant {
    jixiao_store::Grant {
        id: uuid::Uuid::new_v4().simple().to_string(),
        kind,
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        from_role,
        role: user.role,
        org_id: user.org_id.clone(),
        requested_by: auth.user.username.clone(),
        requester_role: auth.user.role,
        requested_at: crate::auth::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        status: jixiao_core::duties::GrantStatus::Pending,
        decided_by: None,
        decided_at: None,
        comment: String::new(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub org_id: Option<String>,
}

/// `POST /api/users` (the system administrator): `201` with the user, or, for a privileged
/// role, `202` with the grant that waits for the security administrator's approval.
pub async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(u) = body?;
    Ok(match add_user(&state, &auth, u).await? {
        Outcome::Done(user) => (StatusCode::CREATED, Json(json!({ "user": user }))),
        Outcome::Pending(g) => (StatusCode::ACCEPTED, Json(pending_json(&g))),
    })
}

/// Creates a user (the system administrator): the API and the administration page come
/// here. An account of a business role is created at once; one of a privileged role is a
/// grant that waits for a second administrator's approval, and nothing exists until then.
pub async fn add_user(state: &AppState, auth: &Auth, u: NewUser) -> ApiResult<Outcome<User>> {
    require(auth, Role::Admin)?;
    too_long(&u.username, 64, "username")?;
    too_long(&u.display_name, 100, "display_name")?;
    if u.username.trim().is_empty()
        || !u
            .username
            .trim()
            .chars()
            .all(|c| c.is_alphanumeric() || "._-".contains(c))
    {
        return Err(ApiError::bad_request(
            "用户名只能由字母、数字和 . _ - 组成",
            "a username is letters, digits and . _ -",
        ));
    }
    check_new_password(&u.password, u.username.trim())?;
    check_role_org(state, u.role, u.org_id.as_deref()).await?;
    let user = User {
        id: uuid::Uuid::new_v4().simple().to_string(),
        username: u.username.trim().to_string(),
        display_name: if u.display_name.trim().is_empty() {
            u.username.trim().to_string()
        } else {
            u.display_name.trim().to_string()
        },
        role: u.role,
        org_id: u.org_id,
    };
    if jixiao_core::duties::needs_approval(None, user.role) {
        if state.store.user_auth(&user.username).await?.is_some() {
            return Err(jixiao_store::StoreError::Taken(user.username).into());
        }
        let hash = crate::auth::hash_async(state, &u.password).await?;
        let grant = new_grant(auth, jixiao_core::duties::GrantKind::Create, &user, None);
        return Ok(Outcome::Pending(Box::new(
            ask_grant(state, auth, grant, Some(&hash)).await?,
        )));
    }
    if state
        .store
        .grants(true, 1000)
        .await?
        .iter()
        .any(|g| g.username == user.username)
    {
        return Err(jixiao_store::StoreError::GrantPending(user.username).into());
    }
    let hash = crate::auth::hash_async(state, &u.password).await?;
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "user_create",
        &user.username,
        user.role.name(),
        // Chosen by an administrator: the user changes it at the first sign-in.
        state.store.create_user(&user, &hash, true),
    )
    .await?;
    Ok(Outcome::Done(user))
}

/// A role and its organisation agree: a unit filer belongs to a unit, a department reviewer
/// to a department, a finance reviewer to a finance bureau; administrators and auditors to
/// any organisation or none.
async fn check_role_org(state: &AppState, role: Role, org_id: Option<&str>) -> ApiResult<()> {
    let orgs = state.store.orgs().await?;
    let org = match org_id {
        Some(o) => Some(
            orgs.iter()
                .find(|x| x.id == o)
                .ok_or_else(|| ApiError::bad_request("没有此组织", "no such organisation"))?,
        ),
        None => None,
    };
    let (kind, word) = match role {
        Role::Unit => ("unit", "实施单位"),
        Role::Department => ("department", "主管部门"),
        Role::Finance => ("finance", "财政部门"),
        Role::Admin | Role::Security | Role::AuditAdmin | Role::Auditor => return Ok(()),
    };
    match org {
        Some(o) if o.kind == kind => Ok(()),
        Some(o) => Err(ApiError::bad_request(
            format!("此角色须属于一个{word}，“{}”不是", o.name),
            format!(
                "this role belongs to a {kind} organisation; “{}” is not one",
                o.name
            ),
        )),
        None => Err(ApiError::bad_request(
            format!("此角色须属于一个{word}"),
            format!("this role needs a {kind} organisation"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEdit {
    pub display_name: String,
    pub role: Role,
    pub org_id: Option<String>,
}

/// `PUT /api/users/{id}`: name, role and organisation (system and security administrators):
/// `200` with the user, or, when a privileged role is given or taken away, `202` with the
/// grant that waits for a second administrator's approval (the whole change waits).
pub async fn edit_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<UserEdit>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(e) = body?;
    Ok(match change_user(&state, &auth, &id, e).await? {
        Outcome::Done(user) => (StatusCode::OK, Json(json!({ "user": user }))),
        Outcome::Pending(g) => (StatusCode::ACCEPTED, Json(pending_json(&g))),
    })
}

/// Changes a user's name, role and organisation; their sessions end, so the new role applies
/// from the next sign-in. Nobody changes their own role. A privileged role given or taken
/// away is a grant for the other administrator to approve: nothing changes until then.
pub async fn change_user(
    state: &AppState,
    auth: &Auth,
    id: &str,
    e: UserEdit,
) -> ApiResult<Outcome<User>> {
    require_any(auth, &ACCOUNT_KEEPERS)?;
    too_long(&e.display_name, 100, "display_name")?;
    let old = state
        .store
        .users()
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(ApiError::not_found)?;
    if id == auth.user.id && e.role != old.role {
        return Err(ApiError::forbidden(
            "不能改变自己的角色",
            "you cannot change your own role",
        ));
    }
    let org_id = e.org_id.filter(|o| !o.is_empty());
    check_role_org(state, e.role, org_id.as_deref()).await?;
    let user = User {
        id: old.id.clone(),
        username: old.username.clone(),
        display_name: match e.display_name.trim() {
            "" => old.display_name.clone(),
            n => n.to_string(),
        },
        role: e.role,
        org_id,
    };
    if jixiao_core::duties::needs_approval(Some(old.role), user.role) {
        let grant = new_grant(
            auth,
            jixiao_core::duties::GrantKind::Role,
            &user,
            Some(old.role),
        );
        let grant = ask_grant(state, auth, grant, None).await?;
        return Ok(Outcome::Pending(Box::new(grant)));
    }
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "user_update",
        &user.username,
        &format!(
            "{} → {}; {} → {}",
            old.role.name(),
            user.role.name(),
            old.org_id.as_deref().unwrap_or("-"),
            user.org_id.as_deref().unwrap_or("-")
        ),
        state.store.update_user(&user),
    )
    .await?;
    Ok(Outcome::Done(user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgEdit {
    pub name: String,
    pub parent_id: Option<String>,
}

/// `PUT /api/orgs/{id}`: rename or move an organisation (its kind stays).
pub async fn edit_org(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<OrgEdit>,
) -> ApiResult<Json<Value>> {
    let Json(e) = body?;
    let org = change_org(&state, &auth, &id, e).await?;
    Ok(Json(json!({ "org": org })))
}

/// Renames or moves an organisation; never under itself or one of its own.
pub async fn change_org(state: &AppState, auth: &Auth, id: &str, e: OrgEdit) -> ApiResult<Org> {
    require(auth, Role::Admin)?;
    too_long(&e.name, 200, "name")?;
    let orgs = state.store.orgs().await?;
    let old = orgs
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(ApiError::not_found)?;
    if e.name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "组织须有名称",
            "an organisation needs a name",
        ));
    }
    let parent_id = e.parent_id.filter(|p| !p.is_empty());
    // Walk up from the new parent: reaching this organisation would make a loop.
    let mut up = parent_id.clone();
    let mut steps = 0;
    while let Some(p) = up {
        if p == id {
            return Err(ApiError::bad_request(
                "上级组织不能是它自己或它的下级",
                "an organisation cannot be placed under itself or under one of its own",
            ));
        }
        let parent = orgs.iter().find(|o| o.id == p).ok_or_else(|| {
            ApiError::bad_request("没有此上级组织", "no such parent organisation")
        })?;
        up = parent.parent_id.clone();
        steps += 1;
        if steps > orgs.len() {
            break;
        }
    }
    let org = Org {
        id: old.id.clone(),
        name: e.name.trim().to_string(),
        kind: old.kind.clone(),
        parent_id,
    };
    // The unit renamed and the forms naming it as implementer linked to it, in one
    // transaction with the audit entry.
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "org_update",
        &org.name,
        &format!(
            "{} → {}; {} → {}",
            old.name,
            org.name,
            old.parent_id.as_deref().unwrap_or("-"),
            org.parent_id.as_deref().unwrap_or("-")
        ),
        state.store.update_org(&org),
    )
    .await?;
    Ok(org)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub unit_id: Option<String>,
}

/// `PUT /api/forms/{id}/unit`: give a form to a unit organisation (administrators).
pub async fn assign_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Body<AssignBody>,
) -> ApiResult<Json<Value>> {
    let Json(b) = body?;
    let unit = assign_form_to(&state, &auth, &id, b.unit_id.as_deref()).await?;
    Ok(Json(
        json!({ "id": id, "unit_id": unit.as_ref().map(|o| &o.id), "unit_name": unit.as_ref().map(|o| &o.name) }),
    ))
}

/// An administrator gives a form to a unit (or to none). Administrators see only the form's
/// name and owner for this, never its content.
pub async fn assign_form_to(
    state: &AppState,
    auth: &Auth,
    id: &str,
    unit_id: Option<&str>,
) -> ApiResult<Option<Org>> {
    require(auth, Role::Admin)?;
    let meta = state
        .store
        .form_meta(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let unit_id = unit_id.filter(|u| !u.is_empty());
    let unit = match unit_id {
        Some(u) => {
            let org = state
                .store
                .orgs()
                .await?
                .into_iter()
                .find(|o| o.id == u)
                .ok_or_else(|| ApiError::bad_request("没有此组织", "no such organisation"))?;
            if org.kind != "unit" {
                return Err(ApiError::bad_request(
                    format!("申报表只能归属实施单位，“{}”不是", org.name),
                    format!(
                        "a form belongs to a unit organisation; “{}” is not one",
                        org.name
                    ),
                ));
            }
            Some(org)
        }
        None => None,
    };
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "form_assign",
        id,
        &format!(
            "{} → {}",
            meta.unit_id.as_deref().unwrap_or("-"),
            unit_id.unwrap_or("-")
        ),
        state.store.assign_form(id, unit_id),
    )
    .await?;
    Ok(unit)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// For `reset-password`: the new password, at least 10 characters.
    #[serde(default)]
    pub password: Option<String>,
}

/// Checks a new password against the policy (`jixiao_core::password`).
pub fn check_new_password(p: &str, username: &str) -> ApiResult<()> {
    jixiao_core::password::check(p, username).map_err(|(zh, en)| ApiError::bad_request(zh, en))
}

/// Refuses a password the user had among their last ones (checked on the hashing workers).
pub async fn check_not_reused(state: &AppState, user_id: &str, p: &str) -> ApiResult<()> {
    let history = state.store.password_history(user_id).await?;
    let password = p.to_string();
    let reused = crate::auth::hashing(state, move || {
        history.iter().any(|h| crate::auth::verify(&password, h))
    })
    .await?;
    if reused {
        return Err(ApiError::bad_request(
            format!(
                "不能使用最近 {} 次用过的密码",
                jixiao_core::password::HISTORY
            ),
            format!(
                "a password cannot be one of the last {} used",
                jixiao_core::password::HISTORY
            ),
        ));
    }
    Ok(())
}

/// What the system administrator does to an account: `reset-password`, `unlock`, `disable`,
/// `enable`, `reset-totp`. The page and `POST /api/users/{id}/{action}` come here. Resetting
/// the password or the second factor of a privileged account is a grant that waits for the
/// security administrator's approval (whoever resets them could sign in as the account).
pub async fn change_account(
    state: &AppState,
    auth: &Auth,
    user_id: &str,
    action: &str,
    password: Option<&str>,
) -> ApiResult<Outcome<String>> {
    require(auth, Role::Admin)?;
    let accounts = state.store.accounts().await?;
    let target = accounts
        .iter()
        .find(|a| a.user.id == user_id)
        .ok_or_else(ApiError::not_found)?;
    let change = match action {
        "reset-password" => {
            let p = password.unwrap_or("");
            check_new_password(p, &target.user.username)?;
            check_not_reused(state, user_id, p).await?;
            jixiao_store::AccountChange::ResetPassword {
                hash: crate::auth::hash_async(state, p).await?,
            }
        }
        "unlock" => jixiao_store::AccountChange::Unlock,
        "disable" if user_id == auth.user.id => {
            return Err(ApiError::bad_request(
                "不能停用自己的账户",
                "you cannot disable your own account",
            ))
        }
        "disable" => jixiao_store::AccountChange::Disable,
        "enable" => jixiao_store::AccountChange::Enable,
        "reset-totp" if user_id == auth.user.id => {
            return Err(ApiError::bad_request(
                "不能重置自己的动态口令，请另一位管理员操作",
                "you cannot reset your own second factor: ask another administrator",
            ))
        }
        "reset-totp" => jixiao_store::AccountChange::ResetTotp,
        other => {
            return Err(ApiError::bad_request(
                format!("未知操作“{other}”"),
                format!("unknown action “{other}”"),
            ))
        }
    };
    if jixiao_core::duties::reset_needs_approval(target.user.role) {
        use jixiao_core::duties::GrantKind;
        let (kind, hash) = match &change {
            jixiao_store::AccountChange::ResetPassword { hash } => {
                (Some(GrantKind::ResetPassword), Some(hash.as_str()))
            }
            jixiao_store::AccountChange::ResetTotp => (Some(GrantKind::ResetTotp), None),
            _ => (None, None),
        };
        if let Some(kind) = kind {
            let grant = new_grant(auth, kind, &target.user, Some(target.user.role));
            return Ok(Outcome::Pending(Box::new(
                ask_grant(state, auth, grant, hash).await?,
            )));
        }
    }
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        &format!("user_{}", action.replace('-', "_")),
        &target.user.username,
        "",
        state.store.update_account(user_id, &change, None),
    )
    .await?;
    Ok(Outcome::Done(target.user.username.clone()))
}

/// `POST /api/users/{id}/{action}` (the system administrator): `reset-password` with
/// `{"password"}`, `unlock`, `disable`, `enable`, `reset-totp`; `202` with a grant for a
/// privileged account's password or second factor.
pub async fn account_action(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    // No body for unlock, disable and enable; `{"password"}` for reset-password.
    let password = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<AccountBody>(&body)
            .map_err(|e| {
                ApiError::bad_request(
                    format!("请求体不是所需的 JSON：{e}"),
                    format!("the body is not the JSON expected: {e}"),
                )
            })?
            .password
    };
    if let Outcome::Pending(g) =
        change_account(&state, &auth, &id, &action, password.as_deref()).await?
    {
        return Ok((StatusCode::ACCEPTED, Json(pending_json(&g))));
    }
    let account = state
        .store
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.user.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::OK, Json(json!({ "account": account }))))
}

/// `GET /api/accounts` (administrators): every account with its state.
pub async fn accounts(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    require(&auth, Role::Admin)?;
    Ok(Json(json!({ "accounts": state.store.accounts().await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current: String,
    pub new: String,
}

/// Changes the signed-in user's own password (the current one checked); other sessions end.
pub async fn change_own_password(
    state: &AppState,
    auth: &Auth,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    let me = state
        .store
        .user_auth(&auth.user.username)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !crate::auth::verify_async(state, current, &me.password_hash).await? {
        audit(
            state,
            &auth.user.username,
            &auth.ip,
            "password_change_failed",
            &auth.user.username,
            "",
        )
        .await;
        return Err(ApiError::bad_request(
            "当前密码不对",
            "the current password is wrong",
        ));
    }
    check_new_password(new, &auth.user.username)?;
    if new == current {
        return Err(ApiError::bad_request(
            "新密码不能与当前密码相同",
            "the new password must differ from the current one",
        ));
    }
    check_not_reused(state, &auth.user.id, new).await?;
    let change = jixiao_store::AccountChange::ChangePassword {
        hash: crate::auth::hash_async(state, new).await?,
    };
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "password_change",
        &auth.user.username,
        "",
        state
            .store
            .update_account(&auth.user.id, &change, Some(&auth.token_hash)),
    )
    .await?;
    Ok(())
}

/// `POST /api/session/password` `{"current", "new"}`.
pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<PasswordBody>,
) -> ApiResult<Json<Value>> {
    let Json(b) = body?;
    change_own_password(&state, &auth, &b.current, &b.new).await?;
    Ok(Json(json!({ "changed": true })))
}

/// `GET /api/orgs`: every signed-in user may read the organisations.
pub async fn orgs(State(state): State<AppState>, _auth: Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "orgs": state.store.orgs().await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
}

/// `POST /api/orgs` (administrators).
pub async fn create_org(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<NewOrg>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(o) = body?;
    let org = add_org(&state, &auth, o).await?;
    Ok((StatusCode::CREATED, Json(json!({ "org": org }))))
}

/// Creates an organisation (administrators only) and links forms to it when it is the unit
/// they name as implementer.
pub async fn add_org(state: &AppState, auth: &Auth, o: NewOrg) -> ApiResult<Org> {
    require(auth, Role::Admin)?;
    too_long(&o.name, 200, "name")?;
    if o.name.trim().is_empty() || !["unit", "department", "finance"].contains(&o.kind.as_str()) {
        return Err(ApiError::bad_request(
            "组织须有名称，类型为 unit/department/finance",
            "an organisation needs a name and a kind: unit, department or finance",
        ));
    }
    let parent_id = o.parent_id.filter(|p| !p.is_empty());
    if let Some(p) = &parent_id {
        if !state.store.orgs().await?.iter().any(|x| &x.id == p) {
            return Err(ApiError::bad_request(
                "没有此上级组织",
                "no such parent organisation",
            ));
        }
    }
    let org = Org {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: o.name.trim().to_string(),
        kind: o.kind,
        parent_id,
    };
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "org_create",
        &org.name,
        &org.kind,
        state.store.create_org(&org),
    )
    .await?;
    Ok(org)
}

/// `GET /api/rules`: the review rules and their severities as configured.
pub async fn rules(State(state): State<AppState>, _auth: Auth) -> ApiResult<Json<Value>> {
    let active = rule_set(&state).await?.codes();
    let list: Vec<Value> = jixiao_core::review::registry()
        .iter()
        .map(|r| json!({ "code": r.code, "severity": r.severity, "title": r.title, "title_en": r.title_en, "enabled": active.contains(&r.code) }))
        .collect();
    Ok(Json(json!({ "rules": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    limit: Option<i64>,
}

/// `GET /api/audit` (the audit administrator only).
pub async fn audit_log(
    State(state): State<AppState>,
    auth: Auth,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    require(&auth, Role::AuditAdmin)?;
    let Query(p) = params?;
    Ok(Json(
        json!({ "entries": state.store.audit_log(p.limit.unwrap_or(200)).await? }),
    ))
}

/// The review rules in force: the configuration an administrator saved (kept in the
/// database, so every server uses the same), or the server's own.
pub async fn rule_set(state: &AppState) -> ApiResult<RuleSet> {
    match state.store.setting("rules").await? {
        Some(json) => {
            let config: jixiao_core::review::RuleConfig =
                serde_json::from_str(&json).map_err(|e| {
                    eprintln!("stored rule configuration unreadable: {e}");
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "规则配置无法读取",
                        "the rule configuration cannot be read",
                    )
                })?;
            RuleSet::new(&config).map_err(|e| {
                ApiError::from_bilingual(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    &e.to_string(),
                )
            })
        }
        None => Ok((*state.rules).clone()),
    }
}

/// The review of a stored form as the application shows it: the rule set in force, with last
/// year's form and its actuals when they are stored.
pub(crate) async fn review_stored(
    state: &AppState,
    form: &Form,
) -> ApiResult<Vec<jixiao_core::review::Finding>> {
    let rules = rule_set(state).await?;
    Ok(match state.store.last_year(form).await? {
        Some(last) => jixiao_core::review::review_with_history(
            form,
            Some(&last.form),
            &last.actuals,
            &last.rectifications,
            &rules,
        ),
        None => review(form, None, &rules),
    })
}

/// Saves a rule configuration (the security administrator), checked first.
pub async fn save_rule_config(
    state: &AppState,
    auth: &Auth,
    config: &jixiao_core::review::RuleConfig,
) -> ApiResult<()> {
    require(auth, Role::Security)?;
    RuleSet::new(config).map_err(|e| {
        ApiError::from_bilingual(StatusCode::BAD_REQUEST, "bad_rules", &e.to_string())
    })?;
    let json = serde_json::to_string(config)
        .map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "rules_save",
        "rules",
        &json,
        state.store.set_setting("rules", &json, &auth.user.username),
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ grants (三权分立)

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantParams {
    /// `true`: decided grants too (the latest 200).
    all: Option<bool>,
}

/// `GET /api/grants` (system and security administrators): the pending grants, or with
/// `all=true` the decided ones too, newest first.
pub async fn grants(
    State(state): State<AppState>,
    auth: Auth,
    params: Result<Query<GrantParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, &ACCOUNT_KEEPERS)?;
    let Query(p) = params?;
    let list = state.store.grants(!p.all.unwrap_or(false), 200).await?;
    Ok(Json(json!({ "grants": list })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    pub comment: String,
}

/// Approves or rejects a pending grant: an administrator of the other duty than the
/// requester's, neither the requester nor the account's holder (the requester may withdraw,
/// that is reject, their own). An approval applies it and ends the account's sessions.
pub async fn decide_grant(
    state: &AppState,
    auth: &Auth,
    id: &str,
    approve: bool,
    comment: &str,
) -> ApiResult<jixiao_store::Grant> {
    require_any(auth, &ACCOUNT_KEEPERS)?;
    too_long(comment, 500, "comment")?;
    let g = state
        .store
        .grant(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if g.status != jixiao_core::duties::GrantStatus::Pending {
        return Err(match g.status {
            jixiao_core::duties::GrantStatus::Approved => {
                jixiao_store::StoreError::GrantDecided("批准", "approved")
            }
            _ => jixiao_store::StoreError::GrantDecided("拒绝", "rejected"),
        }
        .into());
    }
    jixiao_core::duties::check_decision(
        (&auth.user.username, auth.user.role),
        (&g.requested_by, g.requester_role),
        &g.username,
        !approve,
    )
    .map_err(|e| ApiError::from_bilingual(StatusCode::FORBIDDEN, "forbidden", &e.to_string()))?;
    // An approval stands on a request its requester could still make: one who has since been
    // disabled or moved to another role no longer speaks for their duty.
    if approve {
        let requester = state
            .store
            .accounts()
            .await?
            .into_iter()
            .find(|a| a.user.username == g.requested_by);
        if !requester.is_some_and(|a| !a.disabled && a.user.role == g.requester_role) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "status_changed",
                format!(
                    "申请人 {} 已停用或已不再担任{}，此申请不能批准，请拒绝",
                    g.requested_by,
                    g.requester_role.chinese()
                ),
                format!(
                    "the requester {} is disabled or no longer holds that role: this request cannot be approved; reject it",
                    g.requested_by
                ),
            ));
        }
    }
    let withdrawn = !approve && g.requested_by == auth.user.username;
    let decided = audited(
        state,
        &auth.user.username,
        &auth.ip,
        if approve {
            "grant_approve"
        } else if withdrawn {
            "grant_withdraw"
        } else {
            "grant_reject"
        },
        &g.username,
        &format!(
            "{}; requested by {}{}",
            grant_detail(&g),
            g.requested_by,
            if comment.trim().is_empty() {
                String::new()
            } else {
                format!("; {}", comment.trim())
            }
        ),
        state
            .store
            .decide_grant(id, approve, &auth.user.username, comment.trim()),
    )
    .await?;
    Ok(decided)
}

/// The optional JSON body of a decision (`{"comment"}`), or none.
fn decision_body(body: &[u8]) -> ApiResult<DecisionBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(DecisionBody::default());
    }
    serde_json::from_slice::<DecisionBody>(body).map_err(|e| {
        ApiError::bad_request(
            format!("请求体不是所需的 JSON：{e}"),
            format!("the body is not the JSON expected: {e}"),
        )
    })
}

/// `POST /api/grants/{id}/approve` `{"comment"}` (optional).
pub async fn approve_grant(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let b = decision_body(&body)?;
    let g = decide_grant(&state, &auth, &id, true, &b.comment).await?;
    Ok(Json(json!({ "grant": g })))
}

/// `POST /api/grants/{id}/reject` `{"comment"}` (optional).
pub async fn reject_grant(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let b = decision_body(&body)?;
    let g = decide_grant(&state, &auth, &id, false, &b.comment).await?;
    Ok(Json(json!({ "grant": g })))
}

// ------------------------------------------------------------------ the audit log's retention

/// The retention the audit administrator set, in days (`None`: every entry is kept).
pub async fn audit_retention_days(state: &AppState) -> ApiResult<Option<i64>> {
    Ok(state
        .store
        .setting("audit_retention_days")
        .await?
        .and_then(|v| v.trim().parse().ok()))
}

/// The audit log's retention and state, as `GET /api/audit/retention` gives it.
pub async fn retention_json(state: &AppState) -> ApiResult<Value> {
    let oldest = state.store.audit_chain(0, 1).await?;
    Ok(json!({
        "days": audit_retention_days(state).await?,
        "minimum_days": jixiao_core::duties::AUDIT_RETENTION_MIN_DAYS,
        "oldest_at": oldest.first().map(|(e, _)| e.at.clone()),
        "anchor_seq": state.store.audit_anchor().await?.map(|a| a.seq),
    }))
}

/// `GET /api/audit/retention` (the audit administrator).
pub async fn get_retention(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    require(&auth, Role::AuditAdmin)?;
    Ok(Json(retention_json(&state).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionBody {
    /// Days to keep each entry, at least 184; `null` keeps everything.
    pub days: Option<i64>,
}

/// Sets how long the audit log is kept: at least six months (184 days), or everything.
pub async fn set_retention(state: &AppState, auth: &Auth, days: Option<i64>) -> ApiResult<()> {
    use jixiao_core::duties::{AUDIT_RETENTION_MAX_DAYS, AUDIT_RETENTION_MIN_DAYS};
    require(auth, Role::AuditAdmin)?;
    if let Some(d) = days {
        if !(AUDIT_RETENTION_MIN_DAYS..=AUDIT_RETENTION_MAX_DAYS).contains(&d) {
            return Err(ApiError::bad_request(
                format!(
                    "审计日志至少保存 {AUDIT_RETENTION_MIN_DAYS} 天（六个月，网络安全法），至多 {AUDIT_RETENTION_MAX_DAYS} 天；{d} 天不行"
                ),
                format!(
                    "the audit log is kept at least {AUDIT_RETENTION_MIN_DAYS} days (six months, by law) and at most {AUDIT_RETENTION_MAX_DAYS}; not {d}"
                ),
            ));
        }
    }
    let value = days.map(|d| d.to_string()).unwrap_or_default();
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "audit_retention",
        "audit",
        &days.map_or("keep all".to_string(), |d| format!("{d} days")),
        state
            .store
            .set_setting("audit_retention_days", &value, &auth.user.username),
    )
    .await?;
    Ok(())
}

/// `PUT /api/audit/retention` `{"days"}` (the audit administrator).
pub async fn put_retention(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<RetentionBody>,
) -> ApiResult<Json<Value>> {
    let Json(b) = body?;
    set_retention(&state, &auth, b.days).await?;
    Ok(Json(retention_json(&state).await?))
}

/// Deletes the entries older than the retention (the audit administrator): the chain keeps
/// verifying from its anchor, and the purge itself is logged, naming the anchor. Returns how
/// many went and the bound.
pub async fn purge_audit_log(state: &AppState, auth: &Auth) -> ApiResult<(u64, String)> {
    require(auth, Role::AuditAdmin)?;
    let Some(days) = audit_retention_days(state).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_retention",
            "尚未设定保存期限：审计日志全部保留，不能清理",
            "no retention is set: the whole audit log is kept, nothing can be purged",
        ));
    };
    // Never younger than the legal minimum, whatever is stored.
    let days = days.max(jixiao_core::duties::AUDIT_RETENTION_MIN_DAYS);
    let before = (crate::auth::now() - chrono::Duration::days(days))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let n = state
        .store
        .purge_audit(&before, &auth.user.username)
        .await?;
    // Recorded after the purge, naming the anchor it left (the one change whose entry is not
    // in its transaction: the entry states what the purge did).
    let anchor = state.store.audit_anchor().await?;
    audit(
        state,
        &auth.user.username,
        &auth.ip,
        "audit_purge",
        "audit",
        &format!(
            "{n} entries before {before} ({days} days); anchor {}",
            anchor
                .map(|a| a.seq.to_string())
                .unwrap_or_else(|| "-".into())
        ),
    )
    .await;
    Ok((n, before))
}

/// `POST /api/audit/purge` (the audit administrator): entries past the retention deleted.
pub async fn purge(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    let (n, before) = purge_audit_log(&state, &auth).await?;
    Ok(Json(json!({ "purged": n, "before": before })))
}
