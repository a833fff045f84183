//! The pages: server-rendered HTML, Chinese first, over the same store and access rules as the
//! API. maud escapes every value it renders, so text with HTML or script in it shows as text.
//! Our own two static files (app.css, app.js) are the only assets; no CDN, no inline script.

mod audit;
mod diff;
mod duties;
mod form;
mod help;
mod library;
mod lists;
mod login;
mod overview;
mod start;
mod track;
mod upload;

use crate::auth::{client_ip, cookie_token, token_hash, Auth};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jixiao_core::workflow::{Role, Status};
use jixiao_store::User;
use maud::{html, Markup, DOCTYPE};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(login::root))
        .route("/help", get(help::page))
        .route("/rectifications", get(track::rectifications))
        .route(
            "/forms/{id}/documents",
            post(track::upload_document).layer(axum::extract::DefaultBodyLimit::max(
                crate::documents::MAX_DOCUMENT + 64 * 1024,
            )),
        )
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/forms", get(lists::portfolio))
        .route("/forms/new", get(start::page).post(start::create))
        .route("/forms/{id}/copy", post(start::copy))
        .route(
            "/forms/import",
            get(upload::page)
                .post(upload::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::upload::MAX_UPLOAD + 64 * 1024,
                )),
        )
        .route(
            "/forms/import/confirm",
            post(upload::confirm).layer(axum::extract::DefaultBodyLimit::max(
                crate::upload::MAX_UPLOAD * 2,
            )),
        )
        .route("/forms/{id}", get(form::view))
        .route("/forms/{id}/edit", get(form::editor))
        .route("/forms/{id}/diff", get(diff::page))
        .route("/forms/{id}/action", post(form::action))
        .route(
            "/forms/{id}/monitoring",
            get(track::monitoring).post(track::save_monitoring),
        )
        .route(
            "/forms/{id}/evaluation",
            get(track::evaluation).post(track::save_evaluation),
        )
        .route(
            "/forms/{id}/evaluation/action",
            post(track::evaluation_action),
        )
        .route("/dashboard", get(overview::dashboard))
        .route("/audit", get(audit::page))
        .route("/audit/retention", post(audit::retention))
        .route("/audit/purge", post(audit::purge))
        .route("/library", get(library::page))
        .route("/library/curation", post(library::curation))
        .route("/admin", get(overview::admin))
        .route("/admin/users", post(overview::admin_user))
        .route("/admin/users/{id}", post(overview::admin_account))
        .route("/admin/users/{id}/edit", post(overview::admin_user_edit))
        .route("/admin/orgs/{id}", post(overview::admin_org_edit))
        .route("/admin/forms/{id}/unit", post(overview::admin_assign))
        .route(
            "/account/password",
            get(login::password_page).post(login::password_change),
        )
        .route("/account/sessions", get(login::sessions_page))
        .route(
            "/account/totp",
            get(login::totp_page).post(login::totp_enrol),
        )
        .route("/account/sessions/end", post(login::end_sessions))
        .route("/admin/orgs", post(overview::admin_org))
        .route("/security", get(duties::security))
        .route("/security/users/{id}", post(duties::security_user))
        .route("/security/rules", post(duties::security_rules))
        .route("/grants", get(duties::grants))
        .route("/grants/{id}", post(duties::decide))
        .route("/todo", get(lists::todo))
        .route("/handled", get(lists::handled))
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    include_str!("../../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    include_str!("../../static/app.js"),
                )
            }),
        )
}

