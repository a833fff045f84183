//! Forms laid out unlike the seed, as other provinces publish them.

use jixiao_core::{Level1, Level2, Money, Op, Target};
use jixiao_import::{read_any, read_disclosure_str};

/// Operator, value and unit in columns of their own; funds in 万元; labels and values in one
/// cell; level 2 without its 指标 suffix; a 定性 operator column; words and ASCII operators.
const OTHER_PROVINCE: &str = "\
项目支出绩效目标表
（2024年度）
项目名称：乡村道路养护\t\t项目性质：经常性项目\t\t项目类别：特定目标类
主管部门\t某县交通运输局\t实施单位\t某县公路管理站
计划开始日期\t2024年1月1日\t计划完成日期\t2024年12月31日
项目资金（万元）\t项目资金总额\t1,234.5678\t年度资金申请总额\t234.5
\t其中：财政资金\t1000\t其中：当年财政拨款\t200.5
\t\t\t上年结转资金\t34
\t其他资金\t234.5678\t其他资金\t0
项目总目标\t完成全县农村公路养护，路况优良率持续提高。\t年度总体目标\t2024年养护农村公路120公里。
一级指标\t二级指标\t三级指标\t计算符号\t指标值\t计量单位
产出指标\t数量\t养护里程\t≥\t120\t公里
\t\t桥梁检测\t>=\t15\t座
\t质量\t路况优良率\t≧\t85\t%
\t\t验收合格率\t＝\t100\t百分比
\t时效\t完工时间\t\t9月前\t
\t成本\t每公里养护成本\t≤\t2\t万元
效益指标\t社会效益\t群众出行条件\t定性\t明显改善\t
\t可持续影响\t养护机制\t定性\t健全\t
满意度指标\t服务对象满意度\t沿线群众满意度\t不低于\t90\t%
";

#[test]
fn a_form_from_another_province() {
    let out = read_disclosure_str(OTHER_PROVINCE).unwrap();
    assert_eq!(out.forms.len(), 1);
    let rf = &out.forms[0];
    let f = &rf.form;
    assert_eq!(
        (
            f.year,
            f.name.as_str(),
            f.nature.as_str(),
            f.category.as_str()
        ),
        (2024, "乡村道路养护", "经常性项目", "特定目标类")
    );
    assert_eq!(
        (f.department.as_str(), f.implementer.as_str()),
        ("某县交通运输局", "某县公路管理站")
    );
    assert_eq!(f.start_date.unwrap().to_string(), "2024-01-01");
    assert_eq!(f.end_date.unwrap().to_string(), "2024-12-31");
    // 万元 folded in exactly: 1,234.5678 万元 = 12,345,678.00 元.
    assert_eq!(f.funds.total, Some(Money::from_fen(1_234_567_800)));
    assert_eq!(f.funds.fiscal, Some(Money::from_fen(1_000_000_000)));
    assert_eq!(f.funds.other, Some(Money::from_fen(234_567_800)));
    assert_eq!(f.funds.annual_total, Some(Money::from_fen(234_500_000)));
    assert_eq!(
        f.funds.annual_appropriation,
        Some(Money::from_fen(200_500_000))
    );
    assert_eq!(f.funds.annual_carryover, Some(Money::from_fen(34_000_000)));
    assert_eq!(f.funds.annual_other, Some(Money::ZERO));
    assert_eq!(f.goal_overall, "完成全县农村公路养护，路况优良率持续提高。");
    assert_eq!(f.goal_annual, "2024年养护农村公路120公里。");

    let got: Vec<(Level1, Option<Level2>, &str, String)> = f
        .indicators
        .iter()
        .map(|i| {
            let t = match &i.target {
                Target::Quantitative {
                    op, value, unit, ..
                } => format!("{}{}{}", op.ascii(), value, unit),
                Target::Qualitative { text } => format!("“{text}”"),
            };
            (i.level1, i.level2, i.name.as_str(), t)
        })
        .collect();
    use Level1::{Outcome, Output, Satisfaction};
    use Level2::{BeneficiarySatisfaction, Quality, Quantity, Social, Sustainability, Timeliness};
    assert_eq!(
        got,
        vec![
            (Output, Some(Quantity), "养护里程", ">=120公里".to_string()),
            (Output, Some(Quantity), "桥梁检测", ">=15座".into()),
            (Output, Some(Quality), "路况优良率", ">=85%".into()),
            (Output, Some(Quality), "验收合格率", "=100%".into()),
            (Output, Some(Timeliness), "完工时间", "<=9月".into()),
            (
                Output,
                Some(Level2::Cost),
                "每公里养护成本",
                "<=2万元".into()
            ),
            (Outcome, Some(Social), "群众出行条件", "“明显改善”".into()),
            (Outcome, Some(Sustainability), "养护机制", "“健全”".into()),
            (
                Satisfaction,
                Some(BeneficiarySatisfaction),
                "沿线群众满意度",
                ">=90%".into()
            ),
        ]
    );
    assert_eq!(f.indicators[0].raw, "≥ 120 公里");
    assert!(matches!(
        f.indicators[8].target,
        Target::Quantitative { op: Op::Ge, .. }
    ));
    assert!(rf.warnings.is_empty(), "{:?}", rf.warnings);
}

