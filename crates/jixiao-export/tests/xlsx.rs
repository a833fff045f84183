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
    assert_eq!(
        back.warning_count(),
        0,
        "{:#?}",
        back.forms
            .iter()
            .flat_map(|f| &f.warnings)
            .collect::<Vec<_>>()
    );
}

/// Weights and directions a province's form gives survive the round trip too.
#[test]
fn weights_round_trip() {
    let text = include_bytes!("../../../fixtures/real/01-sichuan-jingyan-decl.txt");
    let forms: Vec<_> = read_disclosure(text)
        .unwrap()
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    let back = read_any(&forms_xlsx(&forms).unwrap()).unwrap();
    for (a, b) in forms.iter().zip(&back.forms) {
        let w = |f: &jixiao_core::Form| {
            f.indicators
                .iter()
                .map(|i| (i.name.clone(), i.weight))
                .collect::<Vec<_>>()
        };
        assert_eq!(w(a), w(&b.form));
    }
}

/// A scored self-evaluation as the 项目支出绩效自评表: read back by the same reader, its rows,
/// budget line and total are what was written, and scoring it again gives the same total.
#[test]
fn a_self_evaluation_round_trips() {
    use jixiao_core::score::{score, Scheme};
    let text = include_bytes!("../../../fixtures/real/10-yunnan-yongde-self.txt");
    let table = read_disclosure(text).unwrap().tables.remove(0).table;
    let (eval, _) = table.to_self_evaluation();
    let scored = score(&eval.to_evaluation(None).unwrap(), &Scheme::national()).unwrap();
    let head = jixiao_export::SelfHeader {
        year: table.year,
        name: table.name.clone(),
        department: table.department.clone(),
        implementer: table.implementer.clone(),
        goal_expected: table.goal_expected.clone(),
        goal_actual: table.goal_actual.clone(),
    };
    let bytes = jixiao_export::self_evaluations_xlsx(&[(head, &eval, &scored)]).unwrap();
    let back = read_any(&bytes).unwrap();
    let t = &back.tables[0].table;
    assert_eq!(t.name, table.name);
    assert_eq!(t.year, table.year);
    assert_eq!(t.budget.annual, Some(eval.budget.annual_budget));
    assert_eq!(t.budget.spent, Some(eval.budget.spent));
    assert_eq!(t.rows.len(), scored.indicators.len());
    for (r, s) in t.rows.iter().zip(&scored.indicators) {
        assert_eq!(
            (r.name.as_str(), r.target.as_str(), r.actual.as_str()),
            (s.name.as_str(), s.target.as_str(), s.actual.as_str())
        );
        assert_eq!(r.weight, Some(s.weight));
        assert_eq!(
            r.self_score,
            Some(s.score),
            "the 得分 column holds the score by the rules"
        );
    }
    assert_eq!(t.self_total, Some(scored.total));
    let (again, _) = t.to_self_evaluation();
    let rescored = score(&again.to_evaluation(None).unwrap(), &Scheme::national()).unwrap();
    assert_eq!(rescored.total, scored.total);
    assert!(rescored.departures.iter().all(|d| d.indicator != "总分"));
}

/// What a unit fills into the template reads back without a warning: every seed form written
/// into the template's rows (operator, value and unit in their own cells) comes back with the
/// same header, funds, levels, names and targets. A blank template is no form.
#[test]
fn what_is_filled_into_the_template_reads_back() {
    use jixiao_export::{template_xlsx, TemplateKind};
    let forms: Vec<_> = read_disclosure(jixiao_import::SEED)
        .unwrap()
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    for form in &forms {
        let back = read_any(&template_xlsx(TemplateKind::TargetForm, Some(form)).unwrap()).unwrap();
        assert_eq!(back.forms.len(), 1, "{}", form.name);
        let got = &back.forms[0];
        assert!(
            got.warnings.is_empty(),
            "{}: {:#?}",
            form.name,
            got.warnings
        );
        let g = &got.form;
        assert_eq!(
            (
                g.year,
                &g.name,
                &g.nature,
                &g.category,
                &g.department,
                &g.implementer,
                &g.goal_annual
            ),
            (
                form.year,
                &form.name,
                &form.nature,
                &form.category,
                &form.department,
                &form.implementer,
                &form.goal_annual
            )
        );
        assert_eq!(g.funds.annual_total, form.funds.annual_total);
        let key = |f: &jixiao_core::Form| -> Vec<(
            jixiao_core::Level1,
            Option<jixiao_core::Level2>,
            String,
            jixiao_core::Target,
        )> {
            f.indicators
                .iter()
                .map(|i| (i.level1, i.level2, i.name.clone(), i.target.clone()))
                .collect()
        };
        assert_eq!(key(g), key(form), "{}", form.name);
    }
    assert!(read_any(&template_xlsx(TemplateKind::TargetForm, None).unwrap()).is_err());
    assert!(read_any(&template_xlsx(TemplateKind::SelfEvaluation, None).unwrap()).is_err());
}
