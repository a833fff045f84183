//! The corpus of real published forms (`fixtures/real/`): each text as found on a public
//! budget-disclosure page, with a reading checked by hand (`.expected.json`, see
//! `fixtures/real/README.md`). Every fixture is read and compared row by row with its
//! reading; rows the reading marks `ambiguous` are left out of the count.
//!
//! `cargo test -p jixiao-import --test real -- --nocapture` prints the report per file.

mod common;

use common::{accounted, residue};
use jixiao_core::{Level1, Level2, Target};
use jixiao_import::{read_disclosure, ReadOutput};
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn corpus() -> Vec<(PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real");
    let mut out = vec![];
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            let exp = p.with_extension("expected.json");
            // A text without its reading is reported by `every_text_has_its_reading`.
            let Ok(json) = std::fs::read_to_string(&exp) else {
                continue;
            };
            let v: Value =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", exp.display()));
            out.push((p, v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// The self-evaluation tables of a reading: `tables`, or the one table at the top level.
fn tables(v: &Value) -> Vec<Value> {
    match v.get("tables").and_then(Value::as_array) {
        Some(t) => t.clone(),
        None if v.get("indicators").is_some() => vec![v.clone()],
        None => vec![],
    }
}

fn no_space(t: &str) -> String {
    t.chars().filter(|c| !c.is_whitespace()).collect()
}

fn level1_name(l: Level1) -> &'static str {
    l.name()
}

fn level2_name(l: Option<Level2>) -> &'static str {
    l.map(|x| x.name()).unwrap_or("")
}

fn target_matches(exp: &Value, got: &Target) -> bool {
    match (s(&exp["kind"]), got) {
        (
            "quantitative",
            Target::Quantitative {
                op, value, unit, ..
            },
        ) => {
            let ev = Decimal::from_str(&s(&exp["value"]).replace(',', ""))
                .map(|d| d.normalize())
                .ok();
            op.ascii() == s(&exp["op"]) && ev == Some(value.normalize()) && unit == s(&exp["unit"])
        }
        ("qualitative", Target::Qualitative { text }) => {
            no_space(text) == no_space(s(&exp["text"]))
        }
        _ => false,
    }
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(t) => Decimal::from_str(t.trim()).ok(),
        _ => None,
    }
}

fn unambiguous(rows: &Value) -> usize {
    rows.as_array()
        .map_or(0, |r| r.iter().filter(|i| i["ambiguous"] != true).count())
}

#[derive(Default)]
struct Tally {
    rows: usize,
    right: usize,
    misses: Vec<String>,
}

fn check_decl(exp: &Value, out: &ReadOutput, t: &mut Tally) {
    let forms = exp["forms"].as_array().cloned().unwrap_or_default();
    let mut used = vec![false; out.forms.len()];
    for (fi, ef) in forms.iter().enumerate() {
        // The read form of the same name, else the one in the same place.
        let k = out
            .forms
            .iter()
            .enumerate()
            .position(|(k, f)| {
                !used[k]
                    && !s(&ef["name"]).is_empty()
                    && no_space(&f.form.name) == no_space(s(&ef["name"]))
            })
            .or_else(|| (fi < out.forms.len() && !used[fi]).then_some(fi));
        let inds = ef["indicators"].as_array().cloned().unwrap_or_default();
        let Some(k) = k else {
            for i in inds.iter().filter(|i| i["ambiguous"] != true) {
                t.rows += 1;
                t.misses.push(format!(
                    "form “{}” not read: “{}”",
                    s(&ef["name"]),
                    s(&i["name"])
                ));
            }
            continue;
        };
        used[k] = true;
        let got = &out.forms[k].form.indicators;
        let mut taken = vec![false; got.len()];
        for ei in inds.iter().filter(|i| i["ambiguous"] != true) {
            t.rows += 1;
            let name = no_space(s(&ei["name"]));
            let Some(j) = (0..got.len()).find(|&j| !taken[j] && no_space(&got[j].name) == name)
            else {
                t.misses.push(format!("not read: “{}”", s(&ei["name"])));
                continue;
            };
            taken[j] = true;
            let g = &got[j];
            let l1 = s(&ei["level1"]);
            let l2 = s(&ei["level2"]);
            let ok_l1 = l1.is_empty() || level1_name(g.level1) == l1;
            let ok_l2 = l2.is_empty() || level2_name(g.level2) == l2;
            let ok_t = target_matches(&ei["target"], &g.target);
            // The weight column, where the reading gives a number for it.
            let ok_w = dec(&ei["weight"]).is_none_or(|w| g.weight == Some(w));
            if ok_l1 && ok_l2 && ok_t && ok_w {
                t.right += 1;
            } else {
                t.misses.push(format!(
                    "“{}”: got {} / {} / {:?} / {:?}, expected {} / {} / {} / {}",
                    g.name,
                    level1_name(g.level1),
                    level2_name(g.level2),
                    g.target,
                    g.weight,
                    l1,
                    l2,
                    ei["target"],
                    ei["weight"]
                ));
            }
        }
    }
}

