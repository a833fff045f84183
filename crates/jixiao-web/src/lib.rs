//! HTTP for jixiao: `jixiao serve`. One process serves the JSON API over the same store as
//! the CLI; it keeps no state of its own (sessions live in the database), so several can
//! stand behind one load balancer.

pub mod api;
pub mod auth;
pub mod cache;
pub mod demo;
pub mod documents;
pub mod error;
pub mod openapi;
pub mod pages;
pub mod upload;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use jixiao_core::review::RuleSet;
use jixiao_core::signature::SigningKey;
use jixiao_store::Store;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// Server settings: defaults, then a TOML file, then environment variables and flags (the CLI
/// applies those last two).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub bind: String,
    pub session_minutes: i64,
    /// A session unused this long ends (besides `session_minutes` after sign-in) …
    pub idle_minutes: i64,
    /// … or, when given, this many seconds (for tests and drills).
    pub idle_seconds: Option<i64>,
    pub max_failed_logins: i64,
    /// How long a username (or an address) stays locked after too many attempts …
    pub lockout_minutes: i64,
    /// … or, when given, this many seconds (short locks for tests and drills).
    pub lockout_seconds: Option<i64>,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_proxy: bool,
    pub body_limit_bytes: usize,
}

impl Config {
    /// How long a session may go unused.
    pub fn idle(&self) -> chrono::Duration {
        match self.idle_seconds {
            Some(s) => chrono::Duration::seconds(s),
            None => chrono::Duration::minutes(self.idle_minutes),
        }
    }

