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
use jixiao_core::crypto::{hex, Crypto, Software};
use jixiao_store::{AuditEntry, Generations, User};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub const COOKIE: &str = "jixiao_session";

/// The session of a token hash, if it is current: not past its end, and used within the idle
/// time. Its use is noted (at most once a minute, or half the idle time if shorter), so a
/// session in use stays open on every server.
pub async fn find_session(
    state: &AppState,
    hash: &str,
) -> Result<Option<jixiao_store::Session>, jixiao_store::StoreError> {
    Ok(find_session_at(state, hash).await?.0)
}

/// [`find_session`], with the change counters it was checked against: read after the request
/// arrived, so what the request serves from memory can be checked against them too.
pub async fn find_session_at(
    state: &AppState,
    hash: &str,
) -> Result<(Option<jixiao_store::Session>, Generations), jixiao_store::StoreError> {
    let t = now();
    let idle = state.config.idle();
    // A use is noted in the database at most this often (the idle end is that coarse).
    let every = std::cmp::min(chrono::Duration::seconds(60), idle / 2);
    let generations = state.cache.generations(&*state.store).await?;
    let generation = generations.access;
    if let Some(hit) = state.cache.session(hash, generation, t, idle, every) {
        if hit.note_use {
            state
                .store
                .touch_session(hash, &stamp(t), &stamp(t - every))
                .await?;
        }
        return Ok((Some(hit.session), generations));
    }
    let session = state
        .store
        .session(hash, &stamp(t), &stamp(t - idle))
        .await?;
    if let Some(s) = &session {
        state
            .store
            .touch_session(hash, &stamp(t), &stamp(t - every))
            .await?;
        state.cache.keep_session(hash, s, generation, t);
    }
    Ok((session, generations))
}

/// An address may make this many times the attempts of one username before it is locked.
pub const ADDRESS_FACTOR: i64 = 10;

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
    hex(&Software.hash(token.as_bytes()))
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
    /// The database's change counters as read for this request (after it arrived): what it
    /// serves from memory is checked against them.
    pub generations: Generations,
}

/// The routes a session whose password must be changed may still use.
/// What an account whose role needs a second factor may do before enrolling one.
pub fn allowed_before_second_factor(path: &str) -> bool {
    allowed_before_password_change(path) || matches!(path, "/api/session/totp" | "/account/totp")
}

pub fn allowed_before_password_change(path: &str) -> bool {
    matches!(
        path,
        "/api/session" | "/api/session/password" | "/account/password" | "/logout" | "/login"
    ) || path.starts_with("/static/")
}