fn check_self(exp: &Value, out: &ReadOutput, t: &mut Tally) {
    for (ti, et) in tables(exp).iter().enumerate() {
        let inds = et["indicators"].as_array().cloned().unwrap_or_default();
        let got = out.tables.get(ti).map(|x| &x.table.rows);
        for ei in inds.iter().filter(|i| i["ambiguous"] != true) {
            t.rows += 1;
            let Some(rows) = got else {
                t.misses
                    .push(format!("table {ti} not read: “{}”", s(&ei["name"])));
                continue;
            };
            let name = no_space(s(&ei["name"]));
            let Some(g) = rows.iter().find(|r| no_space(&r.name) == name) else {
                t.misses.push(format!("not read: “{}”", s(&ei["name"])));
                continue;
            };
            let ok = no_space(&g.target) == no_space(s(&ei["target"]))
                && no_space(&g.actual) == no_space(s(&ei["actual"]))
                && (ei["weight"].is_null() || g.weight == dec(&ei["weight"]))
                && (ei["self_score"].is_null() || g.self_score == dec(&ei["self_score"]))
                && (s(&ei["level1"]).is_empty() || level1_name(g.level1) == s(&ei["level1"]));
            if ok {
                t.right += 1;
            } else {
                t.misses.push(format!(
                    "“{}”: got {} / {} / {:?} / {:?}, expected {} / {} / {} / {}",
                    g.name,
                    g.target,
                    g.actual,
                    g.weight,
                    g.self_score,
                    s(&ei["target"]),
                    s(&ei["actual"]),
                    ei["weight"],
                    ei["self_score"]
                ));
            }
        }
    }
}

/// Reads every fixture; returns (file, rows, right, misses).
fn run() -> Vec<(String, usize, usize, Vec<String>)> {
    let mut report = vec![];
    for (path, exp) in corpus() {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let mut t = Tally::default();
        match read_disclosure(&bytes) {
            Ok(out) => {
                let is_self = s(&exp["kind"]) == "self" || file.contains("-self");
                if is_self {
                    check_self(&exp, &out, &mut t);
                } else {
                    check_decl(&exp, &out, &mut t);
                }
            }
            Err(e) => {
                let n: usize = exp["forms"]
                    .as_array()
                    .map(|f| f.iter().map(|x| unambiguous(&x["indicators"])).sum())
                    .unwrap_or_else(|| {
                        tables(&exp)
                            .iter()
                            .map(|x| unambiguous(&x["indicators"]))
                            .sum()
                    });
                t.rows = n;
                t.misses.push(format!("refused: {e}"));
            }
        }
        report.push((file, t.rows, t.right, t.misses));
    }
    report
}

#[test]
fn the_real_corpus() {
    let report = run();
    let (mut rows, mut right) = (0, 0);
    for (file, n, r, misses) in &report {
        println!("{file}: {r}/{n}");
        for m in misses {
            println!("    {m}");
        }
        rows += n;
        right += r;
    }
    println!("TOTAL {right}/{rows}");
    assert!(
        report.len() >= 40,
        "the corpus holds {} texts",
        report.len()
    );
    // No text is refused (the last, 120, a site preview in traditional script with pinyin
    // after the characters, its names, descriptions and 优/良/中/差 thresholds run together, is
    // read with every guess said): a ratchet, so that the number stays at none.
    let refused: Vec<&String> = report
        .iter()
        .filter(|(_, _, _, m)| m.iter().any(|x| x.starts_with("refused")))
        .map(|(f, ..)| f)
        .collect();
    println!("refused {}: {refused:?}", refused.len());
    assert_eq!(refused.len(), MAX_REFUSED, "refused: {refused:?}");
    // A ratchet on the rows read right (see docs/benchmarks.md for the figure and what the
    // rest are): it may rise, never fall.
    assert!(
        right * 1000 >= rows * MIN_PER_MILLE,
        "{right}/{rows} rows right"
    );
}

/// The share of the corpus's rows read right, in ‰, as last measured.
const MIN_PER_MILLE: usize = 1000;

/// Texts still refused, as last measured: none (compared with `==`, the least it can be).
const MAX_REFUSED: usize = 0;

