//! Workbook speed: the seed's 8 forms written ROUNDS times (a sheet each) and read back, one
//! thread, best of 3.
//!
//!     cargo bench -p jixiao-export --bench xlsx
use std::time::{Duration, Instant};

fn best<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..3 {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("ran"))
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50);
    let seed: Vec<_> = jixiao_import::read_disclosure(jixiao_import::SEED)
        .expect("the seed reads")
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    let forms: Vec<_> = (0..rounds).flat_map(|_| seed.iter().cloned()).collect();
    let (w, bytes) = best(|| jixiao_export::forms_xlsx(&forms).expect("writes"));
    let (r, n) = best(|| jixiao_import::read_any(&bytes).expect("reads").forms.len());
    assert_eq!(n, forms.len());
    println!(
        "write {} forms: {:.3} s, {:.0} forms/s, {:.1} MB",
        forms.len(),
        w.as_secs_f64(),
        forms.len() as f64 / w.as_secs_f64(),
        bytes.len() as f64 / 1e6
    );
    println!(
        "read {} forms back: {:.3} s, {:.0} forms/s",
        n,
        r.as_secs_f64(),
        n as f64 / r.as_secs_f64()
    );
}