/// A signed-in user on a page; anyone else is sent to the sign-in page (told when their
/// session has expired).
pub struct PageUser(pub Auth);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<PageUser, Response> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/forms".into());
        let to_login = |expired: bool| {
            let q = form_urlencoded(&[("next", &next)]);
            Redirect::to(&format!(
                "/login?{q}{}",
                if expired { "&expired=1" } else { "" }
            ))
            .into_response()
        };
        let Some(token) = cookie_token(&parts.headers) else {
            return Err(to_login(false));
        };
        let (session, generations) =
            match crate::auth::find_session_at(state, &token_hash(&token)).await {
                Ok((Some(s), g)) => (s, g),
                Ok((None, _)) => return Err(to_login(true)),
                Err(e) => return Err(ApiError::from(e).into_response()),
            };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let ip = client_ip(&parts.headers, peer, state.config.trust_proxy);
        if session.must_change_password
            && !crate::auth::allowed_before_password_change(parts.uri.path())
        {
            return Err(Redirect::to("/account/password").into_response());
        }
        if session.needs_second_factor
            && !crate::auth::allowed_before_second_factor(parts.uri.path())
        {
            return Err(Redirect::to("/account/totp").into_response());
        }
        Ok(PageUser(Auth {
            user: session.user,
            token_hash: token_hash(&token),
            csrf: session.csrf,
            ip,
            must_change_password: session.must_change_password,
            generations,
        }))
    }
}

/// A form post from a page: the signed-in user and the fields, with the CSRF token checked.
pub struct PagePost<T> {
    pub auth: Auth,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PagePost<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<PagePost<T>, Response> {
        let (mut parts, body) = req.into_parts();
        let PageUser(auth) = PageUser::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let Form(fields): Form<Vec<(String, String)>> = Form::from_request(req, state)
            .await
            .map_err(|e| e.into_response())?;
        let csrf = fields
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if csrf.is_empty() || csrf != auth.csrf {
            return Err(ApiError::forbidden(
                "页面已过期，请刷新后重试（CSRF 令牌不符）",
                "the page is stale: reload and try again (CSRF token mismatch)",
            )
            .into_response());
        }
        let rest: Vec<(String, String)> =
            fields.into_iter().filter(|(k, _)| k != "_csrf").collect();
        let encoded = rest
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>();
        let form: T = serde_urlencoded_from(&encoded).map_err(|e| {
            ApiError::bad_request(
                format!("表单内容有误：{e}"),
                format!("the form is not valid: {e}"),
            )
            .into_response()
        })?;
        Ok(PagePost { auth, form })
    }
}

fn serde_urlencoded_from<T: DeserializeOwned>(pairs: &[(&str, &str)]) -> Result<T, String> {
    // Round-trip through JSON: every value is a string; repeated keys become the last value.
    let mut m = serde_json::Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), serde_json::Value::String(v.to_string()));
    }
    serde_json::from_value(serde_json::Value::Object(m)).map_err(|e| e.to_string())
}

pub fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn role_label(r: Role) -> &'static str {
    r.chinese()
}

/// Where a role lands when it signs in without a page to return to, and where the brand
/// leads: a unit on its forms, reviewers on their to-do list, the auditor on the forms, the
/// system administrator on accounts, the security administrator on grants and roles, the
/// audit administrator on the log.
pub fn home(role: Role) -> &'static str {
    match role {
        Role::Unit | Role::Auditor => "/forms",
        Role::Department | Role::Finance => "/todo",
        Role::Admin => "/admin",
        Role::Security => "/security",
        Role::AuditAdmin => "/audit",
    }
}

/// The pages of the header's navigation for a role: the business pages for the business
/// roles; for each administrator, its own pages only (三权分立).
fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::Admin => vec![
            ("/admin", "管理"),
            ("/grants", "授权审批"),
            ("/library", "指标库"),
        ],
        Role::Security => vec![("/security", "安全管理"), ("/grants", "授权审批")],
        Role::AuditAdmin => vec![("/audit", "审计日志")],
        _ => vec![
            ("/forms", "申报表"),
            ("/todo", "待办"),
            ("/handled", "我处理过的"),
            ("/dashboard", "看板"),
            ("/rectifications", "待整改"),
            ("/library", "指标库"),
        ],
    }
}