/// A request's session token: `Authorization: Bearer` first, else the cookie (then `true`:
/// state-changing requests must also carry the CSRF header).
pub fn request_token(headers: &HeaderMap) -> Option<(String, bool)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    match bearer {
        Some(t) => Some((t, false)),
        None => cookie_token(headers).map(|t| (t, true)),
    }
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
        let Some((token, via_cookie)) = request_token(&parts.headers) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "请先登录",
                "please sign in",
            ));
        };
        let hash = token_hash(&token);
        let (session, generations) = find_session_at(state, &hash).await?;
        let session = session.ok_or_else(|| {
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
        if session.needs_second_factor
            && !session.must_change_password
            && !allowed_before_second_factor(parts.uri.path())
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "second_factor_required",
                "此角色须先启用动态口令（GET/POST /api/session/totp）",
                "this role needs a second factor first (GET/POST /api/session/totp)",
            ));
        }
        if session.must_change_password && !allowed_before_password_change(parts.uri.path()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "密码由管理员设定（新建账户或重置密码）：请先修改密码（POST /api/session/password）",
                "the password was set by an administrator (a new account or a reset): change it first (POST /api/session/password)",
            ));
        }
        Ok(Auth {
            user: session.user,
            token_hash: hash,
            csrf: session.csrf,
            ip,
            must_change_password: session.must_change_password,
            generations,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    username: String,
    password: String,
    /// The second factor's 6-digit code, for accounts that have one.
    #[serde(default)]
    totp: Option<String>,
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
    if cross_site(&headers, state.config.trust_proxy) {
        audit(
            &state,
            "-",
            &ip,
            "login_refused",
            body.username.trim(),
            "cross-site sign-in",
        )
        .await;
        return Err(ApiError::forbidden(
            "登录请求来自其他网站，已拒绝",
            "a sign-in from another site is refused",
        ));
    }
    let s = authenticate(
        &state,
        body.username.trim(),
        &body.password,
        body.totp.as_deref(),
        &ip,
    )
    .await?;
    let body = json!({ "user": s.user, "csrf_token": s.csrf, "token": s.token, "expires_at": s.expires_at });
    Ok(([(header::SET_COOKIE, s.cookie)], Json(body)).into_response())
}

/// Whether a browser says the request comes from another site: `Sec-Fetch-Site: cross-site`,
/// or an `Origin` whose host is not the one asked (`Host`, or `X-Forwarded-Host` behind a
/// trusted proxy). Requests without these headers (scripts, other systems) are not refused
/// here; they have no session to ride on.
pub fn cross_site(headers: &HeaderMap, trust_proxy: bool) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site").is_some_and(|v| v.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    // A page served with `Referrer-Policy: no-referrer` (ours are) makes browsers send
    // `Origin: null` even for its own forms: that says nothing either way, and the browser's
    // `Sec-Fetch-Site` above has spoken.
    let Some(origin) = header("origin").filter(|o| *o != "null") else {
        return false;
    };
    let host = trust_proxy
        .then(|| header("x-forwarded-host"))
        .flatten()
        .or_else(|| header("host"));
    let Some(host) = host else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or(origin);
    !origin_host.eq_ignore_ascii_case(host.trim())
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
/// How many sign-ins or password changes may wait for the hashing workers; more get `503`.
pub const MAX_HASH_QUEUE: usize = 64;

/// Runs password hashing work on the blocking pool, a bounded number at once, so that a
/// flood of sign-ins cannot stall the async workers that serve every other request.
pub async fn hashing<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    use std::sync::atomic::Ordering;
    struct Leave<'a>(&'a std::sync::atomic::AtomicUsize);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let busy = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "登录请求过多，请稍后再试",
            "too many sign-ins at once: try again shortly",
        )
    };
    let waiting = state.hash_queue.fetch_add(1, Ordering::SeqCst);
    let _leave = Leave(&state.hash_queue);
    if waiting >= MAX_HASH_QUEUE {
        return Err(busy());
    }
    let _permit = state.hashing.acquire().await.map_err(|_| busy())?;
    tokio::task::spawn_blocking(work).await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误",
            "internal server error",
        )
    })
}

/// Checks a password against a hash on the hashing workers.
pub async fn verify_async(state: &AppState, password: &str, hash: &str) -> ApiResult<bool> {
    let (password, hash) = (password.to_string(), hash.to_string());
    hashing(state, move || verify(&password, &hash)).await
}

/// Hashes a new password on the hashing workers.
pub async fn hash_async(state: &AppState, password: &str) -> ApiResult<String> {
    let password = password.to_string();
    hashing(state, move || hash_password(&password)).await?
}

