//! The indicator library with many forms stored (issue 11: p99 within 50 ms at 100,000).
//!
//!     cargo bench -p jixiao-store --bench library               # 100,000 forms
//!     FORMS=20000 cargo bench -p jixiao-store --bench library
//!
//! The forms are the seed's eight, varied: each copy has its own project name, one of 800
//! implementers and a year from 2016 to 2024, and about a third of its indicators renamed
//! for the project (a long tail of names filed once or a few times, as real forms have).
//! Prints the time to store them (in batches of 5,000, the library kept by each batch), the
//! library's size, then the latency of library searches (p50 / p99 / max over all queries,
//! and p99 of each kind) and of saving one form with 100,000 stored.

use jixiao_store::{LibraryQuery, OnConflict};
use std::time::{Duration, Instant};

const SEED: &[u8] = include_bytes!("../../../fixtures/shanghai-bigdata-center-2023.txt");

fn varied(seed: &[jixiao_core::Form], k: usize) -> jixiao_core::Form {
    let mut f = seed[k % seed.len()].clone();
    f.name = format!("{}（第{}号）", f.name, k);
    f.implementer = format!("{}{}", f.implementer, k % 800);
    f.year = 2016 + (k % 9) as i32;
    for (j, i) in f.indicators.iter_mut().enumerate() {
        // A deterministic third of the indicators get a project's own wording.
        if (k * 31 + j * 17).is_multiple_of(3) {
            i.name = format!("{}（{}）", i.name, (k * 7 + j) % 4000);
        }
    }
    f
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let n: usize = std::env::var("FORMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: Vec<_> = jixiao_import::read_disclosure(SEED)
        .unwrap()
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.db");
    runtime.block_on(async {
        let store = jixiao_store::open(path.to_str().unwrap()).await.unwrap();
        let t = Instant::now();
        let mut k = 0;
        let mut entries = std::collections::HashSet::new();
        while k < n {
            let batch: Vec<_> = (k..(k + 5_000).min(n)).map(|k| varied(&seed, k)).collect();
            for f in &batch {
                for i in &f.indicators {
                    let unit = match &i.target {
                        jixiao_core::Target::Quantitative { unit, .. } => unit.clone(),
                        _ => String::new(),
                    };
                    entries.insert((i.name.clone(), i.level1, i.level2, unit));
                }
            }
            store.import(&batch, OnConflict::Refuse).await.unwrap();
            k += batch.len();
        }
        let stored = t.elapsed();
        let (forms, indicators) = store.counts().await.unwrap();
        println!(
            "stored {forms} forms, {indicators} indicators in {:.1} s ({:.0} forms/s, library kept)",
            stored.as_secs_f64(),
            forms as f64 / stored.as_secs_f64()
        );
        println!("library entries (name, levels, unit): {}", entries.len());
        drop(entries);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("database file: {:.0} MB", size as f64 / 1e6);

        let queries: Vec<(&str, LibraryQuery)> = vec![
            ("two characters", LibraryQuery { q: "满意".into(), limit: 20, ..Default::default() }),
            ("one character", LibraryQuery { q: "率".into(), limit: 20, ..Default::default() }),
            ("a whole name", LibraryQuery { q: "用户满意度".into(), limit: 20, ..Default::default() }),
            ("a long-tail name", LibraryQuery { q: "（1234）".into(), limit: 20, ..Default::default() }),
            ("no match (scans all)", LibraryQuery { q: "不存在的指标名称".into(), limit: 20, ..Default::default() }),
            ("empty, by level", LibraryQuery { level1: Some("产出指标".into()), level2: Some("质量指标".into()), limit: 20, ..Default::default() }),
            ("everything, 100", LibraryQuery { limit: 100, ..Default::default() }),
            ("a category's typical", LibraryQuery { category: Some("特定目标类".into()), limit: 20, ..Default::default() }),
            ("a category, with text", LibraryQuery { q: "率".into(), category: Some("其他运转类".into()), limit: 20, ..Default::default() }),
        ];
        let entries = store
            .library(&LibraryQuery { q: "（".into(), limit: 100, ..Default::default() })
            .await
            .unwrap();
        assert!(!entries.is_empty());
        let rounds = 200;
        let mut all = vec![];
        let mut lines = vec![];
        for (what, q) in &queries {
            let mut times = vec![];
            let mut found = 0;
            for _ in 0..rounds {
                let t = Instant::now();
                found = store.library(q).await.unwrap().len();
                times.push(t.elapsed());
            }
            times.sort();
            lines.push(format!(
                "  {what:<22} p50 {:>6.2} ms  p99 {:>6.2} ms  ({found} entries)",
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99))
            ));
            all.extend(times);
        }
        all.sort();
        println!(
            "library searches ({} = {} kinds × {rounds}): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            all.len(),
            queries.len(),
            ms(percentile(&all, 0.5)),
            ms(percentile(&all, 0.99)),
            ms(*all.last().unwrap())
        );
        for l in lines {
            println!("{l}");
        }
        let library: i64 = store
            .library(&LibraryQuery { limit: 1, ..Default::default() })
            .await
            .map(|v| v.len() as i64)
            .unwrap();
        assert_eq!(library, 1);

        // Saving one form (its indicators changed) with everything stored.
        let ids: Vec<String> = store.list().await.unwrap().into_iter().take(50).map(|r| r.id).collect();
        let mut saves = vec![];
        for id in &ids {
            let mut form = store.get(id).await.unwrap().unwrap();
            form.indicators[0].name = format!("{}（改）", form.indicators[0].name);
            let v = store.version(id).await.unwrap();
            let t = Instant::now();
            store
                .save_form(id, v, jixiao_core::workflow::Status::Draft, &form, jixiao_core::workflow::Status::Draft, "bench")
                .await
                .unwrap();
            saves.push(t.elapsed());
        }
        saves.sort();
        println!(
            "saving one form ({} saves): p50 {:.2} ms, p99 {:.2} ms",
            saves.len(),
            ms(percentile(&saves, 0.5)),
            ms(percentile(&saves, 0.99))
        );
    });
}
