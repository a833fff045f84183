//! The Store contract: the conformance suite, every test run against SQLite and against
//! PostgreSQL (a fresh database per test on the server `JIXIAO_TEST_PG` names; `scripts/test`
//! starts a throwaway one).

use jixiao_store::{ImportOutcome, OnConflict, Store, StoreError};

const SEED: &[u8] = include_bytes!("../../../fixtures/shanghai-bigdata-center-2023.txt");

fn seed_forms() -> Vec<jixiao_core::Form> {
    jixiao_import::read_disclosure(SEED)
        .unwrap()
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect()
}

/// A fresh database of one backend for one test.
struct TestDb {
    location: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        TestDb {
            location: dir.path().join("t.db").to_str().unwrap().to_string(),
            _dir: Some(dir),
        }
    }

    async fn postgres() -> TestDb {
        TestDb {
            location: jixiao_store::testing::postgres_database().await,
            _dir: None,
        }
    }

    /// A fresh database of the same backend.
    async fn another(&self) -> TestDb {
        if self._dir.is_some() {
            TestDb::sqlite().await
        } else {
            TestDb::postgres().await
        }
    }

    /// The store on this database (opened again, as a restarted server would).
    async fn open(&self) -> Box<dyn Store> {
        jixiao_store::open(&self.location).await.unwrap()
    }

    /// Statements run behind the store's back.
    async fn execute(&self, sql: &str) {
        jixiao_store::testing::execute(&self.location, sql)
            .await
            .unwrap();
    }
}

async fn stores_and_returns_forms_exactly(db: TestDb) {
    let store = db.open().await;
    let forms = seed_forms();
    let report = store.import(&forms, OnConflict::Refuse).await.unwrap();
    assert_eq!(report.count(ImportOutcome::Created), 8);
    assert_eq!(store.counts().await.unwrap(), (8, 129));
    for (form, (id, _)) in forms.iter().zip(&report.outcomes) {
        let back = store.get(id).await.unwrap().unwrap();
        assert_eq!(back.without_ids(), *form);
        assert!(back.indicators.iter().all(|i| i.id.is_some()));
        assert_eq!(store.resolve(&id[..28]).await.unwrap(), *id);
    }
    assert_eq!(store.all().await.unwrap().len(), 8);
    assert!(matches!(
        store.resolve("not-an-id").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.resolve("%").await,
        Err(StoreError::NotFound(_))
    ));
}

/// A real form of another province, with its weight and direction columns, comes back whole.
async fn weights_and_directions_are_kept(db: TestDb) {
    let store = db.open().await;
    let text = include_bytes!("../../../fixtures/real/01-sichuan-jingyan-decl.txt");
    let forms: Vec<jixiao_core::Form> = jixiao_import::read_disclosure(text)
        .unwrap()
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    let w = &forms[0].indicators[0];
    assert_eq!(w.weight, Some(rust_decimal::Decimal::from(10)));
    assert_eq!(w.direction.as_deref(), Some("正向指标"));
    let report = store.import(&forms, OnConflict::Refuse).await.unwrap();
    for (form, (id, _)) in forms.iter().zip(&report.outcomes) {
        assert_eq!(store.get(id).await.unwrap().unwrap().without_ids(), *form);
    }
}

async fn a_failing_import_writes_nothing(db: TestDb) {
    let store = db.open().await;
    let forms = seed_forms();
    store.import(&forms[..1], OnConflict::Refuse).await.unwrap();
    // New forms first, then one that conflicts: the whole batch is refused.
    let mut batch = forms[1..].to_vec();
    let mut changed = forms[0].clone();
    changed.goal_annual.push('！');
    batch.push(changed);
    let err = store.import(&batch, OnConflict::Refuse).await.unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err}");
    assert_eq!(store.counts().await.unwrap(), (1, 21));
}

async fn an_id_cannot_be_taken_twice(db: TestDb) {
    let store = db.open().await;
    let mut forms = seed_forms();
    forms[0].id = Some("same".into());
    forms[1].id = Some("same".into());
    let err = store
        .import(&forms[..2], OnConflict::Refuse)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdTaken { .. }), "{err}");
    assert_eq!(store.counts().await.unwrap(), (0, 0));
}

