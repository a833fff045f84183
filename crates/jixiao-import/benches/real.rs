//! Reading speed on the real corpus (`fixtures/real/*.txt`, every layout) against the seed,
//! measured in the same run so that the ratio holds on a noisy machine.
//!
//!     cargo bench -p jixiao-import --bench real
//!
//! Each text is read ROUNDS times (default 200), one thread, best of 5.

use std::time::{Duration, Instant};

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed());
    }
    (best, n)
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real");
    let mut texts: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/real")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
        .collect();
    texts.sort();
    let real_bytes: usize = texts.iter().map(String::len).sum();
    let seed = String::from_utf8_lossy(jixiao_import::SEED).into_owned();
    let seed_copies = (real_bytes / seed.len()).max(1);

    let (real, real_rows) = best_of(5, || {
        let mut rows = 0;
        for _ in 0..rounds {
            for t in &texts {
                if let Ok(out) = jixiao_import::read_disclosure_str(t) {
                    rows += out.indicator_count()
                        + out.tables.iter().map(|x| x.table.rows.len()).sum::<usize>();
                }
            }
        }
        rows
    });
    let (seed_t, seed_rows) = best_of(5, || {
        let mut rows = 0;
        for _ in 0..rounds * seed_copies {
            rows += jixiao_import::read_disclosure_str(&seed).map_or(0, |o| o.indicator_count());
        }
        rows
    });
    let mb = |bytes: usize, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let real_mbs = mb(real_bytes * rounds, real);
    let seed_mbs = mb(seed.len() * seed_copies * rounds, seed_t);
    println!(
        "real corpus: {} texts, {} bytes × {rounds}: {:.3} s, {real_mbs:.1} MB/s, {} rows",
        texts.len(),
        real_bytes,
        real.as_secs_f64(),
        real_rows / rounds
    );
    println!(
        "seed: {} bytes × {} × {rounds}: {:.3} s, {seed_mbs:.1} MB/s, {} indicators",
        seed.len(),
        seed_copies,
        seed_t.as_secs_f64(),
        seed_rows / rounds / seed_copies
    );
    println!("real ÷ seed speed: {:.2}", real_mbs / seed_mbs);
}
