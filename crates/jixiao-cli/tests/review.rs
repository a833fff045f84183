//! `jixiao check` end to end: the seed's findings (a hand-reviewed snapshot), exit codes,
//! JSON shape, rule files, and findings kept with the form's version.

mod common;

use common::{Env, SEED};

const EXPECTED: &str = include_str!("seed_findings.txt");

/// One line per finding: what a reviewer reads to judge it.
fn render(findings: &serde_json::Value) -> String {
    let mut s = String::new();
    for f in findings.as_array().unwrap() {
        let text = |k: &str| f[k].as_str().unwrap_or("").to_string();
        s.push_str(&format!(
            "{} | {} | {} | {} | {} | {}\n",
            text("form"),
            text("severity"),
            text("code"),
            text("field"),
            text("indicator"),
            text("message")
        ));
    }
    s
}

#[test]
fn the_seed_findings_match_the_reviewed_snapshot() {
    let env = Env::new();
    let seed = env.file("seed.txt", SEED);
    let (v, code) = env.json(&["check", "--format", "json", seed.to_str().unwrap()]);
    let got = render(&v["findings"]);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seed_findings.txt"),
            &got,
        )
        .unwrap();
        return;
    }
    for (i, (g, e)) in got.lines().zip(EXPECTED.lines()).enumerate() {
        assert_eq!(g, e, "finding {}", i + 1);
    }
    assert_eq!(got.lines().count(), EXPECTED.lines().count());
    // The one error (亿次 for a growth rate) makes the default --fail-on error exit 1.
    assert_eq!(code, Some(1));
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["forms"], 8);
}

#[test]
fn the_review_catches_what_the_issue_names() {
    let env = Env::new();
    let seed = env.file("seed.txt", SEED);
    let (v, _) = env.json(&["check", "--format", "json", seed.to_str().unwrap()]);
    let has = |code: &str, indicator: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == code && f["indicator"].as_str().unwrap_or("") == indicator)
    };
    assert!(has("UNIT-RATE", "一网通办年度总服务人次数增长率"));
    assert!(has("CATEGORY-RATE-AS-QUANTITY", "服务可用性"));
    assert!(has("VAGUE-TARGET", "政务云稳定性"));
    assert!(has("CATEGORY-OUTCOME-AS-COST", "节约企业、群众办事成本"));
    assert!(has("GOAL-NUMBER-MISMATCH", "运维日常巡检服务次数"));
    let copies = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "GOAL-COPY")
        .count();
    assert_eq!(
        copies, 4,
        "four seed forms copy the annual goal into the overall goal"
    );
    for f in v["findings"].as_array().unwrap() {
        for k in [
            "form",
            "code",
            "severity",
            "message",
            "fix",
            "message_en",
            "fix_en",
            "field",
            "evidence",
        ] {
            assert!(f[k].is_string(), "{k} in {f}");
        }
    }
}

#[test]
fn fail_on_and_rule_files() {
    let env = Env::new();
    let seed = env.file("seed.txt", SEED);
    let seed = seed.to_str().unwrap();
    assert_eq!(
        env.run(&["check", "--fail-on", "never", seed])
            .status
            .code(),
        Some(0)
    );
    let rules = env.file("rules.toml", "[rules.UNIT-RATE]\nseverity = \"warning\"\n");
    let out = env.run(&["check", "--rules", rules.to_str().unwrap(), seed]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "with UNIT-RATE a warning there is no error left"
    );
    assert_eq!(
        env.run(&[
            "check",
            "--rules",
            rules.to_str().unwrap(),
            "--fail-on",
            "warning",
            seed
        ])
        .status
        .code(),
        Some(1)
    );
    let off = env.file("off.toml", "[rules.GOAL-COPY]\nenabled = false\n");
    let (v, _) = env.json(&[
        "check",
        "--format",
        "json",
        "--rules",
        off.to_str().unwrap(),
        seed,
    ]);
    assert!(!v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "GOAL-COPY"));
    // A bad rules file is an error that names it, not a silent default.
    let bad = env.file("bad.toml", "[rules.NO-SUCH]\nenabled = false\n");
    let out = env.run(&["check", "--rules", bad.to_str().unwrap(), seed]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NO-SUCH"));
    // Checking files does not create a database.
    assert!(!env.db().exists());
}

