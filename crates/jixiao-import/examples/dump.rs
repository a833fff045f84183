fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: cargo run -p jixiao-import --example dump FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    match jixiao_import::read_any(&bytes) {
        Ok(out) => {
            for f in &out.forms {
                let form = &f.form;
                println!(
                    "== line {} {} | {} | {} | {} | {} | {} | {:?} {:?}",
                    f.line,
                    form.year,
                    form.name,
                    form.nature,
                    form.category,
                    form.department,
                    form.implementer,
                    form.start_date,
                    form.end_date
                );
                println!(
                    "   funds {:?}",
                    form.funds
                        .fields()
                        .iter()
                        .map(|(_, _, m)| m.map(|m| m.to_string()))
                        .collect::<Vec<_>>()
                );
                println!(
                    "   overall[{}]: {}…{}",
                    form.goal_overall.chars().count(),
                    form.goal_overall.chars().take(20).collect::<String>(),
                    form.goal_overall
                        .chars()
                        .rev()
                        .take(15)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<String>()
                );
                println!(
                    "   annual[{}]: {}…",
                    form.goal_annual.chars().count(),
                    form.goal_annual.chars().take(20).collect::<String>()
                );
                for i in &form.indicators {
                    println!(
                        "   {} / {} / {} | {} | {}",
                        i.level1,
                        i.level2.map(|l| l.name()).unwrap_or("-"),
                        i.name,
                        i.raw,
                        serde_json::to_string(&i.target).unwrap()
                    );
                }
                for w in &f.warnings {
                    println!("   W {w}");
                }
            }
            for t in &out.tables {
                let x = &t.table;
                println!(
                    "== table line {} {:?} | {} | {} | {} | {}",
                    t.line, x.year, x.name, x.department, x.implementer, x.funds_unit
                );
                println!("   budget {:?}", x.budget);
                for r in &x.rows {
                    println!(
                        "   {} / {} / {} | {} | {} | {:?} | {:?} | {}",
                        r.level1,
                        r.level2.map(|l| l.name()).unwrap_or("-"),
                        r.name,
                        r.target,
                        r.actual,
                        r.weight,
                        r.self_score,
                        r.deviation
                    );
                }
                println!(
                    "   total {:?} {:?} {:?}",
                    x.total_weight, x.self_total, x.grade
                );
                for w in &t.warnings {
                    println!("   W {w}");
                }
            }
            for w in &out.warnings {
                println!("W {w}");
            }
            println!(
                "forms {} indicators {} warnings {}",
                out.forms.len(),
                out.indicator_count(),
                out.warning_count()
            );
        }
        Err(e) => println!("ERROR {e}"),
    }
}