async fn findings_are_kept_per_version(db: TestDb) {
    use jixiao_core::review::{review, RuleSet};
    let store = db.open().await;
    let mut forms = seed_forms();
    let report = store
        .import(&forms[4..5], OnConflict::Refuse)
        .await
        .unwrap();
    let id = report.outcomes[0].0.clone();
    let stored = store.get(&id).await.unwrap().unwrap();
    let v1 = review(&stored, None, &RuleSet::default());
    assert!(!v1.is_empty());
    assert_eq!(store.save_findings(&id, &v1).await.unwrap(), 1);
    // Saving again replaces that version's findings rather than adding to them.
    assert_eq!(store.save_findings(&id, &v1).await.unwrap(), 1);
    assert_eq!(store.findings(&id, None).await.unwrap(), v1);

    // A replaced form is version 2; version 1's findings stay readable.
    forms[4].indicators[1].target = jixiao_core::Target::parse("≥80%");
    store
        .import(&forms[4..5], OnConflict::Replace)
        .await
        .unwrap();
    assert_eq!(store.version(&id).await.unwrap(), 2);
    let stored = store.get(&id).await.unwrap().unwrap();
    let v2 = review(&stored, None, &RuleSet::default());
    assert_eq!(store.save_findings(&id, &v2).await.unwrap(), 2);
    assert_eq!(store.findings(&id, Some(1)).await.unwrap(), v1);
    assert_eq!(store.findings(&id, None).await.unwrap(), v2);
    assert!(v1.iter().any(|f| f.code == "UNIT-RATE") && !v2.iter().any(|f| f.code == "UNIT-RATE"));
    assert!(matches!(
        store.findings("nope", None).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn the_library_follows_every_form_and_self_evaluation(db: TestDb) {
    use jixiao_store::LibraryQuery;
    let store = db.open().await;
    let forms = seed_forms();
    let report = store.import(&forms, OnConflict::Refuse).await.unwrap();
    let q = |q: &str| LibraryQuery {
        q: q.into(),
        limit: 20,
        ..LibraryQuery::default()
    };
    // 用户满意度 is filed by four of the eight seed forms, all ≥90%.
    let found = store.library(&q("满意度")).await.unwrap();
    let user = found.iter().find(|e| e.name == "用户满意度").unwrap();
    let expected = forms
        .iter()
        .filter(|f| f.indicators.iter().any(|i| i.name == "用户满意度"))
        .count() as i64;
    assert!(expected >= 3);
    assert_eq!(user.count, expected);
    assert_eq!(
        (
            user.level1.as_str(),
            user.level2.as_deref(),
            user.unit.as_str()
        ),
        ("满意度指标", Some("服务对象满意度指标"), "%")
    );
    assert_eq!(user.targets.unwrap().median.to_string(), "90");
    assert_eq!(user.years, (2023, 2023));
    assert!(user.actuals.is_none(), "no self-evaluation yet");
    assert!(found.iter().all(|e| e.name.contains("满意度")));
    // The exact name comes first.
    assert_eq!(
        store.library(&q("用户满意度")).await.unwrap()[0].name,
        "用户满意度"
    );
    // Filters by level.
    let by_level = store
        .library(&LibraryQuery {
            level1: Some("产出指标".into()),
            limit: 100,
            ..LibraryQuery::default()
        })
        .await
        .unwrap();
    assert!(!by_level.is_empty() && by_level.iter().all(|e| e.level1 == "产出指标"));

    // A self-evaluation's actuals join the library; a second one replaces the first.
    let (id, _) = &report.outcomes[forms
        .iter()
        .position(|f| f.indicators.iter().any(|i| i.name == "用户满意度"))
        .unwrap()];
    let eval = |actual: &str| -> jixiao_core::score::SelfEvaluation {
        serde_json::from_value(serde_json::json!({
            "budget": { "annual_budget": "1", "spent": "1" },
            "indicators": [{ "name": "用户满意度", "actual": actual }]
        }))
        .unwrap()
    };
    store
        .save_self_evaluation(id, &eval("96.5%"), None)
        .await
        .unwrap();
    let user = store.library(&q("用户满意度")).await.unwrap().remove(0);
    assert_eq!(
        user.actuals.map(|r| r.max.to_string()).as_deref(),
        Some("96.5")
    );
    store
        .save_self_evaluation(id, &eval("达成"), None)
        .await
        .unwrap();
    let user = store.library(&q("用户满意度")).await.unwrap().remove(0);
    assert!(
        user.actuals.is_none(),
        "a text actual has no quantity: {user:?}"
    );

    // Renaming the indicator in a saved form moves it in the library.
    let mut form = store.get(id).await.unwrap().unwrap();
    let at = form
        .indicators
        .iter()
        .position(|i| i.name == "用户满意度")
        .unwrap();
    form.indicators[at].name = "使用部门满意度（新）".into();
    let version = store.version(id).await.unwrap();
    store
        .save_form(
            id,
            version,
            jixiao_core::workflow::Status::Draft,
            &form,
            jixiao_core::workflow::Status::Draft,
            "t",
        )
        .await
        .unwrap();
    assert_eq!(
        store.library(&q("用户满意度")).await.unwrap()[0].count,
        expected - 1
    );
    assert_eq!(
        store.library(&q("使用部门满意度（新）")).await.unwrap()[0].count,
        1
    );

    // A database from before the library gets it built when opened.
    drop(store);
    {
        let store = db.open().await;
        // The library kept write by write equals one built afresh from the same forms.
        let all = LibraryQuery {
            limit: 100,
            ..LibraryQuery::default()
        };
        let before = store.library(&all).await.unwrap();
        assert_eq!(before.len(), 100);
        drop(store);
        db.execute("DELETE FROM library").await;
        let store = db.open().await;
        assert_eq!(store.library(&all).await.unwrap(), before);
    }
}

async fn the_library_stays_exact_under_concurrent_saves(db: TestDb) {
    use jixiao_store::LibraryQuery;
    use std::sync::Arc;
    let store = db.open().await;
    let forms = seed_forms();
    let report = store.import(&forms, OnConflict::Refuse).await.unwrap();
    let store: Arc<dyn Store> = Arc::from(store);
    // Eight saves at once, one per form, each renaming its first indicator to a name they
    // share and changing its target: the same library entries touched by every writer.
    let barrier = Arc::new(tokio::sync::Barrier::new(report.outcomes.len()));
    let mut tasks = vec![];
    for (k, (id, _)) in report.outcomes.iter().enumerate() {
        let (store, barrier, id) = (store.clone(), barrier.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let mut form = store.get(&id).await.unwrap().unwrap();
            form.indicators[0].name = "共同的指标".into();
            form.indicators[0].raw = format!("≥{}个", k + 1);
            form.indicators[0].target = jixiao_core::Target::parse(&form.indicators[0].raw);
            let v = store.version(&id).await.unwrap();
            barrier.wait().await;
            // Write transactions begin immediately and wait their turn: no "busy" error, no
            // retry.
            store
                .save_form(
                    &id,
                    v,
                    jixiao_core::workflow::Status::Draft,
                    &form,
                    jixiao_core::workflow::Status::Draft,
                    "t",
                )
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let all = LibraryQuery {
        limit: 100,
        ..LibraryQuery::default()
    };
    let shared = store
        .library(&LibraryQuery {
            q: "共同的指标".into(),
            limit: 10,
            ..LibraryQuery::default()
        })
        .await
        .unwrap();
    let total: i64 = shared.iter().map(|e| e.count).sum();
    assert_eq!(total, 8, "every save counted once: {shared:?}");
    let before = store.library(&all).await.unwrap();
    drop(store);
    // Rebuilt from the stored forms, the library is the same.
    db.execute("DELETE FROM library").await;
    let store = db.open().await;
    assert_eq!(store.library(&all).await.unwrap(), before);
}

async fn a_self_evaluation_moves_once_and_is_locked_once_submitted(db: TestDb) {
    use jixiao_core::workflow::{Action, EvalStatus};
    use std::sync::Arc;
    let store = db.open().await;
    let report = store
        .import(&seed_forms(), OnConflict::Refuse)
        .await
        .unwrap();
    let id = report.outcomes[0].0.clone();
    let form = store.get(&id).await.unwrap().unwrap();
    let eval = |actual: &str| -> jixiao_core::score::SelfEvaluation {
        serde_json::from_value(serde_json::json!({
            "budget": { "annual_budget": "1", "spent": "1" },
            "indicators": [{ "name": form.indicators[0].name, "actual": actual }]
        }))
        .unwrap()
    };
    assert_eq!(store.eval_status(&id).await.unwrap(), None);
    store
        .save_self_evaluation(&id, &eval("1"), None)
        .await
        .unwrap();
    assert_eq!(
        store.eval_status(&id).await.unwrap(),
        Some(EvalStatus::Draft)
    );

    // Eight saves and one submit released together: every call answers (no busy error);
    // the submit goes through; whatever is stored afterwards was saved before it.
    let store: Arc<dyn Store> = Arc::from(store);
    let barrier = Arc::new(tokio::sync::Barrier::new(9));
    let mut saves = vec![];
    for k in 0..8 {
        let (store, barrier, id, e) = (
            store.clone(),
            barrier.clone(),
            id.clone(),
            eval(&format!("{}", k + 10)),
        );
        saves.push(tokio::spawn(async move {
            barrier.wait().await;
            match store.save_self_evaluation(&id, &e, None).await {
                Ok(()) => true,
                Err(StoreError::EvalLocked(_)) => false,
                Err(other) => panic!("save: {other}"),
            }
        }));
    }
    let submit = {
        let (store, barrier, id) = (store.clone(), barrier.clone(), id.clone());
        tokio::spawn(async move {
            barrier.wait().await;
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
        })
    };
    let mut saved = 0;
    for s in saves {
        saved += s.await.unwrap() as usize;
    }
    submit.await.unwrap().unwrap();
    let stored = store.self_evaluation(&id).await.unwrap().unwrap();
    // What is stored is the first save or one that went through; with none through, the first.
    let actual = stored.indicators[0].actual.clone();
    let through: Vec<String> = (10..18).map(|k| k.to_string()).collect();
    assert!(actual == "1" || through.contains(&actual), "{actual}");
    if saved == 0 {
        assert_eq!(actual, "1", "every save refused: the first stays");
    }
    // After the submit nothing changes any more.
    assert!(matches!(
        store.save_self_evaluation(&id, &eval("99"), None).await,
        Err(StoreError::EvalLocked("自评已送审"))
    ));
    assert_eq!(store.self_evaluation(&id).await.unwrap().unwrap(), stored);

    // Eight reviewers approve at once: exactly one moves it, the others are told it moved.
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = vec![];
    for k in 0..8 {
        let (store, barrier, id) = (store.clone(), barrier.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store
                .eval_transition(
                    &id,
                    EvalStatus::Submitted,
                    EvalStatus::Approved,
                    Action::Approve,
                    &format!("r{k}"),
                    "",
                )
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::EvalStatusChanged("自评已审核")) => {}
            Err(other) => panic!("approve: {other}"),
        }
    }
    assert_eq!(ok, 1);
    let history = store.eval_transitions(&id).await.unwrap();
    assert_eq!(history.len(), 2, "one submit, one approval: {history:?}");
    assert_eq!(
        store.eval_statuses().await.unwrap(),
        vec![(id.clone(), EvalStatus::Approved)]
    );
}

async fn the_library_is_curated_and_answers_by_project_category(db: TestDb) {
    use jixiao_store::{Curation, LibraryQuery};
    let store = db.open().await;
    let mut forms = seed_forms();
    // A variant spelling on one form, as units write them.
    let k = forms
        .iter()
        .position(|f| f.indicators.iter().any(|i| i.name == "用户满意度"))
        .unwrap();
    let j = forms[k]
        .indicators
        .iter()
        .position(|i| i.name == "用户满意度")
        .unwrap();
    forms[k].indicators[j].name = "用户满意率".into();
    store.import(&forms, OnConflict::Refuse).await.unwrap();
    let q = |q: &str| LibraryQuery {
        q: q.into(),
        limit: 20,
        ..LibraryQuery::default()
    };
    let names =
        |v: &[jixiao_store::LibraryEntry]| v.iter().map(|e| e.name.clone()).collect::<Vec<_>>();

    // Categories, and the indicators typical of one: every entry filed on its forms, counted
    // there, most filed first.
    let cats = store.categories().await.unwrap();
    assert!(
        cats.iter().any(|(c, n)| c == "特定目标类" && *n > 0),
        "{cats:?}"
    );
    let typical = store
        .library(&LibraryQuery {
            category: Some("其他运转类".into()),
            limit: 100,
            ..LibraryQuery::default()
        })
        .await
        .unwrap();
    let in_category: std::collections::HashSet<String> = forms
        .iter()
        .filter(|f| f.category.trim() == "其他运转类")
        .flat_map(|f| f.indicators.iter().map(|i| i.name.clone()))
        .collect();
    assert!(!typical.is_empty());
    assert!(typical
        .iter()
        .all(|e| in_category.contains(&e.name) && e.in_category.unwrap_or(0) > 0));
    assert!(typical
        .windows(2)
        .all(|w| w[0].in_category >= w[1].in_category));

    // Merged: the variant is no longer suggested on its own; typing it finds the preferred name,
    // which lists it as an alias.
    store
        .curate_library(
            "用户满意率",
            &Curation::MergeInto(Some("用户满意度".into())),
            "admin",
        )
        .await
        .unwrap();
    let found = store.library(&q("满意率")).await.unwrap();
    assert_eq!(names(&found), ["用户满意度"], "{found:?}");
    assert_eq!(found[0].aliases, ["用户满意率"]);
    // Retired names leave the suggestions; the curation page still lists them.
    store
        .curate_library("用户满意度", &Curation::Retire(true), "admin")
        .await
        .unwrap();
    let left = store.library(&q("用户满意")).await.unwrap();
    assert!(
        left.iter()
            .all(|e| e.name != "用户满意度" && e.name != "用户满意率"),
        "{left:?}"
    );
    let all = store
        .library(&LibraryQuery {
            q: "用户满意".into(),
            limit: 20,
            all: true,
            ..LibraryQuery::default()
        })
        .await
        .unwrap();
    assert!(all.iter().any(|e| e.name == "用户满意度" && e.retired));
    assert!(all
        .iter()
        .any(|e| e.name == "用户满意率" && e.merged_into.as_deref() == Some("用户满意度")));
    store
        .curate_library("用户满意度", &Curation::Retire(false), "admin")
        .await
        .unwrap();
    // Recommended names come before more filed ones.
    let before = store.library(&q("满意")).await.unwrap();
    let last = before.last().unwrap().name.clone();
    store
        .curate_library(&last, &Curation::Recommend(true), "admin")
        .await
        .unwrap();
    let after = store.library(&q("满意")).await.unwrap();
    assert_eq!(after[0].name, last, "{:?}", names(&after));
    assert!(after[0].recommended);
    // Undone, the name is as it was.
    store
        .curate_library(&last, &Curation::Recommend(false), "admin")
        .await
        .unwrap();
    store
        .curate_library("用户满意率", &Curation::MergeInto(None), "admin")
        .await
        .unwrap();
    let undone = store.library(&q("满意")).await.unwrap();
    assert!(undone
        .iter()
        .all(|e| !e.recommended && e.aliases.is_empty()));
    assert!(names(&undone).contains(&"用户满意率".to_string()));
    assert_eq!(
        undone.len(),
        before.len() + 1,
        "the variant is back on its own"
    );
}

async fn a_save_racing_a_submit_never_pulls_the_form_out_of_review(db: TestDb) {
    use jixiao_core::workflow::{Action, Status};
    use std::sync::Arc;
    for round in 0..5 {
        let db = db.another().await;
        let store = db.open().await;
        let report = store
            .import(&seed_forms(), OnConflict::Refuse)
            .await
            .unwrap();
        let id = report.outcomes[0].0.clone();
        let store: Arc<dyn Store> = Arc::from(store);
        let base = store.version(&id).await.unwrap();
        // Eight editors who read version `base` in draft, and the unit's submit, at once.
        let barrier = Arc::new(tokio::sync::Barrier::new(9));
        let mut saves = vec![];
        for k in 0..8 {
            let (store, barrier, id) = (store.clone(), barrier.clone(), id.clone());
            saves.push(tokio::spawn(async move {
                let mut form = store.get(&id).await.unwrap().unwrap();
                form.goal_annual = format!("第 {k} 位编辑的目标");
                barrier.wait().await;
                store
                    .save_form(&id, base, Status::Draft, &form, Status::Draft, "editor")
                    .await
            }));
        }
        let submit = {
            let (store, barrier, id) = (store.clone(), barrier.clone(), id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
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
            })
        };
        let mut ok = 0;
        for s in saves {
            match s.await.unwrap() {
                Ok(v) => {
                    assert_eq!(v, base + 1);
                    ok += 1;
                }
                Err(StoreError::Conflict { .. }) | Err(StoreError::StatusChanged(_)) => {}
                Err(other) => panic!("round {round}: a save answered {other}"),
            }
        }
        submit.await.unwrap().unwrap();
        assert!(
            ok <= 1,
            "round {round}: one save of a base at most, {ok} went through"
        );
        let meta = store.form_meta(&id).await.unwrap().unwrap();
        assert_eq!(
            meta.status,
            Status::Submitted,
            "round {round}: still under review"
        );
        assert_eq!(meta.version, base + ok as i64);
    }
}

async fn a_period_keeps_the_light_and_a_self_evaluation_the_grade_in_the_same_write(db: TestDb) {
    use jixiao_core::monitor::{Period, PeriodReport};
    let store = db.open().await;
    let report = store
        .import(&seed_forms(), OnConflict::Refuse)
        .await
        .unwrap();
    let id = report.outcomes[0].0.clone();
    let period = |label: &str| PeriodReport {
        period: Period::parse(label).unwrap(),
        spent: jixiao_core::Money::from_fen(100),
        forecast_spent: None,
        indicators: vec![],
    };
    store
        .save_period(&id, &period("1-9月"), &light(Some("yellow")))
        .await
        .unwrap();
    assert_eq!(
        row(&*store, &id).await.warning_light.as_deref(),
        Some("yellow")
    );
    // An earlier period saved later leaves the latest period's light, and still moves the
    // forms' generation: its warnings change the dashboard, which servers cache against it.
    let before = store.generations().await.unwrap().forms;
    store
        .save_period(&id, &period("1-6月"), &light(Some("red")))
        .await
        .unwrap();
    assert!(store.generations().await.unwrap().forms > before);
    assert_eq!(
        row(&*store, &id).await.warning_light.as_deref(),
        Some("yellow")
    );
    store
        .save_period(&id, &period("全年"), &light(Some("green")))
        .await
        .unwrap();
    assert_eq!(
        row(&*store, &id).await.warning_light.as_deref(),
        Some("green")
    );
    // The dashboard counts every period's warnings by its last month, in the database.
    let dash = store.dashboard(&all_forms()).await.unwrap();
    assert_eq!(
        dash.warnings_by_month,
        vec![(6, 2, 0), (9, 0, 1), (12, 0, 0)]
    );
    // A period saved again replaces its counts; a scope that sees nothing counts nothing.
    store
        .save_period(&id, &period("1-6月"), &light(Some("yellow")))
        .await
        .unwrap();
    let dash = store.dashboard(&all_forms()).await.unwrap();
    assert_eq!(dash.warnings_by_month[0], (6, 0, 1));
    let nobody = jixiao_store::ListQuery {
        scope: jixiao_store::Scope::Units(vec!["no-such-unit".into()]),
        ..all_forms()
    };
    assert_eq!(
        store.dashboard(&nobody).await.unwrap().warnings_by_month,
        vec![]
    );
    // Reports saved before the counts were kept are counted when the store opens, with the
    // default thresholds, as the monitoring computes them.
    drop(store);
    db.execute("UPDATE monitoring SET red = 0, yellow = 0, counted = FALSE")
        .await;
    let store = db.open().await;
    let form = store.get(&id).await.unwrap().unwrap();
    let mut expected = vec![];
    for p in store.periods(&id).await.unwrap() {
        let ws =
            jixiao_core::monitor::warnings(&form, &p, &jixiao_core::monitor::Thresholds::default())
                .unwrap();
        let w = jixiao_store::PeriodWarnings::of(&ws);
        expected.push((p.period.end_month as i64, w.red, w.yellow));
    }
    assert!(expected.iter().any(|(_, r, y)| r + y > 0), "{expected:?}");
    assert_eq!(
        store
            .dashboard(&all_forms())
            .await
            .unwrap()
            .warnings_by_month,
        expected
    );

    let eval: jixiao_core::score::SelfEvaluation = serde_json::from_value(serde_json::json!({
        "budget": { "annual_budget": "1", "spent": "1" }, "indicators": []
    }))
    .unwrap();
    store
        .save_self_evaluation(&id, &eval, Some("良"))
        .await
        .unwrap();
    assert_eq!(row(&*store, &id).await.grade.as_deref(), Some("良"));
    let dash = store.dashboard(&all_forms()).await.unwrap();
    assert_eq!(dash.grades, vec![("良".to_string(), 1)]);
    assert_eq!(dash.statuses, vec![("draft".to_string(), 8)]);
    // A refused save changes neither the evaluation nor the grade.
    store
        .eval_transition(
            &id,
            jixiao_core::workflow::EvalStatus::Draft,
            jixiao_core::workflow::EvalStatus::Submitted,
            jixiao_core::workflow::Action::Submit,
            "u",
            "",
        )
        .await
        .unwrap();
    assert!(store
        .save_self_evaluation(&id, &eval, Some("差"))
        .await
        .is_err());
    assert_eq!(row(&*store, &id).await.grade.as_deref(), Some("良"));
    // The counts kept for the dashboard follow a change of status at once.
    store
        .transition(
            &id,
            jixiao_core::workflow::Status::Draft,
            None,
            jixiao_core::workflow::Status::Submitted,
            jixiao_core::workflow::Action::Submit,
            "u",
            "",
            "{}",
        )
        .await
        .unwrap();
    assert_eq!(
        store.dashboard(&all_forms()).await.unwrap().statuses,
        vec![("draft".to_string(), 7), ("submitted".to_string(), 1)]
    );
}

/// A period's warnings for a test: a red light comes with two red warnings, a yellow with one
/// yellow.
fn light(l: Option<&'static str>) -> jixiao_store::PeriodWarnings<'static> {
    jixiao_store::PeriodWarnings {
        light: l,
        red: if l == Some("red") { 2 } else { 0 },
        yellow: if l == Some("yellow") { 1 } else { 0 },
    }
}

fn all_forms() -> jixiao_store::ListQuery {
    jixiao_store::ListQuery {
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
    }
}

async fn row(store: &dyn Store, id: &str) -> jixiao_store::FormRow {
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
}

async fn the_portfolio_sum_never_overflows_whatever_is_stored(db: TestDb) {
    let store = db.open().await;
    let mut forms = seed_forms();
    // Amounts no input path accepts (above 1 万亿元), written straight to the store: the sum
    // of the list is exact as long as it fits, and saturates instead of failing.
    for f in &mut forms {
        f.funds.annual_total = Some(jixiao_core::Money::from_fen(i64::MAX / 4));
    }
    store.import(&forms, OnConflict::Refuse).await.unwrap();
    let page = store
        .list_page(&jixiao_store::ListQuery {
            scope: jixiao_store::Scope::All,
            year: None,
            status: None,
            department: None,
            search: None,
            grade: None,
            warnings: None,
            sort: "amount".into(),
            page: 1,
            per_page: 2,
            after: None,
            before: None,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 8);
    assert_eq!(page.annual_total_sum.fen(), i64::MAX);
}

/// The forms a list query matches, in its order, by OFFSET pages of `per_page` (the oracle).
async fn offset_listing(
    store: &dyn Store,
    q: &jixiao_store::ListQuery,
) -> Vec<jixiao_store::FormRow> {
    let mut rows = vec![];
    for page in 1.. {
        let p = store
            .list_page(&jixiao_store::ListQuery { page, ..q.clone() })
            .await
            .unwrap();
        assert_eq!(p.page, Some(page));
        if p.items.is_empty() {
            assert_eq!(rows.len() as i64, p.total);
            break;
        }
        rows.extend(p.items);
    }
    rows
}

fn ids(rows: &[jixiao_store::FormRow]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

/// Keyset paging: with every sort, each direction and each filter, following `next` from the
/// first page, or `prev` from the last, gives every matching form exactly once, in the order
/// OFFSET pages give them; ties (names, years, amounts, times), missing annual totals and
/// cursors from OFFSET pages included. Cursors that are not the store's are refused.
async fn keyset_pages_give_every_form_once_in_every_order(db: TestDb) {
    let store = db.open().await;
    // Twelve years of the eight seed forms: every name twelve times, every year eight.
    let mut forms = vec![];
    for year in 2010..2022 {
        for f in seed_forms() {
            forms.push(jixiao_core::Form { year, ..f });
        }
    }
    store.import(&forms, OnConflict::Refuse).await.unwrap();
    db.execute(
        "INSERT INTO orgs (id, name, kind, parent_id) VALUES ('dept', '部门', 'department', NULL), \
         ('u1', '单位一', 'unit', 'dept'), ('u2', '单位二', 'unit', 'dept'), ('u3', '单位三', 'unit', NULL)",
    )
    .await;
    // Ties and gaps everywhere: amounts shared or missing, times shared, filters mixed.
    db.execute(
        "UPDATE forms SET \
         funds_annual_total = CASE WHEN (year + length(name)) % 4 = 0 THEN NULL \
           ELSE ((year + length(name)) % 3) * 1000 END, \
         updated_at = CASE WHEN year % 3 = 0 THEN '2024-01-01T00:00:00Z' \
           WHEN year % 3 = 1 THEN '2024-02-01T00:00:00Z' ELSE '2024-03-01T00:00:00Z' END, \
         status = CASE WHEN length(name) % 2 = 0 THEN 'submitted' ELSE 'draft' END, \
         grade = CASE (year + length(name)) % 3 WHEN 0 THEN '优' WHEN 1 THEN '良' ELSE NULL END, \
         warning_light = CASE (year * 7 + length(name)) % 4 WHEN 0 THEN 'red' WHEN 1 THEN 'yellow' \
           WHEN 2 THEN 'green' ELSE NULL END, \
         department = CASE WHEN year % 2 = 0 THEN '甲部门' ELSE '乙部门' END, \
         unit_id = CASE (year + length(name)) % 4 WHEN 0 THEN 'u1' WHEN 1 THEN 'u2' \
           WHEN 2 THEN 'u3' ELSE NULL END",
    )
    .await;
    let any_name = seed_forms()[3].name.chars().take(2).collect::<String>();
    let base = jixiao_store::ListQuery {
        per_page: 7,
        ..all_forms()
    };
    let filtered = [
        base.clone(),
        jixiao_store::ListQuery {
            scope: jixiao_store::Scope::Units(vec!["u1".into()]),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            scope: jixiao_store::Scope::Units(vec!["u2".into(), "u3".into()]),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            scope: jixiao_store::Scope::Department("dept".into()),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            year: Some(2013),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            status: Some(jixiao_core::workflow::Status::Submitted),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            department: Some("乙部门".into()),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            search: Some(any_name),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            grade: Some("优".into()),
            warnings: Some("any".into()),
            ..base.clone()
        },
    ];
    let mut with_missing_amount = 0;
    for sort in ["name", "year", "amount", "updated", "status"] {
        for sort in [sort.to_string(), format!("-{sort}")] {
            for q in &filtered {
                let q = jixiao_store::ListQuery {
                    sort: sort.clone(),
                    ..q.clone()
                };
                let oracle = offset_listing(&*store, &q).await;
                let mut unique = ids(&oracle);
                unique.sort();
                unique.dedup();
                assert_eq!(unique.len(), oracle.len(), "{sort}: an ID twice");
                // The integer keys sort the same on both backends, a missing amount first.
                let key = |r: &jixiao_store::FormRow| match sort.trim_start_matches('-') {
                    "year" => Some(Some(i64::from(r.year))),
                    "amount" => Some(r.annual_total.map(|m| m.fen())),
                    _ => None,
                };
                for w in oracle.windows(2) {
                    let (a, b) = if sort.starts_with('-') {
                        (&w[1], &w[0])
                    } else {
                        (&w[0], &w[1])
                    };
                    assert!(key(a) <= key(b), "{sort}: out of order");
                    if key(a) == key(b) && key(a).is_some() {
                        assert!(a.id < b.id, "{sort}: a tie not broken by the ID");
                    }
                }
                if sort == "amount" {
                    with_missing_amount +=
                        oracle.iter().filter(|r| r.annual_total.is_none()).count();
                }
                // Forwards from the first page.
                let mut forward = vec![];
                let mut p = store.list_page(&q).await.unwrap();
                let mut pages = 1;
                loop {
                    assert!(p.items.len() <= 7);
                    forward.extend(p.items.clone());
                    let Some(next) = p.next.clone() else { break };
                    assert!(p.items.len() == 7, "{sort}: a short page before the end");
                    p = store
                        .list_page(&jixiao_store::ListQuery {
                            after: Some(next),
                            page: 99,
                            ..q.clone()
                        })
                        .await
                        .unwrap();
                    assert_eq!(p.page, None);
                    assert!(p.prev.is_some());
                    pages += 1;
                    assert!(pages < 100);
                }
                assert_eq!(
                    ids(&forward),
                    ids(&oracle),
                    "{sort} {:?}: forwards",
                    q.scope
                );
                // Backwards from the last page.
                let mut backward: Vec<jixiao_store::FormRow> = vec![];
                loop {
                    backward.splice(0..0, p.items.clone());
                    let Some(prev) = p.prev.clone() else { break };
                    p = store
                        .list_page(&jixiao_store::ListQuery {
                            before: Some(prev),
                            ..q.clone()
                        })
                        .await
                        .unwrap();
                    assert!(p.next.is_some());
                    pages -= 1;
                    assert!(pages >= 0);
                }
                assert_eq!(
                    ids(&backward),
                    ids(&oracle),
                    "{sort} {:?}: backwards",
                    q.scope
                );
                // From an OFFSET page on, either way.
                if oracle.len() > 14 {
                    let second = store
                        .list_page(&jixiao_store::ListQuery {
                            page: 2,
                            ..q.clone()
                        })
                        .await
                        .unwrap();
                    let third = store
                        .list_page(&jixiao_store::ListQuery {
                            after: second.next.clone(),
                            ..q.clone()
                        })
                        .await
                        .unwrap();
                    assert_eq!(ids(&third.items), ids(&oracle[14..oracle.len().min(21)]));
                    let first = store
                        .list_page(&jixiao_store::ListQuery {
                            before: second.prev.clone(),
                            ..q.clone()
                        })
                        .await
                        .unwrap();
                    assert_eq!(ids(&first.items), ids(&oracle[..7]));
                    assert_eq!(first.prev, None);
                }
            }
        }
    }
    assert!(
        with_missing_amount > 0,
        "no form without an annual total was listed"
    );
    // Cursors that are not the store's, or not for this order, are refused, never a panic.
    let first = store.list_page(&base).await.unwrap();
    let next = first.next.unwrap();
    for q in [
        jixiao_store::ListQuery {
            after: Some("not a cursor".into()),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            before: Some("e30".into()),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            after: Some(next.clone()),
            sort: "-name".into(),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            after: Some(next.clone()),
            sort: "year".into(),
            ..base.clone()
        },
        jixiao_store::ListQuery {
            after: Some(next.clone()),
            before: Some(next.clone()),
            ..base.clone()
        },
    ] {
        assert!(matches!(
            store.list_page(&q).await,
            Err(StoreError::BadCursor { .. })
        ));
    }
}

/// An import in batches: each batch stored and shown to the caller before the next is read;
/// a batch that is an error ends it with nothing written, the batches before it included.
async fn an_import_in_batches_is_one_transaction(db: TestDb) {
    let store = db.open().await;
    let forms = seed_forms();
    let renamed = |k: usize| -> Vec<jixiao_core::Form> {
        forms
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f.name = format!("{}（{k}）", f.name);
                f
            })
            .collect()
    };
    // A reader that fails at its third batch.
    let mut failing = vec![
        Ok(renamed(1)),
        Ok(renamed(2)),
        Err("第三批读不出 / batch 3 unreadable".to_string()),
        Ok(renamed(4)),
    ]
    .into_iter();
    let mut shown = 0;
    let err = store
        .import_batches(&mut failing, OnConflict::Refuse, None, &mut |f, o| {
            assert_eq!(f.len(), o.len());
            shown += 1;
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Input(ref m) if m.contains("第三批")),
        "{err}"
    );
    assert_eq!(
        shown, 2,
        "two batches were stored (inside the transaction) before the error"
    );
    assert_eq!(store.counts().await.unwrap(), (0, 0));
    // Three good batches, the last repeating the first: created twice over, then unchanged.
    let mut good = vec![Ok(renamed(1)), Ok(renamed(2)), Ok(renamed(1))].into_iter();
    let counts = store
        .import_batches(&mut good, OnConflict::Refuse, None, &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (counts.created, counts.replaced, counts.unchanged),
        (16, 0, 8)
    );
    assert_eq!(store.counts().await.unwrap(), (16, 258));
    // The library counted every stored form once: twice the seed's filings of a name.
    let name = &forms[0].indicators[0].name;
    let per_seed = forms
        .iter()
        .flat_map(|f| &f.indicators)
        .filter(|i| &i.name == name)
        .count() as i64;
    let entries = store
        .library(&jixiao_store::LibraryQuery {
            q: name.clone(),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let total: i64 = entries
        .iter()
        .filter(|e| &e.name == name)
        .map(|e| e.count)
        .sum();
    assert_eq!(total, 2 * per_seed);
}

/// Approvals and publications are signed in the transition's transaction: the text states the
/// form, the version checked, the action, the signer, the transition's time and the SM3 of the
/// form as stored; a refused transition signs nothing, a signature that cannot be made refuses
/// the transition; signatures cannot be changed or deleted; an old version's signature still
/// checks after an adjustment, and not once its snapshot is altered.
async fn approvals_are_signed_in_the_transitions_transaction(db: TestDb) {
    use jixiao_core::crypto::{hex, Software};
    use jixiao_core::signature::SigningKey;
    use jixiao_core::workflow::{Action, Status};
    let store = db.open().await;
    let report = store
        .import(&seed_forms(), OnConflict::Refuse)
        .await
        .unwrap();
    let id = report.outcomes[0].0.clone();
    let key = SigningKey::new(&Software, [7; 32]).unwrap();
    let ours = key.public().to_vec();
    assert_eq!(store.signatures_since().await.unwrap(), None);
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

    // A stale version, a status changed and an unsignable signer: refused, nothing written.
    let stale = store
        .transition_signed(
            &id,
            Status::Submitted,
            2,
            Status::DeptApproved,
            Action::Approve,
            "dept",
            "",
            "{}",
            &key,
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 1, .. })),
        "{stale:?}"
    );
    let moved = store
        .transition_signed(
            &id,
            Status::DeptApproved,
            1,
            Status::FinanceApproved,
            Action::Approve,
            "finance",
            "",
            "{}",
            &key,
        )
        .await;
    assert!(
        matches!(moved, Err(StoreError::StatusChanged(_))),
        "{moved:?}"
    );
    let unsignable = store
        .transition_signed(
            &id,
            Status::Submitted,
            1,
            Status::DeptApproved,
            Action::Approve,
            "de\npt",
            "",
            "{}",
            &key,
        )
        .await;
    assert!(
        matches!(unsignable, Err(StoreError::Unsignable(_))),
        "{unsignable:?}"
    );
    assert_eq!(
        store.form_meta(&id).await.unwrap().unwrap().status,
        Status::Submitted
    );
    assert_eq!(store.transitions(&id).await.unwrap().len(), 1);
    assert!(store.signatures(&id).await.unwrap().is_empty());

    let form_v1 = store.get(&id).await.unwrap().unwrap();
    let (t, sig) = store
        .transition_signed(
            &id,
            Status::Submitted,
            1,
            Status::DeptApproved,
            Action::Approve,
            "dept",
            "好",
            "{}",
            &key,
        )
        .await
        .unwrap();
    assert_eq!(sig.seq, t.seq);
    assert_eq!(sig.form_id, id);
    assert_eq!(sig.public_key, hex(&ours));
    let signed = sig.signed().unwrap();
    assert_eq!(
        (
            signed.form_id.as_str(),
            signed.version,
            signed.action.as_str(),
            signed.signer.as_str(),
            signed.time.as_str()
        ),
        (id.as_str(), 1, "approve", "dept", t.at.as_str())
    );
    assert_eq!(signed.digest, jixiao_store::form_digest(&form_v1).unwrap());
    assert_eq!(
        sig.text,
        format!(
            "form: {id}\nversion: 1\naction: approve\nsigner: dept\ntime: {}\ndigest: {}\n",
            t.at, signed.digest
        )
    );
    let check = jixiao_store::check_signature(&*store, &sig, &ours)
        .await
        .unwrap();
    assert!(check.ok(), "{check:?}");
    assert_eq!(check.problem(), None);
    // Under another installation's key it is not ours.
    let other = SigningKey::new(&Software, [8; 32]).unwrap();
    let check = jixiao_store::check_signature(&*store, &sig, other.public())
        .await
        .unwrap();
    assert!(check.signature_valid && !check.key_ours && !check.ok());

    store
        .transition_signed(
            &id,
            Status::DeptApproved,
            1,
            Status::FinanceApproved,
            Action::Approve,
            "finance",
            "",
            "{}",
            &key,
        )
        .await
        .unwrap();
    let (_, published) = store
        .transition_signed(
            &id,
            Status::FinanceApproved,
            1,
            Status::Published,
            Action::Publish,
            "finance",
            "",
            "{}",
            &key,
        )
        .await
        .unwrap();
    assert_eq!(published.signed().unwrap().action, "publish");
    let sigs = store.signatures(&id).await.unwrap();
    assert_eq!(sigs.len(), 3);
    assert_eq!(sigs[0], sig);
    assert_eq!(store.signatures_since().await.unwrap(), Some(sig.seq));

    // The database refuses to change or delete a signature.
    for sql in ["UPDATE signatures SET text = 'x'", "DELETE FROM signatures"] {
        assert!(
            jixiao_store::testing::execute(&db.location, sql)
                .await
                .is_err(),
            "{sql} went through"
        );
    }
    assert_eq!(store.signatures(&id).await.unwrap(), sigs);

    // An adjustment makes version 2; version 1's signatures check against its snapshot.
    let mut changed = form_v1.clone();
    changed.goal_annual.push_str("（调整）");
    store
        .save_form(&id, 1, Status::Published, &changed, Status::Draft, "unit")
        .await
        .unwrap();
    for s in &sigs {
        let check = jixiao_store::check_signature(&*store, s, &ours)
            .await
            .unwrap();
        assert!(check.ok(), "{check:?}");
    }
    // Altered behind the store's back: the digest no longer matches.
    db.execute(
        "UPDATE form_versions SET snapshot = replace(snapshot, '\"year\":2023', '\"year\":2024')",
    )
    .await;
    let store = db.open().await;
    assert_eq!(
        store.version_form(&id, 1).await.unwrap().unwrap().year,
        2024
    );
    let check = jixiao_store::check_signature(&*store, &sig, &ours)
        .await
        .unwrap();
    assert_eq!(check.content_unchanged, Some(false));
    assert!(check.signature_valid && check.key_ours && !check.ok());
    assert!(check
        .problem()
        .unwrap()
        .1
        .contains("changed after it was signed"));
}

fn person(id: &str, role: jixiao_core::workflow::Role) -> jixiao_store::User {
    jixiao_store::User {
        id: id.into(),
        username: id.into(),
        display_name: format!("{id} 的姓名"),
        role,
        org_id: None,
    }
}

fn grant(
    id: &str,
    kind: jixiao_core::duties::GrantKind,
    user: &jixiao_store::User,
    from: Option<jixiao_core::workflow::Role>,
) -> jixiao_store::Grant {
    jixiao_store::Grant {
        id: id.into(),
        kind,
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        from_role: from,
        role: user.role,
        org_id: user.org_id.clone(),
        requested_by: "adm".into(),
        requester_role: jixiao_core::workflow::Role::Admin,
        requested_at: format!("2026-01-01T00:00:0{}.000Z", id.len() % 10),
        status: jixiao_core::duties::GrantStatus::Pending,
        decided_by: None,
        decided_at: None,
        comment: String::new(),
    }
}

/// A grant has no effect while pending; an approval applies it once, in one transaction
/// (the account created, the role changed only if it is still the one asked from, the
/// password or second factor reset), ends the account's sessions and clears the kept
/// password; a decided grant cannot be decided again; one pending grant per account.
async fn grants_wait_for_a_decision_and_apply_once(db: TestDb) {
    use jixiao_core::duties::{GrantKind, GrantStatus};
    use jixiao_core::workflow::Role;
    let store = db.open().await;
    store
        .create_user(&person("adm", Role::Admin), "h-adm", false)
        .await
        .unwrap();
    // A new finance account: nothing exists until approved.
    let fin = person("fin", Role::Finance);
    let g = grant("g1", GrantKind::Create, &fin, None);
    store.request_grant(&g, Some("h-fin")).await.unwrap();
    assert!(store.user_auth("fin").await.unwrap().is_none());
    assert_eq!(store.grant("g1").await.unwrap().unwrap(), g);
    assert!(matches!(
        store
            .request_grant(&grant("g2", GrantKind::Create, &fin, None), Some("h"))
            .await,
        Err(StoreError::GrantPending(_))
    ));
    assert_eq!(store.grants(true, 10).await.unwrap(), vec![g.clone()]);
    let done = store.decide_grant("g1", true, "sec", "同意").await.unwrap();
    assert_eq!(done.status, GrantStatus::Approved);
    assert_eq!(done.decided_by.as_deref(), Some("sec"));
    let a = store.user_auth("fin").await.unwrap().unwrap();
    assert_eq!(a.user.role, Role::Finance);
    assert_eq!(a.password_hash, "h-fin");
    assert!(a.must_change_password, "the requester chose the password");
    assert_eq!(store.password_history("fin").await.unwrap(), ["h-fin"]);
    assert!(matches!(
        store.decide_grant("g1", false, "sec", "").await,
        Err(StoreError::GrantDecided(..))
    ));
    assert!(store.grants(true, 10).await.unwrap().is_empty());
    assert_eq!(store.grants(false, 10).await.unwrap(), vec![done.clone()]);
    assert!(matches!(
        store.decide_grant("nope", true, "sec", "").await,
        Err(StoreError::NotFound(_))
    ));

    // A role change: the account's sessions end when approved.
    let u = person("u", Role::Unit);
    store.create_user(&u, "h-u", false).await.unwrap();
    store
        .create_session("tok-u", "u", "c", "2999-01-01T00:00:00.000Z", "1.2.3.4")
        .await
        .unwrap();
    let to_auditor = jixiao_store::User {
        role: Role::Auditor,
        ..u.clone()
    };
    store
        .request_grant(
            &grant("g3", GrantKind::Role, &to_auditor, Some(Role::Unit)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store.user_auth("u").await.unwrap().unwrap().user.role,
        Role::Unit,
        "no effect while pending"
    );
    store.decide_grant("g3", true, "sec", "").await.unwrap();
    assert_eq!(
        store.user_auth("u").await.unwrap().unwrap().user.role,
        Role::Auditor
    );
    assert!(store
        .session(
            "tok-u",
            "2026-01-01T00:00:00.000Z",
            "2000-01-01T00:00:00.000Z"
        )
        .await
        .unwrap()
        .is_none());

    // Asked from a role the account no longer has: refused, nothing changes, still pending.
    let to_security = jixiao_store::User {
        role: Role::Security,
        ..u.clone()
    };
    store
        .request_grant(
            &grant("g4", GrantKind::Role, &to_security, Some(Role::Unit)),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(
        store.decide_grant("g4", true, "sec", "").await,
        Err(StoreError::GrantStale(_))
    ));
    assert_eq!(
        store.user_auth("u").await.unwrap().unwrap().user.role,
        Role::Auditor
    );
    let rejected = store
        .decide_grant("g4", false, "sec", "已变")
        .await
        .unwrap();
    assert_eq!(rejected.status, GrantStatus::Rejected);
    assert_eq!(rejected.comment, "已变");
    assert_eq!(
        store.user_auth("u").await.unwrap().unwrap().user.role,
        Role::Auditor
    );

    // A privileged account's password and second factor.
    store.set_totp("fin", Some("SECRET")).await.unwrap();
    store
        .create_session("tok-f", "fin", "c", "2999-01-01T00:00:00.000Z", "")
        .await
        .unwrap();
    let fin_now = store.user_auth("fin").await.unwrap().unwrap().user;
    store
        .request_grant(
            &grant(
                "g5",
                GrantKind::ResetPassword,
                &fin_now,
                Some(Role::Finance),
            ),
            Some("h-new"),
        )
        .await
        .unwrap();
    store.decide_grant("g5", true, "sec", "").await.unwrap();
    let a = store.user_auth("fin").await.unwrap().unwrap();
    assert_eq!(a.password_hash, "h-new");
    assert!(a.must_change_password);
    assert_eq!(
        store.password_history("fin").await.unwrap(),
        ["h-new", "h-fin"]
    );
    assert!(store
        .session(
            "tok-f",
            "2026-01-01T00:00:00.000Z",
            "2000-01-01T00:00:00.000Z"
        )
        .await
        .unwrap()
        .is_none());
    store
        .request_grant(
            &grant("g6", GrantKind::ResetTotp, &fin_now, Some(Role::Finance)),
            None,
        )
        .await
        .unwrap();
    assert!(store
        .user_auth("fin")
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .is_some());
    store.decide_grant("g6", true, "sec", "").await.unwrap();
    assert!(store
        .user_auth("fin")
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .is_none());
    // The new roles are in the database's CHECK; an unknown one is not.
    for (i, r) in [Role::Security, Role::AuditAdmin].into_iter().enumerate() {
        store
            .create_user(&person(&format!("r{i}"), r), "h", false)
            .await
            .unwrap();
    }
    assert!(jixiao_store::testing::execute(
        &db.location,
        "INSERT INTO users (id, username, display_name, password_hash, role, created_at) \
         VALUES ('x', 'x', 'x', 'h', 'root', '2026-01-01')",
    )
    .await
    .is_err());
}

/// A database from before the separation of duties (SQLite at 0020/0021, PostgreSQL at 0001)
/// holding accounts, sessions and password history migrates with nothing lost: SQLite builds
/// `users` again, and dropping it must not take the sessions and histories with it.
async fn an_older_database_keeps_its_accounts_sessions_and_password_history(db: TestDb) {
    use jixiao_core::workflow::Role;
    let pg = jixiao_store::is_postgres(&db.location);
    let location = if pg {
        jixiao_store::testing::empty_postgres_database().await
    } else {
        db.location.clone()
    };
    // The migrations before this branch's, in a directory of their own.
    let (dir, before) = if pg { ("postgres", 3) } else { ("sqlite", 22) };
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    let old = tempfile::tempdir().unwrap();
    let mut copied = 0;
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        let version: u32 = name[..4].parse().unwrap();
        if version < before {
            std::fs::copy(e.path(), old.path().join(&name)).unwrap();
            copied += 1;
        }
    }
    assert!(copied >= 1);
    let migrator = sqlx::migrate::Migrator::new(old.path()).await.unwrap();
    if pg {
        let pool = sqlx::PgPool::connect(&location).await.unwrap();
        migrator.run(&pool).await.unwrap();
        pool.close().await;
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&location)
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        migrator.run(&pool).await.unwrap();
        pool.close().await;
    }
    // Accounts as an installation of that time holds them.
    jixiao_store::testing::execute(
        &location,
        "INSERT INTO orgs (id, name, kind, parent_id) VALUES ('o1', '财政局', 'finance', NULL);
         INSERT INTO users (id, username, display_name, password_hash, role, org_id, failed_logins, locked_until, created_at, disabled, must_change_password, totp_secret, totp_last_step, totp_exempt)
           VALUES ('u1', 'alice', '甲', 'h1b', 'finance', 'o1', 2, '2030-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', FALSE, TRUE, 'SECRETA', 42, FALSE),
                  ('u2', 'bob', '乙', 'h2', 'admin', NULL, 0, NULL, '2025-01-02T00:00:00.000Z', TRUE, FALSE, NULL, NULL, TRUE),
                  ('u3', 'carol', '丙', 'h3', 'auditor', NULL, 0, NULL, '2025-01-03T00:00:00.000Z', FALSE, FALSE, NULL, NULL, FALSE);
         INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at, last_seen, ip)
           VALUES ('t1', 'u1', 'c1', '2025-06-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', '2025-06-01T00:10:00.000Z', '10.0.0.1'),
                  ('t3', 'u3', 'c3', '2025-06-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', NULL, '');
         INSERT INTO password_history (user_id, hash, set_at) VALUES
           ('u1', 'h1a', '2025-01-01T00:00:00.000Z'),
           ('u1', 'h1b', '2025-01-01T00:00:00.000Z'),
           ('u2', 'h2', '2025-01-02T00:00:00.000Z');",
    )
    .await
    .unwrap();
    let store = jixiao_store::open(&location).await.unwrap();
    let users = store.users().await.unwrap();
    assert_eq!(
        users
            .iter()
            .map(|u| (u.username.as_str(), u.role))
            .collect::<Vec<_>>(),
        [
            ("alice", Role::Finance),
            ("bob", Role::Admin),
            ("carol", Role::Auditor)
        ]
    );
    let alice = store.user_auth("alice").await.unwrap().unwrap();
    assert_eq!(alice.user.org_id.as_deref(), Some("o1"));
    assert_eq!(alice.user.display_name, "甲");
    assert!(alice.must_change_password && !alice.disabled);
    assert_eq!(alice.totp_secret.as_deref(), Some("SECRETA"));
    assert_eq!(alice.failed_logins, 2);
    assert_eq!(
        alice.locked_until.as_deref(),
        Some("2030-01-01T00:00:00.000Z")
    );
    assert!(store.user_auth("bob").await.unwrap().unwrap().disabled);
    // The history in its order (the same instant: by insertion).
    assert_eq!(store.password_history("u1").await.unwrap(), ["h1b", "h1a"]);
    assert_eq!(store.password_history("u2").await.unwrap(), ["h2"]);
    // The sessions, still open, with where and when.
    let now = "2026-01-01T00:00:00.000Z";
    let s = store
        .session("t1", now, "2000-01-01T00:00:00.000Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.user.username.as_str(), s.csrf.as_str()), ("alice", "c1"));
    assert!(!s.needs_second_factor, "enrolled");
    let s3 = store
        .session("t3", now, "2000-01-01T00:00:00.000Z")
        .await
        .unwrap()
        .unwrap();
    assert!(s3.needs_second_factor, "an auditor without one");
    let listed = store
        .user_sessions("u1", now, "2000-01-01T00:00:00.000Z")
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].ip, "10.0.0.1");
    assert_eq!(
        listed[0].last_seen.as_deref(),
        Some("2025-06-01T00:10:00.000Z")
    );
    // The new roles fit, and foreign keys still hold (a session of no user is refused).
    store
        .create_user(
            &jixiao_store::User {
                id: "u4".into(),
                username: "dave".into(),
                display_name: "丁".into(),
                role: Role::AuditAdmin,
                org_id: None,
            },
            "h4",
            false,
        )
        .await
        .unwrap();
    assert!(store
        .create_session("t9", "nobody", "c", "2999-01-01T00:00:00.000Z", "")
        .await
        .is_err());
    if !pg {
        let mut c =
            <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite://{location}"))
                .await
                .unwrap();
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert!(broken.is_empty(), "foreign keys intact");
        let temp: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('users_new', 'keep_sessions', 'keep_password_history')",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        assert_eq!(temp, 0);
    }
}