#[test]
fn text_output_reads_like_a_compiler() {
    let env = Env::new();
    let seed = env.file("seed.txt", SEED);
    let out = env.run(&["check", seed.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "error[UNIT-RATE] 错误 indicators[1].target.unit “一网通办年度总服务人次数增长率”"
        ),
        "{text}"
    );
    assert!(text.contains("修改 / fix:"));
    assert!(text.contains("按规则 / by rule:"));
    assert!(text.contains("合计 / total: 8 张申报表 / forms，1 个错误 / errors"));
}

#[test]
fn findings_are_kept_with_the_form_version_and_history_is_compared() {
    let env = Env::new();
    let seed = env.file("seed.txt", SEED);
    let out = env.run(&["import", seed.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("审核 / review: 1 个错误"));
    // Check by ID: the stored form's findings point to indicator IDs.
    let export: serde_json::Value = serde_json::from_slice(&env.run(&["export"]).stdout).unwrap();
    let ywtb = export["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "“一网通办”运营服务项目经费")
        .unwrap();
    let id = ywtb["id"].as_str().unwrap();
    let (v, _) = env.json(&["check", "--format", "json", id]);
    let unit = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "UNIT-RATE")
        .unwrap()
        .clone();
    assert_eq!(unit["indicator_id"], ywtb["indicators"][1]["id"]);

    // Next year's form of the same project, with a weaker target, is compared with this one.
    let next = SEED
        .replace("2023", "2024")
        .replace("≥25.00(项)", "≥20.00(项)");
    let next = env.file("next.txt", &next);
    let (v, _) = env.json(&[
        "check",
        "--format",
        "json",
        "--last-year",
        seed.to_str().unwrap(),
        next.to_str().unwrap(),
    ]);
    let below: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "HISTORY-BELOW")
        .collect();
    assert_eq!(below.len(), 1, "{below:?}");
    assert_eq!(below[0]["indicator"], "完成运营服务/事项产出数量");
}

#[test]
fn a_target_below_last_years_actual_is_found() {
    let env = Env::new();
    let seed = env.file("seed.txt", SEED);
    assert!(env
        .run(&["import", seed.to_str().unwrap()])
        .status
        .success());
    let export: serde_json::Value = serde_json::from_slice(&env.run(&["export"]).stdout).unwrap();
    let id = export["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "“一网通办”运营服务项目经费")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Last year (2023) the unit achieved 32 items against a target of ≥25.
    let own = env.file(
        "self.json",
        r#"{"budget": {"annual_budget": "161244500.00", "spent": "160000000.00"},
            "indicators": [{"name": "完成运营服务/事项产出数量", "actual": "32项"}]}"#,
    );
    let out = env.run(&["score", &id, "--file", own.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // This year's form raises the target to ≥28: above last year's target of ≥25, yet below the
    // 32 achieved last year.
    let next = env.file(
        "next.txt",
        SEED.replace("2023", "2024")
            .replace("≥25.00(项)", "≥28.00(项)"),
    );
    let (v, _) = env.json(&["check", "--format", "json", next.to_str().unwrap()]);
    let below: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "HISTORY-BELOW")
        .collect();
    assert_eq!(below.len(), 1, "{below:?}");
    assert_eq!(below[0]["indicator"], "完成运营服务/事项产出数量");
    assert!(
        below[0]["message"]
            .as_str()
            .unwrap()
            .contains("上年实际完成的 32项"),
        "{}",
        below[0]["message"]
    );
}
