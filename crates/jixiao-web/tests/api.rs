//! API tests: the real server on a random port with a fresh database per test. The database
//! is SQLite, or PostgreSQL with `JIXIAO_TEST_STORE=postgres` (a fresh database on the server
//! `JIXIAO_TEST_PG` names): `scripts/test` runs this suite once on each.

use jixiao_web::{demo, AppState, Config};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

struct App {
    base: String,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh database for one test: its location, and the directory to keep while it is used.
async fn database() -> (String, Option<tempfile::TempDir>) {
    if std::env::var("JIXIAO_TEST_STORE").as_deref() == Ok("postgres") {
        return (jixiao_store::testing::postgres_database().await, None);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db").to_str().unwrap().to_string();
    (path, Some(dir))
}

async fn spawn_app_with(config: Config) -> App {
    let (location, dir) = database().await;
    let store = jixiao_store::open(&location).await.unwrap();
    let store: Arc<dyn jixiao_store::Store> = store.into();
    demo::load(&*store, "jixiao-demo").await.unwrap();
    let state = AppState::new(store, config, jixiao_core::review::RuleSet::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(jixiao_web::serve(state, listener));
    App { base, _dir: dir }
}

async fn spawn_app() -> App {
    spawn_app_with(Config::default()).await
}

struct Client {
    http: reqwest::Client,
    base: String,
    csrf: String,
    token: String,
}

impl Client {
    fn anonymous(app: &App) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: app.base.clone(),
            csrf: String::new(),
            token: String::new(),
        }
    }

    async fn login(app: &App, username: &str) -> Client {
        Client::login_with(app, username, "jixiao-demo").await
    }

    /// An account an administrator just made: signed in, its password changed to its own
    /// (`PASSWORD` + `Z`), as the first sign-in requires.
    async fn first_sign_in(app: &App, username: &str, password: &str) -> Client {
        let c = Client::login_with(app, username, password).await;
        let (s, v) = c
            .call(
                Method::POST,
                "/api/session/password",
                Some(json!({ "current": password, "new": format!("{password}Z") })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        c
    }

    async fn login_with(app: &App, username: &str, password: &str) -> Client {
        let mut c = Client::anonymous(app);
        let (s, v) = c
            .call(
                Method::POST,
                "/api/session",
                Some(json!({ "username": username, "password": password })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{username}: {v}");
        c.csrf = v["csrf_token"].as_str().unwrap().to_string();
        c.token = v["token"].as_str().unwrap().to_string();
        c
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
}

async fn form_id(c: &Client, name: &str) -> String {
    let (_, v) = c.get("/api/forms?per_page=200").await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A workflow action on the version the caller reads now (as a reviewer's page sends it).
async fn act(c: &Client, id: &str, action: &str, comment: &str) -> (StatusCode, Value) {
    let (_, f) = c.get(&format!("/api/forms/{id}")).await;
    c.call(
        Method::POST,
        &format!("/api/forms/{id}/actions"),
        Some(json!({ "action": action, "comment": comment, "version": f["version"] })),
    )
    .await
}

#[tokio::test]
async fn the_whole_workflow_by_three_roles() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let dept = Client::login(&app, "dept").await;
    let finance = Client::login(&app, "finance").await;
    let id = form_id(&unit, "“一网通办”运营服务项目经费").await;

    // The unit fixes the growth rate's unit, typing the target as users write it.
    let (_, mut form) = unit.get(&format!("/api/forms/{id}")).await;
    assert_eq!(
        (form["status"].as_str(), form["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    form["indicators"][1]["raw"] = json!("≥5%");
    form["indicators"][1]
        .as_object_mut()
        .unwrap()
        .remove("target");
    // A weight and a direction, as some provinces' forms give them, are kept.
    form["indicators"][0]["weight"] = json!("20");
    form["indicators"][0]["direction"] = json!("正向指标");
    let (s, saved) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": 1, "form": form })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(
        saved["indicators"][1]["target"],
        json!({"kind": "quantitative", "op": ">=", "value": "5", "unit": "%"})
    );
    assert_eq!(
        (
            &saved["indicators"][0]["weight"],
            &saved["indicators"][0]["direction"]
        ),
        (&json!("20"), &json!("正向指标"))
    );
    let (_, f) = unit.get(&format!("/api/forms/{id}/findings")).await;
    assert!(
        !f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "UNIT-RATE"),
        "the fix removes the finding"
    );

    assert_eq!(act(&unit, &id, "submit", "").await.0, StatusCode::OK);
    // The department returns it with a comment on the form and on one indicator.
    let ind = saved["indicators"][7]["id"].as_str().unwrap().to_string();
    let (_, read) = dept.get(&format!("/api/forms/{id}")).await;
    let (s, v) = dept
        .call(Method::POST, &format!("/api/forms/{id}/actions"), Some(json!({ "action": "return", "version": read["version"], "comment": "请补充成本指标", "indicator_comments": [{ "indicator_id": ind, "comment": "这是效益，不是成本" }] })))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "returned");
    let (_, todo) = unit.get("/api/todo").await;
    assert!(
        todo["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == id.as_str()),
        "returned forms are the unit's to-do"
    );

    // Fixed and submitted again, approved twice, published.
    let (_, mut form) = unit.get(&format!("/api/forms/{id}")).await;
    form["indicators"][7]["level1"] = json!("效益指标");
    form["indicators"][7]["level2"] = json!("经济效益指标");
    let (s, v) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": 2, "form": form })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(act(&unit, &id, "submit", "").await.0, StatusCode::OK);
    let (_, todo) = dept.get("/api/todo").await;
    assert!(todo["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str()));
    assert_eq!(
        act(&finance, &id, "approve", "").await.0,
        StatusCode::CONFLICT,
        "finance reviews after the department"
    );
    assert_eq!(act(&dept, &id, "approve", "同意").await.0, StatusCode::OK);
    let (_, todo) = finance.get("/api/todo").await;
    assert!(todo["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str()));
    assert_eq!(
        act(&finance, &id, "approve", "批复").await.0,
        StatusCode::OK
    );
    assert_eq!(
        act(&finance, &id, "publish", "").await.1["status"],
        "published"
    );

    let (_, h) = unit.get(&format!("/api/forms/{id}/history")).await;
    let steps: Vec<(String, String, String)> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["action"].as_str().unwrap().into(),
                t["actor"].as_str().unwrap().into(),
                t["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expect = [
        ("submit", "unit", "submitted"),
        ("return", "dept", "returned"),
        ("submit", "unit", "submitted"),
        ("approve", "dept", "dept_approved"),
        ("approve", "finance", "finance_approved"),
        ("publish", "finance", "published"),
    ];
    assert_eq!(
        steps,
        expect
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(h["history"][1]["comment"], "请补充成本指标");
    assert_eq!(
        h["history"][1]["detail"]["indicator_comments"][0]["comment"],
        "这是效益，不是成本"
    );
    let (_, handled) = dept.get("/api/handled").await;
    assert!(handled["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str()));

    // Changing the published form is an adjustment: a new version back in draft, the
    // approved version still readable, with a diff.
    let (_, mut form) = unit.get(&format!("/api/forms/{id}")).await;
    form["goal_annual"] = json!("调整后的年度目标");
    let (s, v) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": 3, "form": form })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["version"].as_i64()),
        (Some("draft"), Some(4))
    );
    let (_, versions) = unit.get(&format!("/api/forms/{id}/versions")).await;
    assert_eq!(
        versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    let (_, v3) = unit.get(&format!("/api/forms/{id}/versions/3")).await;
    assert_ne!(v3["form"]["goal_annual"], "调整后的年度目标");
    let (_, d) = unit.get(&format!("/api/forms/{id}/diff?from=1&to=4")).await;
    let fields: Vec<&str> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"goal_annual"), "{fields:?}");
    assert!(
        fields.iter().any(|f| f.ends_with(".raw")) && fields.iter().any(|f| f.ends_with(".level")),
        "{fields:?}"
    );
}

#[tokio::test]
async fn concurrent_saves_the_later_is_refused_with_who_changed_what() {
    let app = spawn_app().await;
    let a = Client::login(&app, "unit").await;
    let b = Client::login(&app, "unit").await;
    let id = form_id(&a, "管理工作经费").await;
    let (_, form) = a.get(&format!("/api/forms/{id}")).await;
    let mut fa = form.clone();
    fa["goal_annual"] = json!("甲的修改");
    let mut fb = form.clone();
    fb["name"] = json!("乙的修改");
    let (s1, _) = a
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": 1, "form": fa })),
        )
        .await;
    let (s2, e) = b
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": 1, "form": fb })),
        )
        .await;
    assert_eq!(s1, StatusCode::OK);
    assert_eq!(s2, StatusCode::CONFLICT);
    assert_eq!(e["code"], "conflict");
    assert_eq!(e["detail"]["updated_by"], "unit");
    assert_eq!(e["detail"]["current_version"], 2);
    assert!(e["detail"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "goal_annual" && c["after"] == "甲的修改"));
    let (_, now) = a.get(&format!("/api/forms/{id}")).await;
    assert_eq!(
        now["name"], "管理工作经费",
        "the later save changed nothing"
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (_, form) = unit.get(&format!("/api/forms/{id}")).await;
    let put = |f: Value| json!({ "base_version": 1, "form": f });
    let mut cases: Vec<(&str, Value, StatusCode, &str)> = vec![];
    let mut f = form.clone();
    f["indicators"][0]["target"] =
        json!({"kind": "quantitative", "op": "~", "value": "1", "unit": "个"});
    cases.push((
        "malformed operator",
        put(f),
        StatusCode::BAD_REQUEST,
        "bad_request",
    ));
    let mut f = form.clone();
    f["indicators"][0]["target"] =
        json!({"kind": "quantitative", "op": ">=", "value": "很多", "unit": "个"});
    cases.push((
        "malformed value",
        put(f),
        StatusCode::BAD_REQUEST,
        "bad_request",
    ));
    let mut f = form.clone();
    f["year"] = json!("二〇二三");
    cases.push(("wrong type", put(f), StatusCode::BAD_REQUEST, "bad_request"));
    let mut f = form.clone();
    f["colour"] = json!("red");
    cases.push((
        "unknown field",
        put(f),
        StatusCode::BAD_REQUEST,
        "bad_request",
    ));
    let mut f = form.clone();
    f["indicators"][0]["weight"] = json!(5);
    cases.push((
        "unknown indicator field",
        put(f),
        StatusCode::BAD_REQUEST,
        "bad_request",
    ));
    let mut f = form.clone();
    f["name"] = json!("长".repeat(201));
    cases.push((
        "oversized field",
        put(f),
        StatusCode::BAD_REQUEST,
        "bad_request",
    ));
    let mut f = form.clone();
    f["goal_annual"] = json!("字".repeat(700_000));
    cases.push((
        "oversized body",
        put(f),
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    ));
    let mut f = form.clone();
    f["funds"]["total"] = json!("12.345");
    cases.push((
        "money not exact to the fen",
        put(f),
        StatusCode::BAD_REQUEST,
        "bad_request",
    ));
    cases.push((
        "no base version",
        json!({ "form": form.clone() }),
        StatusCode::BAD_REQUEST,
        "bad_json",
    ));
    for (what, body, status, code) in cases {
        let (s, e) = unit
            .call(Method::PUT, &format!("/api/forms/{id}"), Some(body))
            .await;
        assert_eq!(s, status, "{what}: {e}");
        assert_eq!(e["code"], code, "{what}: {e}");
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()) && e["message_en"].is_string(),
            "{what}: {e}"
        );
    }
    let (s, e) = unit
        .call(
            Method::POST,
            &format!("/api/forms/{id}/actions"),
            Some(json!({ "action": "celebrate" })),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_json"))
    );
    let (_, after) = unit.get(&format!("/api/forms/{id}")).await;
    assert_eq!(after, form, "nothing changed");

    // HTML and script are stored as text and returned exactly, as JSON strings.
    let evil = "<script>alert('x')</script><b onmouseover=\"x()\">粗</b>";
    let mut f = form.clone();
    f["goal_annual"] = json!(evil);
    f["indicators"][0]["name"] = json!(evil);
    f["indicators"][0]["raw"] = json!(evil);
    f["indicators"][0].as_object_mut().unwrap().remove("target");
    let (s, v) = unit
        .call(Method::PUT, &format!("/api/forms/{id}"), Some(put(f)))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, back) = unit.get(&format!("/api/forms/{id}")).await;
    assert_eq!(back["goal_annual"], evil);
    assert_eq!(back["indicators"][0]["name"], evil);
    assert_eq!(
        back["indicators"][0]["target"],
        json!({"kind": "qualitative", "text": evil})
    );

    // A state-changing request made with the cookie but without the CSRF token is refused.
    let mut no_csrf = Client::login(&app, "unit").await;
    no_csrf.csrf = String::new();
    let (s, e) = act(&no_csrf, &id, "submit", "").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    // A bearer token needs none (a cross-site page cannot send one).
    let bearer = reqwest::Client::new()
        .get(format!("{}/api/forms/{id}", app.base))
        .bearer_auth(&unit.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_in_lock_out_sign_out_and_expiry() {
    let app = spawn_app().await;
    let c = Client::anonymous(&app);
    let (s, e) = c
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "dept", "password": "wrong" })),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );
    let (s, _) = c
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "nobody", "password": "wrong" })),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "unknown users get the same answer"
    );
    for _ in 0..4 {
        c.call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "dept", "password": "wrong" })),
        )
        .await;
    }
    let (s, e) = c
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "dept", "password": "jixiao-demo" })),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::LOCKED, Some("locked")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("锁定"));

    let unit = Client::login(&app, "unit").await;
    assert_eq!(unit.get("/api/session").await.1["user"]["username"], "unit");
    assert_eq!(
        unit.call(Method::DELETE, "/api/session", None).await.0,
        StatusCode::NO_CONTENT
    );
    let (s, e) = unit.get("/api/forms").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (s, e) = reqwest::Client::new()
        .get(format!("{}/api/forms", app.base))
        .bearer_auth(&unit.token)
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e:?}");

    // Sessions expire.
    let short = spawn_app_with(Config {
        session_minutes: 0,
        ..Config::default()
    })
    .await;
    let c = Client::login(&short, "unit").await;
    // The browser drops a cookie with Max-Age=0 itself; the server refuses the token too.
    let res = reqwest::Client::new()
        .get(format!("{}/api/forms", short.base))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["code"], "session_expired");
    assert!(e["message"].as_str().unwrap().contains("过期"));

    // The audit log holds sign-ins and failures, for the audit administrator only, and no
    // route changes it.
    let auditor = Client::login(&app, "auditadmin").await;
    let (s, log) = auditor.get("/api/audit").await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["login", "login_failed", "login_locked", "logout"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["ip"] == "127.0.0.1"));
    for who in ["unit", "finance", "admin", "security", "auditor"] {
        let c = Client::login(&app, who).await;
        assert_eq!(c.get("/api/audit").await.0, StatusCode::FORBIDDEN, "{who}");
    }
    for m in [Method::POST, Method::PUT, Method::DELETE] {
        let (s, _) = auditor.call(m.clone(), "/api/audit", Some(json!({}))).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{m}");
    }
    let (_, again) = auditor.get("/api/audit").await;
    assert!(again["entries"].as_array().unwrap().len() >= log["entries"].as_array().unwrap().len());
}