/// The audit log is purged only past its retention, and what is left still verifies: the
/// last purged entry becomes the anchor the first kept one chains from, and the next entry
/// chains on even once everything was purged. The database itself refuses to delete a
/// young entry, or one past the anchor, whoever asks.
async fn the_audit_log_is_purged_only_past_its_retention_and_still_verifies(db: TestDb) {
    use jixiao_store::AuditEntry;
    let store = db.open().await;
    let key = b"the audit key of this installation".to_vec();
    let entry = |seq: i64, at: &str, action: &str| AuditEntry {
        seq,
        at: at.into(),
        actor: "alice".into(),
        ip: "10.0.0.1".into(),
        action: action.into(),
        target: "x".into(),
        detail: String::new(),
    };
    // Three entries of 2020, chained under the key, as the store would have written them.
    let mut previous = String::new();
    let mut sql = String::new();
    for seq in 1..=3 {
        let e = entry(seq, &format!("2020-01-0{seq}T00:00:00.000Z"), "login");
        let mac = e.link(&key, &previous);
        sql.push_str(&format!(
            "INSERT INTO audit (seq, at, actor, ip, action, target, detail, mac) VALUES ({seq}, '{}', 'alice', '10.0.0.1', 'login', 'x', '', '{mac}');",
            e.at
        ));
        previous = mac;
    }
    db.execute(&sql).await;
    for action in ["login", "logout"] {
        store.audit(&entry(0, "", action), &key).await.unwrap();
    }
    assert_eq!(verify(&*store, &key).await, 5);
    // Neither a young entry nor an old one past the (absent) anchor may be deleted.
    for seq in [5, 1] {
        assert!(jixiao_store::testing::execute(
            &db.location,
            &format!("DELETE FROM audit WHERE seq = {seq}")
        )
        .await
        .is_err());
    }
    // A purge with a bound younger than 184 days is refused by the database: nothing goes.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert!(store.purge_audit(&tomorrow, "auditadmin").await.is_err());
    assert_eq!(verify(&*store, &key).await, 5);
    assert!(store.audit_anchor().await.unwrap().is_none());
    // Past the retention: the three of 2020 go, the anchor is the third, the rest verifies.
    let n = store
        .purge_audit("2021-01-01T00:00:00.000Z", "auditadmin")
        .await
        .unwrap();
    assert_eq!(n, 3);
    let anchor = store.audit_anchor().await.unwrap().unwrap();
    assert_eq!(
        (anchor.seq, anchor.mac.as_str()),
        (3, previous_of(&key, 3).as_str())
    );
    assert_eq!(verify(&*store, &key).await, 2);
    assert_eq!(
        store
            .purge_audit("2021-01-01T00:00:00.000Z", "x")
            .await
            .unwrap(),
        0,
        "nothing older left"
    );
    // The anchor does not open the young entries to deletion.
    assert!(
        jixiao_store::testing::execute(&db.location, "DELETE FROM audit WHERE seq = 4")
            .await
            .is_err()
    );
    assert_eq!(verify(&*store, &key).await, 2);
    // Reopened (another server), the chain goes on from where it is.
    let again = db.open().await;
    again.audit(&entry(0, "", "login"), &key).await.unwrap();
    assert_eq!(verify(&*again, &key).await, 3);
}

