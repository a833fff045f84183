//! The workbook writer: what it writes reads back, through the same reader as any workbook,
//! to the same forms, to the fen and to the character.

use jixiao_export::forms_xlsx;
use jixiao_import::{read_any, read_disclosure};

#[test]
fn the_seed_round_trips_through_a_workbook() {
    let forms: Vec<_> = read_disclosure(jixiao_import::SEED)
        .unwrap()
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    let bytes = forms_xlsx(&forms).unwrap();
    let back = read_any(&bytes).unwrap();
    let got: Vec<_> = back.forms.iter().map(|f| f.form.clone()).collect();
    assert_eq!(got, forms);
    assert_eq!(back.warning_count(), 0, "{:#?}", back.forms.iter().flat_map(|f| &f.warnings).collect::<Vec<_>>());
}

/// Weights and directions a province's form gives survive the round trip too.
#[test]
fn weights_round_trip() {
    let text = include_bytes!("../../../fixtures/real/01-sichuan-jingyan-decl.txt");
    let forms: Vec<_> = read_disclosure(text).unwrap().forms.into_iter().map(|f| f.form).collect();
    let back = read_any(&forms_xlsx(&forms).unwrap()).unwrap();
    for (a, b) in forms.iter().zip(&back.forms) {
        let w = |f: &jixiao_core::Form| f.indicators.iter().map(|i| (i.name.clone(), i.weight)).collect::<Vec<_>>();
        assert_eq!(w(a), w(&b.form));
    }
}