#[test]
fn the_same_form_in_gbk_with_crlf() {
    let crlf = OTHER_PROVINCE.replace('\n', "\r\n");
    let (gbk, _, bad) = encoding_rs::GBK.encode(&crlf);
    assert!(!bad);
    let out = read_any(&gbk).unwrap();
    assert_eq!(out.encoding, "GB18030");
    assert_eq!(
        out.forms[0].form,
        read_disclosure_str(OTHER_PROVINCE).unwrap().forms[0].form
    );
}

#[test]
fn new_layout_cost_as_level_1() {
    let text = "\
财政项目支出绩效目标申报表
项目名称\t新办法项目\t项目性质\t其他\t项目类别\t其他
主管部门\tA\t实施单位\tB
计划开始日期\t2025-01-01\t计划完成日期\t2025-12-31
项目总目标\t甲\t年度总体目标\t乙
一级指标\t二级指标\t三级指标\t指标值
产出指标\t数量指标\t培训人次\t≥1200人次
成本指标\t经济成本指标\t人均培训成本\t≤500元
\t社会成本指标\t对群众生活的影响\t无
效益指标\t社会效益指标\t技能提升\t有效提升
满意度指标\t服务对象满意度指标\t学员满意度\t≥90%
";
    let f = &read_disclosure_str(text).unwrap().forms[0].form;
    let levels: Vec<(Level1, Option<Level2>)> =
        f.indicators.iter().map(|i| (i.level1, i.level2)).collect();
    assert_eq!(
        levels,
        vec![
            (Level1::Output, Some(Level2::Quantity)),
            (Level1::Cost, Some(Level2::EconomicCost)),
            (Level1::Cost, Some(Level2::SocialCost)),
            (Level1::Outcome, Some(Level2::Social)),
            (Level1::Satisfaction, Some(Level2::BeneficiarySatisfaction)),
        ]
    );
    assert_eq!(
        f.year, 2025,
        "the year comes from the dates when no year line is given"
    );
}

#[test]
fn stray_cells_become_warnings_with_their_line() {
    let text = "\
注：本表为公开版本
财政项目支出绩效目标申报表
(2023年度)
项目名称\t甲项目\t项目性质\t其他\t项目类别\t其他\t备注：无
主管部门\tA\t实施单位\tB
计划开始日期\t下个月\t计划完成日期\t2023-12-31
项目资金 (元)\t项目资金总额\t约一百万\t年度资金申请总额\t100.00
一级指标\t二级指标\t三级指标\t指标值
产出指标\t数量指标\t培训人次\t≥1200人次\t多余
满意度指标\t服务对象满意度指标\t学员满意度\t≥90%
";
    let out = read_disclosure_str(text).unwrap();
    let all: Vec<String> = out
        .warnings
        .iter()
        .chain(&out.forms[0].warnings)
        .map(|w| format!("{}:{}", w.line, w.text))
        .collect();
    for expected in [
        "1:注：本表为公开版本",
        "4:备注：无",
        "6:下个月",
        "7:约一百万",
        "9:多余",
    ] {
        assert!(
            all.iter().any(|w| w == expected),
            "missing warning {expected} in {all:?}"
        );
    }
    let f = &out.forms[0].form;
    assert_eq!(
        f.funds.total, None,
        "an unreadable amount is left empty, not zero"
    );
    assert_eq!(f.start_date, None);
}