/// Checks the audit chain from its anchor (or its start): every entry there, in order, each
/// linked to the one before. Returns how many entries there are.
async fn verify(store: &dyn Store, key: &[u8]) -> usize {
    let (mut previous, mut next) = match store.audit_anchor().await.unwrap() {
        Some(a) => (a.mac, a.seq + 1),
        None => (String::new(), 1),
    };
    let chain = store.audit_chain(0, 1000).await.unwrap();
    for (e, mac) in &chain {
        assert_eq!(e.seq, next, "no entry missing");
        assert_eq!(mac.as_deref(), Some(e.link(key, &previous).as_str()));
        previous = mac.clone().unwrap();
        next += 1;
    }
    chain.len()
}

/// The link of the `n`th entry of 2020 written by the test above.
fn previous_of(key: &[u8], n: i64) -> String {
    let mut previous = String::new();
    for seq in 1..=n {
        let e = jixiao_store::AuditEntry {
            seq,
            at: format!("2020-01-0{seq}T00:00:00.000Z"),
            actor: "alice".into(),
            ip: "10.0.0.1".into(),
            action: "login".into(),
            target: "x".into(),
            detail: String::new(),
        };
        previous = e.link(key, &previous);
    }
    previous
}

/// An audit log purged to its very end: the next entry chains from the anchor.
async fn an_audit_log_purged_to_its_end_chains_on_from_the_anchor(db: TestDb) {
    use jixiao_store::AuditEntry;
    let store = db.open().await;
    let key = b"k".to_vec();
    let e = AuditEntry {
        seq: 1,
        at: "2020-01-01T00:00:00.000Z".into(),
        actor: "a".into(),
        ip: "".into(),
        action: "login".into(),
        target: "".into(),
        detail: "".into(),
    };
    let mac = e.link(&key, "");
    db.execute(&format!(
        "INSERT INTO audit (seq, at, actor, ip, action, target, detail, mac) VALUES (1, '{}', 'a', '', 'login', '', '', '{mac}')",
        e.at
    ))
    .await;
    assert_eq!(
        store
            .purge_audit("2021-01-01T00:00:00.000Z", "x")
            .await
            .unwrap(),
        1
    );
    assert!(store.audit_chain(0, 10).await.unwrap().is_empty());
    store
        .audit(
            &AuditEntry {
                seq: 0,
                at: String::new(),
                ..e.clone()
            },
            &key,
        )
        .await
        .unwrap();
    let chain = store.audit_chain(0, 10).await.unwrap();
    assert_eq!(chain[0].0.seq, 2, "numbers go on");
    assert_eq!(
        chain[0].1.as_deref(),
        Some(chain[0].0.link(&key, &mac).as_str())
    );
}

