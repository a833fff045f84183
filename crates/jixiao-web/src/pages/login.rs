//! Sign-in and sign-out pages.

use super::{layout, PagePost};
use crate::auth::{authenticate, client_ip, COOKIE};
use crate::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Where to go after signing in: only a path on this site. Never an absolute or
/// protocol-relative URL, and nothing a browser would tidy into one (a tab, a newline or a
/// backslash dropped or turned into `/`): every character visible ASCII, as the addresses
/// of our own pages are (a browser percent-encodes the rest). Anything else goes to the
/// portfolio.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 2000
                && n.chars().all(|c| c.is_ascii_graphic() && c != '\\') =>
        {
            n.to_string()
        }
        _ => "/forms".into(),
    }
}

/// The sign-in form's own token, in an HttpOnly, SameSite=Strict cookie and in the form:
/// another site can make a browser post the form, but not with a token that matches the
/// cookie (login CSRF).
const LOGIN_COOKIE: &str = "jixiao_login";

/// The sign-in page with a fresh token (cookie and hidden field), with a message if any.
fn login_page(
    state: &AppState,
    status: StatusCode,
    message: Option<(&str, &str)>,
    next: &str,
    username: &str,
) -> Response {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let cookie = format!(
        "{LOGIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    (
        status,
        [(header::SET_COOKIE, cookie)],
        layout(
            "登录",
            None,
            "",
            login_form(message, next, username, &token, state.demo),
        ),
    )
        .into_response()
}

fn login_form(
    message: Option<(&str, &str)>,
    next: &str,
    username: &str,
    token: &str,
    demo: bool,
) -> Markup {
    html! {
        section class="login" {
            h1 { "登录" }
            @if let Some((kind, text)) = message {
                p class=(kind) role="alert" { (text) }
            }
            form method="post" action="/login" {
                input type="hidden" name="_login" value=(token);
                input type="hidden" name="next" value=(next);
                label for="username" { "用户名" }
                input id="username" name="username" autocomplete="username" required value=(username) autofocus;
                label for="password" { "密码" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                label for="totp" { "动态口令（启用了双因素认证的账户填写）" }
                input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" size="8";
                p class="muted" { "财政、系统管理员、安全管理员、审计管理员和审计人员须使用动态口令；演示账户只用密码登录。" }
                button type="submit" { "登录" }
            }
            @if demo {
                section class="demo-accounts" aria-labelledby="demo-h" {
                    h2 id="demo-h" { "演示账户" }
                    p class="muted" { "密码见服务器启动时的提示（默认 " code { (crate::demo::DEMO_PASSWORD) } "）。" }
                    ul { @for (u, _, role) in crate::demo::ACCOUNTS { li { code { (u) } "：" (role.chinese()) } } }
                }
            }
        }
    }
}

/// Where a role lands when it signs in without a page to return to.
fn home(role: jixiao_core::workflow::Role) -> &'static str {
    super::home(role)
}

