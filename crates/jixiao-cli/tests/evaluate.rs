//! Monitoring and self-evaluation end to end, on a seed form.

mod common;

use common::Env;

fn codes(period: &serde_json::Value) -> Vec<(String, String, String)> {
    period["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["code"].as_str().unwrap().to_string(),
                w["light"].as_str().unwrap().to_string(),
                w["indicator"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

const MID_YEAR: &str = "\
指标名称,完成值,全年预计,完成可能性,偏差类型,偏差原因,是否整改,整改建议
预算执行,15000000.00,46000000.00,,,,,
大楼、食堂场地等物业个数,4个,4个,确定能,,,,
通信设备购置厂商,0个,1个,有可能,其他,供应商资质审核未完成,是,加快采购
办公场地环境、设施达标率,98%,100%,确定能,,,,
长效管理机制健全性,部分达成,达成,确定能,制度保障,制度修订中,否,
来访客户满意度,92,95%,确定能,,,,
";

const YEAR_END: &str = r#"{
  "spent": "44000000.00",
  "indicators": [
    {"indicator": "大楼、食堂场地等物业个数", "to_date": "4个"},
    {"indicator": "延伸服务办公点数量", "to_date": "4个"},
    {"indicator": "通信设备购置厂商", "to_date": "1个", "deviation": "一家厂商资质未通过"},
    {"indicator": "办公场地环境、设施达标率", "to_date": "100%"},
    {"indicator": "通信设备验收合格率", "to_date": "100%"},
    {"indicator": "办公场地设施维修及时率", "to_date": "100%"},
    {"indicator": "办公场地清洁服务完成及时率", "to_date": "100%"},
    {"indicator": "通信设备采购及时率", "to_date": "100%"},
    {"indicator": "物业服务单价", "to_date": "28元/平方米"},
    {"indicator": "上海市大数据中心全年正常运转率", "to_date": "100%"},
    {"indicator": "延伸服务办公点通信需求保障度", "to_date": "100%"},
    {"indicator": "长效管理机制健全性", "to_date": "达成"},
    {"indicator": "来访客户满意度", "to_date": "88%"}
  ]
}"#;

#[test]
fn a_seed_form_through_two_periods_and_a_self_evaluation() {
    let env = Env::with_seed();
    let id = env.form_id("管理工作经费");
    let mid = env.file("mid.csv", MID_YEAR);
    let out = env.run(&[
        "monitor",
        &id,
        "--period",
        "1-7月",
        "--file",
        mid.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("r = 执行率 ÷ 时间进度 × 100 = 55.14"),
        "{text}"
    );

    let end = env.file("end.json", YEAR_END);
    assert!(env
        .run(&[
            "monitor",
            &id,
            "--period",
            "全年",
            "--file",
            end.to_str().unwrap()
        ])
        .status
        .success());

    // Both periods as the 绩效运行监控表 workbook, a sheet each.
    let book_path = env.dir.path().join("monitoring.xlsx");
    env.ok(&[
        "monitor",
        &id,
        "--format",
        "xlsx",
        "--out",
        book_path.to_str().unwrap(),
    ]);
    {
        use calamine::Reader;
        let book = calamine::open_workbook_auto(&book_path).unwrap();
        assert_eq!(book.sheet_names().len(), 2);
    }
    assert!(
        !env.run(&["monitor", &id, "--format", "xlsx"])
            .status
            .success(),
        "xlsx needs --out"
    );
    let v = env.json_ok(&["monitor", &id, "--format", "json"]);
    let periods = v["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0]["report"]["period"]["label"], "1-7月");
    let mid_codes = codes(&periods[0]);
    // 15,000,000 of 46,637,466.38 is 32.16 % after 7 of 12 months: r = 55.14, red.
    assert!(
        mid_codes.contains(&("SPEND-TIME".into(), "red".into(), "".into())),
        "{mid_codes:?}"
    );
    assert!(mid_codes.contains(&(
        "FORECAST-BELOW".into(),
        "yellow".into(),
        "通信设备购置厂商".into()
    )));
    assert!(mid_codes.contains(&(
        "PROGRESS-BEHIND".into(),
        "yellow".into(),
        "通信设备购置厂商".into()
    )));
    assert!(mid_codes.contains(&(
        "QUALITATIVE-NOT-ACHIEVED".into(),
        "yellow".into(),
        "长效管理机制健全性".into()
    )));
    assert!(
        !mid_codes.iter().any(|c| c.2 == "来访客户满意度"),
        "92 of ≥90 % raises nothing"
    );
    let numbers = periods[0]["warnings"][0]["numbers"].as_str().unwrap();
    assert!(
        numbers.contains("32.16%") && numbers.contains("58.33%"),
        "{numbers}"
    );
    let rect = &periods[0]["report"]["indicators"][1];
    assert_eq!(
        (
            rect["rectification_needed"].as_bool(),
            rect["deviation_category"].as_str()
        ),
        (Some(true), Some("其他"))
    );
    // At year end 94.34 % is spent: no spending warning, nothing unspent beyond 20 %.
    let end_codes = codes(&periods[1]);
    assert!(
        !end_codes
            .iter()
            .any(|c| c.0 == "SPEND-TIME" || c.0 == "YEAR-END-UNSPENT"),
        "{end_codes:?}"
    );

    // Scored from the year-end figures with the national scheme and default weights:
    // output 50 over 9 indicators (5.55 each, 5.60 on the last), outcome 30 over 3, satisfaction 10.
    let s = env.json_ok(&["score", &id, "--format", "json"]);
    assert_eq!(
        s["budget_score"], "9.43",
        "44,000,000 ÷ 46,637,466.38 × 10 = 9.4345"
    );
    let score_of = |name: &str| {
        s["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        score_of("通信设备购置厂商")["score"],
        "2.78",
        "1 ÷ 2 × 5.55 = 2.775"
    );
    assert_eq!(score_of("来访客户满意度")["score"], "9.78", "88 ÷ 90 × 10");
    assert_eq!(score_of("物业服务单价")["score"], "5.60");
    assert_eq!(score_of("长效管理机制健全性")["score"], "10.00");
    assert!(score_of("通信设备购置厂商")["explanation"]
        .as_str()
        .unwrap()
        .contains("1 ÷ 2 × 5.55"));
    assert_eq!(s["total"], "96.44");
    assert_eq!(s["grade"], "优");
    assert_eq!(s["departures"].as_array().unwrap().len(), 0);

    // The unit's own self-evaluation, with deliberate departures, is kept and checked.
    let own = r#"{
      "budget": {"annual_budget": "46637466.38", "spent": "44000000.00", "self_score": "10"},
      "indicators": [
        {"name": "通信设备购置厂商", "actual": "1个", "weight": "5.55", "self_score": "5.55"},
        {"name": "来访客户满意度", "actual": "88%", "weight": "10", "self_score": "9.78"},
        {"name": "大楼、食堂场地等物业个数", "actual": "4个", "weight": "5.55", "self_score": "5"}
      ]
    }"#;
    let own = env.file("own.json", own);
    let s = env.json_ok(&[
        "score",
        &id,
        "--file",
        own.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let deps: Vec<(String, String)> = s["departures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["indicator"].as_str().unwrap().into(),
                d["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        deps.iter()
            .any(|(i, r)| i == "预算执行" && r.contains("execution rate")),
        "{deps:?}"
    );
    assert!(deps
        .iter()
        .any(|(i, r)| i == "通信设备购置厂商" && r.contains("full marks for a missed target")));
    assert!(deps.iter().any(
        |(i, r)| i == "大楼、食堂场地等物业个数" && r.contains("points taken off a met target")
    ));

    // The portfolio's filters see what the CLI recorded: the latest period's worst light and
    // the grade of the self-evaluation kept (the national scheme's), kept in the same writes.
    let worst = periods[1]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| match w["light"].as_str().unwrap() {
            "red" => 2,
            "yellow" => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let expected_light = ["green", "yellow", "red"][worst];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let row = rt.block_on(async {
        let store = jixiao_store::open(env.db().to_str().unwrap())
            .await
            .unwrap();
        let page = store
            .list_page(&jixiao_store::ListQuery {
                scope: jixiao_store::Scope::All,
                year: None,
                status: None,
                department: None,
                search: None,
                grade: None,
                warnings: None,
                sort: "name".into(),
                page: 1,
                per_page: 100,
                after: None,
                before: None,
            })
            .await
            .unwrap();
        page.items.into_iter().find(|r| r.id == id).unwrap()
    });
    assert_eq!(row.warning_light.as_deref(), Some(expected_light));
    assert_eq!(row.grade.as_deref(), s["grade"].as_str());
    assert!(!deps.iter().any(|(i, _)| i == "来访客户满意度"));
    // Kept: scoring again without the file uses it.
    let again = env.json_ok(&["score", &id, "--format", "json"]);
    assert_eq!(again["departures"], s["departures"]);
    let table = String::from_utf8(env.run(&["score", &id]).stdout).unwrap();
    assert!(
        table.contains("项目支出绩效自评表")
            && table.contains("全年执行数")
            && table.contains("等级 / grade"),
        "{table}"
    );
}

#[test]
fn a_published_self_evaluation_with_departures() {
    let env = Env::with_seed();
    let file = env.file(
        "published.json",
        r#"{
      "budget": {"annual_budget": "1000000.00", "spent": "850000.00", "weight": 10, "self_score": 10},
      "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "培训人次", "target": "≥1200人次", "actual": "1000人次", "weight": 20, "self_score": 20},
        {"level1": "产出指标", "level2": "质量指标", "name": "考核合格率", "target": "≥90%", "actual": "95%", "weight": 15, "self_score": 13},
        {"level1": "产出指标", "level2": "时效指标", "name": "问题整改时长", "target": "≤10天", "actual": "20天", "weight": 10, "self_score": 5},
        {"level1": "产出指标", "level2": "成本指标", "name": "人均培训成本", "target": "≤800元", "actual": "780元", "weight": 5, "self_score": 5},
        {"level1": "效益指标", "name": "就业技能提升", "target": "有效提升", "actual": "部分达成", "weight": 30, "self_score": 27},
        {"level1": "满意度指标", "name": "学员满意度", "target": "≥90%", "actual": "93.5%", "weight": 10, "self_score": 10}
      ],
      "total": "90"
    }"#,
    );
    let s = env.json_ok(&[
        "score",
        "--file",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(s["budget_score"], "8.50");
    let names: Vec<&str> = s["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "培训人次",
            "考核合格率",
            "问题整改时长",
            "人均培训成本",
            "就业技能提升",
            "学员满意度"
        ]
    );
    let scores: Vec<&str> = s["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["score"].as_str().unwrap())
        .collect();
    // 1000/1200×20 = 16.67; met 15; reverse at twice the target 0; met 5; partly 70 % of 30 = 21; met 10.
    // Partly achieved allows 60–80 % of 30 (18–24): the self score 27 is brought to 24.
    assert_eq!(scores, ["16.67", "15.00", "0.00", "5.00", "24.00", "10.00"]);
    assert_eq!(s["total"], "79.17");
    assert_eq!(s["grade"], "中");
    for i in s["indicators"].as_array().unwrap() {
        assert!(!i["explanation"].as_str().unwrap().is_empty());
    }
    let deps: Vec<(&str, &str, &str)> = s["departures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["indicator"].as_str().unwrap(),
                d["self_score"].as_str().unwrap_or("-"),
                d["computed"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(deps.contains(&("预算执行", "10", "8.50")), "{deps:?}");
    assert!(deps.contains(&("培训人次", "20", "16.67")));
    assert!(deps.contains(&("考核合格率", "13", "15.00")));
    assert!(deps.contains(&("问题整改时长", "5", "0.00")));
    assert!(deps.contains(&("就业技能提升", "27", "24.00")));
    // The self scores add up to the 90 written, but the rules give 79.17.
    assert!(deps.contains(&("总分", "90", "79.17")), "{deps:?}");
    // Another scheme: target ÷ actual for reverse indicators gives 10/20 × 10 = 5.
    let r = env.json_ok(&[
        "score",
        "--file",
        file.to_str().unwrap(),
        "--scheme",
        "reverse-ratio",
        "--format",
        "json",
    ]);
    assert_eq!(r["indicators"][2]["score"], "5.00");
    assert!(!r["departures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["indicator"] == "问题整改时长"));
}

#[test]
fn bad_figures_are_refused_and_change_nothing() {
    let env = Env::with_seed();
    let id = env.form_id("管理工作经费");
    let mid = env.file("mid.csv", MID_YEAR);
    assert!(env
        .run(&[
            "monitor",
            &id,
            "--period",
            "1-7月",
            "--file",
            mid.to_str().unwrap()
        ])
        .status
        .success());
    let before = env.json_ok(&["monitor", &id, "--format", "json"]);
    let cases = [
        (
            "unknown.csv",
            "指标名称,完成值\n预算执行,100\n不存在的指标,3个\n",
            "第3行",
        ),
        (
            "unit.csv",
            "指标名称,完成值\n预算执行,100\n来访客户满意度,3200份\n",
            "份",
        ),
        (
            "likely.csv",
            "指标名称,完成值,完成可能性\n预算执行,100,\n来访客户满意度,90%,大概\n",
            "大概",
        ),
        (
            "nobudget.csv",
            "指标名称,完成值\n来访客户满意度,90%\n",
            "预算执行",
        ),
        ("column.csv", "指标名称,温度\n预算执行,100\n", "温度"),
        ("bad.json", "{\"spent\": 5}", "JSON"),
    ];
    for (name, text, needle) in cases {
        let f = env.file(name, text);
        let out = env.run(&[
            "monitor",
            &id,
            "--period",
            "1-7月",
            "--file",
            f.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(needle), "{name}: {err}");
        assert_eq!(
            env.json_ok(&["monitor", &id, "--format", "json"]),
            before,
            "{name} changed the data"
        );
    }
    let out = env.run(&[
        "monitor",
        &id,
        "--period",
        "13月",
        "--file",
        mid.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("13月"));
    let out = env.run(&["score", &id, "--scheme", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("national"));
    // No self-evaluation and no year-end period yet: a clear message.
    let other = env.form_id("数据运营服务费");
    let out = env.run(&["score", &other]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--file"));
}

/// A published 自评表 as text (the Yunnan 公开14表 of `fixtures/real`): read, scored, its rows
/// as written, the published total set against the rules' one.
#[test]
fn a_published_table_as_text() {
    let env = Env::new();
    let text = include_bytes!("../../../fixtures/real/10-yunnan-yongde-self.txt");
    let file = env.file("yongde.txt", text);
    let s = env.json_ok(&[
        "score",
        "--file",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(s["name"], "义务教育营养改善计划专项资金");
    assert_eq!(s["budget"]["annual_budget"], "387664.62");
    assert_eq!(s["budget"]["self_score"], "10");
    let rows = s["indicators"].as_array().unwrap();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[0]["target"], "≧735人次");
    assert_eq!(rows[4]["actual"], "有效", "a qualitative actual as written");
    assert_eq!(rows[4]["score"], "10.00", "有效 reads as achieved");
    assert_eq!(s["self_total"], "96");
    // 96 published; the rules give 99.80: listed, with the 7 for a met target.
    let departures: Vec<&str> = s["departures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["indicator"].as_str().unwrap())
        .collect();
    assert!(
        departures.contains(&"总分") && departures.contains(&"资金到位及时率"),
        "{departures:?}"
    );

    // Two tables in one file: each scored.
    let two = [&text[..], b"\n", &text[..]].concat();
    let file = env.file("two.txt", two);
    let s = env.json_ok(&[
        "score",
        "--file",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(s["tables"].as_array().unwrap().len(), 2);
}

/// Amounts in 万元 with four decimals, and typed actuals read as written: `260%` is 260 %.
#[test]
fn amounts_in_any_unit_and_actuals_as_written() {
    let env = Env::new();
    let file = env.file(
        "wan.json",
        r#"{
      "budget": {"annual_budget": "38.7665", "spent": "29.0749", "unit": "万元", "weight": 10},
      "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "增长率", "target": "≥250%", "actual": "260%", "weight": 30},
        {"level1": "效益指标", "name": "制度建设", "target": "完善", "actual": "良好", "weight": 30},
        {"level1": "效益指标", "name": "长效机制", "target": "健全", "actual": "另行评估", "weight": 30, "self_score": 25}
      ]
    }"#,
    );
    let s = env.json_ok(&[
        "score",
        "--file",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    // 29.0749 ÷ 38.7665 = 75.0000 %, exactly, whatever the unit.
    assert_eq!(s["execution_rate"], "75.00");
    assert_eq!(s["budget"]["unit"], "万元");
    assert_eq!(s["indicators"][0]["score"], "30.00", "260 % meets ≥250 %");
    assert_eq!(s["indicators"][1]["score"], "30.00");
    // Words that do not say: the unit's 25 stands, listed for a reviewer, the table scored.
    assert_eq!(s["indicators"][2]["score"], "25.00");
    assert_eq!(s["needs_judgement"][0]["indicator"], "长效机制");
    let bad = env.file(
        "bad-unit.json",
        r#"{"budget": {"annual_budget": "1", "spent": "1", "unit": "美元"}, "indicators": []}"#,
    );
    let out = env.run(&["score", "--file", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("美元"));
}

/// A self-evaluation workbook (`fixtures/workbooks/self-evaluation.xlsx`, written by openpyxl):
/// amounts in 万元 with four decimals, scored with the unit's own total set against the rules.
#[test]
fn a_self_evaluation_workbook() {
    let env = Env::new();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/workbooks/self-evaluation.xlsx"
    );
    let s = env.json_ok(&["score", "--file", path, "--format", "json"]);
    assert_eq!(s["name"], "农村饮水安全巩固提升");
    assert_eq!(s["budget"]["unit"], "万元");
    assert_eq!(s["execution_rate"], "75.00");
    assert_eq!(s["indicators"][1]["target"], "=100%");
    assert_eq!(s["total"], "91.33");
    assert_eq!(s["self_total"], "91.5");
}

/// `jixiao score --format xlsx` writes the 自评表 workbook, which `jixiao score --file` reads
/// back to the same total; without --out it is refused.
#[test]
fn score_as_a_workbook() {
    let env = Env::new();
    let text = env.file(
        "yongde.txt",
        include_bytes!("../../../fixtures/real/10-yunnan-yongde-self.txt"),
    );
    let out = env.dir.path().join("self.xlsx");
    env.ok(&[
        "score",
        "--file",
        text.to_str().unwrap(),
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = env.json_ok(&["score", "--file", out.to_str().unwrap(), "--format", "json"]);
    assert_eq!(s["total"], "99.80");
    assert_eq!(s["self_total"], "99.8");
    assert!(!env
        .run(&[
            "score",
            "--file",
            text.to_str().unwrap(),
            "--format",
            "xlsx"
        ])
        .status
        .success());
}