/// A self-evaluation table whose cells run together with no separator at all, numbers of
/// adjacent cells fused: split by the shapes of the values in the heads' order, fused digits
/// only where one split alone fits (the weight within its group's points, the score within
/// the weight); what no rule settles is reported as written, never guessed.
const RUN_TOGETHER: &str = "项目支出绩效自评表(2023年度)项目名称乡村道路养护主管部门某县交通运输局\
资金情况(万元)全年预算数全年执行数分值执行率得分年度资金总额:808010100.00%10\
绩效指标一级指标二级指标三级指标分值年度指标值全年实际值得分未完成原因分析\
产出指标(60分)数量指标(30分)养护里程3020公里20公里30质量指标路面合格率2095%96%20\
成本指标每公里成本415万元15万元4\
效益指标社会效益指标群众出行条件10明显改善明显改善9\
满意度指标服务对象满意度指标沿线群众满意度10≥90%92%9\
总分7068(二)存在的问题:经费不足。\n";

#[test]
fn a_table_run_together() {
    let out = read_disclosure_str(RUN_TOGETHER).unwrap();
    assert_eq!(out.tables.len(), 1);
    let t = &out.tables[0].table;
    let w = &out.tables[0].warnings;
    assert_eq!((t.name.as_str(), t.year), ("乡村道路养护", Some(2023)));
    // 80 | 80 | 10 | 100.00% | 10: the only split where rate = spent ÷ budget.
    assert_eq!(
        (t.budget.annual, t.budget.spent, t.budget.weight),
        (Some(80.into()), Some(80.into()), Some(10.into()))
    );
    type Row<'a> = (&'a str, &'a str, &'a str, Option<i64>, Option<i64>);
    let rows: Vec<Row> = t
        .rows
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.target.as_str(),
                r.actual.as_str(),
                r.weight.map(|d| d.try_into().unwrap()),
                r.self_score.map(|d| d.try_into().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // 3020公里: 30 | 20公里 (302 is above the group's 30 points).
            ("养护里程", "20公里", "20公里", Some(30), Some(30)),
            // 2095%: 20 | 95% (2 | 095% has a leading zero).
            ("路面合格率", "95%", "96%", Some(20), Some(20)),
            ("群众出行条件", "明显改善", "明显改善", Some(10), Some(9)),
            ("沿线群众满意度", "≥90%", "92%", Some(10), Some(9)),
        ]
    );
    assert_eq!(t.rows[0].level2, Some(Level2::Quantity));
    assert_eq!(t.rows[3].level1, Level1::Satisfaction);
    // 415万元: 4 | 15万元 or 41 | 5万元, both within the 60 points: reported, not read.
    assert!(
        w.iter().any(|x| x.text == "每公里成本415万元15万元4"),
        "{w:#?}"
    );
    // 总分7068: the weights' sum, then the scores'.
    assert_eq!(
        (t.total_weight, t.self_total),
        (Some(70.into()), Some(68.into()))
    );
    // The prose after the table is reported, not read as rows.
    assert!(
        w.iter().any(|x| x.text.starts_with("(二)存在的问题")),
        "{w:#?}"
    );
}

/// One cell per line: a line of bare pipes pads the end of a table row, so the cell before it
/// is that row's 绩效标准, not the next indicator's name.
#[test]
fn one_cell_per_line_rows_end_in_pipes() {
    let text = "项目名称 |\n某项目 |\n一级指标 |\n二级指标 |\n三级指标 |\n指标值 |\n绩效标准 |\n\
产出指标 |\n数量指标 |\n配备车辆数 |\n10辆 |\n计划标准 |\n||\n|\n射程 |\n≥80米 |\n计划标准 |\n|||\n";
    let out = read_disclosure_str(text).unwrap();
    let names: Vec<&str> = out.forms[0]
        .form
        .indicators
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["配备车辆数", "射程"]);
}

/// A pipe table whose 三级指标 cell holds a level name (`成本指标 | 社会成本指标 | 定量 | 100`),
/// and whose 指标解释 and 评分标准 stand before the line's last cell.
#[test]
fn a_level_name_in_the_name_column() {
    let text = "| 项目名称 | 某项目 |\n\
| 一级指标 | 二级指标 | 三级指标 | 指标值类型 | 指标值 | 计量单位 | 指标解释 | 评(扣)分标准 | 备注 |\n\
| 产出指标 | 数量指标 | 处理件数 | 定量 | 120 | 件 | 该指标考察处理件数 | 未达酌情扣分 | |\n\
| 成本指标 | 社会成本指标 | 定量 | 100 | % | 该指标考察成本控制 | 未达酌情扣分 | |\n";
    let out = read_disclosure_str(text).unwrap();
    let inds = &out.forms[0].form.indicators;
    let got: Vec<(&str, Level1, Option<Level2>)> = inds
        .iter()
        .map(|i| (i.name.as_str(), i.level1, i.level2))
        .collect();
    assert_eq!(
        got,
        [
            ("处理件数", Level1::Output, Some(Level2::Quantity)),
            ("社会成本指标", Level1::Output, Some(Level2::Cost)),
        ]
    );
}