/// Every role × every action, on its own form and on another unit's: forbidden cells get 403
/// or 404 and change nothing.
#[tokio::test]
async fn access_matrix() {
    let app = spawn_app().await;
    let admin = Client::login(&app, "admin").await;
    // Another department with its unit, user and form.
    let (_, d2) = admin.call(Method::POST, "/api/orgs", Some(json!({ "name": "另一个主管部门", "kind": "department", "parent_id": "org-finance" }))).await;
    let d2 = d2["org"]["id"].as_str().unwrap().to_string();
    let (s, u2) = admin
        .call(
            Method::POST,
            "/api/orgs",
            Some(json!({ "name": "另一个单位", "kind": "unit", "parent_id": d2 })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let u2 = u2["org"]["id"].as_str().unwrap().to_string();
    let (s, e) = admin.call(Method::POST, "/api/users", Some(json!({ "username": "unit2", "display_name": "乙单位", "password": "another-pass-1", "role": "unit", "org_id": u2 }))).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let unit2 = Client::first_sign_in(&app, "unit2", "another-pass-1").await;
    let mine = Client::login(&app, "unit").await;
    let own_id = form_id(&mine, "管理工作经费").await;
    let (_, own) = mine.get(&format!("/api/forms/{own_id}")).await;
    let mut other_form = own.clone();
    other_form["implementer"] = json!("另一个单位");
    other_form["indicators"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .for_each(|i| i["id"] = Value::Null);
    let (s, created) = unit2
        .call(Method::POST, "/api/forms", Some(other_form))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let other_id = created["id"].as_str().unwrap().to_string();

    let users = [
        "unit",
        "dept",
        "finance",
        "admin",
        "security",
        "auditadmin",
        "auditor",
    ];
    let mut clients = vec![];
    for u in users {
        clients.push((u, Client::login(&app, u).await));
    }
    // Who sees which form; the three administrators none, refused outright (三权分立).
    let sees = |u: &str, other: bool| match u {
        "unit" | "dept" => !other,
        "finance" | "auditor" => true,
        _ => false,
    };
    let administrator = |u: &str| matches!(u, "admin" | "security" | "auditadmin");
    for (u, c) in &clients {
        for (other, id) in [(false, &own_id), (true, &other_id)] {
            let (s, _) = c.get(&format!("/api/forms/{id}")).await;
            let expect = if sees(u, other) {
                StatusCode::OK
            } else if administrator(u) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(s, expect, "{u} GET {}", if other { "other" } else { "own" });
            for sub in [
                "history",
                "versions",
                "findings",
                "monitoring",
                "indicators",
                "export?format=xlsx",
                "export?format=json",
                "monitoring?format=xlsx",
                "documents",
                "self-evaluation",
                "signatures",
            ] {
                assert_eq!(
                    c.get(&format!("/api/forms/{id}/{sub}")).await.0,
                    expect,
                    "{u} {sub}"
                );
            }
            // The version comparison page, as the signed-in browser asks for it.
            let (s, page) = c.get(&format!("/forms/{id}/diff?from=1&to=1")).await;
            assert_eq!(s, expect, "{u} diff page {other}");
            if expect == StatusCode::OK {
                assert!(page.as_str().unwrap().contains("内容相同"), "{u} diff page");
            }
            // Copying into a new year: only a unit, only a form it sees.
            let (s, _) = c
                .call(
                    Method::POST,
                    &format!("/api/forms/{id}/copy"),
                    Some(json!({ "year": 2030 })),
                )
                .await;
            if *u == "unit" && !other {
                assert_eq!(s, StatusCode::CREATED, "{u} copy own");
            } else {
                assert!(
                    s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
                    "{u} copy {other}: {s}"
                );
            }
        }
        // Importing is a unit's; the summary is everyone's, of what they see.
        let res = c
            .http
            .post(format!("{}/api/imports?dry_run=true", c.base))
            .header("x-csrf-token", &c.csrf)
            .body(jixiao_import::SEED.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status() == StatusCode::OK,
            *u == "unit",
            "{u} import: {}",
            res.status()
        );
        assert_eq!(
            c.get("/api/forms/summary").await.0,
            if administrator(u) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            },
            "{u} summary"
        );
        // The lists and the review of an unsaved form: the business roles' only.
        for path in ["/api/todo", "/api/handled"] {
            assert_eq!(
                c.get(path).await.0 == StatusCode::FORBIDDEN,
                administrator(u),
                "{u} {path}"
            );
        }
        let (s, _) = c.call(Method::POST, "/api/review", Some(own.clone())).await;
        assert_eq!(s == StatusCode::FORBIDDEN, administrator(u), "{u} review");
        // The pages of forms refuse the administrators too.
        for page in [
            "/forms".to_string(),
            format!("/forms/{own_id}"),
            format!("/forms/{own_id}/edit"),
            format!("/forms/{own_id}/monitoring"),
            format!("/forms/{own_id}/evaluation"),
            "/todo".into(),
            "/handled".into(),
            "/dashboard".into(),
            "/rectifications".into(),
        ] {
            let (s, _) = c.get(&page).await;
            if administrator(u) {
                assert_eq!(s, StatusCode::FORBIDDEN, "{u} page {page}");
            } else if !page.ends_with("/edit") {
                assert_eq!(s, StatusCode::OK, "{u} page {page}");
            }
        }
        // Each administrator's own pages and routes, and no other's.
        for (path, owners) in [
            ("/admin", &["admin"][..]),
            ("/security", &["security"][..]),
            ("/grants", &["admin", "security"][..]),
            ("/audit", &["auditadmin"][..]),
            ("/api/audit", &["auditadmin"][..]),
            ("/api/grants", &["admin", "security"][..]),
            ("/api/accounts", &["admin"][..]),
        ] {
            let (s, _) = c.get(path).await;
            assert_eq!(
                s,
                if owners.contains(u) {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
                "{u} {path}"
            );
        }
        // The rule set is the security administrator's (saved as it is: every rule on).
        let mut fields: Vec<(String, String)> = jixiao_core::review::registry()
            .iter()
            .map(|r| (format!("on_{}", r.code), "on".to_string()))
            .collect();
        fields.push(("_csrf".into(), c.csrf.clone()));
        let res = c
            .http
            .post(format!("{}/security/rules", c.base))
            .form(&fields)
            .send()
            .await
            .unwrap();
        let (status, text) = (res.status(), res.text().await.unwrap());
        if *u == "security" {
            assert_eq!(status, StatusCode::OK, "{u} saves the rules");
            assert!(text.contains("已保存规则集"), "{u} saves the rules");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{u} saves the rules");
        }
        // The indicator library is every signed-in role's reference.
        let (s, lib) = c.get("/api/library?q=%E6%BB%A1%E6%84%8F%E5%BA%A6").await;
        assert_eq!(s, StatusCode::OK, "{u} library");
        assert!(!lib.as_array().unwrap().is_empty(), "{u} library");
        let (s, list) = c.get("/api/forms?per_page=200").await;
        if administrator(u) {
            assert_eq!(s, StatusCode::FORBIDDEN, "{u} lists forms");
            continue;
        }
        let ids: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids.contains(&own_id.as_str()),
            sees(u, false),
            "{u} list own"
        );
        assert_eq!(
            ids.contains(&other_id.as_str()),
            sees(u, true),
            "{u} list other"
        );
    }
    // Changes: only the unit edits and submits its own; reviewers review; admin and auditor
    // do neither; nobody acts on a form outside their scope.
    let snapshot = |c: &Client, id: String| {
        let c = Client {
            http: c.http.clone(),
            base: c.base.clone(),
            csrf: c.csrf.clone(),
            token: c.token.clone(),
        };
        async move {
            let (_, v) = Client::get(&c, &format!("/api/forms/{id}")).await;
            (v["version"].clone(), v["status"].clone())
        }
    };
    let (_, me) = clients[1].1.get("/api/session").await;
    let dept_id = me["user"]["id"]
        .as_str()
        .or(me["id"].as_str())
        .unwrap()
        .to_string();
    let fin = &clients[2].1;
    let before_own = snapshot(fin, own_id.clone()).await;
    let before_other = snapshot(fin, other_id.clone()).await;
    for (u, c) in &clients {
        for (other, id) in [(false, &own_id), (true, &other_id)] {
            let (s, _) = c
                .call(
                    Method::PUT,
                    &format!("/api/forms/{id}"),
                    Some(json!({ "base_version": 1, "form": own.clone() })),
                )
                .await;
            let allowed = *u == "unit" && !other;
            if !allowed {
                assert!(
                    s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
                    "{u} PUT {other}: {s}"
                );
            }
            for action in ["approve", "return", "publish"] {
                let (s, _) = act(c, id, action, "x").await;
                // Nothing is submitted yet: reviewers who see the form get 409, others 403/404.
                let expect_conflict = (*u == "dept" && !other) || *u == "finance";
                if !expect_conflict {
                    assert!(
                        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
                        "{u} {action} {other}: {s}"
                    );
                }
            }
            // The self-evaluation's review: none exists yet, so reviewers who see the form
            // get 409; everyone else 403 or 404; only the unit records its own.
            for action in ["approve", "return", "submit"] {
                let (s, _) = c
                    .call(
                        Method::POST,
                        &format!("/api/forms/{id}/self-evaluation/actions"),
                        Some(json!({ "action": action, "comment": "x" })),
                    )
                    .await;
                let duty = if action == "submit" {
                    *u == "unit"
                } else {
                    *u == "dept" || *u == "finance"
                };
                if duty && sees(u, other) {
                    assert_eq!(
                        s,
                        StatusCode::CONFLICT,
                        "{u} self-evaluation {action} {other}"
                    );
                } else {
                    assert!(
                        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
                        "{u} self-evaluation {action} {other}: {s}"
                    );
                }
            }
            if *u != "unit" || other {
                let (s, _) = c
                    .call(
                        Method::PUT,
                        &format!("/api/forms/{id}/self-evaluation"),
                        Some(json!({ "budget": { "annual_budget": "1", "spent": "1" }, "indicators": [] })),
                    )
                    .await;
                assert!(
                    s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
                    "{u} PUT self-evaluation {other}: {s}"
                );
            }
            if *u != "unit" {
                let (s, _) = act(c, id, "submit", "").await;
                assert!(
                    s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
                    "{u} submit {other}: {s}"
                );
            }
        }
        // Only the system administrator creates accounts: a privileged one is asked for (202).
        let (s, _) = c.call(Method::POST, "/api/users", Some(json!({ "username": format!("x{u}"), "display_name": "x", "password": "Zero-1234567", "role": "auditor" }))).await;
        assert_eq!(
            s,
            if *u == "admin" {
                StatusCode::ACCEPTED
            } else {
                StatusCode::FORBIDDEN
            },
            "{u} create user"
        );
        let (s, _) = c.get("/api/users").await;
        assert_eq!(
            s == StatusCode::OK,
            *u == "admin" || *u == "security",
            "{u} list users"
        );
        // Administration routes: the administrator only (the changes here leave things as
        // they were: same owner, same name, same role).
        for (other, id, owner) in [(false, &own_id, "org-unit"), (true, &other_id, u2.as_str())] {
            let (s, _) = c
                .call(
                    Method::PUT,
                    &format!("/api/forms/{id}/unit"),
                    Some(json!({ "unit_id": owner })),
                )
                .await;
            assert_eq!(
                s == StatusCode::OK,
                *u == "admin",
                "{u} assigns {other}: {s}"
            );
            assert!(
                s == StatusCode::OK || s == StatusCode::FORBIDDEN,
                "{u} assigns {other}: {s}"
            );
        }
        let (s, _) = c
            .call(
                Method::PUT,
                "/api/orgs/org-unit",
                Some(json!({ "name": "上海市大数据中心", "parent_id": "org-dept" })),
            )
            .await;
        assert_eq!(
            s == StatusCode::OK,
            *u == "admin",
            "{u} edits an organisation: {s}"
        );
        // The department reviewer, unchanged (their session ends; they act no more below).
        let (s, _) = c
            .call(Method::PUT, &format!("/api/users/{dept_id}"), Some(json!({ "display_name": "主管部门审核人", "role": "department", "org_id": "org-dept" })))
            .await;
        assert_eq!(
            s == StatusCode::OK,
            *u == "admin" || *u == "security",
            "{u} edits a user: {s}"
        );
        for action in ["recommend", "unrecommend"] {
            let (s, _) = c
                .call(
                    Method::POST,
                    "/api/library/curation",
                    Some(json!({ "name": "用户满意度", "action": action })),
                )
                .await;
            assert_eq!(s == StatusCode::OK, *u == "admin", "{u} curates: {s}");
        }
        assert_eq!(
            c.get("/library").await.0,
            StatusCode::OK,
            "{u} reads the library page"
        );
    }
    let after_other = snapshot(fin, other_id.clone()).await;
    assert_eq!(
        after_other, before_other,
        "no one outside its unit changed the other form"
    );
    let after_own = snapshot(fin, own_id.clone()).await;
    assert_eq!(
        after_own.1, before_own.1,
        "the status of the own form did not move"
    );
    // The unit may not act on another unit's form even by guessing its ID.
    assert_eq!(
        act(&clients[0].1, &other_id, "submit", "").await.0,
        StatusCode::NOT_FOUND
    );
}

/// Each approval (department, finance) and the publication signs the version decided on: the
/// signed text names the form, version, action, signer, the transition's time and the SM3 of
/// that version's content; the SM2 signature verifies under the server's public key, checked
/// here independently of the server. A submit signs nothing; who may not read the form may
/// not read its signatures; after an adjustment the old version's signatures still check.
#[tokio::test]
async fn approvals_and_publications_are_signed_and_verifiable() {
    use jixiao_core::crypto::{from_hex, Software};
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let dept = Client::login(&app, "dept").await;
    let finance = Client::login(&app, "finance").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (s, v) = unit.get(&format!("/api/forms/{id}/signatures")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["signatures"], json!([]));

    assert_eq!(act(&unit, &id, "submit", "").await.0, StatusCode::OK);
    assert_eq!(act(&dept, &id, "approve", "同意").await.0, StatusCode::OK);
    assert_eq!(act(&finance, &id, "approve", "").await.0, StatusCode::OK);
    assert_eq!(act(&finance, &id, "publish", "").await.0, StatusCode::OK);

    let (_, v) = unit.get(&format!("/api/forms/{id}/signatures")).await;
    let server_key = v["public_key"].as_str().unwrap().to_string();
    assert_eq!(v["signer_id"], "1234567812345678");
    let sigs = v["signatures"].as_array().unwrap();
    let (_, h) = unit.get(&format!("/api/forms/{id}/history")).await;
    let decisions: Vec<&Value> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["action"] != "submit")
        .collect();
    assert_eq!(sigs.len(), 3, "{v}");
    assert_eq!(decisions.len(), 3);
    let (_, version) = unit.get(&format!("/api/forms/{id}/versions/1")).await;
    let form: jixiao_core::Form = serde_json::from_value(version["form"].clone()).unwrap();
    let digest = jixiao_store::form_digest(&form).unwrap();
    for ((sig, t), (action, signer)) in sigs.iter().zip(&decisions).zip([
        ("approve", "dept"),
        ("approve", "finance"),
        ("publish", "finance"),
    ]) {
        assert_eq!(sig["seq"], t["seq"]);
        assert_eq!(sig["check"]["ok"], true, "{sig}");
        assert_eq!(sig["public_key"], server_key.as_str());
        let text = sig["text"].as_str().unwrap();
        assert_eq!(
            text,
            format!(
                "form: {id}\nversion: 1\naction: {action}\nsigner: {signer}\ntime: {}\ndigest: {digest}\n",
                t["at"].as_str().unwrap()
            )
        );
        assert_eq!(sig["signed"]["digest"], digest.as_str());
        // Checked here, not taken from the server's word.
        let public = from_hex(sig["public_key"].as_str().unwrap()).unwrap();
        let signature = from_hex(sig["signature"].as_str().unwrap()).unwrap();
        assert!(jixiao_core::signature::verify(
            &Software, &public, text, &signature
        ));
        let forged = text.replace("signer: ", "signer: x");
        assert!(!jixiao_core::signature::verify(
            &Software, &public, &forged, &signature
        ));
    }

    // The form page says so in its history.
    let (s, page) = unit.get(&format!("/forms/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page.as_str().unwrap().matches("已签名 ✓").count(), 3);

    // Only who may read the form reads its signatures: an administrator is refused outright
    // (separation of duties).
    let admin = Client::login(&app, "admin").await;
    let (s, _) = admin.get(&format!("/api/forms/{id}/signatures")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = Client::anonymous(&app)
        .get(&format!("/api/forms/{id}/signatures"))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // An adjustment: version 2 in draft; the signatures of version 1 still check.
    let (_, mut changed) = unit.get(&format!("/api/forms/{id}")).await;
    changed["goal_annual"] = json!("调整后的年度目标");
    let (s, v) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": 1, "form": changed })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = finance.get(&format!("/api/forms/{id}/signatures")).await;
    assert!(v["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["check"]["ok"] == true && s["signed"]["version"] == 1));
}

/// Behind TLS (`secure_cookies`) every response, a refusal too, tells browsers to keep to
/// HTTPS (HSTS); without it none does (HSTS over plain HTTP would be a lie).
#[tokio::test]
async fn hsts_is_sent_behind_tls_only() {
    let tls = spawn_app_with(Config {
        secure_cookies: true,
        ..Config::default()
    })
    .await;
    let plain = spawn_app().await;
    for path in ["/api/health", "/api/forms", "/login", "/no-such-page"] {
        let res = reqwest::get(format!("{}{path}", tls.base)).await.unwrap();
        assert_eq!(
            res.headers()
                .get("strict-transport-security")
                .map(|h| h.to_str().unwrap().to_string()),
            Some("max-age=31536000".to_string()),
            "{path} ({})",
            res.status()
        );
        let res = reqwest::get(format!("{}{path}", plain.base)).await.unwrap();
        assert!(
            res.headers().get("strict-transport-security").is_none(),
            "{path} over plain HTTP"
        );
    }
}

#[tokio::test]
async fn openapi_describes_every_route_and_the_docs_work_offline() {
    let app = spawn_app().await;
    let anon = Client::anonymous(&app);
    let (s, spec) = anon.get("/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let paths = spec["paths"].as_object().unwrap();
    let finance = Client::login(&app, "finance").await;
    let id = form_id(&finance, "管理工作经费").await;
    for (method, path, _, _, _) in jixiao_web::openapi::ROUTES {
        assert!(
            paths[*path][*method].is_object(),
            "{method} {path} described"
        );
        let real = path
            .replace("{id}", &id)
            .replace("{version}", "1")
            .replace("{period}", "Q1");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (s, v) = finance.call(m, &real, None).await;
        assert_ne!(
            v.get("code").and_then(Value::as_str),
            Some("no_route"),
            "{method} {path} is routed"
        );
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
    // And the other way round: every API route the router declares is described.
    let source = include_str!("../src/lib.rs");
    let mut declared = 0;
    for part in source.split(".route(").skip(1) {
        let path = part.trim_start().trim_start_matches('"');
        let path = &path[..path.find('"').unwrap()];
        if path.starts_with("/api/") {
            declared += 1;
            assert!(
                jixiao_web::openapi::ROUTES.iter().any(|r| r.1 == path),
                "{path} is routed but not described"
            );
        }
    }
    assert!(declared > 40, "the router's routes were read: {declared}");
    let res = reqwest::get(format!("{}/api/docs", app.base))
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<script src=\"/static/api-docs.js\">") && !html.contains("<script>"),
        "no inline script"
    );
    let js = reqwest::get(format!("{}/static/api-docs.js", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        js.contains("/api/openapi.json") && !js.contains("http://") && !js.contains("https://"),
        "no CDN"
    );
}

/// The portfolio's totals are cached per filter; every change to forms must show at once.
#[tokio::test]
async fn list_totals_follow_every_change() {
    let app = spawn_app().await;
    let finance = Client::login(&app, "finance").await;
    let unit = Client::login(&app, "unit").await;
    let (_, before) = finance.get("/api/forms?per_page=5").await;
    assert_eq!(before["total"], 8);
    assert_eq!(before["annual_total_sum"], "1408122458.08");
    let (_, submitted) = finance.get("/api/forms?status=submitted").await;
    assert_eq!(submitted["total"], 0);
    let id = form_id(&unit, "管理工作经费").await;
    assert_eq!(act(&unit, &id, "submit", "").await.0, StatusCode::OK);
    assert_eq!(
        finance.get("/api/forms?status=submitted").await.1["total"],
        1
    );
    let (_, mut form) = unit.get(&format!("/api/forms/{id}")).await;
    assert_eq!(act(&unit, &id, "withdraw", "").await.0, StatusCode::OK);
    form["name"] = json!("新建的项目");
    for i in form["indicators"].as_array_mut().unwrap() {
        i["id"] = Value::Null;
    }
    let (s, v) = unit.call(Method::POST, "/api/forms", Some(form)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, after) = finance.get("/api/forms?per_page=5").await;
    assert_eq!(after["total"], 9);
    assert_eq!(
        after["annual_total_sum"], "1454759924.46",
        "1,408,122,458.08 + 46,637,466.38"
    );
    let (_, found) = finance.get("/api/forms?q=新建").await;
    assert_eq!(found["total"], 1);
    assert_eq!(
        finance.get("/api/forms?status=submitted").await.1["total"],
        0
    );
    // Grade and warnings filters: nothing evaluated or monitored yet; bad values are refused.
    assert_eq!(finance.get("/api/forms?grade=良").await.1["total"], 0);
    assert_eq!(finance.get("/api/forms?warnings=any").await.1["total"], 0);
    let (s, e) = finance.get("/api/forms?grade=A").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    // A monitoring period with a red light shows under the warnings filter, and so does the
    // grade of a self-evaluation.
    let (s, v) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}/monitoring/1-7月"),
            Some(json!({ "spent": "1000.00", "indicators": [] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for filter in ["warnings=red", "warnings=any"] {
        let (_, red) = finance.get(&format!("/api/forms?{filter}")).await;
        assert_eq!(red["total"], 1, "{filter}");
        assert_eq!(red["items"][0]["warning_light"], "red");
    }
    // The period as the 绩效运行监控表 workbook: the spending and its red light in it.
    let res = finance
        .http
        .get(format!(
            "{}/api/forms/{id}/monitoring?format=xlsx",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    use calamine::Reader;
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.sheet_names()[0].clone();
    assert!(sheet.contains("1-7月"), "{sheet}");
    let cells: Vec<String> = book
        .worksheet_range(&sheet)
        .unwrap()
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        .collect();
    assert!(
        cells.iter().any(|c| c == "1000"),
        "the amount spent, as a number"
    );
    assert!(cells.iter().any(|c| c == "红"), "the red light");
    let (s, v) = unit
        .call(Method::PUT, &format!("/api/forms/{id}/self-evaluation"), Some(json!({ "budget": { "annual_budget": "46637466.38", "spent": "46637466.38" }, "indicators": [{ "name": "来访客户满意度", "actual": "95%" }] })))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, graded) = finance
        .get(&format!(
            "/api/forms?grade={}",
            v["grade"].as_str().unwrap()
        ))
        .await;
    assert_eq!(graded["total"], 1);
    assert_eq!(graded["items"][0]["id"], id.as_str());

    // The self-evaluation as the 自评表 workbook, which reads back to the same total.
    let res = finance
        .http
        .get(format!("{}/api/forms/{id}/score?format=xlsx", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let back = jixiao_import::read_any(&bytes).unwrap();
    let t = &back.tables[0].table;
    let (_, scored) = finance.get(&format!("/api/forms/{id}/score")).await;
    let total: rust_decimal::Decimal = scored["total"].as_str().unwrap().parse().unwrap();
    assert_eq!(t.self_total, Some(total));
    let (s, _) = finance
        .get(&format!("/api/forms/{id}/score?format=pdf"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// A form downloads as a workbook in the official layout (and as JSON), named after the
/// project; the workbook reads back to the same form; others' forms stay hidden.
#[tokio::test]
async fn forms_download_as_files() {
    let app = spawn_app().await;
    let finance = Client::login(&app, "finance").await;
    let id = form_id(&finance, "管理工作经费").await;
    let res = finance
        .http
        .get(format!("{}/api/forms/{id}/export?format=xlsx", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let cd = h["content-disposition"].to_str().unwrap().to_string();
    assert!(
        cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''"),
        "{cd}"
    );
    let bytes = res.bytes().await.unwrap();
    let back = jixiao_import::read_any(&bytes).unwrap();
    assert_eq!(back.forms.len(), 1);
    assert_eq!(back.forms[0].form.name, "管理工作经费");
    assert_eq!(
        back.forms[0].form.funds.annual_total.unwrap().to_string(),
        "46637466.38"
    );

    let res = finance
        .http
        .get(format!("{}/api/forms/{id}/export?format=json", app.base))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["forms"][0]["name"], "管理工作经费");

    let (s, _) = finance
        .get(&format!("/api/forms/{id}/export?format=pdf"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = Client::anonymous(&app)
        .get(&format!("/api/forms/{id}/export"))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// A unit brings a workbook in: the dry run lists its forms, warnings and findings and saves
/// nothing; the import saves them all for the unit, as drafts; a file that cannot be stored as
/// it is (a form cut off) is refused whole; others than units may not import.
#[tokio::test]
async fn a_workbook_is_previewed_then_imported() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let (_, before) = unit.get("/api/forms?per_page=200").await;
    let before = before["items"].as_array().unwrap().len();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/workbooks/split-target-wanyuan.xlsx"
    );
    let bytes = std::fs::read(path).unwrap();
    let post = |q: &str, body: Vec<u8>| {
        unit.http
            .post(format!("{}/api/imports{q}", app.base))
            .header("x-csrf-token", &unit.csrf)
            .body(body)
            .send()
    };
    let res = post("?dry_run=true", bytes.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["forms"][0]["form"]["name"], "乡村道路养护");
    assert!(v["refused"].is_null());
    assert!(v["forms"][0]["findings"].as_array().is_some());
    let (_, after) = unit.get("/api/forms?per_page=200").await;
    assert_eq!(
        after["items"].as_array().unwrap().len(),
        before,
        "a dry run saves nothing"
    );

    let res = post("?filename=x.xlsx", bytes.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    let id = v["ids"][0].as_str().unwrap().to_string();
    let (s, f) = unit.get(&format!("/api/forms/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(f["status"], "draft");
    assert_eq!(f["name"], "乡村道路养护");
    // The same file again: the form exists, nothing is added.
    let res = post("", bytes).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Text cut off inside a form: refused whole.
    let seed = std::str::from_utf8(jixiao_import::SEED).unwrap();
    let half = (seed.len() / 2..)
        .find(|&i| seed.is_char_boundary(i))
        .unwrap();
    let res = post("", seed.as_bytes()[..half].to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "not_storable", "{v}");
    let finance = Client::login(&app, "finance").await;
    let res = finance
        .http
        .post(format!("{}/api/imports", app.base))
        .header("x-csrf-token", &finance.csrf)
        .body(std::fs::read(path).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// The portfolio as a 汇总表: the list's filters, every matching form, the sum exact.
#[tokio::test]
async fn the_portfolio_downloads_as_a_summary() {
    let app = spawn_app().await;
    let finance = Client::login(&app, "finance").await;
    let res = finance
        .http
        .get(format!(
            "{}/api/forms/summary?q=%E6%94%BF%E5%8A%A1",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let bytes = res.bytes().await.unwrap();
    use calamine::Reader;
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range("汇总表").unwrap();
    let text: Vec<String> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert!(text[1].contains("搜索 政务"), "{:?}", text[1]);
    let names: Vec<&str> = text[3..5]
        .iter()
        .map(|r| r.split('|').nth(2).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "上海市政务云基础设施服务项目经费",
            "上海市政务外网通信服务项目经费"
        ]
    );
    assert!(text[5].starts_with("合计（2 张）"), "{:?}", text[5]);
    // 256,936,704.00 + 98,347,600.00
    assert!(text[5].contains("355284304"), "{:?}", text[5]);
}

#[tokio::test]
async fn last_years_form_copies_into_a_draft_of_the_new_year() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (_, old) = unit.get(&format!("/api/forms/{id}")).await;
    let (s, copy) = unit
        .call(
            Method::POST,
            &format!("/api/forms/{id}/copy"),
            Some(json!({ "year": 2024 })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{copy}");
    assert_ne!(copy["id"], old["id"]);
    assert_eq!(copy["year"], 2024);
    assert_eq!(copy["status"], "draft");
    assert_eq!(copy["version"], 1);
    assert_eq!(copy["name"], old["name"]);
    assert_eq!(copy["funds"], old["funds"], "the funds to the fen");
    let names = |v: &Value| -> Vec<(String, String)> {
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["name"].as_str().unwrap().to_string(),
                    i["raw"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        names(&copy),
        names(&old),
        "every indicator and target, in order"
    );
    if let Some(d) = old["start_date"].as_str() {
        assert_eq!(
            copy["start_date"].as_str().unwrap(),
            d.replacen("2023", "2024", 1)
        );
    }
    // The old form is untouched and still approved/as it was.
    let (_, again) = unit.get(&format!("/api/forms/{id}")).await;
    assert_eq!(again, old);
    // The same project twice in one year is refused, and says so.
    let (s, err) = unit
        .call(
            Method::POST,
            &format!("/api/forms/{id}/copy"),
            Some(json!({ "year": 2024 })),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["detail"]["id"], copy["id"], "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("已有 2024 年度的申报表"),
        "{err}"
    );
    // A year out of range or not a number.
    for body in [
        json!({ "year": 1999 }),
        json!({ "year": "2024" }),
        json!({ "year": 2025, "x": 1 }),
    ] {
        let (s, err) = unit
            .call(
                Method::POST,
                &format!("/api/forms/{id}/copy"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {err}");
    }
    let (_, list) = unit.get("/api/forms?year=2024&per_page=200").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "one copy, nothing half-written"
    );
}

#[tokio::test]
async fn the_indicator_library_answers_with_levels_units_and_ranges() {
    let app = spawn_app().await;
    let anonymous = Client::anonymous(&app);
    assert_eq!(
        anonymous.get("/api/library?q=x").await.0,
        StatusCode::UNAUTHORIZED
    );
    let unit = Client::login(&app, "unit").await;
    // 用户满意度 in the query string, as a browser sends it.
    let (s, lib) = unit
        .get("/api/library?q=%E7%94%A8%E6%88%B7%E6%BB%A1%E6%84%8F%E5%BA%A6")
        .await;
    assert_eq!(s, StatusCode::OK, "{lib}");
    let first = &lib[0];
    assert_eq!(first["name"], "用户满意度");
    assert_eq!(first["level1"], "满意度指标");
    assert_eq!(first["level2"], "服务对象满意度指标");
    assert_eq!(first["unit"], "%");
    assert!(first["count"].as_i64().unwrap() >= 3, "{first}");
    assert_eq!(first["targets"]["median"], "90");
    assert!(first["actuals"].is_null());
    // Level filters, a limit, and bad parameters refused with the reason.
    let (_, l) = unit
        .get("/api/library?level1=%E4%BA%A7%E5%87%BA%E6%8C%87%E6%A0%87&limit=5")
        .await;
    let l = l.as_array().unwrap();
    assert_eq!(l.len(), 5);
    assert!(l.iter().all(|e| e["level1"] == "产出指标"));
    for bad in [
        "/api/library?limit=0",
        "/api/library?limit=1000",
        "/api/library?level1=x",
        "/api/library?nope=1",
    ] {
        let (s, e) = unit.get(bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    // A self-evaluation's actuals reach the library.
    let id = form_id(&unit, "数据运营服务费").await;
    let (_, form) = unit.get(&format!("/api/forms/{id}")).await;
    let inds: Vec<Value> = form["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({ "name": i["name"], "actual": if i["name"] == "用户满意度" { "97%" } else { "达成" } }))
        .collect();
    let (s, e) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}/self-evaluation"),
            Some(json!({ "budget": { "annual_budget": "1", "spent": "1" }, "indicators": inds })),
        )
        .await;
    assert!(s.is_success(), "{e}");
    let (_, lib) = unit
        .get("/api/library?q=%E7%94%A8%E6%88%B7%E6%BB%A1%E6%84%8F%E5%BA%A6&limit=1")
        .await;
    assert_eq!(lib[0]["actuals"]["max"], "97", "{lib}");
}

#[tokio::test]
async fn administrators_reset_unlock_disable_and_enable_accounts() {
    let app = spawn_app().await;
    let admin = Client::login(&app, "admin").await;
    let unit = Client::login(&app, "unit").await;
    let (_, accounts) = admin.get("/api/accounts").await;
    let unit_id = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "unit")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Only administrators.
    for (who, c) in [("unit", &unit)] {
        assert_eq!(
            c.get("/api/accounts").await.0,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        let (s, _) = c
            .call(Method::POST, &format!("/api/users/{unit_id}/unlock"), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    // A short password is refused and changes nothing.
    let (s, _) = admin
        .call(
            Method::POST,
            &format!("/api/users/{unit_id}/reset-password"),
            Some(json!({ "password": "short" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        unit.get("/api/forms").await.0,
        StatusCode::OK,
        "the session lives on"
    );

    // Reset: the unit's session ends; the new password signs in but only to change it.
    let (s, a) = admin
        .call(
            Method::POST,
            &format!("/api/users/{unit_id}/reset-password"),
            Some(json!({ "password": "temporary-pass-1" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["account"]["must_change_password"], true);
    assert_eq!(
        unit.get("/api/forms").await.0,
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    let anon = Client::anonymous(&app);
    let (s, _) = anon
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "unit", "password": "jixiao-demo" })),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
    let temp = Client::login_with(&app, "unit", "temporary-pass-1").await;
    let (s, e) = temp.get("/api/forms").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    let (s, _) = temp
        .call(
            Method::POST,
            "/api/session/password",
            Some(json!({ "current": "wrong-password", "new": "my-own-password-1" })),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "the current password is checked"
    );
    let (s, e) = temp
        .call(
            Method::POST,
            "/api/session/password",
            Some(json!({ "current": "temporary-pass-1", "new": "my-own-password-1" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        temp.get("/api/forms").await.0,
        StatusCode::OK,
        "changed: this session goes on"
    );

    // Locked by failed sign-ins, then unlocked by the administrator.
    for _ in 0..5 {
        anon.call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "unit", "password": "wrong-password" })),
        )
        .await;
    }
    let (s, _) = anon
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "unit", "password": "my-own-password-1" })),
        )
        .await;
    assert_eq!(s, StatusCode::LOCKED);
    let (s, a) = admin
        .call(Method::POST, &format!("/api/users/{unit_id}/unlock"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert!(a["account"]["locked_until"].is_null());
    let again = Client::login_with(&app, "unit", "my-own-password-1").await;

    // Disabled: every session ends and sign-in is refused; enabled: it works again.
    let (s, _) = admin
        .call(Method::POST, &format!("/api/users/{unit_id}/disable"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again.get("/api/forms").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(temp.get("/api/forms").await.0, StatusCode::UNAUTHORIZED);
    let (s, e) = anon
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "unit", "password": "my-own-password-1" })),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("disabled"))
    );
    let (s, e) = anon
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "unit", "password": "a-wrong-guess" })),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials")),
        "a wrong guess learns nothing"
    );
    let (s, _) = admin
        .call(Method::POST, &format!("/api/users/{unit_id}/enable"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let back = Client::login_with(&app, "unit", "my-own-password-1").await;
    assert_eq!(back.get("/api/forms").await.0, StatusCode::OK);

    // An administrator cannot disable themself; unknown actions and users are refused.
    let (_, me) = admin.get("/api/session").await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_string();
    let (s, _) = admin
        .call(
            Method::POST,
            &format!("/api/users/{admin_id}/disable"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = admin
        .call(Method::POST, &format!("/api/users/{unit_id}/delete"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = admin
        .call(Method::POST, "/api/users/nobody/unlock", None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Each change is in the audit log.
    let auditor = Client::login(&app, "auditadmin").await;
    let (_, log) = auditor.get("/api/audit?limit=200").await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "user_reset_password",
        "password_change",
        "user_unlock",
        "user_disable",
        "user_enable",
        "login_disabled",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn the_audit_log_page_filters_and_exports_for_the_audit_administrator_only() {
    let app = spawn_app().await;
    let anon = Client::anonymous(&app);
    anon.call(
        Method::POST,
        "/api/session",
        Some(json!({ "username": "dept", "password": "a-wrong-guess" })),
    )
    .await;
    let unit = Client::login(&app, "unit").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (s, _) = unit
        .call(
            Method::POST,
            &format!("/api/forms/{id}/actions"),
            Some(json!({ "action": "submit" })),
        )
        .await;
    assert!(s.is_success());
    for who in ["unit", "dept", "finance", "admin", "security", "auditor"] {
        let c = Client::login(&app, who).await;
        assert_eq!(c.get("/audit").await.0, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(
            c.get("/audit?format=csv").await.0,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let auditor = Client::login(&app, "auditadmin").await;
    // By form name: the submission, shown with the form's name and the person's name (the
    // form's name only: no link to its content, which is not the audit administrator's).
    let (s, page) = auditor
        .get("/audit?form=%E7%AE%A1%E7%90%86%E5%B7%A5%E4%BD%9C%E7%BB%8F%E8%B4%B9")
        .await;
    assert_eq!(s, StatusCode::OK);
    let page = page.as_str().unwrap();
    assert!(
        page.contains("送审")
            && page.contains("管理工作经费（2023年度）")
            && page.contains("大数据中心填报人（unit）"),
        "{page}"
    );
    assert!(
        !page.contains(&format!("/forms/{id}")),
        "no link to the form"
    );
    assert!(
        !page.contains("failures:"),
        "only that form's entries, not the failed sign-in"
    );
    // By action, as CSV: the failed sign-in, in Beijing time, with a BOM for spreadsheets.
    let res = auditor
        .http
        .get(format!("{}/audit?action=login_failed&format=csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with('\u{feff}'));
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].contains("\"登录失败\"") && lines[1].contains("主管部门审核人（dept）"),
        "{csv}"
    );
    // A username typed as a formula (an attacker's sign-in attempt) cannot run in a spreadsheet.
    anon.call(
        Method::POST,
        "/api/session",
        Some(json!({ "username": "=HYPERLINK(\"http://x\")", "password": "p" })),
    )
    .await;
    let res = auditor
        .http
        .get(format!("{}/audit?action=login_failed&format=csv", app.base))
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    assert!(!csv.contains(",\"=HYPERLINK"), "{csv}");
    // A time range that excludes everything, and a bad date.
    let (_, page) = auditor.get("/audit?from=2000-01-01&to=2000-01-02").await;
    assert!(page.as_str().unwrap().contains("共 0 条"));
    let (s, _) = auditor.get("/audit?from=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn supporting_documents_are_checked_kept_with_their_digest_and_given_only_to_readers() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (_, form) = unit.get(&format!("/api/forms/{id}")).await;
    let ind = form["indicators"][0]["id"].as_str().unwrap().to_string();
    let upload = |name: &str, bytes: Vec<u8>, indicator: Option<&str>| {
        let mut url = format!(
            "{}/api/forms/{id}/documents?name={}",
            app.base,
            urlencode(name)
        );
        if let Some(i) = indicator {
            url.push_str(&format!("&indicator_id={i}"));
        }
        unit.http
            .post(url)
            .header("x-csrf-token", &unit.csrf)
            .body(bytes)
            .send()
    };
    // A PDF as an office would attach it.
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let res = upload("../../物业合同 2023.pdf", pdf.clone(), Some(&ind))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let doc: Value = res.json().await.unwrap();
    let doc = &doc["document"];
    assert_eq!(doc["name"], "物业合同 2023.pdf", "no path in the name");
    assert_eq!(doc["size"], pdf.len());
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["sm3"].as_str().unwrap().len(), 64);
    // Refused: a program renamed .pdf, a zip that is no Office file, an empty file, too large.
    for (name, bytes) in [
        ("invoice.pdf", b"MZ\x90\x00 program".to_vec()),
        ("photos.zip", b"PK\x03\x04 zipped".to_vec()),
        ("empty.pdf", vec![]),
    ] {
        let res = upload(name, bytes, None).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{name}");
    }
    let mut big = b"%PDF-".to_vec();
    big.resize(jixiao_web::documents::MAX_DOCUMENT + 1, b' ');
    let res = upload("big.pdf", big, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = upload("x.pdf", pdf.clone(), Some("no-such-indicator"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Listed once; downloaded exactly, with its digest.
    let (_, list) = unit.get(&format!("/api/forms/{id}/documents")).await;
    assert_eq!(
        list["documents"].as_array().unwrap().len(),
        1,
        "refused uploads left nothing"
    );
    let doc_id = doc["id"].as_str().unwrap();
    for who in ["unit", "dept", "finance", "auditor"] {
        let c = Client::login(&app, who).await;
        let res = c
            .http
            .get(format!("{}/api/documents/{doc_id}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{who}");
        assert_eq!(
            res.headers()["x-sm3"].to_str().unwrap(),
            doc["sm3"].as_str().unwrap()
        );
        assert_eq!(res.bytes().await.unwrap().to_vec(), pdf, "{who}");
    }
    // Reviewers may read but not upload; the administrator sees no forms, so no documents.
    let dept = Client::login(&app, "dept").await;
    let res = dept
        .http
        .post(format!("{}/api/forms/{id}/documents?name=a.pdf", app.base))
        .header("x-csrf-token", &dept.csrf)
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let admin = Client::login(&app, "admin").await;
    let res = admin
        .http
        .get(format!("{}/api/documents/{doc_id}", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == StatusCode::NOT_FOUND || res.status() == StatusCode::FORBIDDEN,
        "{}",
        res.status()
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_self_evaluation_is_submitted_returned_fixed_and_approved() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let dept = Client::login(&app, "dept").await;
    let finance = Client::login(&app, "finance").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (_, form) = unit.get(&format!("/api/forms/{id}")).await;
    let first = form["indicators"][0]["name"].as_str().unwrap().to_string();
    let ind_id = form["indicators"][0]["id"].as_str().unwrap().to_string();
    let eval = |actual: &str| {
        json!({
            "budget": { "annual_budget": "1000000", "spent": "950000.50" },
            "overall_actual": "全年保障运行，目标基本完成。",
            "indicators": [{ "name": first, "actual": actual, "deviation": "第四季度采购延后" }]
        })
    };
    async fn eval_act(c: &Client, id: &str, action: &str, comment: &str) -> (StatusCode, Value) {
        let body = json!({ "action": action, "comment": comment });
        c.call(
            Method::POST,
            &format!("/api/forms/{id}/self-evaluation/actions"),
            Some(body),
        )
        .await
    }
    async fn eval_put(c: &Client, id: &str, body: Value) -> (StatusCode, Value) {
        c.call(
            Method::PUT,
            &format!("/api/forms/{id}/self-evaluation"),
            Some(body),
        )
        .await
    }
    // Nothing to submit before there is a self-evaluation.
    assert_eq!(
        eval_act(&unit, &id, "submit", "").await.0,
        StatusCode::CONFLICT
    );
    let (s, none) = unit.get(&format!("/api/forms/{id}/self-evaluation")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(none["status"], Value::Null);

    let (s, scored) = eval_put(&unit, &id, eval("80%")).await;
    assert_eq!(s, StatusCode::OK, "{scored}");
    let (_, got) = unit.get(&format!("/api/forms/{id}/self-evaluation")).await;
    assert_eq!(got["status"], "draft");
    assert_eq!(got["status_label"], "自评填报中");
    assert_eq!(
        got["evaluation"]["overall_actual"],
        "全年保障运行，目标基本完成。"
    );
    assert_eq!(
        got["evaluation"]["indicators"][0]["deviation"],
        "第四季度采购延后"
    );

    // A draft is not for review; a reviewer does not submit.
    assert_eq!(
        eval_act(&dept, &id, "approve", "").await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        eval_act(&dept, &id, "submit", "").await.0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = eval_act(&unit, &id, "submit", "").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "submitted");

    // Submitted: the unit can change neither the figures nor the documents.
    let (s, v) = eval_put(&unit, &id, eval("100%")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("自评已送审"), "{v}");
    let res = unit
        .http
        .post(format!(
            "{}/api/forms/{id}/documents?name=a.pdf&indicator_id={ind_id}",
            app.base
        ))
        .header("x-csrf-token", &unit.csrf)
        .body(b"%PDF-1.4\n%%EOF\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, kept) = unit.get(&format!("/api/forms/{id}/self-evaluation")).await;
    assert_eq!(
        kept["evaluation"]["indicators"][0]["actual"], "80%",
        "the refused save changed nothing"
    );

    // The department's to-do lists it; a return needs its reason.
    let (_, todo) = dept.get("/api/todo").await;
    assert!(
        todo["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str()),
        "{todo}"
    );
    assert_eq!(
        eval_act(&dept, &id, "return", "  ").await.0,
        StatusCode::BAD_REQUEST
    );
    let (s, v) = eval_act(&dept, &id, "return", "偏差原因写得太笼统").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "returned");
    let (_, todo) = unit.get("/api/todo").await;
    assert!(todo["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id.as_str()));
    let (_, todo) = dept.get("/api/todo").await;
    assert!(todo["evaluations"].as_array().unwrap().is_empty(), "{todo}");

    // Fixed, submitted again, approved; finance re-checks and returns; a department cannot
    // return what it approved.
    assert_eq!(eval_put(&unit, &id, eval("90%")).await.0, StatusCode::OK);
    assert_eq!(eval_act(&unit, &id, "submit", "").await.0, StatusCode::OK);
    assert_eq!(
        eval_act(&unit, &id, "approve", "").await.0,
        StatusCode::FORBIDDEN,
        "a unit never approves its own"
    );
    let (s, v) = eval_act(&dept, &id, "approve", "").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    assert_eq!(
        eval_act(&dept, &id, "return", "再看看").await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        eval_act(&finance, &id, "publish", "").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        eval_act(&finance, &id, "return", "复核：执行数与决算不符")
            .await
            .0,
        StatusCode::OK
    );

    let (_, got) = finance
        .get(&format!("/api/forms/{id}/self-evaluation"))
        .await;
    let history = got["history"].as_array().unwrap();
    let steps: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|t| {
            (
                t["action"].as_str().unwrap(),
                t["to"].as_str().unwrap(),
                t["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("submit", "submitted", "unit"),
            ("return", "returned", "dept"),
            ("submit", "submitted", "unit"),
            ("approve", "approved", "dept"),
            ("return", "returned", "finance"),
        ]
    );
    assert_eq!(history[1]["comment"], "偏差原因写得太笼统");
    // The 自评表 workbook carries what was achieved and the deviation's reason: read back.
    let res = finance
        .http
        .get(format!("{}/api/forms/{id}/score?format=xlsx", app.base))
        .send()
        .await
        .unwrap();
    let back = jixiao_import::read_any(&res.bytes().await.unwrap()).unwrap();
    let t = &back.tables[0].table;
    assert_eq!(t.goal_actual, "全年保障运行，目标基本完成。");
    assert_eq!(t.rows[0].deviation, "第四季度采购延后");
    assert_eq!(t.rows[0].actual, "90%");
    let auditor = Client::login(&app, "auditadmin").await;
    let (_, log) = auditor.get("/api/audit?limit=200").await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "self_evaluation_submit",
        "self_evaluation_return",
        "self_evaluation_approve",
    ] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
    // The auditor reads, changes nothing.
    assert_eq!(
        eval_act(&auditor, &id, "approve", "").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn administrators_edit_roles_and_organisations_and_give_forms_to_units() {
    let app = spawn_app().await;
    let admin = Client::login(&app, "admin").await;
    let unit = Client::login(&app, "unit").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (_, users) = admin.get("/api/users").await;
    let user_id = |name: &str| {
        users["users"]
            .as_array()
            .or(users.as_array())
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (dept_id, admin_id) = (user_id("dept"), user_id("admin"));

    // Nobody else edits users (the security administrator does, roles being theirs),
    // organisations or owners.
    for who in [
        "unit",
        "dept",
        "finance",
        "auditor",
        "auditadmin",
        "security",
    ] {
        let c = Client::login(&app, who).await;
        if who != "security" {
            let (s, _) = c
                .call(
                    Method::PUT,
                    &format!("/api/users/{dept_id}"),
                    Some(
                        json!({ "display_name": "x", "role": "finance", "org_id": "org-finance" }),
                    ),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} edits a user");
        }
        let (s, _) = c
            .call(
                Method::PUT,
                "/api/orgs/org-unit",
                Some(json!({ "name": "x" })),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} edits an organisation");
        let (s, _) = c
            .call(
                Method::PUT,
                &format!("/api/forms/{id}/unit"),
                Some(json!({ "unit_id": null })),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} gives away a form");
    }

    // A role must fit its organisation; one's own role stays.
    let (s, v) = admin.call(Method::PUT, &format!("/api/users/{dept_id}"), Some(json!({ "display_name": "主管部门审核人", "role": "finance", "org_id": "org-dept" }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().contains("财政部门"), "{v}");
    let (s, _) = admin
        .call(
            Method::PUT,
            &format!("/api/users/{admin_id}"),
            Some(json!({ "display_name": "管理员", "role": "finance", "org_id": "org-finance" })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no one changes their own role");

    // The department reviewer becomes a finance reviewer, a privileged role: asked for by the
    // system administrator, nothing changes until the security administrator approves; then
    // their session ends, and at the next sign-in they see every form.
    let dept = Client::login(&app, "dept").await;
    assert_eq!(dept.get("/api/session").await.0, StatusCode::OK);
    let (s, v) = admin.call(Method::PUT, &format!("/api/users/{dept_id}"), Some(json!({ "display_name": "改任财政审核人", "role": "finance", "org_id": "org-finance" }))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["grant"]["role"], "finance");
    assert_eq!(v["grant"]["from_role"], "department");
    assert_eq!(
        dept.get("/api/session").await.0,
        StatusCode::OK,
        "no effect yet"
    );
    let security = Client::login(&app, "security").await;
    let grant = v["grant"]["id"].as_str().unwrap().to_string();
    let (s, v) = security
        .call(Method::POST, &format!("/api/grants/{grant}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["grant"]["status"], "approved");
    assert_eq!(
        dept.get("/api/session").await.0,
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    let again = Client::login(&app, "dept").await;
    let (_, me) = again.get("/api/session").await;
    assert_eq!(
        me["user"]["role"].as_str().or(me["role"].as_str()),
        Some("finance"),
        "{me}"
    );

    // An organisation is renamed or moved, never under itself or its own.
    let (s, v) = admin
        .call(
            Method::PUT,
            "/api/orgs/org-dept",
            Some(json!({ "name": "市大数据中心（主管）", "parent_id": "org-unit" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a loop: {v}");
    let (s, v) = admin
        .call(
            Method::PUT,
            "/api/orgs/org-dept",
            Some(json!({ "name": "市数据局", "parent_id": "org-finance" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, orgs) = admin.get("/api/orgs").await;
    assert!(orgs.to_string().contains("市数据局"));
    let (s, _) = admin
        .call(
            Method::PUT,
            "/api/orgs/org-dept",
            Some(json!({ "name": "市数据局", "kind": "unit" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the kind does not change");

    // A form given to another unit leaves the first unit's sight and reaches the other's.
    let (_, u2) = admin
        .call(
            Method::POST,
            "/api/orgs",
            Some(json!({ "name": "乙单位", "kind": "unit", "parent_id": "org-dept" })),
        )
        .await;
    let u2 = u2["org"]["id"].as_str().unwrap().to_string();
    let (s, _) = admin.call(Method::POST, "/api/users", Some(json!({ "username": "unit2", "display_name": "乙单位填报人", "password": "another-pass-1", "role": "unit", "org_id": u2 }))).await;
    assert_eq!(s, StatusCode::CREATED);
    let unit2 = Client::first_sign_in(&app, "unit2", "another-pass-1").await;
    assert_eq!(
        unit2.get(&format!("/api/forms/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, v) = admin
        .call(
            Method::PUT,
            &format!("/api/forms/{id}/unit"),
            Some(json!({ "unit_id": "org-dept" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "only a unit owns forms: {v}");
    let (s, v) = admin
        .call(
            Method::PUT,
            &format!("/api/forms/{id}/unit"),
            Some(json!({ "unit_id": u2 })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["unit_name"], "乙单位");
    assert_eq!(
        unit2.get(&format!("/api/forms/{id}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        unit.get(&format!("/api/forms/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    // The administrator still cannot read the form itself.
    assert_eq!(
        admin.get(&format!("/api/forms/{id}")).await.0,
        StatusCode::FORBIDDEN
    );

    let auditor = Client::login(&app, "auditadmin").await;
    let (_, log) = auditor.get("/api/audit").await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "grant_request",
        "grant_approve",
        "org_update",
        "form_assign",
    ] {
        assert!(actions.contains(&a), "{a} audited");
    }
}

#[tokio::test]
async fn administrators_curate_the_library_and_everyone_sees_typical_indicators_by_category() {
    let app = spawn_app().await;
    let admin = Client::login(&app, "admin").await;
    let unit = Client::login(&app, "unit").await;
    let curate = |c: &Client, body: Value| {
        let (http, base, csrf) = (c.http.clone(), c.base.clone(), c.csrf.clone());
        async move {
            let res = http
                .post(format!("{base}/api/library/curation"))
                .header("x-csrf-token", csrf)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = res.status();
            (s, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let variant = "提供多渠道咨询服务，提升用户满意度";
    for who in ["unit", "dept", "finance", "auditor"] {
        let c = Client::login(&app, who).await;
        let (s, _) = curate(&c, json!({ "name": "用户满意度", "action": "recommend" })).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} curates");
    }
    // Refused: a name not in the library, a merge into nothing, into itself, an unknown action.
    for (body, what) in [
        (
            json!({ "name": "不存在的指标", "action": "retire" }),
            "unknown name",
        ),
        (
            json!({ "name": variant, "action": "merge" }),
            "merge without into",
        ),
        (
            json!({ "name": variant, "action": "merge", "into": variant }),
            "merge into itself",
        ),
        (
            json!({ "name": variant, "action": "merge", "into": "不存在的指标" }),
            "merge into nothing",
        ),
        (
            json!({ "name": variant, "action": "delete" }),
            "unknown action",
        ),
    ] {
        assert_eq!(
            curate(&admin, body).await.0,
            StatusCode::BAD_REQUEST,
            "{what}"
        );
    }
    let (s, v) = curate(
        &admin,
        json!({ "name": variant, "action": "merge", "into": "用户满意度" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // No chains: nothing merges into a merged spelling, and a name with spellings merged into
    // it is not merged away.
    assert_eq!(
        curate(
            &admin,
            json!({ "name": "用户满意度", "action": "merge", "into": variant })
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    let (_, found) = unit
        .get(&format!("/api/library?q={}", urlencode("提升用户")))
        .await;
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["用户满意度"],
        "the variant leads to the preferred name"
    );
    assert_eq!(found[0]["aliases"], json!([variant]));
    let (_, all) = admin
        .get(&format!(
            "/api/library?all=true&q={}",
            urlencode("提升用户")
        ))
        .await;
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["merged_into"] == "用户满意度"));

    // Typical indicators of a category, counted in it.
    let (s, typical) = unit
        .get(&format!(
            "/api/library?limit=100&category={}",
            urlencode("其他运转类")
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    let typical = typical.as_array().unwrap();
    assert!(!typical.is_empty());
    assert!(typical
        .iter()
        .all(|e| e["in_category"].as_i64().unwrap_or(0) > 0));
    // The library page, with the category's heading, for every role.
    let (s, page) = unit
        .get(&format!("/library?category={}", urlencode("其他运转类")))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page
        .as_str()
        .unwrap()
        .contains("“其他运转类”项目的常用指标"));
    assert!(
        !page.as_str().unwrap().contains("/library/curation"),
        "no curation for a unit"
    );

    let auditor = Client::login(&app, "auditadmin").await;
    let (_, log) = auditor.get("/api/audit").await;
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "library_curate"));
}

#[tokio::test]
async fn last_years_open_rectifications_reach_the_new_years_review() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (_, form) = unit.get(&format!("/api/forms/{id}")).await;
    let first = form["indicators"][0]["name"].as_str().unwrap().to_string();
    // Last year's monitoring asks for a rectification and records no result.
    let (s, v) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}/monitoring/1-7月"),
            Some(json!({ "spent": "20000000.00", "indicators": [{
                "indicator": first, "to_date": "1个", "forecast": "2个",
                "rectification_needed": true, "rectification_advice": "增加第四季度巡检"
            }] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, copy) = unit
        .call(
            Method::POST,
            &format!("/api/forms/{id}/copy"),
            Some(json!({ "year": 2024 })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{copy}");
    let new_id = copy["id"].as_str().unwrap();
    let (_, found) = unit.get(&format!("/api/forms/{new_id}/findings")).await;
    let carried: Vec<&Value> = found["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "HISTORY-RECTIFY")
        .collect();
    assert_eq!(carried.len(), 1, "{found}");
    assert_eq!(carried[0]["indicator"], first.as_str());
    assert!(carried[0]["message"]
        .as_str()
        .unwrap()
        .contains("增加第四季度巡检"));
    // With the result recorded, the new year's review no longer carries it.
    let (s, _) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}/monitoring/1-7月"),
            Some(json!({ "spent": "20000000.00", "indicators": [{
                "indicator": first, "to_date": "1个", "forecast": "2个",
                "rectification_needed": true, "rectification_advice": "增加第四季度巡检",
                "rectification_result": "已增加两次巡检"
            }] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, again) = unit.get(&format!("/api/forms/{new_id}/findings")).await;
    assert!(
        !again["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "HISTORY-RECTIFY"),
        "{again}"
    );
}

#[tokio::test]
async fn a_decision_is_on_the_version_the_reviewer_read() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let dept = Client::login(&app, "dept").await;
    let id = form_id(&unit, "管理工作经费").await;
    assert_eq!(act(&unit, &id, "submit", "").await.0, StatusCode::OK);
    // The reviewer reads version 1 …
    let (_, read) = dept.get(&format!("/api/forms/{id}")).await;
    let seen = read["version"].as_i64().unwrap();
    // … meanwhile the unit withdraws, changes the money and submits again.
    assert_eq!(act(&unit, &id, "withdraw", "").await.0, StatusCode::OK);
    let (_, mut form) = unit.get(&format!("/api/forms/{id}")).await;
    form["funds"]["annual_total"] = json!("99999999.00");
    let (s, v) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": seen, "form": form })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(act(&unit, &id, "submit", "").await.0, StatusCode::OK);
    // The approval of what was read is refused and says why; nothing moved.
    let decide = |action: &str, version: Value| json!({ "action": action, "version": version, "comment": "x" });
    for action in ["approve", "return"] {
        let (s, e) = dept
            .call(
                Method::POST,
                &format!("/api/forms/{id}/actions"),
                Some(decide(action, json!(seen))),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{action}: {e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains(&format!("你审阅的是第 {seen} 版")),
            "{e}"
        );
        assert_eq!(e["detail"]["current_version"], seen + 1);
    }
    // Without the version a decision is refused outright.
    let (s, _) = dept
        .call(
            Method::POST,
            &format!("/api/forms/{id}/actions"),
            Some(json!({ "action": "approve" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, now) = dept.get(&format!("/api/forms/{id}")).await;
    assert_eq!(now["status"], "submitted");
    // On the version now shown, it goes through.
    let (s, v) = dept
        .call(
            Method::POST,
            &format!("/api/forms/{id}/actions"),
            Some(decide("approve", now["version"].clone())),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn truly_concurrent_saves_of_one_form_one_wins_the_rest_get_409_never_500() {
    let app = spawn_app().await;
    let first = Client::login(&app, "unit").await;
    let id = form_id(&first, "管理工作经费").await;
    let (_, form) = first.get(&format!("/api/forms/{id}")).await;
    let base = form["version"].clone();
    let n = 8;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = vec![];
    for k in 0..n {
        let c = Client::login(&app, "unit").await;
        let (barrier, id, mut body) = (barrier.clone(), id.clone(), form.clone());
        body["goal_annual"] = json!(format!("第 {k} 次保存"));
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            c.call(
                Method::PUT,
                &format!("/api/forms/{id}"),
                Some(json!({ "base_version": base, "form": body })),
            )
            .await
        }));
    }
    let mut codes = vec![];
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert!(s == StatusCode::OK || s == StatusCode::CONFLICT, "{s}: {v}");
        codes.push(s);
    }
    assert_eq!(
        codes.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{codes:?}"
    );
    let (_, now) = first.get(&format!("/api/forms/{id}")).await;
    assert_eq!(now["version"], base.as_i64().unwrap() + 1);
}

#[tokio::test]
async fn amounts_out_of_range_are_refused_and_the_portfolio_never_fails() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let finance = Client::login(&app, "finance").await;
    let id = form_id(&unit, "管理工作经费").await;
    let (_, form) = unit.get(&format!("/api/forms/{id}")).await;
    for (amount, why) in [
        ("92233720368547758.07", "超过上限"),
        ("1000000000000.01", "超过上限"),
        ("-1.00", "不能为负数"),
    ] {
        let mut f = form.clone();
        f["funds"]["annual_total"] = json!(amount);
        let (s, e) = unit
            .call(
                Method::PUT,
                &format!("/api/forms/{id}"),
                Some(json!({ "base_version": form["version"], "form": f })),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{amount}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(why),
            "{amount}: {e}"
        );
        assert_eq!(e["detail"]["field"], "funds.annual_total");
        let mut f = form.clone();
        f["name"] = json!(format!("新项目 {amount}"));
        f["funds"]["total"] = json!(amount);
        let (s, _) = unit.call(Method::POST, "/api/forms", Some(f)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "create with {amount}");
    }
    // The largest amount allowed is stored, and every page that sums still answers.
    let mut f = form.clone();
    f["funds"]["annual_total"] = json!("1000000000000.00");
    let (s, v) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": form["version"], "form": f })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for path in ["/api/forms", "/forms", "/dashboard", "/api/forms/summary"] {
        assert_eq!(finance.get(path).await.0, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn sign_in_never_redirects_off_the_site_and_never_fails_on_the_address() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    // As an attacker writes them into a link: the raw query string, percent-encoded.
    for (next, expected) in [
        ("%2F%09%2Fevil.com", "/forms"),
        ("/%09/evil.com", "/forms"),
        ("%2F%7F", "/forms"),
        ("/%0D%0ALocation:%20http://evil.com", "/forms"),
        ("//evil.com", "/forms"),
        ("/%5Cevil.com", "/forms"),
        ("https://evil.com/", "/forms"),
        ("/%E4%B8%AD", "/forms"),
        ("/dashboard%3Fyear%3D2023", "/dashboard?year=2023"),
    ] {
        // The sign-in page keeps it only if it is safe …
        let page = http
            .get(format!("{}/login?next={next}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{next}");
        let token = login_token(&page.text().await.unwrap());
        // … and the form posted back (as the browser sends the hidden field) goes there or home.
        let decoded = percent_decode(next);
        let res = http
            .post(format!("{}/login", app.base))
            .form(&[
                ("_login", token.as_str()),
                ("username", "unit"),
                ("password", "jixiao-demo"),
                ("next", decoded.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{next}: {}", res.status());
        assert_eq!(res.headers()["location"], expected, "{next}");
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Sign-in attempts sent together, as an attacker sends them: each is its own connection,
/// all released at once.
async fn burst(app: &App, attempts: Vec<(&'static str, String)>) -> Vec<StatusCode> {
    let barrier = Arc::new(tokio::sync::Barrier::new(attempts.len()));
    let mut tasks = vec![];
    for (user, password) in attempts {
        let (barrier, base) = (barrier.clone(), app.base.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            barrier.wait().await;
            http.post(format!("{base}/api/session"))
                .json(&json!({ "username": user, "password": password }))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut out = vec![];
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_are_counted_before_they_are_checked() {
    let app = spawn_app_with(Config {
        lockout_seconds: Some(2),
        ..Config::default()
    })
    .await;
    let count = |v: &[StatusCode], s: StatusCode| v.iter().filter(|x| **x == s).count();
    // Signed in before the storm (the address will be locked by the end).
    let auditor = Client::login(&app, "auditadmin").await;
    // An unknown username first: over the limit it is answered as a real one would be, so
    // the answers cannot tell which usernames exist.
    let unknown: Vec<_> = (0..20)
        .map(|k| ("nobody-here", format!("guess-{k}")))
        .collect();
    let answers = burst(&app, unknown).await;
    assert_eq!(count(&answers, StatusCode::UNAUTHORIZED), 5, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::LOCKED), 15, "{answers:?}");
    // 20 wrong passwords at once with a limit of 5: exactly 5 are checked, the rest are
    // refused as locked.
    let wrong: Vec<_> = (0..20).map(|k| ("unit", format!("guess-{k}"))).collect();
    let answers = burst(&app, wrong).await;
    assert_eq!(count(&answers, StatusCode::UNAUTHORIZED), 5, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::LOCKED), 15, "{answers:?}");
    // While locked, a burst of 60 with the right password among them: all refused.
    let mut mixed: Vec<_> = (0..59).map(|k| ("unit", format!("guess-{k}"))).collect();
    mixed.insert(30, ("unit", "jixiao-demo".to_string()));
    let answers = burst(&app, mixed).await;
    assert_eq!(count(&answers, StatusCode::LOCKED), 60, "{answers:?}");
    // When the lock ends the count starts again: one wrong password does not lock again, and
    // the right one then signs in.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let http = reqwest::Client::new();
    let post = |password: &str| {
        http.post(format!("{}/api/session", app.base))
            .json(&json!({ "username": "unit", "password": password }))
            .send()
    };
    assert_eq!(
        post("wrong-again").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(post("jixiao-demo").await.unwrap().status(), StatusCode::OK);
    // One address spraying many usernames, none past its own limit: past the address's
    // limit (10 × 5 = 50 attempts since its last success) it is refused.
    const NAMES: [&str; 12] = [
        "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11", "a12",
    ];
    let spray: Vec<_> = (0..60).map(|k| (NAMES[k % 12], format!("p{k}"))).collect();
    let answers = burst(&app, spray).await;
    assert_eq!(count(&answers, StatusCode::LOCKED), 10, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::UNAUTHORIZED), 50, "{answers:?}");
    // The auditor sees how many were checked: every refused-as-locked attempt is logged too.
    let (_, log) = auditor.get("/api/audit?limit=500").await;
    let entries = log["entries"].as_array().unwrap();
    let checked = entries
        .iter()
        .filter(|e| e["action"] == "login_failed" && e["target"] == "unit")
        .count();
    assert_eq!(checked, 6, "5 checked in the burst, 1 after the lock");
    assert!(entries.iter().any(|e| e["action"] == "login_locked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_sign_ins_gets_answers_never_errors() {
    let app = spawn_app().await;
    // 150 sign-ins at once from many users' worth of guesses: each is answered (signed in,
    // refused, locked, or told to retry), none fails.
    let flood: Vec<_> = (0..150)
        .map(|k| {
            (
                ["unit", "dept", "finance"][k % 3],
                if k % 5 == 0 {
                    "jixiao-demo".to_string()
                } else {
                    format!("x{k}")
                },
            )
        })
        .collect();
    let answers = burst(&app, flood).await;
    for s in &answers {
        assert!(
            [
                StatusCode::OK,
                StatusCode::UNAUTHORIZED,
                StatusCode::LOCKED,
                StatusCode::SERVICE_UNAVAILABLE
            ]
            .contains(s),
            "{s}"
        );
    }
    // And the server still answers a page at once afterwards.
    assert_eq!(
        reqwest::get(format!("{}/api/health", app.base))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// The sign-in page's token, from its hidden field.
fn login_token(page: &str) -> String {
    let key = "name=\"_login\" value=\"";
    let at = page.find(key).expect("the sign-in form has its token");
    let rest = &page[at + key.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[tokio::test]
async fn the_sign_in_form_cannot_be_posted_from_another_site() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    // As another site's page would post it: the right credentials, no token or a made-up one.
    for form in [
        vec![("username", "unit"), ("password", "jixiao-demo")],
        vec![
            ("_login", "0123456789abcdef0123456789abcdef"),
            ("username", "unit"),
            ("password", "jixiao-demo"),
        ],
    ] {
        let res = http
            .post(format!("{}/login", app.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(
            !res.headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("jixiao_session=")),
            "no session"
        );
        assert!(res.text().await.unwrap().contains("登录请求来自其他网站"));
    }
    // From our own page (its token in the cookie and the form) it signs in.
    let page = http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = login_token(&page);
    let res = http
        .post(format!("{}/login", app.base))
        .form(&[
            ("_login", token.as_str()),
            ("username", "unit"),
            ("password", "jixiao-demo"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    // Pages and data are never cached; static files may be.
    let auth = Client::login(&app, "unit").await;
    for path in ["/forms", "/api/forms", "/login"] {
        let res = auth
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let res = http
        .get(format!("{}/static/app.css", app.base))
        .send()
        .await
        .unwrap();
    assert!(res
        .headers()
        .get("cache-control")
        .is_none_or(|v| v != "no-store"));
}

#[tokio::test]
async fn sessions_end_when_idle_and_everywhere_at_once() {
    let app = spawn_app_with(Config {
        idle_seconds: Some(2),
        ..Config::default()
    })
    .await;
    // Kept alive by use: requests every 0.6 s for 3 s, past the 2 s idle time.
    let busy = Client::login(&app, "unit").await;
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert_eq!(busy.get("/api/session").await.0, StatusCode::OK, "in use");
    }
    // Left alone past the idle time: ended, on every route.
    let idle = Client::login(&app, "dept").await;
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    let (s, e) = idle.get("/api/forms").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired"))
    );

    // Two devices: each sees both, itself marked; signing out everywhere ends both.
    let a = Client::login(&app, "finance").await;
    let b = Client::login(&app, "finance").await;
    let (_, list) = a.get("/api/sessions").await;
    let list = list["sessions"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(list
        .iter()
        .all(|s| s["ip"] == "127.0.0.1" && s["id"].as_str().unwrap().len() == 12));
    let other = Client::login(&app, "auditor").await;
    let (s, v) = b.call(Method::DELETE, "/api/sessions", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["ended"], 2);
    assert_eq!(a.get("/api/session").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(b.get("/api/session").await.0, StatusCode::UNAUTHORIZED);
    // Another user's sessions are untouched.
    assert_eq!(other.get("/api/session").await.0, StatusCode::OK);
}

#[tokio::test]
async fn refused_requests_are_in_the_audit_log_with_who_asked() {
    let app = spawn_app().await;
    let unit = Client::login(&app, "unit").await;
    let admin = Client::login(&app, "admin").await;
    let id = form_id(&unit, "管理工作经费").await;
    // 404 on a form outside one's scope (or none), 403 for a route outside one's duty (an
    // administrator on any form), 409 for a stale save; an unknown page is not worth a line.
    assert_eq!(
        admin.get(&format!("/api/forms/{id}")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        unit.get("/api/forms/no-such-form").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(admin.get("/api/audit").await.0, StatusCode::FORBIDDEN);
    let (_, form) = unit.get(&format!("/api/forms/{id}")).await;
    let (s, _) = unit
        .call(
            Method::PUT,
            &format!("/api/forms/{id}"),
            Some(json!({ "base_version": 0, "form": form })),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(unit.get("/no-such-page").await.0, StatusCode::NOT_FOUND);
    let auditor = Client::login(&app, "auditadmin").await;
    let (_, log) = auditor.get("/api/audit?limit=500").await;
    let refused: Vec<(String, String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "request_refused")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["target"].as_str().unwrap().to_string(),
                e["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        refused.contains(&("admin".into(), format!("/api/forms/{id}"), "GET 403".into())),
        "{refused:?}"
    );
    assert!(
        refused.contains(&(
            "unit".into(),
            "/api/forms/no-such-form".into(),
            "GET 404".into()
        )),
        "{refused:?}"
    );
    assert!(
        refused.contains(&("admin".into(), "/api/audit".into(), "GET 403".into())),
        "{refused:?}"
    );
    assert!(
        refused.contains(&("unit".into(), format!("/api/forms/{id}"), "PUT 409".into())),
        "{refused:?}"
    );
    assert!(!refused.iter().any(|r| r.1 == "/no-such-page"));
}

#[tokio::test]
async fn passwords_follow_the_policy_are_not_reused_and_are_changed_at_first_sign_in() {
    let app = spawn_app().await;
    let admin = Client::login(&app, "admin").await;
    let create = |password: &str| json!({ "username": "newfiler", "display_name": "新填报人", "password": password, "role": "unit", "org_id": "org-unit" });
    for (weak, why) in [
        ("short-1A", "至少 10"),
        ("abcdefghijkl", "至少三种"),
        ("newfiler-Pass-1", "用户名"),
    ] {
        let (s, e) = admin
            .call(Method::POST, "/api/users", Some(create(weak)))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{weak}");
        assert!(e["message"].as_str().unwrap().contains(why), "{weak}: {e}");
    }
    let (s, v) = admin
        .call(
            Method::POST,
            "/api/users",
            Some(create("Chosen-by-admin-1")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["user"]["id"].as_str().unwrap().to_string();
    // The first sign-in can do nothing but change the password.
    let c = Client::login_with(&app, "newfiler", "Chosen-by-admin-1").await;
    let (s, e) = c.get("/api/forms").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    let change = |current: &str, new: &str| json!({ "current": current, "new": new });
    // Not the same, and not too weak.
    let (s, _) = c
        .call(
            Method::POST,
            "/api/session/password",
            Some(change("Chosen-by-admin-1", "Chosen-by-admin-1")),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let mut current = "Chosen-by-admin-1".to_string();
    for k in 1..=5 {
        let next = format!("Own-password-{k}");
        let (s, v) = c
            .call(
                Method::POST,
                "/api/session/password",
                Some(change(&current, &next)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{k}: {v}");
        current = next;
    }
    assert_eq!(
        c.get("/api/forms").await.0,
        StatusCode::OK,
        "changed: free to work"
    );
    // None of the last five again (the administrator's is the sixth back: allowed).
    for old in ["Own-password-1", "Own-password-4"] {
        let (s, e) = c
            .call(
                Method::POST,
                "/api/session/password",
                Some(change(&current, old)),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{old}");
        assert!(e["message"].as_str().unwrap().contains("最近 5 次"), "{e}");
    }
    let (s, v) = c
        .call(
            Method::POST,
            "/api/session/password",
            Some(change(&current, "Chosen-by-admin-1")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // An administrator's reset follows the same rules.
    let (s, e) = admin
        .call(
            Method::POST,
            &format!("/api/users/{id}/reset-password"),
            Some(json!({ "password": "Own-password-5" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
}

#[tokio::test]
async fn finance_administrators_and_auditors_need_a_second_factor() {
    use jixiao_core::crypto::{from_base32, totp, Software};
    let app = spawn_app().await;
    let admin = Client::login(&app, "admin").await;
    let security = Client::login(&app, "security").await;
    let (s, v) = admin
        .call(Method::POST, "/api/users", Some(json!({ "username": "fin2", "display_name": "财政审核人二", "password": "Chosen-by-admin-1", "role": "finance", "org_id": "org-finance" })))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let fin2_id = v["grant"]["user_id"].as_str().unwrap().to_string();
    let grant = v["grant"]["id"].as_str().unwrap().to_string();
    let (s, v) = security
        .call(Method::POST, &format!("/api/grants/{grant}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The password first, then the second factor before anything else.
    let c = Client::first_sign_in(&app, "fin2", "Chosen-by-admin-1").await;
    let (s, e) = c.get("/api/forms").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("second_factor_required"))
    );
    let (s, new) = c.get("/api/session/totp").await;
    assert_eq!(s, StatusCode::OK);
    let secret = new["secret"].as_str().unwrap().to_string();
    assert!(new["uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/jixiao:fin2?secret="));
    assert!(new["qr_svg"].as_str().unwrap().contains("<svg"));
    let key = from_base32(&secret).unwrap();
    let step = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 30
    };
    let (s, _) = c
        .call(
            Method::POST,
            "/api/session/totp",
            Some(json!({ "secret": secret, "code": "000000" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a wrong code enrols nothing");
    let now = step();
    let (s, v) = c
        .call(
            Method::POST,
            "/api/session/totp",
            Some(json!({ "secret": secret, "code": totp(&Software, &key, now) })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        c.get("/api/forms").await.0,
        StatusCode::OK,
        "enrolled: free to work"
    );
    // Enrolled once: a session cannot move it elsewhere.
    let (s, _) = c
        .call(
            Method::POST,
            "/api/session/totp",
            Some(json!({ "secret": secret, "code": totp(&Software, &key, now) })),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Signing in now takes the code: none, a wrong one and a used one are refused.
    let sign_in = |code: Option<String>| {
        let base = app.base.clone();
        async move {
            let mut body = json!({ "username": "fin2", "password": "Chosen-by-admin-1Z" });
            if let Some(c) = code {
                body["totp"] = json!(c);
            }
            let res = reqwest::Client::new()
                .post(format!("{base}/api/session"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, e) = sign_in(None).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("totp_required"))
    );
    assert!(e["message"].as_str().unwrap().contains("须填写动态口令"));
    let wrong = if totp(&Software, &key, now + 1) == "123456" {
        "654321"
    } else {
        "123456"
    };
    assert_eq!(
        sign_in(Some(wrong.into())).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(Some(totp(&Software, &key, now))).await.0,
        StatusCode::UNAUTHORIZED,
        "the enrolment's code is used"
    );
    let (s, v) = sign_in(Some(totp(&Software, &key, now + 1))).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the next step's code (clocks drift by one step): {v}"
    );
    assert_eq!(
        sign_in(Some(totp(&Software, &key, now + 1))).await.0,
        StatusCode::UNAUTHORIZED,
        "a code is good once"
    );
    // A lost phone: the system administrator asks to remove the second factor (not one's
    // own), the security administrator approves; the sessions end and the next sign-in
    // enrols again.
    let (s, v) = admin
        .call(
            Method::POST,
            &format!("/api/users/{fin2_id}/reset-totp"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["grant"]["kind"], "reset_totp");
    let (s, e) = sign_in(None).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("totp_required")),
        "nothing removed while the grant waits"
    );
    let grant = v["grant"]["id"].as_str().unwrap().to_string();
    let (s, v) = security
        .call(Method::POST, &format!("/api/grants/{grant}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, me) = admin.get("/api/session").await;
    let (s, _) = admin
        .call(
            Method::POST,
            &format!(
                "/api/users/{}/reset-totp",
                me["user"]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "not one's own");
    let (s, e) = sign_in(None).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "no code needed until enrolled again: {e}"
    );
    let token = e["token"].as_str().unwrap().to_string();
    let res = reqwest::Client::new()
        .get(format!("{}/api/forms", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "enrolment comes first again"
    );
    // The demo's finance account signs in with its password alone.
    assert_eq!(
        Client::login(&app, "finance")
            .await
            .get("/api/forms")
            .await
            .0,
        StatusCode::OK
    );
}

/// Two app servers on one database, as behind a load balancer: whatever one server does, the
/// other sees at once (sessions, lock-outs, the rule set, the portfolio's cached totals), and
/// the audit log they write together stays one chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_are_one_system() {
    let (path, _dir) = database().await;
    let key = b"one key for every server of this installation".to_vec();
    let mut bases = vec![];
    for k in 0..2 {
        let store = jixiao_store::open(&path).await.unwrap();
        let store: Arc<dyn jixiao_store::Store> = store.into();
        if k == 0 {
            demo::load(&*store, "jixiao-demo").await.unwrap();
        }
        let state = AppState::new(
            store,
            Config::default(),
            jixiao_core::review::RuleSet::default(),
        )
        .with_audit_key(key.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        bases.push(format!("http://{}", listener.local_addr().unwrap()));
        tokio::spawn(jixiao_web::serve(state, listener));
    }
    let (a, b) = (&bases[0], &bases[1]);
    let http = reqwest::Client::new();
    let sign_in = |base: &str, user: &str, password: &str| {
        let (http, url) = (http.clone(), format!("{base}/api/session"));
        let body = json!({ "username": user, "password": password });
        async move { http.post(url).json(&body).send().await.unwrap() }
    };
    let bearer = |base: &str, token: &str, method: Method, path: &str, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let res = req.send().await.unwrap();
            let s = res.status();
            (s, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // A session opened on A works on B.
    let unit: Value = sign_in(a, "unit", "jixiao-demo")
        .await
        .json()
        .await
        .unwrap();
    let unit = unit["token"].as_str().unwrap().to_string();
    let (s, list) = bearer(
        b,
        &unit,
        Method::GET,
        "/api/forms?q=%E7%AE%A1%E7%90%86%E5%B7%A5%E4%BD%9C%E7%BB%8F%E8%B4%B9",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let (_, before) = bearer(b, &unit, Method::GET, "/api/forms", None).await;
    // The dashboard's charts as B keeps them: the sum of the annual totals it shows.
    let dashboard = |base: &str, token: &str| {
        let req = http
            .get(format!("{base}/dashboard"))
            .header("cookie", format!("jixiao_session={token}"));
        async move {
            let html = req.send().await.unwrap().text().await.unwrap();
            let at = html.find("年度资金合计").expect("the dashboard's totals");
            html[at..].chars().take(60).collect::<String>()
        }
    };
    let shown_before = dashboard(b, &unit).await;
    assert_eq!(dashboard(b, &unit).await, shown_before);
    // A change on A is seen on B at once, the cached totals and B's cached form included.
    let (_, kept) = bearer(b, &unit, Method::GET, &format!("/api/forms/{id}"), None).await;
    let (_, mut form) = bearer(a, &unit, Method::GET, &format!("/api/forms/{id}"), None).await;
    assert_eq!(kept, form, "both servers answer the same form");
    let version = form["version"].clone();
    form["funds"]["annual_total"] = json!("1.00");
    let (s, v) = bearer(
        a,
        &unit,
        Method::PUT,
        &format!("/api/forms/{id}"),
        Some(json!({ "base_version": version, "form": form })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, seen) = bearer(b, &unit, Method::GET, &format!("/api/forms/{id}"), None).await;
    assert_eq!(seen["version"], version.as_i64().unwrap() + 1);
    let (_, after) = bearer(b, &unit, Method::GET, "/api/forms", None).await;
    assert_ne!(
        after["annual_total_sum"], before["annual_total_sum"],
        "B's totals are not stale"
    );
    assert_ne!(
        dashboard(b, &unit).await,
        shown_before,
        "B's dashboard is not stale"
    );
    // A second save of the old version, on B, is the conflict it would be on A.
    let (s, _) = bearer(
        b,
        &unit,
        Method::PUT,
        &format!("/api/forms/{id}"),
        Some(json!({ "base_version": version, "form": form })),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Lock-out counted across both: three wrong on A, three on B, then the right one is refused.
    for base in [a, a, a, b, b, b] {
        sign_in(base, "dept", "wrong-password-1").await;
    }
    assert_eq!(
        sign_in(b, "dept", "jixiao-demo").await.status(),
        StatusCode::LOCKED
    );
    assert_eq!(
        sign_in(a, "dept", "jixiao-demo").await.status(),
        StatusCode::LOCKED
    );
    // An account disabled on B is refused on A at once, though A keeps its session in memory.
    let token = |v: Value| v["token"].as_str().unwrap().to_string();
    let finance = token(
        sign_in(a, "finance", "jixiao-demo")
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(
        bearer(a, &finance, Method::GET, "/api/forms", None).await.0,
        StatusCode::OK
    );
    let admin = token(
        sign_in(b, "admin", "jixiao-demo")
            .await
            .json()
            .await
            .unwrap(),
    );
    let (_, users) = bearer(b, &admin, Method::GET, "/api/users", None).await;
    let finance_id = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "finance")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = bearer(
        b,
        &admin,
        Method::POST,
        &format!("/api/users/{finance_id}/disable"),
        None,
    )
    .await;
    assert!(s.is_success(), "{s} {v}");
    assert_eq!(
        bearer(a, &finance, Method::GET, "/api/forms", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Signing out on B ends the session on A.
    let (s, _) = bearer(b, &unit, Method::DELETE, "/api/session", None).await;
    assert!(s.is_success(), "{s}");
    assert_eq!(
        bearer(a, &unit, Method::GET, "/api/forms", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // One audit chain, written by both servers.
    let store = jixiao_store::open(&path).await.unwrap();
    let chain = store.audit_chain(0, 10_000).await.unwrap();
    assert!(chain.len() >= 10);
    let mut previous = String::new();
    for (e, mac) in chain {
        let expected = e.link(&key, &previous);
        assert_eq!(mac.as_deref(), Some(expected.as_str()), "entry {}", e.seq);
        previous = expected;
    }
}

/// 三权分立 as an attacker tries it, request by request: no administrator grants themselves
/// anything, creates a privileged account alone, or approves their own request; a pending
/// grant does nothing; the other duty's approval applies it (the account's sessions end, the
/// role holds from its next sign-in); refusals, requests and decisions are all in the log.
#[tokio::test]
async fn no_administrator_grants_a_privileged_role_alone() {
    let app = spawn_app().await;
    let admin = Client::login(&app, "admin").await;
    let security = Client::login(&app, "security").await;
    let auditadmin = Client::login(&app, "auditadmin").await;
    let (_, users) = admin.get("/api/users").await;
    let id_of = |name: &str| {
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let role_of = |c: &Client| {
        let (http, base, token) = (c.http.clone(), c.base.clone(), c.token.clone());
        async move {
            let v: Value = http
                .get(format!("{base}/api/session"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["user"]["role"].as_str().unwrap_or("").to_string()
        }
    };
    let (admin_id, security_id, unit_id, auditor_id) = (
        id_of("admin"),
        id_of("security"),
        id_of("unit"),
        id_of("auditor"),
    );

    // The system administrator gives themself the security role, or finance: refused.
    for role in ["security", "finance", "audit_admin"] {
        let (s, e) = admin
            .call(
                Method::PUT,
                &format!("/api/users/{admin_id}"),
                Some(json!({ "display_name": "系统管理员", "role": role, "org_id": if role == "finance" { Some("org-finance") } else { None } })),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {e}");
        assert!(e["message"]
            .as_str()
            .unwrap()
            .contains("不能改变自己的角色"));
    }
    assert_eq!(role_of(&admin).await, "admin");
    // Nor does the security administrator.
    let (s, _) = security
        .call(
            Method::PUT,
            &format!("/api/users/{security_id}"),
            Some(json!({ "display_name": "安全管理员", "role": "admin", "org_id": null })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A finance account, created by the system administrator: only asked for; it does not
    // exist, so signing in as it fails.
    let (s, v) = admin
        .call(Method::POST, "/api/users", Some(json!({ "username": "fin9", "display_name": "假财政", "password": "Chosen-by-admin-9", "role": "finance", "org_id": "org-finance" })))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert!(v["message"].as_str().unwrap().contains("安全管理员"), "{v}");
    let fin9 = v["grant"]["id"].as_str().unwrap().to_string();
    let anon = Client::anonymous(&app);
    let (s, e) = anon
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "fin9", "password": "Chosen-by-admin-9" })),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );
    // The same account asked twice, or created directly meanwhile: refused.
    let (s, e) = admin
        .call(Method::POST, "/api/users", Some(json!({ "username": "fin9", "display_name": "x", "password": "Chosen-by-admin-8", "role": "unit", "org_id": "org-unit" })))
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("grant_pending"))
    );
    // The requester approves their own request: refused; so do the audit administrator and
    // the business roles, who have no part in grants.
    let (s, e) = admin
        .call(Method::POST, &format!("/api/grants/{fin9}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(e["message"].as_str().unwrap().contains("自己提出"), "{e}");
    assert_eq!(
        auditadmin
            .call(Method::POST, &format!("/api/grants/{fin9}/approve"), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    for who in ["finance", "auditor", "unit"] {
        let c = Client::login(&app, who).await;
        assert_eq!(
            c.call(Method::POST, &format!("/api/grants/{fin9}/approve"), None)
                .await
                .0,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        assert_eq!(c.get("/api/grants").await.0, StatusCode::FORBIDDEN, "{who}");
    }
    // Only the system administrator creates accounts.
    let (s, _) = security
        .call(Method::POST, "/api/users", Some(json!({ "username": "x1", "display_name": "x", "password": "Chosen-by-sec-1", "role": "unit", "org_id": "org-unit" })))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The security administrator approves: the account exists, as finance (its second
    // factor comes first).
    let (_, pending) = security.get("/api/grants").await;
    assert!(pending["grants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == fin9.as_str() && g["status"] == "pending"));
    let (s, v) = security
        .call(
            Method::POST,
            &format!("/api/grants/{fin9}/approve"),
            Some(json!({ "comment": "经核实" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["grant"]["decided_by"], "security");
    let c = Client::first_sign_in(&app, "fin9", "Chosen-by-admin-9").await;
    let (s, e) = c.get("/api/forms").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("second_factor_required"))
    );
    let (s, _) = security
        .call(Method::POST, &format!("/api/grants/{fin9}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "decided once");

    // The security administrator asks for a role; they cannot approve it themself; nothing
    // changes; the system administrator rejects it, and it is recorded.
    let unit = Client::login(&app, "unit").await;
    let (s, v) = security
        .call(
            Method::PUT,
            &format!("/api/users/{unit_id}"),
            Some(json!({ "display_name": "大数据中心填报人", "role": "auditor", "org_id": null })),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let g = v["grant"]["id"].as_str().unwrap().to_string();
    let (s, e) = security
        .call(Method::POST, &format!("/api/grants/{g}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(role_of(&unit).await, "unit", "a pending grant does nothing");
    assert_eq!(unit.get("/api/forms").await.0, StatusCode::OK);
    let (s, v) = admin
        .call(
            Method::POST,
            &format!("/api/grants/{g}/reject"),
            Some(json!({ "comment": "无此需要" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["grant"]["status"], "rejected");
    let (s, _) = admin
        .call(Method::POST, &format!("/api/grants/{g}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a rejected grant stays rejected");
    assert_eq!(role_of(&unit).await, "unit");
    let (_, all) = admin.get("/api/grants?all=true").await;
    let rejected = all["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == g.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            rejected["status"].as_str(),
            rejected["decided_by"].as_str(),
            rejected["comment"].as_str()
        ),
        (Some("rejected"), Some("admin"), Some("无此需要"))
    );

    // A grant for the approver's own account: refused even to the other duty.
    let (s, v) = security
        .call(
            Method::PUT,
            &format!("/api/users/{admin_id}"),
            Some(json!({ "display_name": "系统管理员", "role": "security", "org_id": null })),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let own = v["grant"]["id"].as_str().unwrap().to_string();
    let (s, e) = admin
        .call(Method::POST, &format!("/api/grants/{own}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(e["message"].as_str().unwrap().contains("自己账户"), "{e}");
    assert_eq!(role_of(&admin).await, "admin");
    // The requester withdraws it.
    let (s, _) = security
        .call(Method::POST, &format!("/api/grants/{own}/reject"), None)
        .await;
    assert_eq!(s, StatusCode::OK);

    // Taking a privileged role away needs the approval too; once approved the account's
    // sessions end and its new role holds at its next sign-in.
    let auditor = Client::login(&app, "auditor").await;
    let (s, v) = security
        .call(
            Method::PUT,
            &format!("/api/users/{auditor_id}"),
            Some(json!({ "display_name": "审计人员", "role": "department", "org_id": "org-dept" })),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(auditor.get("/api/session").await.0, StatusCode::OK);
    let g = v["grant"]["id"].as_str().unwrap().to_string();
    let (s, v) = admin
        .call(Method::POST, &format!("/api/grants/{g}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        auditor.get("/api/session").await.0,
        StatusCode::UNAUTHORIZED
    );
    let again = Client::login(&app, "auditor").await;
    assert_eq!(role_of(&again).await, "department");

    // Resetting a privileged account's password: asked for, not done; the old password still
    // signs in, the requested one does not; the requester withdraws it.
    let (s, v) = admin
        .call(
            Method::POST,
            &format!("/api/users/{security_id}/reset-password"),
            Some(json!({ "password": "Taken-over-pass-1" })),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let reset = v["grant"]["id"].as_str().unwrap().to_string();
    assert_eq!(security.get("/api/session").await.0, StatusCode::OK);
    let (s, _) = anon
        .call(
            Method::POST,
            "/api/session",
            Some(json!({ "username": "security", "password": "Taken-over-pass-1" })),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    Client::login(&app, "security").await;
    let (s, v) = admin
        .call(Method::POST, &format!("/api/grants/{reset}/reject"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // A request whose requester has since been disabled cannot be approved.
    let (s, v) = security
        .call(
            Method::PUT,
            &format!("/api/users/{unit_id}"),
            Some(json!({ "display_name": "大数据中心填报人", "role": "finance", "org_id": "org-finance" })),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let orphan = v["grant"]["id"].as_str().unwrap().to_string();
    let (s, _) = admin
        .call(
            Method::POST,
            &format!("/api/users/{security_id}/disable"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = admin
        .call(Method::POST, &format!("/api/grants/{orphan}/approve"), None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("已停用或已不再担任"),
        "{e}"
    );
    assert_eq!(role_of(&unit).await, "unit");
    let (s, _) = admin
        .call(Method::POST, &format!("/api/grants/{orphan}/reject"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = admin
        .call(
            Method::POST,
            &format!("/api/users/{security_id}/enable"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // The audit administrator changes nothing here either.
    let (s, _) = auditadmin
        .call(
            Method::PUT,
            &format!("/api/users/{unit_id}"),
            Some(json!({ "display_name": "x", "role": "unit", "org_id": "org-unit" })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Everything above is in the log, for the audit administrator.
    let (_, log) = auditadmin.get("/api/audit?limit=500").await;
    let entries = log["entries"].as_array().unwrap();
    let has = |actor: &str, action: &str, target: &str| {
        entries
            .iter()
            .any(|e| e["actor"] == actor && e["action"] == action && e["target"] == target)
    };
    assert!(has("admin", "grant_request", "fin9"));
    assert!(has("security", "grant_approve", "fin9"));
    assert!(has("admin", "grant_reject", "unit"));
    assert!(has("security", "grant_withdraw", "admin"));
    assert!(has("admin", "grant_approve", "auditor"));
    assert!(has("admin", "grant_withdraw", "security"));
    assert!(has(
        "admin",
        "request_refused",
        &format!("/api/grants/{fin9}/approve")
    ));
    assert!(has(
        "admin",
        "request_refused",
        &format!("/api/users/{admin_id}")
    ));
}

/// The audit administrator keeps the log for its retention: never shorter than six months
/// (184 days), set by nobody else; a purge deletes only what is older, the chain still
/// verifies from its anchor, and the purge is itself in the log. Nobody else purges.
#[tokio::test]
async fn the_audit_administrator_keeps_the_log_for_its_retention_and_purges_only_older_entries() {
    let key = b"the installation's audit key".to_vec();
    let (location, _dir) = database().await;
    let store = jixiao_store::open(&location).await.unwrap();
    let store: Arc<dyn jixiao_store::Store> = store.into();
    demo::load(&*store, "jixiao-demo").await.unwrap();
    // Two entries of 2020, chained under the key, before the server starts.
    let mut previous = String::new();
    for seq in 1..=2 {
        let e = jixiao_store::AuditEntry {
            seq,
            at: format!("2020-03-0{seq}T08:00:00.000Z"),
            actor: "alice".into(),
            ip: "10.0.0.9".into(),
            action: "login".into(),
            target: "alice".into(),
            detail: String::new(),
        };
        let mac = e.link(&key, &previous);
        jixiao_store::testing::execute(
            &location,
            &format!(
                "INSERT INTO audit (seq, at, actor, ip, action, target, detail, mac) VALUES ({seq}, '{}', 'alice', '10.0.0.9', 'login', 'alice', '', '{mac}')",
                e.at
            ),
        )
        .await
        .unwrap();
        previous = mac;
    }
    let state = AppState::new(
        store.clone(),
        Config::default(),
        jixiao_core::review::RuleSet::default(),
    )
    .with_audit_key(key.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = App {
        base: format!("http://{}", listener.local_addr().unwrap()),
        _dir: None,
    };
    tokio::spawn(jixiao_web::serve(state, listener));

    let keeper = Client::login(&app, "auditadmin").await;
    let (s, r) = keeper.get("/api/audit/retention").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (r["days"].clone(), r["minimum_days"].clone()),
        (Value::Null, json!(184))
    );
    assert_eq!(r["oldest_at"], "2020-03-01T08:00:00.000Z");
    // Without a retention nothing is purged.
    let (s, e) = keeper.call(Method::POST, "/api/audit/purge", None).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_retention"))
    );
    // Shorter than six months, or nonsense: refused.
    for days in [json!(30), json!(183), json!(-1), json!(100_000)] {
        let (s, _) = keeper
            .call(
                Method::PUT,
                "/api/audit/retention",
                Some(json!({ "days": days })),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{days}");
    }
    // Nobody else sets it or purges.
    for who in ["admin", "security", "auditor", "finance"] {
        let c = Client::login(&app, who).await;
        let (s, _) = c
            .call(
                Method::PUT,
                "/api/audit/retention",
                Some(json!({ "days": 184 })),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(
            c.call(Method::POST, "/api/audit/purge", None).await.0,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        assert_eq!(c.get("/api/audit/retention").await.0, StatusCode::FORBIDDEN);
    }
    let (s, r) = keeper
        .call(
            Method::PUT,
            "/api/audit/retention",
            Some(json!({ "days": 365 })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["days"], 365);
    let (s, v) = keeper.call(Method::POST, "/api/audit/purge", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["purged"], 2, "the two of 2020, nothing younger");
    let (_, r) = keeper.get("/api/audit/retention").await;
    assert_eq!(r["anchor_seq"], 2);
    // The rest still verifies from the anchor; the purge and the retention are in it.
    let anchor = store.audit_anchor().await.unwrap().unwrap();
    assert_eq!(anchor.mac, previous);
    let (mut link, mut next) = (anchor.mac.clone(), anchor.seq + 1);
    let chain = store.audit_chain(0, 10_000).await.unwrap();
    assert!(chain.iter().all(|(e, _)| !e.at.starts_with("2020")));
    for (e, mac) in &chain {
        assert_eq!(e.seq, next);
        assert_eq!(
            mac.as_deref(),
            Some(e.link(&key, &link).as_str()),
            "entry {}",
            e.seq
        );
        link = mac.clone().unwrap();
        next += 1;
    }
    let (_, log) = keeper.get("/api/audit?limit=500").await;
    let entries = log["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "audit_purge"
        && e["actor"] == "auditadmin"
        && e["detail"].as_str().unwrap().contains("anchor 2")));
    assert!(entries
        .iter()
        .any(|e| e["action"] == "audit_retention" && e["detail"] == "365 days"));
    assert!(entries.iter().any(|e| e["action"] == "request_refused"
        && e["actor"] == "admin"
        && e["target"] == "/api/audit/purge"));
    // A second purge finds nothing old enough; the database refuses to delete a young entry.
    let (_, v) = keeper.call(Method::POST, "/api/audit/purge", None).await;
    assert_eq!(v["purged"], 0);
    assert!(jixiao_store::testing::execute(
        &location,
        &format!("DELETE FROM audit WHERE seq = {}", anchor.seq + 1)
    )
    .await
    .is_err());
    // Keeping everything again is allowed.
    let (s, r) = keeper
        .call(
            Method::PUT,
            "/api/audit/retention",
            Some(json!({ "days": null })),
        )
        .await;
    assert_eq!((s, r["days"].clone()), (StatusCode::OK, Value::Null));
    // The page shows it, for the audit administrator.
    let (s, page) = keeper.get("/audit").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("全部保留（未设定期限）"));
    assert!(page.as_str().unwrap().contains("已清理第 2 条及之前的记录"));
}

/// A sign-in that a browser says comes from another site is refused, the right password too:
/// `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this server; the same site's
/// `Origin` signs in, and so does a script that sends neither.
#[tokio::test]
async fn a_sign_in_from_another_site_is_refused_by_its_origin() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let host = app.base.trim_start_matches("http://").to_string();
    let body = json!({ "username": "unit", "password": "jixiao-demo" });
    let post = |headers: Vec<(&'static str, String)>| {
        let mut req = http.post(format!("{}/api/session", app.base)).json(&body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(
        post(vec![("origin", "https://evil.example".into())]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(vec![("sec-fetch-site", "cross-site".into())]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(vec![("origin", format!("http://{host}.evil.example"))]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(vec![
            ("origin", format!("http://{host}")),
            ("sec-fetch-site", "same-origin".into())
        ])
        .await,
        StatusCode::OK
    );
    assert_eq!(post(vec![]).await, StatusCode::OK);
    // `Origin: null` (a page with no-referrer) leaves it to Sec-Fetch-Site.
    assert_eq!(
        post(vec![
            ("origin", "null".into()),
            ("sec-fetch-site", "same-origin".into())
        ])
        .await,
        StatusCode::OK
    );
    assert_eq!(
        post(vec![
            ("origin", "null".into()),
            ("sec-fetch-site", "cross-site".into())
        ])
        .await,
        StatusCode::FORBIDDEN
    );
    // The sign-in page's form, posted from another site with a valid page token, is refused too.
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = c
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"_login\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the page's token")
        .to_string();
    let res = c
        .post(format!("{}/login", app.base))
        .header("origin", "https://evil.example")
        .form(&[
            ("username", "unit"),
            ("password", "jixiao-demo"),
            ("_login", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// `GET /api/forms` pages by cursor: `next` walks every form once in the list's order, `prev`
/// walks back, `page=` still works, and a cursor that is not the server's is a 400 in both
/// languages (the page says so too).
#[tokio::test]
async fn the_list_pages_by_cursor_either_way() {
    let app = spawn_app().await;
    let finance = Client::login(&app, "finance").await;
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    for sort in ["name", "-amount", "year", "-updated"] {
        let list = format!("/api/forms?sort={sort}&per_page=3");
        let (s, all) = finance
            .get(&format!("/api/forms?sort={sort}&per_page=200"))
            .await;
        assert_eq!(s, StatusCode::OK, "{all}");
        let want = ids(&all);
        assert!(want.len() > 6, "{sort}: too few demo forms to page");
        assert_eq!(
            (all["page"].as_i64(), &all["next"]),
            (Some(1), &Value::Null)
        );
        let (_, mut v) = finance.get(&list).await;
        assert_eq!(v["prev"], Value::Null);
        let mut got = vec![];
        loop {
            got.extend(ids(&v));
            let Some(next) = v["next"].as_str().map(str::to_string) else {
                break;
            };
            v = finance.get(&format!("{list}&after={next}")).await.1;
            assert_eq!(v["page"], Value::Null);
            assert_eq!(v["total"], all["total"]);
        }
        assert_eq!(got, want, "{sort}: forwards");
        let mut back = vec![];
        loop {
            back.splice(0..0, ids(&v));
            let Some(prev) = v["prev"].as_str().map(str::to_string) else {
                break;
            };
            v = finance.get(&format!("{list}&before={prev}")).await.1;
        }
        assert_eq!(back, want, "{sort}: backwards");
        // Page 2 by number, then on by cursor.
        let (_, two) = finance.get(&format!("{list}&page=2")).await;
        let (_, three) = finance
            .get(&format!("{list}&after={}", two["next"].as_str().unwrap()))
            .await;
        assert_eq!(ids(&three), want[6..want.len().min(9)]);
    }
    let (_, first) = finance.get("/api/forms?per_page=3").await;
    let next = first["next"].as_str().unwrap();
    for bad in [
        "/api/forms?after=not-a-cursor".to_string(),
        "/api/forms?before=%E4%B8%AD".to_string(),
        format!("/api/forms?sort=-name&after={next}"),
        format!("/api/forms?after={next}&before={next}"),
    ] {
        let (s, v) = finance.get(&bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert_eq!(v["code"], "bad_cursor");
        assert!(
            v["message"].as_str().unwrap().contains("分页游标无效"),
            "{v}"
        );
        assert!(v["message_en"].as_str().unwrap().contains("cursor"), "{v}");
    }
    let (s, page) = finance.get("/forms?after=not-a-cursor").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.as_str().unwrap().contains("分页游标无效"));
    let (s, page) = finance.get(&format!("/forms?after={next}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("申报表"));
}
