//! Reading and importing benchmark: the seed repeated to FORMS forms (default 10,000).
//!
//!     cargo bench -p jixiao-store --bench import            # 10,000 forms
//!     FORMS=50000 cargo bench -p jixiao-store --bench import
//!
//! Prints parsing throughput (MB/s, forms/s, one thread), parse+store throughput into a
//! fresh SQLite file (forms/s), and the process's peak resident memory after each stage.

use jixiao_store::OnConflict;
use std::time::{Duration, Instant};

const SEED: &str = include_str!("../../../fixtures/shanghai-bigdata-center-2023.txt");

/// The seed repeated, each copy's project names made unique so no form is a duplicate.
fn corpus(forms: usize) -> String {
    let copies = forms.div_ceil(8);
    let mut out = String::with_capacity(SEED.len() * copies + copies * 64);
    for k in 0..copies {
        for line in SEED.split_inclusive('\n') {
            let first = line.split('\t').next().unwrap_or("");
            if first.replace("<b>", "").replace("</b>", "").trim() == "项目名称" {
                let mut cells: Vec<String> = line
                    .trim_end_matches('\n')
                    .split('\t')
                    .map(str::to_string)
                    .collect();
                if cells.len() > 1 {
                    cells[1] = format!("{}（第{}批）", cells[1], k + 1);
                }
                out.push_str(&cells.join("\t"));
                out.push('\n');
            } else {
                out.push_str(line);
            }
        }
        out.push('\n');
    }
    out
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("at least one run"))
}

fn main() {
    let forms: usize = std::env::var("FORMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let text = corpus(forms);
    let mb = text.len() as f64 / 1e6;
    println!(
        "corpus: {} bytes ({mb:.1} MB), {} forms expected",
        text.len(),
        forms.div_ceil(8) * 8
    );
    let rss_before = peak_rss_mib();

    let (parse, out) = best_of(5, || {
        jixiao_import::read_disclosure(text.as_bytes()).expect("corpus reads")
    });
    let n = out.forms.len();
    let indicators = out.indicator_count();
    let secs = parse.as_secs_f64();
    println!(
        "parse (best of 5, 1 thread): {:.3} s  {:.1} MB/s  {:.0} forms/s  {} forms  {} indicators",
        secs,
        mb / secs,
        n as f64 / secs,
        n,
        indicators
    );
    println!(
        "peak RSS after parsing: {:.1} MiB (before: {:.1} MiB)",
        peak_rss_mib(),
        rss_before
    );
    drop(out);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut store_only = vec![];
    let mut both = vec![];
    for run in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("bench-{run}.db"));
        let t = Instant::now();
        let out = jixiao_import::read_disclosure(text.as_bytes()).unwrap();
        let forms: Vec<_> = out.forms.into_iter().map(|f| f.form).collect();
        let parsed = t.elapsed();
        runtime.block_on(async {
            let store = jixiao_store::open(path.to_str().unwrap()).await.unwrap();
            store.import(&forms, OnConflict::Refuse).await.unwrap();
            both.push(t.elapsed());
            store_only.push(t.elapsed() - parsed);
            assert_eq!(store.counts().await.unwrap(), (n as i64, indicators as i64));
        });
    }
    for (what, times) in [
        ("store alone (open + one transaction)", &mut store_only),
        ("parse + store", &mut both),
    ] {
        times.sort();
        let (best, median) = (times[0].as_secs_f64(), times[1].as_secs_f64());
        println!(
            "{what}, 3 runs: best {best:.3} s = {:.0} forms/s, median {median:.3} s = {:.0} forms/s",
            n as f64 / best,
            n as f64 / median
        );
    }
    println!("peak RSS after storing: {:.1} MiB", peak_rss_mib());
}
