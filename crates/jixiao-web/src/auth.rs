//! Sign-in, sessions, CSRF and lock-out.
//!
//! Sessions are random tokens kept in the database by their SM3 hash, so any app server can
//! check them (the servers hold no state). A browser carries the token in an HttpOnly,
//! SameSite=Strict cookie and must echo the session's CSRF token in `X-CSRF-Token` on every
//! state-changing request; API clients may send `Authorization: Bearer TOKEN` instead, which
//! a cross-site page cannot forge.

use crate::error::{ApiError, ApiResult};
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jixiao_store::{AuditEntry, User};
use serde::Deserialize;
use serde_json::json;
use sm3::{Digest, Sm3};
use std::net::SocketAddr;

pub const COOKIE: &str = "jixiao_session";

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误",
            "internal error",
        )
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "服务器内部错误",
                "internal error",
            )
        })
}

pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn token_hash(token: &str) -> String {
    Sm3::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stored UTC time as people in China read it: Beijing time (UTC+8), to the minute.
pub fn beijing(ts: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(ts) {
        Ok(t) => match chrono::FixedOffset::east_opt(8 * 3600) {
            Some(tz) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            None => ts.to_string(),
        },
        Err(_) => ts.to_string(),
    }
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The client's address, as the audit log records it.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> String {
    if trust_proxy {
        if let Some(f) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            if let Some(first) = f.split(',').next() {
                return first.trim().to_string();
            }
        }
    }
    peer.map(|p| p.ip().to_string()).unwrap_or_default()
}

/// A signed-in user, checked on every request: the session exists and has not expired, and
/// a state-changing request made with the cookie carries the CSRF token.
#[derive(Clone, Debug)]
pub struct Auth {
    pub user: User,
    pub token_hash: String,
    pub csrf: String,
    pub ip: String,
    /// An administrator set this password: only changing it is allowed until then.
    pub must_change_password: bool,
}

/// The routes a session whose password must be changed may still use.
pub fn allowed_before_password_change(path: &str) -> bool {
    matches!(
        path,
        "/api/session" | "/api/session/password" | "/account/password" | "/logout" | "/login"
    ) || path.starts_with("/static/")
}

pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then(|| v.to_string())
        })
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let (token, via_cookie) = match (bearer, cookie_token(&parts.headers)) {
            (Some(t), _) => (t, false),
            (None, Some(t)) => (t, true),
            (None, None) => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "请先登录",
                    "please sign in",
                ))
            }
        };
        let hash = token_hash(&token);
        let session = state
            .store
            .session(&hash, &stamp(now()))
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "session_expired",
                    "登录已过期或已退出，请重新登录",
                    "the session has expired or ended: sign in again",
                )
            })?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if via_cookie && !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if sent.is_empty() || sent != session.csrf {
                return Err(ApiError::forbidden(
                    "缺少或错误的 CSRF 令牌",
                    "missing or wrong CSRF token",
                ));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let ip = client_ip(&parts.headers, peer, state.config.trust_proxy);
        if session.must_change_password && !allowed_before_password_change(parts.uri.path()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "管理员重置了密码：请先修改密码（POST /api/session/password）",
                "an administrator reset the password: change it first (POST /api/session/password)",
            ));
        }
        Ok(Auth {
            user: session.user,
            token_hash: hash,
            csrf: session.csrf,
            ip,
            must_change_password: session.must_change_password,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    username: String,
    password: String,
}

/// `POST /api/session`: signs in.
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<SignIn>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body?;
    let ip = client_ip(&headers, Some(peer), state.config.trust_proxy);
    let s = authenticate(&state, body.username.trim(), &body.password, &ip).await?;
    let body = json!({ "user": s.user, "csrf_token": s.csrf, "token": s.token, "expires_at": s.expires_at });
    Ok(([(header::SET_COOKIE, s.cookie)], Json(body)).into_response())
}

/// A new session: what sign-in gives back.
pub struct NewSession {
    pub user: User,
    pub token: String,
    pub csrf: String,
    pub expires_at: String,
    /// The `Set-Cookie` value carrying the token.
    pub cookie: String,
}