/// Text the bulk write treats specially on some backend (COPY's tab, newline, carriage return,
/// backslash and `\N`, quotes of either kind) and characters outside the common plane
/// (traditional and rare CJK, an extension-B ideograph, an emoji) come back exactly as
/// imported, created and replaced; owners are written with the new forms (the unit given, or
/// the unit organisation named as the implementer) and kept when a form is replaced.
async fn awkward_text_round_trips_through_import(db: TestDb) {
    let store = db.open().await;
    let odd =
        |s: &str| format!("{s}\t制表\n換行\r\\N 反斜杠\\ \"雙引號\" '單引號' 𠀀𪚥龘 鬱 ☃️ \\.");
    let mut forms = seed_forms();
    for (k, f) in forms.iter_mut().enumerate() {
        f.name = odd(&format!("{}{k}", f.name));
        f.department = odd(&f.department);
        f.goal_overall = odd(&f.goal_overall);
        f.goal_annual = format!("{}\n\n", odd(&f.goal_annual));
        f.funds.total = Some(jixiao_core::Money::from_fen(i64::MAX));
        f.funds.other = Some(jixiao_core::Money::from_fen(-1));
        // Annual totals at the edges of what a list line carries (and one missing).
        f.funds.annual_total = match k {
            0 => None,
            1 => Some(jixiao_core::Money::from_fen(i64::MAX)),
            2 => Some(jixiao_core::Money::from_fen(-9_007_199_254_740_993)),
            _ => f.funds.annual_total,
        };
        for i in &mut f.indicators {
            i.name = odd(&i.name);
            i.raw = odd(&i.raw);
            i.direction = Some(odd("正向"));
            match &mut i.target {
                jixiao_core::Target::Quantitative { unit, subject, .. } => {
                    *unit = odd(unit);
                    *subject = Some(odd("主體"));
                }
                jixiao_core::Target::Qualitative { text } => *text = odd(text),
            }
        }
    }
    // The first four forms belong to a unit named as their implementer.
    for f in &mut forms[..4] {
        f.implementer = odd("實施單位");
    }
    let unit = jixiao_store::Org {
        id: "u-odd".into(),
        name: odd("實施單位"),
        kind: "unit".into(),
        parent_id: None,
    };
    store.create_org(&unit).await.unwrap();
    let report = store.import(&forms, OnConflict::Refuse).await.unwrap();
    assert_eq!(report.count(ImportOutcome::Created), 8);
    for (k, (form, (id, _))) in forms.iter().zip(&report.outcomes).enumerate() {
        assert_eq!(store.get(id).await.unwrap().unwrap().without_ids(), *form);
        let meta = store.form_meta(id).await.unwrap().unwrap();
        let owner = (k < 4).then(|| "u-odd".to_string());
        assert_eq!(meta.unit_id, owner, "{k}");
        assert_eq!(
            store
                .find_key(form.year, &form.implementer, &form.name)
                .await
                .unwrap()
                .as_deref(),
            Some(id.as_str())
        );
    }
    // A list page (read as one JSON value) carries each line exactly as the rows read one by
    // one: the text, the missing and the largest amounts, the owner, the indicator count.
    let mut by_rows = store.list().await.unwrap();
    by_rows.sort_by(|a, b| a.id.cmp(&b.id));
    for sort in ["name", "-amount", "amount", "-updated"] {
        let mut q = all_forms();
        q.sort = sort.into();
        let mut paged = store.list_page(&q).await.unwrap().items;
        paged.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(paged, by_rows, "{sort}");
    }
    assert!(by_rows.iter().any(|r| r.annual_total.is_none()));
    assert!(by_rows
        .iter()
        .any(|r| r.unit_id.as_deref() == Some("u-odd")));
    // The same forms again: unchanged, byte for byte.
    let again = store.import(&forms, OnConflict::Refuse).await.unwrap();
    assert_eq!(again.count(ImportOutcome::Unchanged), 8);
    // Replaced (through the other path of the bulk write): the new text exactly, the owner
    // kept, the version up by one.
    let mut changed = forms[..2].to_vec();
    for f in &mut changed {
        f.goal_annual.push_str("\t补充\\");
        f.indicators[0].name.push_str("\n新");
    }
    let replaced = store
        .import_for(&changed, OnConflict::Replace, Some("nobody"))
        .await
        .unwrap();
    assert_eq!(replaced.count(ImportOutcome::Replaced), 2);
    for (form, (id, _)) in changed.iter().zip(&replaced.outcomes) {
        assert_eq!(store.get(id).await.unwrap().unwrap().without_ids(), *form);
        let meta = store.form_meta(id).await.unwrap().unwrap();
        assert_eq!((meta.unit_id.as_deref(), meta.version), (Some("u-odd"), 2));
    }
    // The library files the names as written.
    let entries = store
        .library(&jixiao_store::LibraryQuery {
            q: "制表".into(),
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(entries
        .iter()
        .any(|e| e.name == changed[0].indicators[0].name));
    // A new form given to a unit by the importer.
    let mut given = forms[7].clone();
    given.name = odd("另一个");
    let report = store
        .import_for(&[given], OnConflict::Refuse, Some("u-odd"))
        .await
        .unwrap();
    let meta = store
        .form_meta(&report.outcomes[0].0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.unit_id.as_deref(), Some("u-odd"));
    // A NUL, which PostgreSQL's text cannot hold, is either stored or refused with nothing
    // written; the store goes on working either way.
    let mut nul = forms[7].clone();
    nul.name = "空\0字符".into();
    let before = store.counts().await.unwrap();
    match store.import(&[nul.clone()], OnConflict::Refuse).await {
        Ok(r) => assert_eq!(
            store
                .get(&r.outcomes[0].0)
                .await
                .unwrap()
                .unwrap()
                .without_ids(),
            nul
        ),
        Err(_) => assert_eq!(store.counts().await.unwrap(), before),
    }
    let mut after = forms[7].clone();
    after.name = "之后".into();
    store.import(&[after], OnConflict::Refuse).await.unwrap();
}

/// A form's indicator count, which the list reads from the form, follows every write of it, and
/// the migration that brought it in counts what is stored.
async fn a_forms_indicator_count_follows_its_writes(db: TestDb) {
    let store = db.open().await;
    let forms = seed_forms();
    let report = store.import(&forms, OnConflict::Refuse).await.unwrap();
    let ids: Vec<String> = report.outcomes.iter().map(|(id, _)| id.clone()).collect();
    for (form, id) in forms.iter().zip(&ids) {
        assert_eq!(
            row(&*store, id).await.indicators,
            form.indicators.len() as i64
        );
    }
    // Replaced with two indicators fewer, and another with one more.
    let mut fewer = forms[0].clone();
    fewer.indicators.truncate(fewer.indicators.len() - 2);
    let mut more = forms[1].clone();
    more.indicators.push(more.indicators[0].clone());
    more.indicators
        .last_mut()
        .unwrap()
        .name
        .push_str("（又一）");
    let replaced = store
        .import(&[fewer.clone(), more.clone()], OnConflict::Replace)
        .await
        .unwrap();
    assert_eq!(replaced.count(ImportOutcome::Replaced), 2);
    assert_eq!(
        row(&*store, &ids[0]).await.indicators,
        fewer.indicators.len() as i64
    );
    assert_eq!(
        row(&*store, &ids[1]).await.indicators,
        more.indicators.len() as i64
    );
    // The migration's count of what is stored, run again over counts wiped behind the store.
    let migration = if jixiao_store::is_postgres(&db.location) {
        include_str!("../migrations/postgres/0007_indicator_count.sql")
    } else {
        include_str!("../migrations/sqlite/0026_indicator_count.sql")
    };
    let backfill: String = migration
        .lines()
        .filter(|l| l.starts_with("UPDATE"))
        .collect();
    assert!(!backfill.is_empty());
    jixiao_store::testing::execute(&db.location, "UPDATE forms SET indicator_count = 0")
        .await
        .unwrap();
    assert_eq!(row(&*store, &ids[2]).await.indicators, 0);
    jixiao_store::testing::execute(&db.location, &backfill)
        .await
        .unwrap();
    for (k, id) in ids.iter().enumerate() {
        let stored = store.get(id).await.unwrap().unwrap().indicators.len() as i64;
        assert_eq!(row(&*store, id).await.indicators, stored, "{k}");
    }
}

/// Every test above, once per backend.
/// Every link of the audit chain checks under `key`, from its beginning.
async fn chain_checks(store: &dyn Store, key: &[u8]) -> Vec<jixiao_store::AuditEntry> {
    let chain = store.audit_chain(0, 10_000).await.unwrap();
    let mut previous = String::new();
    for (e, mac) in &chain {
        let mac = mac.clone().expect("every entry linked");
        assert_eq!(e.link(key, &previous), mac, "entry {} links", e.seq);
        previous = mac;
    }
    chain.into_iter().map(|(e, _)| e).collect()
}

async fn a_change_and_its_audit_entry_commit_together(db: TestDb) {
    use jixiao_core::workflow::Status;
    use jixiao_store::{audited, AuditEntry};
    use std::sync::Arc;
    let store = db.open().await;
    let key = b"audit key".to_vec();
    let entry = |action: &str, target: &str| AuditEntry {
        seq: 0,
        at: String::new(),
        actor: "editor".into(),
        ip: "10.0.0.1".into(),
        action: action.into(),
        target: target.into(),
        detail: "what was done".into(),
    };
    // An import names what it counted before the caller's detail.
    let forms = seed_forms();
    let mut batches = vec![Ok(forms.clone())].into_iter();
    let (counts, left) = audited(
        entry("forms_import", "seed.txt"),
        &key,
        store.import_batches(&mut batches, OnConflict::Refuse, None, &mut |_, _| {}),
    )
    .await;
    assert_eq!(counts.unwrap().created, 8);
    assert!(left.is_none(), "the import's transaction took the entry");
    let log = chain_checks(&*store, &key).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].detail,
        "created 8, replaced 0, unchanged 0; what was done"
    );
    // A created form: the entry names the ID the write made.
    let mut new = forms[0].clone();
    new.name = "审计同事务的新项目".into();
    let (id, left) = audited(
        entry("form_create", ""),
        &key,
        store.create_form(&new, None, "editor"),
    )
    .await;
    let id = id.unwrap();
    assert!(left.is_none());
    let log = chain_checks(&*store, &key).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].target, id);
    assert_eq!(log[1].action, "form_create");
    // A refused change records nothing and hands the entry back.
    let (refused, left) = audited(
        entry("form_save", &id),
        &key,
        store.save_form(&id, 7, Status::Draft, &new, Status::Draft, "editor"),
    )
    .await;
    assert!(matches!(refused, Err(StoreError::Conflict { .. })));
    assert_eq!(left.map(|e| e.action), Some("form_save".to_string()));
    assert_eq!(chain_checks(&*store, &key).await.len(), 2);
    // When the entry cannot be written, the change is not made either.
    db.execute("ALTER TABLE audit RENAME TO audit_away").await;
    let mut changed = new.clone();
    changed.goal_annual = "不应留下的改动".into();
    let (failed, left) = audited(
        entry("form_save", &id),
        &key,
        store.save_form(&id, 1, Status::Draft, &changed, Status::Draft, "editor"),
    )
    .await;
    db.execute("ALTER TABLE audit_away RENAME TO audit").await;
    assert!(failed.is_err(), "the save failed with its audit entry");
    assert!(left.is_some(), "the entry is handed back");
    assert_eq!(store.version(&id).await.unwrap(), 1);
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().goal_annual,
        new.goal_annual
    );
    // Writers released together: each change carries its own entry, and the chain stays one.
    let store: Arc<dyn Store> = Arc::from(store);
    let ids: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(ids.len()));
    let mut tasks = vec![];
    for id in ids.clone() {
        let (store, barrier, key) = (store.clone(), barrier.clone(), key.clone());
        let e = entry("form_save", &id);
        tasks.push(tokio::spawn(async move {
            let mut form = store.get(&id).await.unwrap().unwrap();
            form.goal_annual.push('。');
            let v = store.version(&id).await.unwrap();
            barrier.wait().await;
            let (saved, left) = audited(
                e,
                &key,
                store.save_form(&id, v, Status::Draft, &form, Status::Draft, "editor"),
            )
            .await;
            saved.unwrap();
            assert!(left.is_none());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let log = chain_checks(&*store, &key).await;
    assert_eq!(log.len(), 2 + ids.len());
    let mut saved: Vec<&str> = log[2..].iter().map(|e| e.target.as_str()).collect();
    saved.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(saved, expected, "one entry per save");
}

/// Writers released together on an engine that runs every transaction SERIALIZABLE (as
/// CockroachDB does; set here on PostgreSQL for the database): a transaction that meets a
/// serialization failure (40001) or a deadlock (40P01) is run again, so every save lands once
/// and nothing is counted twice. On SQLite writers queue and never meet one.
async fn serialization_failures_are_retried(db: TestDb) {
    use jixiao_core::workflow::Status;
    use jixiao_store::LibraryQuery;
    use std::sync::Arc;
    if db._dir.is_none() {
        db.execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation TO serializable', current_database()); END $$",
        )
        .await;
    }
    let store = db.open().await;
    let report = store
        .import(&seed_forms(), OnConflict::Refuse)
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::from(store);
    for round in 0..3 {
        let barrier = Arc::new(tokio::sync::Barrier::new(report.outcomes.len()));
        let mut tasks = vec![];
        for (id, _) in &report.outcomes {
            let (store, barrier, id) = (store.clone(), barrier.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let mut form = store.get(&id).await.unwrap().unwrap();
                form.indicators[0].name = format!("共同的指标{round}");
                let v = store.version(&id).await.unwrap();
                barrier.wait().await;
                store
                    .save_form(&id, v, Status::Draft, &form, Status::Draft, "t")
                    .await
            }));
        }
        for t in tasks {
            let saved = t.await.unwrap();
            assert!(saved.is_ok(), "round {round}: {saved:?}");
        }
        let shared = store
            .library(&LibraryQuery {
                q: format!("共同的指标{round}"),
                limit: 10,
                ..LibraryQuery::default()
            })
            .await
            .unwrap();
        let total: i64 = shared.iter().map(|e| e.count).sum();
        assert_eq!(total, 8, "round {round}: every save counted once");
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::TestDb::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::TestDb::postgres().await).await
                }
            )*
        }
    };
}