pub fn status_badge(s: Status) -> Markup {
    html! { span class={ "status status-" (s.name()) } { (s.chinese()) } }
}

/// The frame of every page: skip link, navigation, who is signed in, sign-out.
pub fn layout(title: &str, user: Option<(&User, &str)>, current: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 绩效" }
                link rel="stylesheet" href="/static/app.css";
                @if let Some((_, csrf)) = user { meta name="csrf-token" content=(csrf); }
                script src="/static/app.js" defer {}
            }
            body {
                a class="skip" href="#main" { "跳到正文" }
                header class="top" {
                    a class="brand" href=(user.map(|(u, _)| home(u.role)).unwrap_or("/forms")) { "绩效 " span lang="en" { "jixiao" } }
                    @if let Some((u, csrf)) = user {
                        nav aria-label="主导航" {
                            @for (href, label) in nav(u.role) {
                                a href=(href) aria-current=[(current == href).then_some("page")] { (label) }
                            }
                        }
                        div class="who" {
                            a href="/help" aria-current=[(current == "/help").then_some("page")] { "帮助" }
                            span { (u.display_name) "（" (role_label(u.role)) "）" }
                            a href="/account/password" { "修改密码" }
                            a href="/account/sessions" aria-current=[(current == "/account/sessions").then_some("page")] { "登录设备" }
                            form method="post" action="/logout" {
                                input type="hidden" name="_csrf" value=(csrf);
                                button type="submit" class="link" { "退出" }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

/// An error on a page: its message in Chinese, the English beside it.
/// A multipart page post (a file upload): its text fields, and its file field `file` with the
/// name the browser gave it; the CSRF token checked as for other page posts.
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Vec<u8>,
    pub filename: String,
}

pub async fn read_upload(
    mut parts: axum::extract::Multipart,
    auth: &Auth,
) -> Result<Upload, ApiError> {
    let broke = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(
            format!("上传不完整：{e}"),
            format!("the upload broke off: {e}"),
        )
    };
    let mut up = Upload {
        fields: Default::default(),
        file: vec![],
        filename: String::new(),
    };
    while let Some(field) = parts.next_field().await.map_err(broke)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            up.filename = field.file_name().unwrap_or("").to_string();
            up.file = field.bytes().await.map_err(broke)?.to_vec();
        } else {
            let b = field.bytes().await.map_err(broke)?;
            up.fields
                .insert(name, String::from_utf8_lossy(&b).into_owned());
        }
    }
    match up.fields.get("_csrf") {
        Some(t) if !t.is_empty() && *t == auth.csrf => Ok(up),
        _ => Err(ApiError::forbidden(
            "页面已过期，请刷新后重试（CSRF 令牌不符）",
            "the page is stale: reload and try again (CSRF token mismatch)",
        )),
    }
}

/// Every user's name by sign-in name, to show people by name.
pub async fn people(
    state: &crate::AppState,
) -> Result<std::collections::HashMap<String, String>, ApiError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.username, u.display_name))
        .collect())
}

pub fn error_page(user: Option<(&User, &str)>, e: &ApiError) -> Response {
    let body = html! {
        h1 { "出错了" }
        p class="error" role="alert" { (e.message) }
        p lang="en" class="muted" { (e.message_en) }
        // An error about another form (it already exists) links to it.
        @if let Some(id) = e.detail.as_ref().and_then(|d| d["id"].as_str()).filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric())) {
            p { a href={ "/forms/" (id) } { "打开那张申报表" } }
        }
        @match user.map(|(u, _)| u.role).filter(|r| r.administrator()) {
            Some(r) => p { a href=(home(r)) { "返回" (nav(r)[0].1) } },
            None => p { a href="/forms" { "返回申报表列表" } },
        }
    };
    (e.status, layout("出错了", user, "", body)).into_response()
}

pub fn money(m: Option<jixiao_core::Money>) -> String {
    m.map(|m| m.grouped()).unwrap_or_default()
}