/// Checks a username and password, counting failures and locking the account after too many;
/// on success opens a session. Used by the API and the sign-in page alike.
pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: &str,
    ip: &str,
) -> ApiResult<NewSession> {
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "用户名或密码错误",
            "wrong username or password",
        )
    };
    let Some(auth) = state.store.user_auth(username).await? else {
        // Same work as a real check, so timing does not tell which usernames exist.
        let _ = verify(password, &state.dummy_hash);
        audit(state, "-", ip, "login_failed", username, "unknown user").await;
        return Err(refused());
    };
    let t = now();
    if auth.disabled {
        // Told only after the password is right, so a guess learns nothing about the account.
        if verify(password, &auth.password_hash) {
            audit(
                state,
                &auth.user.username,
                ip,
                "login_disabled",
                &auth.user.username,
                "",
            )
            .await;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "disabled",
                "账户已停用，请联系系统管理员",
                "the account is disabled: ask the administrator",
            ));
        }
        audit(
            state,
            &auth.user.username,
            ip,
            "login_failed",
            &auth.user.username,
            "disabled",
        )
        .await;
        return Err(refused());
    }
    if let Some(until) = auth
        .locked_until
        .as_deref()
        .filter(|u| *u > stamp(t).as_str())
    {
        audit(
            state,
            &auth.user.username,
            ip,
            "login_locked",
            &auth.user.username,
            until,
        )
        .await;
        return Err(ApiError::new(
            StatusCode::LOCKED,
            "locked",
            format!(
                "连续登录失败次数过多，账户已锁定至 {}（北京时间）",
                beijing(until)
            ),
            format!("too many failed sign-ins: the account is locked until {until}"),
        )
        .with_detail(json!({ "locked_until": until })));
    }
    if !verify(password, &auth.password_hash) {
        let lock = (auth.failed_logins + 1 >= state.config.max_failed_logins)
            .then(|| stamp(t + chrono::Duration::minutes(state.config.lockout_minutes)));
        let n = state
            .store
            .login_failed(&auth.user.id, lock.as_deref())
            .await?;
        audit(
            state,
            &auth.user.username,
            ip,
            "login_failed",
            &auth.user.username,
            &format!("failures: {n}"),
        )
        .await;
        return Err(refused());
    }
    state.store.login_succeeded(&auth.user.id).await?;
    let token = token();
    let csrf = uuid::Uuid::new_v4().simple().to_string();
    let expires = t + chrono::Duration::minutes(state.config.session_minutes);
    state
        .store
        .create_session(&token_hash(&token), &auth.user.id, &csrf, &stamp(expires))
        .await?;
    audit(
        state,
        &auth.user.username,
        ip,
        "login",
        &auth.user.username,
        "",
    )
    .await;
    let cookie = format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        state.config.session_minutes * 60,
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    Ok(NewSession {
        user: auth.user,
        token,
        csrf,
        expires_at: stamp(expires),
        cookie,
    })
}

/// `GET /api/session`: who is signed in.
pub async fn me(auth: Auth) -> Json<serde_json::Value> {
    Json(json!({ "user": auth.user, "csrf_token": auth.csrf }))
}

/// `DELETE /api/session`: signs out.
pub async fn sign_out(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    state.store.delete_session(&auth.token_hash).await?;
    audit(
        &state,
        &auth.user.username,
        &auth.ip,
        "logout",
        &auth.user.username,
        "",
    )
    .await;
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(header::SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response())
}

/// Records an audit entry; a failure to record is logged, never hidden from operators.
pub async fn audit(
    state: &AppState,
    actor: &str,
    ip: &str,
    action: &str,
    target: &str,
    detail: &str,
) {
    let entry = AuditEntry {
        seq: 0,
        at: String::new(),
        actor: actor.to_string(),
        ip: ip.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        detail: detail.to_string(),
    };
    if let Err(e) = state.store.audit(&entry).await {
        eprintln!("audit log write failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_show_in_beijing_time() {
        assert_eq!(
            super::beijing("2026-11-27T15:41:18.086Z"),
            "2026-11-27 23:41"
        );
        assert_eq!(super::beijing("2026-12-31T20:00:00Z"), "2027-01-01 04:00");
        assert_eq!(super::beijing("not a time"), "not a time");
    }
}
