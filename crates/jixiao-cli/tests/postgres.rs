//! The CLI with PostgreSQL (the server `JIXIAO_TEST_PG` names; `scripts/test` starts a
//! throwaway one): a whole installation copied from SQLite to PostgreSQL and back, and the
//! demo served from an empty PostgreSQL database.

mod common;

use common::Env;
use jixiao_core::workflow::{Action, EvalStatus, Status};
use jixiao_store::{AuditEntry, Curation, Document, Store};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn jixiao(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("JIXIAO_DB")
        .env("JIXIAO_AUDIT_KEY", KEY)
        .env("JIXIAO_SIGNING_KEY", KEY)
        .output()
        .unwrap()
}

fn ok(db: &str, args: &[&str]) -> String {
    let out = jixiao(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An installation with something in every table that is copied.
async fn fill(store: &dyn Store) {
    jixiao_web::demo::load(store, "jixiao-demo").await.unwrap();
    let forms = store.list().await.unwrap();
    let id = forms[0].id.clone();
    let form = store.get(&id).await.unwrap().unwrap();
    let findings = jixiao_core::review::review(&form, None, &Default::default());
    assert!(!findings.is_empty());
    store.save_findings(&id, &findings).await.unwrap();
    // Another form submitted and approved, the approval signed (before the first form's
    // submit, whose sequence number stays the last: the copied sequences are checked below).
    let other = forms[1].id.clone();
    store
        .transition(
            &other,
            Status::Draft,
            None,
            Status::Submitted,
            Action::Submit,
            "unit",
            "",
            "{}",
        )
        .await
        .unwrap();
    let signing = jixiao_core::signature::SigningKey::new(
        &jixiao_core::crypto::Software,
        jixiao_core::crypto::from_hex(KEY)
            .unwrap()
            .try_into()
            .unwrap(),
    )
    .unwrap();
    store
        .transition_signed(
            &other,
            Status::Submitted,
            1,
            Status::DeptApproved,
            Action::Approve,
            "dept",
            "",
            "{}",
            &signing,
        )
        .await
        .unwrap();
    let mut changed = form.clone();
    changed.goal_annual.push_str("（修订）");
    store
        .save_form(&id, 1, Status::Draft, &changed, Status::Draft, "unit")
        .await
        .unwrap();
    store
        .transition(
            &id,
            Status::Draft,
            None,
            Status::Submitted,
            Action::Submit,
            "unit",
            "",
            "{}",
        )
        .await
        .unwrap();
    let period = jixiao_core::monitor::PeriodReport {
        period: jixiao_core::monitor::Period::parse("1-6月").unwrap(),
        spent: jixiao_core::Money::from_fen(123_456),
        forecast_spent: None,
        indicators: vec![],
    };
    store
        .save_period(
            &id,
            &period,
            &jixiao_store::PeriodWarnings {
                light: Some("yellow"),
                red: 0,
                yellow: 2,
            },
        )
        .await
        .unwrap();
    let eval: jixiao_core::score::SelfEvaluation = serde_json::from_value(serde_json::json!({
        "budget": { "annual_budget": "1", "spent": "1" },
        "indicators": [{ "name": form.indicators[0].name, "actual": "达成" }]
    }))
    .unwrap();
    store
        .save_self_evaluation(&id, &eval, Some("优"))
        .await
        .unwrap();
    store
        .eval_transition(
            &id,
            EvalStatus::Draft,
            EvalStatus::Submitted,
            Action::Submit,
            "unit",
            "",
        )
        .await
        .unwrap();
    store.set_setting("rules", "{}", "admin").await.unwrap();
    store
        .curate_library(
            &form.indicators[0].name,
            &Curation::Recommend(true),
            "admin",
        )
        .await
        .unwrap();
    store
        .add_document(
            &Document {
                id: "doc1".into(),
                form_id: id.clone(),
                indicator_id: None,
                name: "合同.pdf".into(),
                content_type: "application/pdf".into(),
                size: 4,
                sm3: "x".into(),
                uploaded_by: "unit".into(),
                uploaded_at: "2026-01-01T00:00:00.000Z".into(),
            },
            &[0, 159, 146, 150],
        )
        .await
        .unwrap();
    let key = jixiao_core::crypto::from_hex(KEY).unwrap();
    for action in ["login", "form_submit"] {
        store
            .audit(
                &AuditEntry {
                    seq: 0,
                    at: String::new(),
                    actor: "unit".into(),
                    ip: "127.0.0.1".into(),
                    action: action.into(),
                    target: id.clone(),
                    detail: String::new(),
                },
                &key,
            )
            .await
            .unwrap();
    }
    // A grant asked for and approved (a privileged account, 三权分立).
    let grant = jixiao_store::Grant {
        id: "grant1".into(),
        kind: jixiao_core::duties::GrantKind::Create,
        user_id: "user-fin2".into(),
        username: "fin2".into(),
        display_name: "财政审核人二".into(),
        from_role: None,
        role: jixiao_core::workflow::Role::Finance,
        org_id: Some("org-finance".into()),
        requested_by: "admin".into(),
        requester_role: jixiao_core::workflow::Role::Admin,
        requested_at: "2026-01-01T00:00:00.000Z".into(),
        status: jixiao_core::duties::GrantStatus::Pending,
        decided_by: None,
        decided_at: None,
        comment: String::new(),
    };
    store.request_grant(&grant, Some("h-fin2")).await.unwrap();
    store
        .decide_grant("grant1", true, "security", "同意")
        .await
        .unwrap();
    store
        .update_account(
            &store.users().await.unwrap()[0].id,
            &jixiao_store::AccountChange::ChangePassword { hash: "h2".into() },
            None,
        )
        .await
        .unwrap();
}

/// SQLite → PostgreSQL → SQLite: every table arrives with the same rows (counts and
/// checksums on all three agree), the forms read back equal, the audit chain still verifies
/// under the same key, new rows continue the copied sequences, and a copy into a database
/// that is not empty is refused without writing anything.
#[test]
fn a_whole_installation_moves_to_postgresql_and_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = Env::new();
    let a = env.db().to_str().unwrap().to_string();
    let pg = rt.block_on(jixiao_store::testing::postgres_database());
    let b = env.dir.path().join("back.db").to_str().unwrap().to_string();
    rt.block_on(async {
        let store = jixiao_store::open(&a).await.unwrap();
        fill(&*store).await;
    });

    let out = ok(&a, &["db", "copy", "--from", &a, "--to", &pg]);
    assert!(
        out.contains("已复制并核对 / copied and checked: 20"),
        "{out}"
    );
    ok(&a, &["db", "copy", "--from", &pg, "--to", &b]);
    let sums: Vec<String> = [&a, &pg, &b]
        .iter()
        .map(|db| ok(db, &["db", "checksum"]))
        .collect();
    assert_eq!(sums[0], sums[1]);
    assert_eq!(sums[0], sums[2]);
    // Every copied table had rows to copy (else the check proves little).
    for line in sums[0].lines() {
        let rows: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(rows > 0, "an empty table in the test installation: {line}");
    }
    rt.block_on(async {
        let (sa, sp) = (
            jixiao_store::open(&a).await.unwrap(),
            jixiao_store::open(&pg).await.unwrap(),
        );
        assert_eq!(sa.all().await.unwrap(), sp.all().await.unwrap());
        let id = sa.list().await.unwrap()[0].id.clone();
        assert_eq!(
            sa.transitions(&id).await.unwrap(),
            sp.transitions(&id).await.unwrap()
        );
        assert_eq!(
            sa.versions(&id).await.unwrap(),
            sp.versions(&id).await.unwrap()
        );
        // The copied sequences go on: a new transition on PostgreSQL follows the copied ones.
        let t = sp
            .transition(
                &id,
                Status::Submitted,
                None,
                Status::Draft,
                Action::Withdraw,
                "unit",
                "",
                "{}",
            )
            .await
            .unwrap();
        assert_eq!(
            t.seq,
            sa.transitions(&id).await.unwrap().last().unwrap().seq + 1
        );
    });
    let verify = ok(&pg, &["audit", "verify"]);
    assert!(verify.contains("完整"), "{verify}");
    // The signature came along and still verifies on PostgreSQL, under the same key.
    let other = rt.block_on(async {
        let sp = jixiao_store::open(&pg).await.unwrap();
        let mut signed = vec![];
        for f in sp.list().await.unwrap() {
            if !sp.signatures(&f.id).await.unwrap().is_empty() {
                signed.push(f.id);
            }
        }
        assert_eq!(signed.len(), 1);
        signed.remove(0)
    });
    let signed = ok(&pg, &["verify", &other]);
    assert!(signed.contains("1 个签名核验通过"), "{signed}");

    // Into a database that is not empty: refused, and that database is as it was.
    let before = ok(&b, &["db", "checksum"]);
    let out = jixiao(&a, &["db", "copy", "--from", &a, "--to", &b]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("不是空的"));
    assert_eq!(ok(&b, &["db", "checksum"]), before);
}

/// `serve --demo --db postgres://…` loads the demo into an empty database and serves it (the
/// audit key given, as every server of a PostgreSQL installation must share it); a second
/// `--demo` on the same, no longer empty, database is refused; without a key it says which.
#[test]
fn the_demo_is_served_from_an_empty_postgresql_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(jixiao_store::testing::postgres_database());
    let mut child = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .args(["--db", &pg, "serve", "--demo", "--bind", "127.0.0.1:0"])
        .env_remove("JIXIAO_DB")
        .env("JIXIAO_AUDIT_KEY", KEY)
        .env("JIXIAO_SIGNING_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let body = r#"{"username":"unit","password":"jixiao-demo"}"#;
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        tcp,
        "POST /api/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    rt.block_on(async {
        let store = jixiao_store::open(&pg).await.unwrap();
        assert_eq!(store.counts().await.unwrap().0, 8);
    });

    let again = jixiao(&pg, &["serve", "--demo", "--bind", "127.0.0.1:0"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("不是空的"));

    let keyless = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .args(["--db", &pg, "list"])
        .env_remove("JIXIAO_DB")
        .env_remove("JIXIAO_AUDIT_KEY")
        .env_remove("JIXIAO_AUDIT_KEY_FILE")
        .output()
        .unwrap();
    assert!(!keyless.status.success());
    assert!(String::from_utf8_lossy(&keyless.stderr).contains("JIXIAO_AUDIT_KEY"));
}