#[test]
fn every_text_has_its_reading() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            assert!(
                p.with_extension("expected.json").exists(),
                "{} has no reading",
                p.display()
            );
        }
    }
}

/// The three samples of `../shared/real-forms` read as their readings say.
#[test]
fn the_three_samples() {
    for (file, n, r, misses) in run() {
        if file.starts_with("01-") || file.starts_with("03-") || file.starts_with("10-") {
            assert_eq!(r, n, "{file}: {misses:#?}");
        }
    }
}

/// Nothing is lost: every non-empty cell of every real text ends up in a field, is a word of
/// the layout, or is quoted in a warning. Checked on the texts the reader reads.
#[test]
fn nothing_is_lost() {
    let mut lost = vec![];
    for (path, _) in corpus() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(out) = read_disclosure(&bytes) else {
            continue;
        };
        let acc = accounted(&out);
        // A document site's preview chunk numbers (`\n\n2、`) are the site's, not the form's:
        // the reader removes them and says so; the cells are checked as the reader joined them.
        let text = String::from_utf8_lossy(&bytes).to_string();
        let joined = jixiao_import::without_site_chunks(&text);
        if joined != text {
            assert!(
                out.warnings.iter().any(|w| w.message.contains("分段编号")),
                "{}: chunk numbers removed without a warning",
                path.display()
            );
        }
        for (n, line) in joined.lines().enumerate() {
            for cell in line.split(['|', '\t']) {
                let r = residue(cell, &acc);
                if r.is_empty() {
                    continue;
                }
                // Space-separated cells: each word on its own, or with its neighbours where
                // together they make a layout word (`投入目标 (万元)`, as the reader joins them).
                let raw: Vec<&str> = cell.split_whitespace().collect();
                let in_layout_word = |i: usize| {
                    (2..=4).any(|n: usize| {
                        (i.saturating_sub(n - 1)..=i)
                            .filter(|&a| a + n <= raw.len())
                            .any(|a| jixiao_import::is_layout_word(&raw[a..a + n].concat()))
                    })
                };
                let words: Vec<String> = raw
                    .iter()
                    .map(|w| residue(w, &acc))
                    .enumerate()
                    .filter(|(i, r)| !r.is_empty() && !in_layout_word(*i))
                    .map(|(_, r)| r)
                    .collect();
                if !words.is_empty() {
                    lost.push(format!(
                        "{}:{}: {}",
                        path.file_name().unwrap().to_string_lossy(),
                        n + 1,
                        words.join(" ")
                    ));
                }
            }
        }
    }
    for l in &lost {
        println!("LOST {l}");
    }
    // None is lost: every cell of every text read ends in a field, is a word of the layout,
    // or is quoted in a warning (was a ratchet, MAX_LOST, until it reached none).
    assert!(lost.is_empty(), "{} cells lost", lost.len());
}