/// Signs in. Every attempt is counted before its password is checked, by username (known or
/// not: the answers and the work are the same) and by address; past the limit the attempt is
/// refused, the right password too, until the lock ends, and the count starts again when it
/// does.
pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: &str,
    totp: Option<&str>,
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
    let locked = |until: &str| {
        ApiError::new(
            StatusCode::LOCKED,
            "locked",
            format!(
                "连续登录失败次数过多，已锁定至 {}（北京时间）",
                beijing(until)
            ),
            format!("too many failed sign-ins: locked until {until}"),
        )
        .with_detail(json!({ "locked_until": until }))
    };
    let t = now();
    let max = state.config.max_failed_logins;
    // An address may try more (an office shares one), but not without end.
    let max_address = max.saturating_mul(ADDRESS_FACTOR);
    let until = stamp(t + state.config.lockout());
    let (user_key, addr_key) = (format!("u:{username}"), format!("a:{ip}"));
    use jixiao_store::LoginAttempt;
    if let LoginAttempt::Locked(u) = state
        .store
        .login_attempt(&addr_key, &stamp(t), max_address, &until)
        .await?
    {
        audit(
            state,
            "-",
            ip,
            "login_locked",
            username,
            &format!("address until {u}"),
        )
        .await;
        return Err(locked(&u));
    }
    let n = match state
        .store
        .login_attempt(&user_key, &stamp(t), max, &until)
        .await?
    {
        LoginAttempt::Locked(u) => {
            audit(state, "-", ip, "login_locked", username, &u).await;
            return Err(locked(&u));
        }
        LoginAttempt::Counted(n) => n,
    };
    // Checked off the async workers; an unknown username costs the same check.
    let found = state.store.user_auth(username).await?;
    let hash = found
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let right = verify_async(state, password, &hash).await? && found.is_some();
    let Some(auth) = found.filter(|_| right) else {
        state.store.login_failure(&user_key, max, &until).await?;
        audited(
            state,
            "-",
            ip,
            "login_failed",
            username,
            &format!("attempt {n}"),
            state.store.login_failure(&addr_key, max_address, &until),
        )
        .await?;
        return Err(refused());
    };
    if auth.disabled {
        // Told only with the right password, so a guess learns nothing about the account.
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
    // The second factor, for an account that has one: a code of this time step or the one
    // before or after (clocks drift), good once; a wrong or missing code counts as a failure.
    if let Some(secret) = auth
        .totp_secret
        .as_deref()
        .and_then(jixiao_core::crypto::from_base32)
    {
        let code = totp.map(str::trim).unwrap_or("");
        let step = jixiao_core::crypto::totp_step(&Software, &secret, code, t.timestamp());
        let accepted = match step {
            Some(s) => state.store.use_totp_step(&auth.user.id, s).await?,
            None => false,
        };
        if !accepted {
            audited(
                state,
                &auth.user.username,
                ip,
                "login_totp_failed",
                &auth.user.username,
                if code.is_empty() {
                    "no code"
                } else {
                    "wrong or used code"
                },
                state.store.login_failure(&user_key, max, &until),
            )
            .await?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "totp_required",
                if code.is_empty() {
                    "此账户须填写动态口令"
                } else {
                    "动态口令错误或已用过"
                },
                if code.is_empty() {
                    "this account needs its one-time code"
                } else {
                    "the one-time code is wrong or was used already"
                },
            ));
        }
    }
    state.store.login_reset(&user_key).await?;
    state.store.login_reset(&addr_key).await?;
    let token = token();
    let csrf = uuid::Uuid::new_v4().simple().to_string();
    let expires = t + chrono::Duration::minutes(state.config.session_minutes);
    audited(
        state,
        &auth.user.username,
        ip,
        "login",
        &auth.user.username,
        "",
        state.store.create_session(
            &token_hash(&token),
            &auth.user.id,
            &csrf,
            &stamp(expires),
            ip,
        ),
    )
    .await?;
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
    audited(
        &state,
        &auth.user.username,
        &auth.ip,
        "logout",
        &auth.user.username,
        "",
        state.store.delete_session(&auth.token_hash),
    )
    .await?;
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(header::SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response())
}

/// A new second-factor secret for the user to enrol: the secret (base32), the `otpauth://`
/// address an authenticator app takes, and that address as a QR code (SVG, drawn here).
pub fn new_totp(username: &str) -> (String, String, String) {
    let bytes: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()]
        .iter()
        .flat_map(|u| u.as_bytes().to_vec())
        .take(20)
        .collect();
    let secret = jixiao_core::crypto::base32(&bytes);
    let uri = format!(
        "otpauth://totp/jixiao:{}?secret={secret}&issuer=jixiao&algorithm=SHA1&digits=6&period=30",
        crate::api::percent_encode(username)
    );
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|c| {
            c.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    (secret, uri, svg)
}

/// Enrols a second factor once the user shows a code of it (this step or a neighbour).
pub async fn enrol_totp(state: &AppState, auth: &Auth, secret: &str, code: &str) -> ApiResult<()> {
    let bad = || {
        ApiError::bad_request(
            "动态口令不对：请用手机应用扫描二维码后，输入它显示的 6 位数字",
            "the code does not match: scan the QR code with an authenticator app and enter the 6 digits it shows",
        )
    };
    // One enrolment: a stolen session must not be able to move the second factor elsewhere.
    let me = state
        .store
        .user_auth(&auth.user.username)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if me.totp_secret.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "exists",
            "已启用动态口令；如需更换，请联系管理员",
            "a second factor is enrolled already: ask an administrator to replace it",
        ));
    }
    let bytes = jixiao_core::crypto::from_base32(secret)
        .filter(|b| b.len() >= 16)
        .ok_or_else(bad)?;
    let step = jixiao_core::crypto::totp_step(&Software, &bytes, code, now().timestamp())
        .ok_or_else(bad)?;
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "totp_enrolled",
        &auth.user.username,
        "",
        async {
            state
                .store
                .set_totp(&auth.user.id, Some(secret.trim()))
                .await?;
            // The code just shown cannot sign in again.
            state.store.use_totp_step(&auth.user.id, step).await
        },
    )
    .await?;
    Ok(())
}

