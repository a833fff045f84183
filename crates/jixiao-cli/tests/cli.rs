//! End-to-end tests of the `jixiao` binary on a fresh database per test.

mod common;

use common::{Env, SEED};
use std::path::{Path, PathBuf};

use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn import_list_show_and_export_the_seed() {
    let env = Env::new();
    let seed = env.file("seed.txt", SEED.as_bytes());
    let out = env.ok(&["import", s(&seed)]);
    assert!(out.contains("8 张申报表"), "{out}");
    assert!(out.contains("129 个指标"), "{out}");
    assert!(out.contains("新建 / new 8"), "{out}");

    let list = env.ok(&["list"]);
    assert!(
        list.contains("数据运营服务费") && list.contains("119,624,404.76"),
        "{list}"
    );
    assert!(list.contains("共 8 张申报表"));

    let json: serde_json::Value = serde_json::from_str(&env.export()).unwrap();
    let forms = json["forms"].as_array().unwrap();
    assert_eq!(forms.len(), 8);
    let f = forms
        .iter()
        .find(|f| f["name"] == "数据运营服务费")
        .unwrap();
    assert_eq!(f["funds"]["total"], "119624404.76");
    assert_eq!(f["start_date"], "2023-01-01");
    assert_eq!(f["indicators"][0]["level1"], "产出指标");
    assert_eq!(
        f["indicators"][0]["target"],
        serde_json::json!({"kind":"quantitative","op":">=","value":"30","unit":"项"})
    );
    assert_eq!(f["indicators"][0]["raw"], "≥30.00(项)");
    assert!(f["indicators"][0]["id"]
        .as_str()
        .is_some_and(|id| id.len() == 32));

    // show takes a unique prefix of the ID and lays the form out as the official table.
    let id = f["id"].as_str().unwrap();
    let shown = env.ok(&["show", &id[..28]]);
    for needle in [
        "财政项目支出绩效目标申报表",
        "项目资金总额",
        "119,624,404.76",
        "一级指标",
        "完成下达服务任务",
        "≥30.00(项)",
        "满意度指标",
    ] {
        assert!(shown.contains(needle), "show lacks {needle}");
    }
    let missing = env.run(&["show", "zzzz"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("找不到"));
}

#[test]
fn json_export_round_trips_exactly() {
    let env = Env::new();
    env.import_seed();
    let first = env.export();
    let file = env.dir.path().join("forms.json");
    env.ok(&["export", "--format", "json", "--out", s(&file)]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first);

    let other = Env::new();
    let out = other.ok(&["import", s(&file)]);
    assert!(out.contains("129 个指标"), "{out}");
    assert_eq!(other.export(), first);
    // Importing the same JSON again changes nothing.
    let again = other.ok(&["import", s(&file)]);
    assert!(again.contains("未变 / unchanged 8"), "{again}");
    assert_eq!(other.export(), first);
}

#[test]
fn importing_twice_does_not_duplicate_and_replacing_is_explicit() {
    let env = Env::new();
    env.import_seed();
    let before = env.export();
    env.import_seed();
    assert_eq!(env.export(), before);

    let changed = SEED.replace("≥15000.00(个)", "≥15001.00(个)");
    let file = env.file("changed.txt", changed.as_bytes());
    let out = env.run(&["import", s(&file)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("已存在") && err.contains("--replace"), "{err}");
    assert_eq!(env.export(), before, "a refused import changes nothing");

    let out = env.ok(&["import", "--replace", s(&file)]);
    assert!(out.contains("替换 / replaced 1"), "{out}");
    let after: serde_json::Value = serde_json::from_str(&env.export()).unwrap();
    let old: serde_json::Value = serde_json::from_str(&before).unwrap();
    let find = |v: &serde_json::Value| {
        v["forms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "数据运营服务费")
            .unwrap()
            .clone()
    };
    let (a, b) = (find(&after), find(&old));
    assert_eq!(a["id"], b["id"], "replacing keeps the form's ID");
    assert_eq!(
        a["indicators"][2]["id"], b["indicators"][2]["id"],
        "and its indicators' IDs"
    );
    assert_eq!(a["indicators"][2]["target"]["value"], "15001");
}

/// Each bad file gets a clear error, a non-zero exit, and the database stays as it was,
/// even when a good file is imported in the same command.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.import_seed();
    let before = env.export();
    let good = env.file(
        "good.txt",
        SEED.replace("数据运营服务费", "数据运营服务费（二）")
            .as_bytes(),
    );

    let header_end = SEED.find("计划完成日期").unwrap();
    let header_start = SEED.find("项目名称").unwrap();
    let line_start = SEED[..header_start].rfind('\n').unwrap() + 1;
    let line_end = header_end + SEED[header_end..].find('\n').unwrap();
    let mut no_header = String::new();
    no_header.push_str(&SEED[..line_start]);
    no_header.push_str(&SEED[line_end + 1..]);

    let cut_in_indicators = SEED.find("与全国共享交换数据").unwrap() + "与全国共享交换数据".len();
    let cut_mid_char = SEED.find("用户满意度").unwrap() + 1;
    let half = (SEED.len() / 2..)
        .find(|&i| SEED.is_char_boundary(i))
        .unwrap();
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty.txt", vec![], &["文件为空", "empty"]),
        ("blank.txt", b"\n \n\t\n".to_vec(), &["文件为空"]),
        ("binary.bin", (0u8..=255).cycle().take(4096).collect(), &["二进制", "binary"]),
        ("png.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0".to_vec(), &["二进制"]),
        ("truncated.txt", SEED.as_bytes()[..half].to_vec(), &["中断", "breaks off"]),
        ("cut-row.txt", SEED.as_bytes()[..cut_in_indicators].to_vec(), &["中断"]),
        ("cut-char.txt", SEED.as_bytes()[..cut_mid_char].to_vec(), &["truncated"]),
        ("no-header.txt", no_header.into_bytes(), &["缺少表头", "line 3"]),
        ("no-form.txt", "这是一封信，\t不是申报表。\n".as_bytes().to_vec(), &["没有找到绩效目标申报表"]),
        ("bad.json", b"{\"forms\": [ {\"year\": 2023, \"name\": 5 } ]}".to_vec(), &["JSON", "line 1"]),
        ("bad-op.json", r#"{"forms":[{"year":2023,"name":"x","nature":"","category":"","department":"","implementer":"","start_date":null,"end_date":null,"funds":{"total":null,"fiscal":null,"other":null,"annual_total":null,"annual_appropriation":null,"annual_carryover":null,"annual_other":null},"goal_overall":"","goal_annual":"","indicators":[{"id":null,"level1":"产出指标","level2":"数量指标","name":"a","target":{"kind":"quantitative","op":"~","value":"1","unit":""},"raw":"~1"}]}]}"#.as_bytes().to_vec(), &["计算符号"]),
    ];
    for (name, bytes, needles) in cases {
        let bad = env.file(name, &bytes);
        let out = env.run(&["import", s(&good), s(&bad)]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(!err.contains("panicked"), "{name}: {err}");
        for n in needles {
            assert!(err.contains(n), "{name}: error lacks “{n}”: {err}");
        }
        assert!(
            err.contains(name),
            "{name}: the error names the file: {err}"
        );
        assert_eq!(env.export(), before, "{name} changed the database");
    }
    // A missing file is an error too, and the database is not even created for it.
    let fresh = Env::new();
    let out = fresh.run(&["import", s(&fresh.dir.path().join("nope.txt"))]);
    assert!(!out.status.success());
    assert!(!fresh.db().exists());
}

#[test]
fn gbk_files_are_read_like_utf8() {
    let env = Env::new();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(SEED);
    assert!(!unmappable);
    let file = env.file("gbk.txt", &gbk);
    let out = env.ok(&["import", s(&file)]);
    assert!(
        out.contains("129 个指标") && out.contains("GB18030"),
        "{out}"
    );
    let utf8 = Env::new();
    utf8.import_seed();
    let strip_ids = |j: String| {
        let mut v: serde_json::Value = serde_json::from_str(&j).unwrap();
        for f in v["forms"].as_array_mut().unwrap() {
            f["id"] = serde_json::Value::Null;
            for i in f["indicators"].as_array_mut().unwrap() {
                i["id"] = serde_json::Value::Null;
            }
        }
        v
    };
    assert_eq!(strip_ids(env.export()), strip_ids(utf8.export()));
}

#[test]
fn help_speaks_chinese_and_english() {
    let out = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for n in ["导入", "import", "导出", "export", "--db"] {
        assert!(help.contains(n), "help lacks {n}");
    }
}

#[test]
fn demo_loads_the_seed() {
    let env = Env::new();
    let out = env.ok(&["demo"]);
    assert!(out.contains("共 8 张申报表"), "{out}");
    // Running it again leaves the data as it is.
    let before = env.export();
    env.ok(&["demo"]);
    assert_eq!(env.export(), before);
}

/// Workbooks import as text does: the seed's forms from an .xlsx (one per sheet) and again from
/// an .xls (all down one sheet) are the same forms, so the second import changes nothing.
#[test]
fn workbooks_import_like_text() {
    let env = Env::new();
    let xlsx = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/workbooks/seed-one-per-sheet.xlsx"
    );
    let xls = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/workbooks/seed-one-sheet.xls"
    );
    env.ok(&["import", xlsx]);
    let out = env.run(&["import", xls]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = env.ok(&["import", env.file("seed.txt", SEED).to_str().unwrap()]);
    assert!(
        text.contains("未变 / unchanged 8"),
        "the text's forms are the workbook's: {text}"
    );
    let forms: serde_json::Value = serde_json::from_str(&env.export()).unwrap();
    assert_eq!(forms["forms"].as_array().unwrap().len(), 8);
    let bad = env.file("bad.xlsx", b"PK\x03\x04 this is not a workbook");
    let out = env.run(&["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("工作簿"));
}

/// `jixiao export --format xlsx` writes the official layout, which imports back to the same
/// forms; a chosen form alone; and no workbook to a terminal.
#[test]
fn export_xlsx_round_trips() {
    let env = Env::with_seed();
    let out = env.dir.path().join("forms.xlsx");
    env.ok(&["export", "--format", "xlsx", "--out", out.to_str().unwrap()]);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PK"));
    let back = jixiao_import::read_any(&bytes).unwrap();
    assert_eq!(back.forms.len(), 8);
    // Importing it into a fresh database gives the same export.
    let fresh = Env::new();
    fresh.ok(&["import", out.to_str().unwrap()]);
    let forms = |e: &Env| -> Vec<jixiao_core::Form> {
        let v: serde_json::Value = serde_json::from_str(&e.export()).unwrap();
        serde_json::from_value::<Vec<jixiao_core::Form>>(v["forms"].clone())
            .unwrap()
            .iter()
            .map(|f| f.without_ids())
            .collect()
    };
    assert_eq!(
        forms(&fresh),
        forms(&env),
        "the same forms, to the fen and the character"
    );
    // One form by its ID.
    let id = env.form_id("管理工作经费");
    let one = env.dir.path().join("one.xlsx");
    env.ok(&[
        "export",
        "--format",
        "xlsx",
        "--out",
        one.to_str().unwrap(),
        &id,
    ]);
    let back = jixiao_import::read_any(&std::fs::read(&one).unwrap()).unwrap();
    assert_eq!(back.forms.len(), 1);
    assert_eq!(back.forms[0].form.name, "管理工作经费");
    let refused = env.run(&["export", "--format", "xlsx"]);
    assert!(!refused.status.success());
}

/// Bad workbooks get a clear error naming the file, and the database stays as it was: not a
/// workbook, password-protected, empty, a sheet without a form, a zip cut off.
#[test]
fn bad_workbooks_are_refused_and_change_nothing() {
    let env = Env::with_seed();
    let before = env.export();
    let fixture = |name: &str| {
        std::fs::read(format!(
            "{}/../../fixtures/workbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let good = fixture("seed-one-per-sheet.xlsx");
    let blank = env.dir.path().join("blank.xlsx");
    env.ok(&["template", "--out", blank.to_str().unwrap()]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "junk.xlsx",
            b"PK\x03\x04 this is no workbook".to_vec(),
            "不是 Excel 工作簿",
        ),
        ("locked.xlsx", fixture("encrypted.xlsx"), "密码"),
        ("empty.xlsx", vec![], "文件为空"),
        ("blank.xlsx", std::fs::read(&blank).unwrap(), "没有找到"),
        ("cut.xlsx", good[..good.len() / 2].to_vec(), "不完整"),
    ];
    for (name, bytes, needle) in cases {
        let f = env.file(name, &bytes);
        let out = env.run(&["import", f.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.contains(name) && err.contains(needle), "{name}: {err}");
        assert_eq!(env.export(), before, "{name} changed the database");
    }
}

/// `jixiao copy ID --year` makes last year's form a draft of the new year: same content, the
/// year and dates moved; a second copy into the same year is refused and changes nothing.
#[test]
fn copy_into_next_year() {
    let env = Env::with_seed();
    let id = env.form_id("管理工作经费");
    let new_id = env.ok(&["copy", &id, "--year", "2024"]).trim().to_string();
    assert_eq!(new_id.len(), 32, "{new_id}");
    let v: serde_json::Value = serde_json::from_str(&env.export()).unwrap();
    let forms = v["forms"].as_array().unwrap();
    assert_eq!(forms.len(), 9);
    let copy = forms.iter().find(|f| f["id"] == new_id.as_str()).unwrap();
    let orig = forms.iter().find(|f| f["id"] == id.as_str()).unwrap();
    assert_eq!(copy["year"], 2024);
    assert_eq!(copy["start_date"], "2024-01-01");
    assert_eq!(
        copy["indicators"].as_array().unwrap().len(),
        orig["indicators"].as_array().unwrap().len()
    );
    assert_eq!(copy["funds"], orig["funds"]);
    let before = env.export();
    let out = env.run(&["copy", &id, "--year", "2024"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("已有"));
    assert_eq!(env.export(), before);
}

/// Imported forms have an owner (the unit given, or the one named as their implementer), a
/// form under review is not replaced by an import, and the CLI's changes are audited with the
/// operating-system user.
#[test]
fn imports_have_owners_respect_the_workflow_and_are_audited() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store_of = |env: &Env| {
        let path = env.db();
        rt.block_on(async move { jixiao_store::open(path.to_str().unwrap()).await.unwrap() })
    };
    let seed = |env: &Env| env.file("seed.txt", SEED);

    // By name: the unit organisation called like the forms' 实施单位.
    let env = Env::new();
    env.ok(&["org", "add", "上海市大数据中心", "--kind", "unit"]);
    env.ok(&["org", "add", "乙单位", "--kind", "unit"]);
    let out = env.run(&["import", "--unit", "不存在的单位", s(&seed(&env))]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("没有名为“不存在的单位”的实施单位"));
    env.ok(&["import", s(&seed(&env))]);
    let store = store_of(&env);
    let orgs = rt.block_on(store.orgs()).unwrap();
    let org = |name: &str| orgs.iter().find(|o| o.name == name).unwrap().id.clone();
    let forms = rt.block_on(store.list()).unwrap();
    assert_eq!(forms.len(), 8);
    assert!(forms
        .iter()
        .all(|f| f.unit_id.as_deref() == Some(org("上海市大数据中心").as_str())));

    // Given: every new form to that unit.
    let env2 = Env::new();
    env2.ok(&["org", "add", "乙单位", "--kind", "unit"]);
    env2.ok(&["import", "--unit", "乙单位", s(&seed(&env2))]);
    let store2 = store_of(&env2);
    let b = rt.block_on(store2.orgs()).unwrap()[0].id.clone();
    assert!(rt
        .block_on(store2.list())
        .unwrap()
        .iter()
        .all(|f| f.unit_id.as_deref() == Some(b.as_str())));

    // A form under review is not replaced by an import; nothing of that import is written.
    let id = env.form_id("数据运营服务费");
    rt.block_on(store.transition(
        &id,
        jixiao_core::workflow::Status::Draft,
        None,
        jixiao_core::workflow::Status::Submitted,
        jixiao_core::workflow::Action::Submit,
        "unit",
        "",
        "{}",
    ))
    .unwrap();
    let before = env.export();
    let changed = env.file(
        "changed.txt",
        SEED.replace("≥15000.00(个)", "≥15001.00(个)"),
    );
    let out = env.run(&["import", "--replace", s(&changed)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("不能用导入替换") && err.contains("已送审"),
        "{err}"
    );
    assert_eq!(env.export(), before);

    // The audit log names the operating-system user.
    let log = rt.block_on(store.audit_log(100)).unwrap();
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let imports: Vec<_> = log.iter().filter(|e| e.action == "forms_import").collect();
    assert_eq!(imports.len(), 1, "one import went through: {log:?}");
    assert_eq!(imports[0].actor, format!("os:{user}"));
    assert_eq!(imports[0].ip, "cli");
    assert!(imports[0].detail.contains("created 8"));
    assert!(log
        .iter()
        .any(|e| e.action == "org_create" && e.target == "乙单位"));
}

/// The audit log as an attacker with the database file meets it: the database refuses to
/// change or delete an entry; with the guard removed, any edit, deletion, insertion or move
/// is found by `jixiao audit verify`, which names the first bad entry and exits non-zero.
#[test]
fn the_audit_log_is_tamper_evident() {
    let env = Env::new();
    env.import_seed();
    env.ok(&["org", "add", "上海市大数据中心", "--kind", "unit"]);
    env.ok(&["org", "add", "乙单位", "--kind", "unit"]);
    env.ok(&["org", "add", "丙单位", "--kind", "unit"]);
    let out = env.ok(&["audit", "verify"]);
    assert!(
        out.contains("审计日志完整") && out.contains("4 条已链接"),
        "{out}"
    );
    // The key lives beside the database, not in it, readable by its owner only.
    let key = env.db().with_extension("audit-key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let sql = |statements: &[&str]| -> Result<(), String> {
        let url = format!("sqlite://{}", env.db().display());
        let statements: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
        rt.block_on(async move {
            let pool = sqlx::SqlitePool::connect(&url)
                .await
                .map_err(|e| e.to_string())?;
            let mut done = Ok(());
            for s in &statements {
                if let Err(e) = sqlx::query(s).execute(&pool).await {
                    done = Err(e.to_string());
                    break;
                }
            }
            // Everything into the database file before the test copies over it: a connection
            // closing on sqlx's worker thread after close() returned would otherwise checkpoint
            // this WAL into the file that was just restored.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&pool)
                .await
                .map_err(|e| e.to_string())?;
            pool.close().await;
            done
        })
    };
    // Refused by the database itself.
    let e = sql(&["UPDATE audit SET detail = 'x' WHERE seq = 2"]).unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    let e = sql(&["DELETE FROM audit WHERE seq = 2"]).unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    assert!(env.ok(&["audit", "verify"]).contains("4 条已链接"));

    // With the guard dropped, each kind of tampering is found, at the first bad entry.
    let unguard = [
        "DROP TRIGGER audit_no_update",
        "DROP TRIGGER audit_no_delete",
    ];
    let backup = std::fs::read(env.db()).unwrap();
    for (what, statements, first_bad) in [
        ("edited", vec!["UPDATE audit SET detail = 'created 0' WHERE seq = 1"], 1),
        ("deleted", vec!["DELETE FROM audit WHERE seq = 2"], 3),
        ("inserted", vec!["INSERT INTO audit (seq, at, actor, ip, action, target, detail, mac) SELECT 10, at, actor, ip, action, target, detail, mac FROM audit WHERE seq = 4"], 10),
        ("moved", vec!["UPDATE audit SET seq = 100 WHERE seq = 2", "UPDATE audit SET seq = 2 WHERE seq = 3", "UPDATE audit SET seq = 3 WHERE seq = 100"], 2),
        // Purged behind the application's back, the anchor set by hand to fit: no purge in
        // the log names it.
        ("purged", vec![
            "INSERT INTO settings (name, value, updated_by, updated_at) VALUES ('audit_anchor_seq', '2', 'x', 'x')",
            "INSERT INTO settings (name, value, updated_by, updated_at) SELECT 'audit_anchor_mac', mac, 'x', 'x' FROM audit WHERE seq = 2",
            "DELETE FROM audit WHERE seq <= 2",
        ], 2),
    ] {
        std::fs::write(env.db(), &backup).unwrap();
        let _ = std::fs::remove_file(env.db().with_extension("db-wal"));
        let _ = std::fs::remove_file(env.db().with_extension("db-shm"));
        let mut all: Vec<&str> = unguard.to_vec();
        all.extend(statements.iter());
        sql(&all).unwrap();
        let out = env.run(&["audit", "verify"]);
        assert!(!out.status.success(), "{what}: verify passed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("第 {first_bad} 条")), "{what}: {err}");
    }
    // With the guard in place, an anchor moved by hand does not open young entries to
    // deletion (only entries older than 184 days, up to the anchor, may go).
    std::fs::write(env.db(), &backup).unwrap();
    let _ = std::fs::remove_file(env.db().with_extension("db-wal"));
    let _ = std::fs::remove_file(env.db().with_extension("db-shm"));
    sql(&["INSERT INTO settings (name, value, updated_by, updated_at) VALUES ('audit_anchor_seq', '2', 'x', 'x')"]).unwrap();
    let e = sql(&["DELETE FROM audit WHERE seq <= 2"]).unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    // The wrong key is told apart from nothing.
    std::fs::write(env.db(), &backup).unwrap();
    let _ = std::fs::remove_file(env.db().with_extension("db-wal"));
    let _ = std::fs::remove_file(env.db().with_extension("db-shm"));
    let out = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .args(["--db", env.db().to_str().unwrap(), "audit", "verify"])
        .env("JIXIAO_AUDIT_KEY", "00112233445566778899aabbccddeeff")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("第 1 条"), "{err}");
}

/// A log purged past its retention (as the audit administrator's purge does it: the anchor,
/// then the purge in the log naming it) still verifies, and says so.
#[test]
fn a_purged_audit_log_still_verifies_from_its_anchor() {
    const KEY: &str = "00112233445566778899aabbccddeeff";
    let env = Env::new();
    let key = jixiao_core::crypto::from_hex(KEY).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = env.db().to_str().unwrap().to_string();
    rt.block_on(async {
        let store = jixiao_store::open(&db).await.unwrap();
        let mut previous = String::new();
        for seq in 1..=3 {
            let e = jixiao_store::AuditEntry {
                seq,
                at: format!("2019-05-0{seq}T00:00:00.000Z"),
                actor: "bob".into(),
                ip: "".into(),
                action: "login".into(),
                target: "bob".into(),
                detail: String::new(),
            };
            let mac = e.link(&key, &previous);
            jixiao_store::testing::execute(&db, &format!("INSERT INTO audit (seq, at, actor, ip, action, target, detail, mac) VALUES ({seq}, '{}', 'bob', '', 'login', 'bob', '', '{mac}')", e.at)).await.unwrap();
            previous = mac;
        }
        let n = store
            .purge_audit("2020-01-01T00:00:00.000Z", "auditadmin")
            .await
            .unwrap();
        assert_eq!(n, 3);
        store
            .audit(
                &jixiao_store::AuditEntry {
                    seq: 0,
                    at: String::new(),
                    actor: "auditadmin".into(),
                    ip: "127.0.0.1".into(),
                    action: "audit_purge".into(),
                    target: "audit".into(),
                    detail: "3 entries before 2020-01-01T00:00:00.000Z (184 days); anchor 3".into(),
                },
                &key,
            )
            .await
            .unwrap();
    });
    let out = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .args(["--db", &db, "audit", "verify"])
        .env("JIXIAO_AUDIT_KEY", KEY)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("已清理第 3 条及之前的记录") && text.contains("1 条已链接"),
        "{text}"
    );
}

/// An export of the audit log is signed with SM2; the signature shows any change to the file
/// and whether this installation signed it.
#[test]
fn the_audit_log_exports_to_a_signed_file() {
    let env = Env::new();
    env.import_seed();
    let out = env.dir.path().join("审计日志.csv");
    let said = env.ok(&["audit", "export", "--out", s(&out)]);
    assert!(said.contains("已导出 1 条审计记录并签名"), "{said}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.contains("\"forms_import\""), "{csv}");
    let sig = PathBuf::from(format!("{}.sig", out.display()));
    assert!(std::fs::read_to_string(&sig)
        .unwrap()
        .contains("signature: "));
    assert!(env
        .ok(&["audit", "check-export", s(&out)])
        .contains("签名有效"));
    // One character changed after signing.
    std::fs::write(&out, csv.replace("created 8", "created 9")).unwrap();
    let res = env.run(&["audit", "check-export", s(&out)]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("签名后被改动"));
    // Signed by another installation's key: refused although the signature itself is good.
    let other = Env::new();
    other.import_seed();
    let theirs = other.dir.path().join("x.csv");
    other.ok(&["audit", "export", "--out", s(&theirs)]);
    std::fs::copy(&theirs, &out).unwrap();
    std::fs::copy(format!("{}.sig", theirs.display()), &sig).unwrap();
    let res = env.run(&["audit", "check-export", s(&out)]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("不是本系统的签名密钥所签"));
}

/// A large JSON import is read form by form and stored batch by batch in one transaction:
/// 5,000 forms (several batches) from standard input arrive whole; a file whose 4,500th form
/// is bad writes nothing, though the batches before it were already handed to the store.
#[test]
fn a_large_json_import_streams_in_batches_and_stays_all_or_nothing() {
    let seed = Env::with_seed();
    let exported: serde_json::Value = serde_json::from_str(&seed.export()).unwrap();
    let templates = exported["forms"].as_array().unwrap().clone();
    let many = |n: usize, bad_at: Option<usize>| -> String {
        let forms: Vec<serde_json::Value> = (0..n)
            .map(|k| {
                let mut f = templates[k % templates.len()].clone();
                f["id"] = serde_json::Value::Null;
                for i in f["indicators"].as_array_mut().unwrap() {
                    i["id"] = serde_json::Value::Null;
                }
                f["name"] = format!("{}（第{}批）", f["name"].as_str().unwrap(), k / 8 + 1).into();
                if Some(k) == bad_at {
                    f["year"] = 1066.into();
                }
                f
            })
            .collect();
        serde_json::json!({ "forms": forms }).to_string()
    };
    let env = Env::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .arg("--db")
        .arg(env.db())
        .args(["import", "-"])
        .env_remove("JIXIAO_DB")
        .stdin(std::fs::File::open(env.file("many.json", many(5000, None))).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("新建 / new 5000"), "{text}");
    let stored: serde_json::Value = serde_json::from_str(&env.export()).unwrap();
    assert_eq!(stored["forms"].as_array().unwrap().len(), 5000);

    let fresh = Env::with_seed();
    let before = fresh.export();
    let bad = fresh.file("bad.json", many(5000, Some(4499)));
    let out = fresh.run(&["import", s(&bad)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json") && err.contains("1066"), "{err}");
    assert!(err.contains("未导入任何内容"), "{err}");
    assert_eq!(fresh.export(), before);
}

/// Approvals signed with this installation's key (`jixiao.signing-key` beside the database)
/// pass `jixiao verify`; an approval from before signing began is reported, not failed; once
/// the form's content is changed behind the workflow (its funds, an indicator's target) or the
/// key is another's, `verify` exits non-zero naming the signature; an approval without a
/// signature after signing began is found missing.
#[test]
fn approvals_verify_until_the_database_is_changed_behind_the_workflow() {
    use jixiao_core::workflow::{Action, Status};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = Env::with_seed();
    let location = env.db().to_str().unwrap().to_string();
    let id = env.form_id("数据运营服务费");
    let out = env.ok(&["verify", &id[..28]]);
    assert!(out.contains("没有要核验的签名"), "{out}");
    // The key the first command made, beside the database, as `serve` would sign with.
    let key_file = env.db().with_extension("signing-key");
    let secret: [u8; 32] =
        jixiao_core::crypto::from_hex(&std::fs::read_to_string(&key_file).unwrap())
            .unwrap()
            .try_into()
            .unwrap();
    let key =
        jixiao_core::signature::SigningKey::new(&jixiao_core::crypto::Software, secret).unwrap();

    let store = rt.block_on(jixiao_store::open(&location)).unwrap();
    let step = |from, to, action, actor: &str, signed: bool| {
        rt.block_on(async {
            if signed {
                store
                    .transition_signed(&id, from, 1, to, action, actor, "", "{}", &key)
                    .await
                    .map(|(t, _)| t)
            } else {
                store
                    .transition(&id, from, Some(1), to, action, actor, "", "{}")
                    .await
            }
        })
        .unwrap()
    };
    step(
        Status::Draft,
        Status::Submitted,
        Action::Submit,
        "unit",
        false,
    );
    // Approved by the department before signing began (no signature anywhere yet).
    step(
        Status::Submitted,
        Status::DeptApproved,
        Action::Approve,
        "dept",
        false,
    );
    step(
        Status::DeptApproved,
        Status::FinanceApproved,
        Action::Approve,
        "finance",
        true,
    );
    step(
        Status::FinanceApproved,
        Status::Published,
        Action::Publish,
        "finance",
        true,
    );
    let out = env.ok(&["verify", &id]);
    assert!(out.contains("无签名（启用签名前的审批）"), "{out}");
    assert!(
        out.contains("签名全部有效：2 个签名核验通过，1 次审批无签名"),
        "{out}"
    );
    assert_eq!(
        out.matches("SM2 签名 / SM2 signature: 有效 / valid")
            .count(),
        2
    );
    assert_eq!(out.matches("SM3 摘要一致").count(), 2);

    let sql = |statement: &str| {
        rt.block_on(jixiao_store::testing::execute(&location, statement))
            .unwrap()
    };
    let fails = |naming: &str| {
        let res = env.run(&["verify", &id]);
        let err = String::from_utf8_lossy(&res.stderr).to_string();
        assert!(!res.status.success(), "verify passed: {err}");
        assert!(err.contains(naming), "{err}");
        String::from_utf8_lossy(&res.stdout).to_string()
    };
    // One fen more in the annual funds, behind the workflow: the first signature names it.
    sql(&format!(
        "UPDATE forms SET funds_annual_total = funds_annual_total + 1 WHERE id = '{id}'"
    ));
    let out = fails("第 1 个签名（第 1 版审核通过，finance，");
    assert!(out.contains("已改动，SM3 摘要不符"), "{out}");
    let res = env.run(&["verify", &id]);
    assert!(
        String::from_utf8_lossy(&res.stderr).contains("content was changed after it was signed")
    );
    // Put back, it verifies again: the check is the content itself.
    sql(&format!(
        "UPDATE forms SET funds_annual_total = funds_annual_total - 1 WHERE id = '{id}'"
    ));
    env.ok(&["verify", &id]);
    // An indicator's target as written.
    sql(&format!(
        "UPDATE indicators SET raw = raw || ' ' WHERE form_id = '{id}' AND position = 0"
    ));
    fails("申报表内容在签名后被改动");
    sql(&format!(
        "UPDATE indicators SET raw = rtrim(raw) WHERE form_id = '{id}' AND position = 0"
    ));
    env.ok(&["verify", &id]);

    // Another installation's key: the signatures are good, but not ours.
    let other = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .args(["--db", &location, "verify", &id])
        .env_remove("JIXIAO_DB")
        .env(
            "JIXIAO_SIGNING_KEY",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        )
        .output()
        .unwrap();
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("签名公钥不是本系统的签名密钥"));

    // Another form approved without a signature after signing began: missing, not "before".
    let second = env.form_id("管理工作经费");
    rt.block_on(async {
        for (from, to, action) in [
            (Status::Draft, Status::Submitted, Action::Submit),
            (Status::Submitted, Status::DeptApproved, Action::Approve),
        ] {
            store
                .transition(&second, from, Some(1), to, action, "dept", "", "{}")
                .await
                .unwrap();
        }
    });
    let res = env.run(&["verify", &second]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("签名被删除"));
}

/// `serve` stops cleanly on SIGTERM as on Ctrl-C: it exits with success, and a demo's
/// temporary directory (the path it printed) is gone.
#[cfg(unix)]
#[test]
fn serve_stops_on_sigterm_and_removes_the_demo_directory() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env_remove("JIXIAO_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut addr, mut db) = (None, None);
    while db.is_none() {
        let Some(line) = lines.next() else {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("the server stopped before printing its demo database: {err}");
        };
        let line = line.unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            addr = Some(rest.split_whitespace().next().unwrap().to_string());
        }
        if let Some(rest) = line.split("demo database (deleted when stopped): ").nth(1) {
            db = Some(PathBuf::from(rest.trim()));
        }
    }
    let (addr, db) = (addr.unwrap(), db.unwrap());
    let dir = db.parent().unwrap().to_path_buf();
    assert!(db.exists() && dir.exists(), "{}", db.display());
    // It serves.
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        tcp,
        "GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the server did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    assert!(status.success(), "{status}: {err}");
    assert!(rest.iter().any(|l| l.contains("已停止")), "{rest:?}");
    assert!(!dir.exists(), "{} is left behind", dir.display());
}