/// Every self-evaluation table read from the corpus is scored (none fails as a whole), and its
/// published total is either reproduced or listed as a departure.
#[test]
fn every_real_table_scores() {
    use jixiao_core::score::{score, Scheme};
    let mut tables = 0;
    for (path, _) in corpus() {
        let Ok(out) = read_disclosure(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        for t in out.tables.iter().filter(|t| !t.table.rows.is_empty()) {
            tables += 1;
            let (eval, _) = t.table.to_self_evaluation();
            let e = eval.to_evaluation(None).unwrap();
            let s = score(&e, &Scheme::national())
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            if let Some(published) = t.table.self_total {
                let reproduced = (s.total - published).abs() < Decimal::new(1, 2);
                assert!(
                    reproduced || s.departures.iter().any(|d| d.indicator == "总分"),
                    "{}: total {} against {published} with no departure",
                    path.display(),
                    s.total
                );
            }
        }
    }
    assert!(tables >= 12, "{tables} tables scored");
}

/// The budget line of every self-evaluation table against its reading: printed, and counted
/// as a ratchet (`cargo test -p jixiao-import --test real budget -- --nocapture`).
#[test]
fn budget_lines() {
    let (mut n, mut right) = (0, 0);
    for (path, exp) in corpus() {
        let Ok(out) = read_disclosure(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        for (ti, et) in tables(&exp).iter().enumerate() {
            let b = &et["budget"];
            let (Some(ea), Some(es)) = (
                dec(&b["annual_budget"]).or_else(|| dec(&b["initial_budget"])),
                dec(&b["spent"]),
            ) else {
                continue;
            };
            if b["ambiguous"] == true {
                continue;
            }
            n += 1;
            let got = out.tables.get(ti).map(|t| &t.table.budget);
            let ga = got.and_then(|g| g.annual.or(g.initial));
            let ok = ga == Some(ea) && got.and_then(|g| g.spent) == Some(es);
            if ok {
                right += 1;
            } else {
                println!(
                    "{} table {ti}: got {:?} / {:?}, expected {ea} / {es}",
                    path.file_name().unwrap().to_string_lossy(),
                    ga,
                    got.and_then(|g| g.spent)
                );
            }
        }
    }
    println!("BUDGETS {right}/{n}");
    assert!(
        right * 100 >= n * MIN_BUDGET_PERCENT,
        "{right}/{n} budget lines right"
    );
}

/// Budget lines read right, in %, as last measured.
const MIN_BUDGET_PERCENT: usize = 88;

/// The texts refused until issue 9's follow-up, whose every row the reading marks ambiguous
/// (a chunked site preview, a transposed table, fused digits with several splits, grade
/// thresholds): now read, each uncertain reading said in a warning. Their rows are compared with the hand reading,
/// ambiguous ones included: most must match, and each read row must carry a warning that
/// quotes it (its name, or the digits its values were split from).
#[test]
fn wholly_ambiguous_texts() {
    let mut report = vec![];
    for (path, exp) in corpus() {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let is_self = s(&exp["kind"]) == "self" || file.contains("-self");
        let rows: Vec<Value> = if is_self {
            tables(&exp)
                .iter()
                .flat_map(|t| t["indicators"].as_array().cloned().unwrap_or_default())
                .collect()
        } else {
            exp["forms"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|f| f["indicators"].as_array().cloned().unwrap_or_default())
                .collect()
        };
        if !ONCE_REFUSED.iter().any(|f| file.starts_with(f)) {
            continue;
        }
        assert!(rows.iter().all(|r| r["ambiguous"] == true), "{file}");
        let Ok(out) = read_disclosure(&std::fs::read(&path).unwrap()) else {
            println!("{file}: refused, 0/{} rows", rows.len());
            report.push((file, rows.len(), None));
            continue;
        };
        let key = |t: &str| jixiao_import::layout_key(t);
        let (mut matched, mut warned) = (0, 0);
        for e in &rows {
            let name = key(s(&e["name"]));
            let (ok, has_warning) = if is_self {
                let found = out.tables.iter().find_map(|t| {
                    t.table
                        .rows
                        .iter()
                        .find(|r| key(&r.name) == name)
                        .map(|r| (t, r))
                });
                match found {
                    None => (false, false),
                    Some((t, r)) => {
                        let ok = no_space(&r.target) == no_space(s(&e["target"]))
                            && no_space(&r.actual) == no_space(s(&e["actual"]))
                            && (e["weight"].is_null() || r.weight == dec(&e["weight"]))
                            && (e["self_score"].is_null() || r.self_score == dec(&e["self_score"]));
                        let w = t.warnings.iter().any(|w| {
                            let wt = key(&w.text);
                            !wt.is_empty()
                                && (wt.contains(&name)
                                    || w.line == r.line && wt.contains(&key(&r.target)))
                        });
                        (ok, w)
                    }
                }
            } else {
                let found = out.forms.iter().find_map(|f| {
                    f.form
                        .indicators
                        .iter()
                        .find(|i| key(&i.name) == name)
                        .map(|i| (f, i))
                });
                match found {
                    None => (false, false),
                    Some((f, i)) => {
                        let ok = target_matches(&e["target"], &i.target)
                            && dec(&e["weight"]).is_none_or(|w| i.weight == Some(w));
                        let w = f.warnings.iter().any(|w| key(&w.text).contains(&name));
                        (ok, w)
                    }
                }
            };
            if ok {
                matched += 1;
            } else {
                println!("    {file}: not as read by hand: “{}”", s(&e["name"]));
            }
            if has_warning {
                warned += 1;
            }
        }
        println!(
            "{file}: {matched}/{} rows as read by hand, {warned} with a warning",
            rows.len()
        );
        report.push((file, rows.len(), Some((matched, warned))));
    }
    assert_eq!(report.len(), ONCE_REFUSED.len(), "{report:?}");
    for (file, n, r) in &report {
        if let Some((matched, warned)) = r {
            assert!(
                matched * 2 > *n,
                "{file}: {matched}/{n} rows as read by hand"
            );
            assert_eq!(warned, n, "{file}: {warned}/{n} rows with a warning");
        }
    }
}

/// The texts `wholly_ambiguous_texts` compares.
const ONCE_REFUSED: [&str; 4] = [
    "42-beijing-haidian-self",
    "64-guangdong-shengjiaoyuting-decl",
    "88-ningxia-yuanzhou-self",
    "120-hebei-handan-decl",
];