/// `GET /login`
pub async fn page(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // No page to return to: the role's home after sign-in.
    let next = q
        .get("next")
        .filter(|n| !n.is_empty())
        .map(|n| safe_next(Some(n)))
        .unwrap_or_default();
    let message = if q.contains_key("expired") {
        Some(("notice", "登录已过期或已退出，请重新登录。"))
    } else if q.contains_key("bye") {
        Some(("notice", "已退出。"))
    } else {
        None
    };
    login_page(&state, StatusCode::OK, message, &next, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    #[serde(default, rename = "_login")]
    login_token: String,
    #[serde(default)]
    totp: String,
}

/// `POST /login`: on success the session cookie and a redirect; otherwise the page again with
/// the reason (wrong password, or locked until when).
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let ip = client_ip(&headers, Some(peer), state.config.trust_proxy);
    let wanted = f.next.as_deref().filter(|n| !n.is_empty());
    let next = wanted.map(|n| safe_next(Some(n))).unwrap_or_default();
    // The form must come from our own sign-in page: its token matches the cookie that page set.
    let cookie_token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_COOKIE)
        .map(|(_, v)| v.to_string());
    if f.login_token.is_empty()
        || cookie_token.as_deref() != Some(f.login_token.as_str())
        || crate::auth::cross_site(&headers, state.config.trust_proxy)
    {
        crate::auth::audit(
            &state,
            "-",
            &ip,
            "login_refused",
            f.username.trim(),
            "no sign-in page token",
        )
        .await;
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            Some((
                "error",
                "登录页面已过期，或登录请求来自其他网站。请在本页重新登录。",
            )),
            &next,
            "",
        );
    }
    match authenticate(
        &state,
        f.username.trim(),
        &f.password,
        Some(f.totp.as_str()).filter(|c| !c.trim().is_empty()),
        &ip,
    )
    .await
    {
        Ok(s) => {
            // An administrator asked for a business page (a bookmark, the portfolio) goes
            // home instead: those pages are not theirs (三权分立).
            let business = [
                "/forms",
                "/todo",
                "/handled",
                "/dashboard",
                "/rectifications",
            ]
            .iter()
            .any(|p| {
                next == *p
                    || next.starts_with(&format!("{p}/"))
                    || next.starts_with(&format!("{p}?"))
            });
            let to = if wanted.is_some() && !(s.user.role.administrator() && business) {
                next.clone()
            } else {
                home(s.user.role).to_string()
            };
            ([(header::SET_COOKIE, s.cookie)], Redirect::to(&to)).into_response()
        }
        Err(e) => {
            let text = format!("{}。", e.message);
            login_page(
                &state,
                e.status,
                Some(("error", &text)),
                &next,
                f.username.trim(),
            )
        }
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /logout`
pub async fn logout(State(state): State<AppState>, post: PagePost<Nothing>) -> Response {
    let _ = crate::auth::audited(
        &state,
        &post.auth.user.username,
        &post.auth.ip,
        "logout",
        &post.auth.user.username,
        "",
        state.store.delete_session(&post.auth.token_hash),
    )
    .await;
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login?bye=1")).into_response()
}

fn password_form(auth: &crate::auth::Auth, message: Option<(&str, &str)>) -> Markup {
    html! {
        section class="login" {
            h1 { "修改密码" }
            @if auth.must_change_password {
                p class="notice" { "你的密码由管理员设定（新建账户或重置密码）。请先设置一个只有你知道的新密码，然后才能继续使用。" }
            }
            @if let Some((kind, text)) = message {
                p class=(kind) role=(if kind == "ok" { "status" } else { "alert" }) { (text) }
            }
            form method="post" action="/account/password" {
                input type="hidden" name="_csrf" value=(auth.csrf);
                label for="current" { "当前密码" }
                input id="current" name="current" type="password" autocomplete="current-password" required;
                label for="new" { "新密码（至少 10 位）" }
                input id="new" name="new" type="password" autocomplete="new-password" required minlength="10";
                label for="repeat" { "再输入一次新密码" }
                input id="repeat" name="repeat" type="password" autocomplete="new-password" required;
                button type="submit" { "修改密码" }
            }
        }
    }
}

/// `GET /account/password`
pub async fn password_page(super::PageUser(auth): super::PageUser) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    layout("修改密码", user, "", password_form(&auth, None)).into_response()
}

#[derive(Deserialize)]
pub struct PasswordFields {
    current: String,
    new: String,
    repeat: String,
}

/// `POST /account/password`: the user's own new password; the other sessions end.
pub async fn password_change(
    State(state): State<AppState>,
    post: PagePost<PasswordFields>,
) -> Response {
    let PagePost { auth, form: f } = post;
    let user = Some((&auth.user, auth.csrf.as_str()));
    let result = if f.new != f.repeat {
        Err(crate::error::ApiError::bad_request(
            "两次输入的新密码不一致",
            "the two new passwords differ",
        ))
    } else {
        crate::api::change_own_password(&state, &auth, &f.current, &f.new).await
    };
    match result {
        Ok(()) if auth.must_change_password => Redirect::to("/forms").into_response(),
        Ok(()) => layout(
            "修改密码",
            user,
            "",
            password_form(&auth, Some(("ok", "密码已修改；其他设备上的登录已退出。"))),
        )
        .into_response(),
        Err(e) => (
            e.status,
            layout(
                "修改密码",
                user,
                "",
                password_form(&auth, Some(("error", &e.message))),
            ),
        )
            .into_response(),
    }
}

/// `GET /`: the signed-in user's home, or the sign-in page.
pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match crate::auth::cookie_token(&headers) {
        Some(t) => crate::auth::find_session(&state, &crate::auth::token_hash(&t))
            .await
            .ok()
            .flatten(),
        None => None,
    };
    match session {
        Some(s) if s.must_change_password => Redirect::to("/account/password").into_response(),
        Some(s) => Redirect::to(home(s.user.role)).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// `GET /account/sessions`: where one is signed in, and 退出所有设备.
pub async fn sessions_page(
    State(state): State<AppState>,
    super::PageUser(auth): super::PageUser,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let list = match crate::auth::my_sessions(&state, &auth).await {
        Ok(l) => l,
        Err(e) => return super::error_page(user, &e),
    };
    let t = |v: &serde_json::Value| v.as_str().map(crate::auth::beijing).unwrap_or_default();
    let body = html! {
        h1 { "登录设备" }
        p class="muted" { "你在这些地方登录着。闲置 " (state.config.idle().num_minutes().max(1)) " 分钟未使用的会话自动结束。" }
        table class="list" {
            thead { tr { th scope="col" { "会话" } th scope="col" { "登录时间" } th scope="col" { "最近使用" } th scope="col" { "到期" } th scope="col" { "地址" } } }
            tbody { @for s in &list { tr {
                td { code { (s["id"].as_str().unwrap_or("")) } @if s["current"] == true { " " span class="badge ok" { "本设备" } } }
                td { (t(&s["created_at"])) } td { (t(&s["last_seen"])) } td { (t(&s["expires_at"])) } td { (s["ip"].as_str().unwrap_or("")) }
            } } }
        }
        form method="post" action="/account/sessions/end" {
            input type="hidden" name="_csrf" value=(auth.csrf);
            button type="submit" data-confirm="确认退出所有设备？包括本设备在内的所有会话都将结束。" { "退出所有设备" }
        }
    };
    layout("登录设备", user, "/account/sessions", body).into_response()
}

/// `POST /account/sessions/end`: signs out everywhere, then the sign-in page.
pub async fn end_sessions(State(state): State<AppState>, post: PagePost<Nothing>) -> Response {
    let user = Some((&post.auth.user, post.auth.csrf.as_str()));
    if let Err(e) = crate::auth::end_all_sessions(&state, &post.auth).await {
        return super::error_page(user, &e);
    }
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login?bye=1")).into_response()
}

/// `GET /account/totp`: enrol the second factor (a QR code drawn on the server).
pub async fn totp_page(
    State(state): State<AppState>,
    super::PageUser(auth): super::PageUser,
) -> Response {
    totp_form(&state, &auth, None).into_response()
}

fn totp_form(state: &AppState, auth: &crate::auth::Auth, error: Option<&str>) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let _ = state;
    let (secret, _uri, svg) = crate::auth::new_totp(&auth.user.username);
    let body = html! {
        h1 { "启用动态口令（双因素认证）" }
        @if let Some(e) = error { p class="error" role="alert" { (e) } }
        p { "用手机上的身份验证应用（如 Microsoft Authenticator、Google 身份验证器）扫描二维码，或手动输入下面的密钥，然后填写应用显示的 6 位数字。此后登录时除密码外还要填写动态口令。" }
        div class="qr" { (maud::PreEscaped(svg)) }
        p { "密钥：" code class="secret" { (secret) } }
        form method="post" action="/account/totp" {
            input type="hidden" name="_csrf" value=(auth.csrf);
            input type="hidden" name="secret" value=(secret);
            label for="code" { "应用显示的 6 位数字" }
            input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required;
            button type="submit" class="primary" { "启用" }
        }
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, layout("启用动态口令", user, "/account/totp", body)).into_response()
}

#[derive(Deserialize)]
pub struct TotpFields {
    secret: String,
    code: String,
}

/// `POST /account/totp`
pub async fn totp_enrol(State(state): State<AppState>, post: PagePost<TotpFields>) -> Response {
    match crate::auth::enrol_totp(&state, &post.auth, &post.form.secret, &post.form.code).await {
        Ok(()) => Redirect::to(home(post.auth.user.role)).into_response(),
        Err(e) => totp_form(&state, &post.auth, Some(&e.message)),
    }
}