/// A target form whose cells run together: values split from names by their shapes, a
/// qualitative target before its weight, a date with 底前, a fused target and weight.
#[test]
fn a_target_form_run_together() {
    let text = "项目支出绩效目标申报表(2024年度)项目名称职业技能培训主管部门某县人社局实施单位某县就业中心\
一级指标二级指标三级指标指标值度量单位权重\
产出指标数量指标培训人次1000人次20质量指标考核合格率≥95%15时效指标完成时间2024年12月底前10\
成本指标人均培训成本≤500元5效益指标社会效益指标群众知晓率显著提高10\
满意度指标服务对象满意度指标学员满意度≥90%10\n";
    let out = read_disclosure_str(text).unwrap();
    let f = &out.forms[0].form;
    assert_eq!((f.name.as_str(), f.year), ("职业技能培训", 2024));
    let got: Vec<(&str, String, Option<i64>)> = f
        .indicators
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.raw.clone(),
                i.weight.map(|w| w.try_into().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("培训人次", "1000人次".to_string(), Some(20)),
            ("考核合格率", "≥95%".to_string(), Some(15)),
            ("完成时间", "2024年12月底前".to_string(), Some(10)),
            ("人均培训成本", "≤500元".to_string(), Some(5)),
            ("群众知晓率", "显著提高".to_string(), Some(10)),
            ("学员满意度", "≥90%".to_string(), Some(10)),
        ]
    );
    assert_eq!(f.indicators[4].level2, Some(Level2::Social));
    assert!(matches!(
        f.indicators[0].target,
        Target::Quantitative { op: Op::Eq, .. }
    ));
}

/// What a reader cannot place is said, never dropped: a remark in the scored budget row, a
/// stamp slot, a field given twice, a header with no table after it.
#[test]
fn furniture_and_remarks_are_said() {
    let text = "\
项目支出绩效自评表
（2023年度）
主管部门（盖章）：\t\t单位：万元
项目名称\t旧名称\t项目名称\t道路保洁
主管部门\t某区城管局\t实施单位\t某区环卫所
\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分\t得分计算方法
年度资金总额\t10\t10\t10\t10\t100%\t10\t执行率*该指标分值，最高不得超过分值上限。
一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分
产出指标\t数量指标\t保洁面积\t100万平方米\t100万平方米\t50\t50
效益指标\t社会效益指标\t环境改善\t明显\t明显\t30\t30
满意度指标\t服务对象满意度指标\t群众满意度\t≥90%\t95%\t10\t10
";
    let out = read_disclosure_str(text).unwrap();
    let t = &out.tables[0];
    assert_eq!(t.table.name, "道路保洁");
    assert_eq!(t.table.department, "某区城管局");
    let said = |s: &str| t.warnings.iter().any(|w| w.text == s);
    assert!(
        said("执行率*该指标分值，最高不得超过分值上限。"),
        "{:#?}",
        t.warnings
    );
    assert!(said("旧名称"), "{:#?}", t.warnings);
    assert_eq!(t.table.budget.spent, Some(rust_decimal::Decimal::from(10)));

    // A header cut before its table: every value it read is reported, and the refusal says
    // what it found.
    let cut = "项目名称\t道路保洁\n主管部门\t某区城管局\t实施单位\t某区环卫所\n";
    match read_disclosure_str(cut) {
        Err(e @ jixiao_import::ReadError::NoIndicators { .. }) => {
            assert!(e.to_string().contains("道路保洁"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

/// Words of a sentence are not labels (`完成年度目标。`), and a heading of the indicator
/// block written with 完成情况 opens it.
#[test]
fn labels_inside_sentences_are_words() {
    let text = "\
项目支出绩效自评表
(2022年度)
项目名称 水旱灾害防御经费
主管部门 某市水利局 实施单位 某市水利局
年度总体目标完成情况 预期目标 实际完成情况
 完成年度防汛工作。 完成年度目标。
年度绩效指标完成情况 一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分
产出指标 数量指标 灌区改造数量 1个 1个 50 50
";
    let out = read_disclosure_str(text).unwrap();
    let t = &out.tables[0].table;
    assert_eq!(t.rows.len(), 1, "{:#?}", out.tables[0].warnings);
    assert!(
        t.goal_actual.contains("完成年度目标。") || t.goal_expected.contains("完成年度目标。"),
        "{t:#?}"
    );
}