conformance!(
    stores_and_returns_forms_exactly,
    weights_and_directions_are_kept,
    a_failing_import_writes_nothing,
    an_id_cannot_be_taken_twice,
    findings_are_kept_per_version,
    the_library_follows_every_form_and_self_evaluation,
    the_library_stays_exact_under_concurrent_saves,
    a_self_evaluation_moves_once_and_is_locked_once_submitted,
    the_library_is_curated_and_answers_by_project_category,
    a_save_racing_a_submit_never_pulls_the_form_out_of_review,
    a_period_keeps_the_light_and_a_self_evaluation_the_grade_in_the_same_write,
    the_portfolio_sum_never_overflows_whatever_is_stored,
    an_import_in_batches_is_one_transaction,
    approvals_are_signed_in_the_transitions_transaction,
    grants_wait_for_a_decision_and_apply_once,
    an_older_database_keeps_its_accounts_sessions_and_password_history,
    the_audit_log_is_purged_only_past_its_retention_and_still_verifies,
    an_audit_log_purged_to_its_end_chains_on_from_the_anchor,
    a_change_and_its_audit_entry_commit_together,
    serialization_failures_are_retried,
    awkward_text_round_trips_through_import,
    keyset_pages_give_every_form_once_in_every_order,
    a_forms_indicator_count_follows_its_writes,
);