    /// How long a lock-out lasts.
    pub fn lockout(&self) -> chrono::Duration {
        match self.lockout_seconds {
            Some(s) => chrono::Duration::seconds(s),
            None => chrono::Duration::minutes(self.lockout_minutes),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            session_minutes: 8 * 60,
            idle_minutes: 30,
            idle_seconds: None,
            max_failed_logins: 5,
            lockout_minutes: 15,
            lockout_seconds: None,
            secure_cookies: false,
            trust_proxy: false,
            body_limit_bytes: 1 << 20,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub rules: Arc<RuleSet>,
    /// A password hash to verify against for unknown usernames (timing).
    pub dummy_hash: Arc<String>,
    /// Password hashing runs on the blocking pool, this many at once …
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// … with at most [`auth::MAX_HASH_QUEUE`] requests waiting (more are told to retry).
    pub hash_queue: Arc<std::sync::atomic::AtomicUsize>,
    /// The key of the audit log's HMAC-SM3 chain, kept outside the database.
    pub audit_key: Arc<Vec<u8>>,
    /// The SM2 key that signs approvals and publications, kept outside the database.
    pub signing_key: Arc<SigningKey>,
    /// `serve --demo`: the sign-in page lists the demo accounts.
    pub demo: bool,
    /// Sessions, organisations and forms kept between requests, checked against the
    /// database's change counters.
    pub cache: Arc<cache::Cache>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config, rules: RuleSet) -> AppState {
        let dummy = auth::hash_password("not a password").unwrap_or_default();
        AppState {
            store,
            config: Arc::new(config),
            rules: Arc::new(rules),
            dummy_hash: Arc::new(dummy),
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            hash_queue: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            // A key for this process only until the caller gives the installation's
            // (`with_audit_key`): entries chained under it cannot be verified later.
            audit_key: Arc::new(uuid::Uuid::new_v4().as_bytes().to_vec()),
            // Likewise a signing key for this process only until the caller gives the
            // installation's (`with_signing_key`): what it signs verifies under its public key,
            // which `jixiao verify` does not take as the installation's.
            signing_key: Arc::new(random_signing_key()),
            demo: false,
            cache: Arc::new(cache::Cache::default()),
        }
    }

    /// The installation's SM2 signing key (from `JIXIAO_SIGNING_KEY`, a key file, or a KMS).
    pub fn with_signing_key(mut self, key: SigningKey) -> AppState {
        self.signing_key = Arc::new(key);
        self
    }

    /// A demo server (`serve --demo`): the sign-in page lists the demo accounts.
    pub fn with_demo(mut self, demo: bool) -> AppState {
        self.demo = demo;
        self
    }

    /// The installation's audit key (from `JIXIAO_AUDIT_KEY`, a key file, or a KMS).
    pub fn with_audit_key(mut self, key: Vec<u8>) -> AppState {
        self.audit_key = Arc::new(key);
        self
    }
}

/// A random SM2 key (a scalar that is no key, 0 or not below the order, is drawn again).
fn random_signing_key() -> SigningKey {
    loop {
        let mut secret = [0u8; 32];
        secret[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        secret[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        if let Some(key) = SigningKey::new(&jixiao_core::crypto::Software, secret) {
            return key;
        }
    }
}

/// Security headers on every response: a CSP that allows no inline script and no framing, and
/// no caching of anything but the static files (pages and data are a signed-in user's); behind
/// TLS (`secure_cookies`), HSTS: browsers keep to HTTPS for a year.
async fn secure_headers(hsts: bool, req: Request<axum::body::Body>, next: Next) -> Response {
    let cacheable = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found() -> error::ApiError {
    error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_route",
        "没有这个地址",
        "no such route",
    )
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit_bytes;
    let hsts = state.config.secure_cookies;
    Router::new()
        .merge(pages::routes())
        .route("/api/health", get(health))
        .route(
            "/api/session",
            post(auth::sign_in).get(auth::me).delete(auth::sign_out),
        )
        .route("/api/forms", get(api::list_forms).post(api::create_form))
        .route("/api/forms/summary", get(api::summary))
        .route("/api/forms/{id}", get(api::get_form).put(api::save_form))
        .route("/api/forms/{id}/versions", get(api::versions))
        .route("/api/forms/{id}/versions/{version}", get(api::version))
        .route("/api/forms/{id}/diff", get(api::diff))
        .route("/api/forms/{id}/indicators", get(api::indicators))
        .route("/api/forms/{id}/findings", get(api::findings))
        .route("/api/forms/{id}/actions", post(api::act))
        .route("/api/forms/{id}/history", get(api::history))
        .route("/api/forms/{id}/signatures", get(api::signatures))
        .route("/api/forms/{id}/monitoring", get(api::monitoring))
        .route("/api/forms/{id}/monitoring/{period}", put(api::put_period))
        .route(
            "/api/forms/{id}/self-evaluation",
            put(api::put_self_evaluation).get(api::get_self_evaluation),
        )
        .route(
            "/api/forms/{id}/self-evaluation/actions",
            post(api::eval_act),
        )
        .route("/api/forms/{id}/score", get(api::get_score))
        .route("/api/forms/{id}/export", get(api::export_form))
        .route("/api/forms/{id}/copy", post(api::copy_form))
        .route(
            "/api/forms/{id}/documents",
            get(documents::list).post(documents::upload).layer(
                axum::extract::DefaultBodyLimit::max(documents::MAX_DOCUMENT + 1024),
            ),
        )
        .route("/api/documents/{id}", get(documents::download))
        .route(
            "/api/imports",
            post(api::import_file).layer(axum::extract::DefaultBodyLimit::max(
                upload::MAX_UPLOAD + 1024,
            )),
        )
        .route("/api/todo", get(api::todo))
        .route("/api/handled", get(api::handled))
        .route("/api/users", get(api::users).post(api::create_user))
        .route("/api/users/{id}", put(api::edit_user))
        .route("/api/users/{id}/{action}", post(api::account_action))
        .route("/api/accounts", get(api::accounts))
        .route("/api/grants", get(api::grants))
        .route("/api/grants/{id}/approve", post(api::approve_grant))
        .route("/api/grants/{id}/reject", post(api::reject_grant))
        .route("/api/session/password", post(api::change_password))
        .route(
            "/api/session/totp",
            get(auth::totp_new).post(auth::totp_enrol),
        )
        .route(
            "/api/sessions",
            get(auth::sessions).delete(auth::sign_out_everywhere),
        )
        .route("/api/orgs", get(api::orgs).post(api::create_org))
        .route("/api/orgs/{id}", put(api::edit_org))
        .route("/api/forms/{id}/unit", put(api::assign_form))
        .route("/api/rules", get(api::rules))
        .route("/api/targets/parse", get(api::parse_target))
        .route("/api/library", get(api::library))
        .route("/api/library/curation", post(api::curate_library))
        .route("/api/review", post(api::review_draft))
        .route("/api/audit", get(api::audit_log))
        .route(
            "/api/audit/retention",
            get(api::get_retention).put(api::put_retention),
        )
        .route("/api/audit/purge", post(api::purge))
        .route("/api/openapi.json", get(openapi::spec))
        .route("/api/docs", get(openapi::docs_page))
        .route("/static/api-docs.js", get(openapi::docs_script))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            audit_refusals,
        ))
        .layer(middleware::from_fn(
            move |req: Request<axum::body::Body>, next: Next| secure_headers(hsts, req, next),
        ))
        .with_state(state)
}

/// Refused requests go to the audit log too: a 403 or 409 anywhere, and a 404 on a form or a
/// document (what someone outside a form's scope gets), with who asked when they are signed
/// in. Sign-in refusals are logged by the sign-in itself.
async fn audit_refusals(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let headers = req.headers().clone();
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let res = next.run(req).await;
    let status = res.status();
    let on_a_form = ["/api/forms/", "/forms/", "/api/documents/"]
        .iter()
        .any(|p| path.starts_with(p));
    let refused = status == axum::http::StatusCode::FORBIDDEN
        || status == axum::http::StatusCode::CONFLICT
        || (status == axum::http::StatusCode::NOT_FOUND && on_a_form);
    let sign_in = path == "/api/session" || path == "/login";
    if refused && !sign_in {
        let actor = match auth::request_token(&headers) {
            Some((t, _)) => auth::find_session(&state, &auth::token_hash(&t))
                .await
                .ok()
                .flatten()
                .map(|s| s.user.username)
                .unwrap_or_else(|| "-".into()),
            None => "-".into(),
        };
        let ip = auth::client_ip(&headers, peer, state.config.trust_proxy);
        let path: String = path.chars().take(300).collect();
        auth::audit(
            &state,
            &actor,
            &ip,
            "request_refused",
            &path,
            &format!("{method} {}", status.as_u16()),
        )
        .await;
    }
    res
}

/// Serves until the process is stopped: on Ctrl-C (SIGINT) or SIGTERM (what service managers
/// and container runtimes send) it stops accepting, lets the requests under way finish and
/// returns.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_until(state, listener, shutdown_signal()).await
}

/// Serves until `shutdown` resolves, then stops gracefully as [`serve`] does.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on the first Ctrl-C (SIGINT) or SIGTERM. The signals are listened for from the
/// moment this is called (inside the runtime), so a caller that takes them before it says it
/// is ready loses none; a signal that cannot be listened for is left to its default.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        async fn first(s: Option<Signal>) {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            tokio::select! {
                _ = first(interrupt) => {}
                _ = first(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