/// `GET /api/session/totp`: a new secret to enrol, with its QR code.
pub async fn totp_new(auth: Auth) -> Json<serde_json::Value> {
    let (secret, uri, svg) = new_totp(&auth.user.username);
    Json(json!({ "secret": secret, "uri": uri, "qr_svg": svg }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpBody {
    secret: String,
    code: String,
}

/// `POST /api/session/totp` `{"secret", "code"}`: enrols the second factor.
pub async fn totp_enrol(
    State(state): State<AppState>,
    auth: Auth,
    body: Result<Json<TotpBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let Json(b) = body?;
    enrol_totp(&state, &auth, &b.secret, &b.code).await?;
    Ok(Json(json!({ "enrolled": true })))
}

/// One's own sessions as shown: a short ID (the start of the token's SM3 hash, which reveals
/// nothing of the token), when it began and was last used, its end, its address, and whether
/// it is the one asking.
pub async fn my_sessions(state: &AppState, auth: &Auth) -> ApiResult<Vec<serde_json::Value>> {
    let t = now();
    Ok(state
        .store
        .user_sessions(&auth.user.id, &stamp(t), &stamp(t - state.config.idle()))
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.token_hash.get(..12).unwrap_or(&s.token_hash),
                "created_at": s.created_at,
                "last_seen": s.last_seen,
                "expires_at": s.expires_at,
                "ip": s.ip,
                "current": s.token_hash == auth.token_hash,
            })
        })
        .collect())
}

/// Ends every session of the user, this one included (退出所有设备).
pub async fn end_all_sessions(state: &AppState, auth: &Auth) -> ApiResult<u64> {
    let n = audited(
        state,
        &auth.user.username,
        &auth.ip,
        "logout_everywhere",
        &auth.user.username,
        "every session",
        state.store.end_sessions(&auth.user.id, None),
    )
    .await?;
    Ok(n)
}

/// `GET /api/sessions`: the caller's sessions.
pub async fn sessions(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(
        json!({ "sessions": my_sessions(&state, &auth).await? }),
    ))
}

/// `DELETE /api/sessions`: signs out everywhere.
pub async fn sign_out_everywhere(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    let n = end_all_sessions(&state, &auth).await?;
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "ended": n }))).into_response())
}

/// Runs a change so that its audit entry is written in the change's own transaction
/// ([`jixiao_store::audited`]): the change and its record commit together, and a failure to
/// record fails the change. An empty `target` takes the ID of what the change created. When
/// the work succeeds without writing anything, the entry is recorded on its own.
pub async fn audited<T, E>(
    state: &AppState,
    actor: &str,
    ip: &str,
    action: &str,
    target: &str,
    detail: &str,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let (out, left) = jixiao_store::audited(
        entry(actor, ip, action, target, detail),
        &state.audit_key,
        work,
    )
    .await;
    if let (Ok(_), Some(e)) = (&out, left) {
        record(state, &e).await;
    }
    out
}

/// Writes an entry on its own; a failure to record is logged, never hidden from operators.
async fn record(state: &AppState, entry: &AuditEntry) {
    if let Err(e) = state.store.audit(entry, &state.audit_key).await {
        eprintln!("audit log write failed: {e}");
    }
}

fn entry(actor: &str, ip: &str, action: &str, target: &str, detail: &str) -> AuditEntry {
    AuditEntry {
        seq: 0,
        at: String::new(),
        actor: actor.to_string(),
        ip: ip.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        detail: detail.to_string(),
    }
}

/// Records an audit entry of something that changes nothing (a refusal, a read, an export);
/// a failure to record is logged, never hidden from operators. A change is recorded with
/// [`audited`], in its own transaction.
pub async fn audit(
    state: &AppState,
    actor: &str,
    ip: &str,
    action: &str,
    target: &str,
    detail: &str,
) {
    record(state, &entry(actor, ip, action, target, detail)).await;
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
