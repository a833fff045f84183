//! The reader never panics: on cut, shuffled, corrupted and random input it returns forms or
//! a clear error.

use jixiao_import::{read_any, read_disclosure_str, ReadError};
use proptest::prelude::*;

const SEED: &str = include_str!("../../../fixtures/shanghai-bigdata-center-2023.txt");

/// The seed cut at many points: a prefix is read or refused, never a panic; a cut that keeps
/// whole forms keeps them exactly.
#[test]
fn every_prefix_of_the_seed() {
    let full = read_disclosure_str(SEED).unwrap();
    let bounds: Vec<usize> = SEED.char_indices().map(|(i, _)| i).step_by(7).collect();
    for &end in &bounds {
        match read_any(&SEED.as_bytes()[..end]) {
            Ok(out) => {
                for (i, f) in out.forms.iter().enumerate() {
                    assert!(!f.form.indicators.is_empty());
                    // Every form but the last one read is whole.
                    if i + 1 < out.forms.len() {
                        assert_eq!(f.form, full.forms[i].form, "cut at {end}");
                    }
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn each_form_alone_reads_the_same() {
    let full = read_disclosure_str(SEED).unwrap();
    let lines: Vec<&str> = SEED.split('\n').collect();
    for (i, f) in full.forms.iter().enumerate() {
        let end = full.forms.get(i + 1).map_or(lines.len(), |n| n.line - 1);
        let text = lines[f.line - 1..end].join("\n");
        let alone = read_disclosure_str(&text).unwrap();
        assert_eq!(alone.forms.len(), 1);
        assert_eq!(alone.forms[0].form, f.form);
    }
}

fn lines_strategy() -> impl Strategy<Value = Vec<String>> {
    let lines: Vec<String> = SEED.split('\n').map(str::to_string).collect();
    let n = lines.len();
    prop::collection::vec((0..n, 0usize..6, "\\PC{0,12}"), 0..12).prop_map(move |edits| {
        let mut l = lines.clone();
        for (at, kind, junk) in edits {
            if l.is_empty() {
                break;
            }
            let at = at % l.len();
            match kind {
                0 => {
                    l.remove(at);
                }
                1 => {
                    let dup = l[at].clone();
                    l.insert(at, dup);
                }
                2 => {
                    let mut cells: Vec<String> = l[at].split('\t').map(str::to_string).collect();
                    cells.reverse();
                    l[at] = cells.join("\t");
                }
                3 => l[at] = format!("{}\t{junk}", l[at]),
                4 => l[at] = junk,
                _ => {
                    let other = (at * 7 + 3) % l.len();
                    l.swap(at, other);
                }
            }
        }
        l
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Lines deleted, duplicated, reversed, swapped or replaced by junk: forms or an error.
    #[test]
    fn corrupted_seed_never_panics(lines in lines_strategy()) {
        let text = lines.join("\n");
        if let Ok(out) = read_disclosure_str(&text) {
            for f in &out.forms {
                prop_assert!(!f.form.indicators.is_empty());
                // A table without its name is still read, and says so.
                prop_assert!(!f.form.name.is_empty()
                    || f.warnings.iter().any(|w| w.message.contains("没有项目名称")));
            }
        }
    }

    /// Arbitrary bytes: an error or forms, never a panic.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_any(&bytes);
    }

    /// Random rows of the layout's own words.
    #[test]
    fn random_layout_words_never_panic(rows in prop::collection::vec(prop::collection::vec(
        prop::sample::select(vec!["项目名称", "x", "产出指", "标", "成本指标", "一级指标", "≥1(个)", "项目总目标",
            "年度总体目标", "其他资金", "0.00", "(2023年度)", "财政项目支出绩效目标申报表", "<p>", "满意度指标", "", "2023/1/1"]),
        0..6), 0..30)) {
        let text = rows.iter().map(|r| r.join("\t")).collect::<Vec<_>>().join("\n");
        match read_disclosure_str(&text) {
            Ok(_) | Err(ReadError::NoForms | ReadError::MissingHeader { .. } | ReadError::NoIndicators { .. } | ReadError::MissingYear { .. } | ReadError::Truncated { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    /// Rows of the wild layouts' words, joined by pipes, single spaces, one per line or with
    /// nothing at all: forms, tables or a clear error, never a panic.
    #[test]
    fn wild_layouts_never_panic(rows in prop::collection::vec(prop::collection::vec(
        prop::sample::select(vec!["项目名称", "村组干部报酬", "产出指标", "数量指标", "产出指", "标", "指标",
            "一级指标", "三级指标", "指标性质", "指标值", "度量单位", "权重", "指标方向性", "实际完成值", "分值",
            "得分", "≥", "≧", "=", "95", "%", "10", "正向指标", "有效", "年初预算数", "全年预算数", "全年执行数",
            "执行率", "100%", "年度资金总额", "387664.62", "—", "总分", "优", "项目支出绩效自评表",
            "部门预算项目绩效目标申报表(2023年度)", "金额单位:万元", "(50分)", "產(chǎn)出指標(biāo)",
            "單位名稱", "预算数", "8,827,620.53", "年初", "(", ")", "", "|", "附件:", "[打印]"]),
        0..8), 0..40),
        sep in prop::sample::select(vec![" | ", " ", "", "\n", " |\n"]),
        end_newline in any::<bool>()) {
        let mut text = rows.iter().map(|r| format!("| {} |", r.join(sep))).collect::<Vec<_>>().join("\n");
        if sep.is_empty() || sep == " " {
            text = rows.iter().map(|r| r.join(sep)).collect::<Vec<_>>().join("\n");
        }
        if end_newline {
            text.push('\n');
        }
        match read_disclosure_str(&text) {
            Ok(out) => {
                for f in &out.forms {
                    prop_assert!(!f.form.indicators.is_empty());
                }
                for t in &out.tables {
                    prop_assert!(!t.table.rows.is_empty());
                    // A table read is always scored, whatever it holds.
                    let (eval, _) = t.table.to_self_evaluation();
                    let e = eval.to_evaluation(None).unwrap();
                    prop_assert!(jixiao_core::score::score(&e, &jixiao_core::score::Scheme::national()).is_ok());
                }
            }
            Err(ReadError::NoForms | ReadError::MissingHeader { .. } | ReadError::NoIndicators { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    /// Arbitrary text with the separators of the wild: never a panic.
    #[test]
    fn arbitrary_text_never_panics(s in "([\\PC]{0,12}[|\\t \\n]?){0,30}") {
        let _ = read_disclosure_str(&s);
    }
}

/// A run-together table with very long runs of digits and of text: every split tried is
/// bounded, so it is read (or reported) at once.
#[test]
fn long_runs_together_are_cheap() {
    let digits = "1".repeat(50_000);
    let words = "显著提升".repeat(20_000);
    let text = format!(
        "项目支出绩效自评表\n一级指标二级指标三级指标分值年度指标值全年实际值得分\n\
产出指标(50分)数量指标人数{digits}人{digits}人10{words}10≥{digits}%{digits}%9\n\
预算执行率{digits}.00%{digits}\n"
    );
    let t = std::time::Instant::now();
    let _ = read_disclosure_str(&text);
    assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
}
