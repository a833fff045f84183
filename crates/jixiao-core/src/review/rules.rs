//! The review rules. Each is a pure function of the context; the order of `RULES` is the
//! order of the report. Word lists are the vocabulary of published forms.

use super::{goals, Finding, RuleInfo, Settings, Severity};
use crate::unit::Unit;
use crate::{Form, Indicator, Level1, Level2, Money, Op, Target};
use rust_decimal::Decimal;

pub(super) struct Rule {
    pub info: RuleInfo,
    pub check: fn(&Ctx, &mut Vec<Draft>),
}

pub(super) struct Ctx<'a> {
    pub form: &'a Form,
    pub last_year: Option<&'a Form>,
    /// Last year's actual values by indicator name, as written (from its self-evaluation).
    pub last_actuals: &'a [(String, String)],
    /// The rectifications last year's monitoring left open: (indicator, advice).
    pub last_rectifications: &'a [(String, String)],
    pub settings: &'a Settings,
    /// What each indicator's name (and qualitative target) says, read once per form.
    info: Vec<Info>,
    goals_same: bool,
    /// The goals' stated numbers and what measures them, worked out once per form.
    goal_matches: std::cell::OnceCell<Vec<(&'static str, goals::StatedNumber, GoalMatch)>>,
}

impl<'a> Ctx<'a> {
    pub fn new(form: &'a Form, last_year: Option<&'a Form>, settings: &'a Settings) -> Ctx<'a> {
        let info = form
            .indicators
            .iter()
            .map(|i| Info::of(i, settings))
            .collect();
        let goals_same = same_ignoring_space(&form.goal_overall, &form.goal_annual);
        Ctx {
            form,
            last_year,
            last_actuals: &[],
            last_rectifications: &[],
            settings,
            info,
            goals_same,
            goal_matches: std::cell::OnceCell::new(),
        }
    }

    fn goal_matches(&self) -> &[(&'static str, goals::StatedNumber, GoalMatch)] {
        self.goal_matches.get_or_init(|| {
            let f = self.form;
            let mut all: Vec<(&'static str, goals::StatedNumber)> =
                goals::stated_numbers(&f.goal_annual)
                    .into_iter()
                    .map(|s| ("goal_annual", s))
                    .collect();
            if !self.goals_same {
                all.extend(
                    goals::stated_numbers(&f.goal_overall)
                        .into_iter()
                        .map(|s| ("goal_overall", s)),
                );
            }
            all.into_iter()
                .map(|(field, s)| {
                    let m = match_goal_number(f, &s);
                    (field, s, m)
                })
                .collect()
        })
    }
}

fn same_ignoring_space(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| !c.is_whitespace())
        .eq(b.chars().filter(|c| !c.is_whitespace()))
}

// Word classes of the vocabulary, as bits.
const POSITIVE: u32 = 1;
const REVERSE_W: u32 = 1 << 1;
const COMPLETION_W: u32 = 1 << 2;
const RATE_W: u32 = 1 << 3;
const SAVING: u32 = 1 << 4;
const PUBLIC: u32 = 1 << 5;
const COST_W: u32 = 1 << 6;
const NEGATED: u32 = 1 << 7;
const SATISFIED: u32 = 1 << 8;
const VAGUE_W: u32 = 1 << 9;

struct Vocabulary {
    matcher: Option<aho_corasick::AhoCorasick>,
    classes: Vec<u32>,
    words: Vec<&'static str>,
}

/// Every word the rules look for, in one automaton, so a name is read in one pass.
fn vocabulary() -> &'static Vocabulary {
    static V: std::sync::OnceLock<Vocabulary> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let mut words: Vec<&'static str> = vec![];
        let mut classes: Vec<u32> = vec![];
        let mut add = |list: &[&'static str], class: u32| {
            for w in list {
                match words.iter().position(|x| x == w) {
                    Some(i) => classes[i] |= class,
                    None => {
                        words.push(w);
                        classes.push(class);
                    }
                }
            }
        };
        add(&BOUNDED_POSITIVE, POSITIVE);
        add(&["满意"], POSITIVE | SATISFIED);
        add(&REVERSE, REVERSE_W);
        add(&COMPLETION, COMPLETION_W);
        add(&["比例", "占比", "比率", "百分比", "率（", "率("], RATE_W);
        add(&["节约", "节省", "效益", "收益"], SAVING);
        add(&["企业", "群众", "社会", "公众", "办事", "用户"], PUBLIC);
        add(&["成本"], COST_W);
        add(&["不合格", "不满意"], NEGATED);
        add(&VAGUE, VAGUE_W);
        // Building from a fixed word list cannot fail; if it ever did, rules see no words.
        let matcher = aho_corasick::AhoCorasick::new(&words).ok();
        Vocabulary {
            matcher,
            classes,
            words,
        }
    })
}

/// The classes of words a text contains, and the first reverse and vague words.
fn classify(text: &str) -> (u32, Option<&'static str>, Option<&'static str>) {
    let v = vocabulary();
    let mut bits = 0;
    let (mut reverse, mut vague) = (None, None);
    let Some(matcher) = &v.matcher else {
        return (0, None, None);
    };
    for m in matcher.find_overlapping_iter(text) {
        let i = m.pattern().as_usize();
        let (Some(&class), Some(&word)) = (v.classes.get(i), v.words.get(i)) else {
            continue;
        };
        bits |= class;
        if class & REVERSE_W != 0 && reverse.is_none() {
            reverse = Some(word);
        }
        if class & VAGUE_W != 0 && vague.is_none() {
            vague = Some(word);
        }
    }
    (bits, reverse, vague)
}

/// What an indicator's name and target say, read once.
struct Info {
    name_bits: u32,
    reverse_word: Option<&'static str>,
    /// The vague word of a qualitative target, built-in or configured.
    vague: Option<String>,
    rate: bool,
    count: bool,
    duration: bool,
}

impl Info {
    fn of(i: &Indicator, settings: &Settings) -> Info {
        let (name_bits, reverse_word, _) = classify(&i.name);
        let vague = match &i.target {
            Target::Qualitative { text } => {
                let (_, _, v) = classify(text);
                v.map(str::to_string).or_else(|| {
                    settings
                        .vague_words
                        .iter()
                        .find(|w| text.contains(w.as_str()))
                        .cloned()
                })
            }
            Target::Quantitative { .. } => None,
        };
        let core = i.name.trim_end_matches([')', '）']);
        // A rate or ratio: `…率` (not 频率, 效率, 功率), `…比例`, `…占比`.
        let rate = (core.ends_with('率')
            && !(core.ends_with("频率") || core.ends_with("效率") || core.ends_with("功率")))
            || name_bits & RATE_W != 0;
        let count = !rate
            && [
                "数", "数量", "个数", "次数", "人数", "户数", "家数", "件数", "总数", "场次",
                "人次",
            ]
            .iter()
            .any(|w| i.name.ends_with(w))
            && !["指数", "系数", "倍数", "分数", "函数"]
                .iter()
                .any(|w| i.name.ends_with(w));
        let duration = ["时长", "时间", "时限", "工期", "周期", "天数"]
            .iter()
            .any(|w| core.ends_with(w));
        Info {
            name_bits,
            reverse_word,
            vague,
            rate,
            count,
            duration,
        }
    }

    fn positive(&self) -> bool {
        self.name_bits & POSITIVE != 0
    }

    /// Less is better, unless the name also says more is better (事故处理及时率).
    fn reverse(&self) -> bool {
        !self.positive() && self.name_bits & REVERSE_W != 0
    }
}

/// A finding before the engine adds the rule's code, severity and the form's name.
pub(super) struct Draft {
    field: String,
    indicator: Option<usize>,
    /// One step below the configured severity (e.g. a copied goal on a one-year project).
    lower: bool,
    message: String,
    message_en: String,
    evidence: String,
    fix: String,
    fix_en: String,
}

impl Draft {
    fn form(
        field: &str,
        evidence: impl Into<String>,
        message: String,
        message_en: String,
        fix: &str,
        fix_en: &str,
    ) -> Draft {
        Draft {
            field: field.to_string(),
            indicator: None,
            lower: false,
            message,
            message_en,
            evidence: evidence.into(),
            fix: fix.to_string(),
            fix_en: fix_en.to_string(),
        }
    }

    fn indicator(
        i: usize,
        part: &str,
        evidence: impl Into<String>,
        message: String,
        message_en: String,
        fix: String,
        fix_en: String,
    ) -> Draft {
        Draft {
            field: format!("indicators[{i}].{part}"),
            indicator: Some(i),
            lower: false,
            message,
            message_en,
            evidence: evidence.into(),
            fix,
            fix_en,
        }
    }

    fn lowered(mut self, yes: bool) -> Draft {
        self.lower = yes;
        self
    }

    pub(super) fn finish(self, form: &Form, code: &str, severity: Severity) -> Finding {
        let severity = match (self.lower, severity) {
            (true, Severity::Error) => Severity::Warning,
            (true, _) => Severity::Hint,
            (false, s) => s,
        };
        let ind = self.indicator.and_then(|i| form.indicators.get(i));
        Finding {
            form: form.name.clone(),
            indicator: ind.map(|i| i.name.clone()),
            indicator_index: self.indicator,
            indicator_id: ind.and_then(|i| i.id.clone()),
            field: self.field,
            code: code.to_string(),
            severity,
            message: self.message,
            message_en: self.message_en,
            evidence: self.evidence,
            fix: self.fix,
            fix_en: self.fix_en,
        }
    }
}

macro_rules! rule {
    ($code:literal, $sev:ident, $title:literal, $title_en:literal, $f:path) => {
        Rule {
            info: RuleInfo {
                code: $code,
                severity: Severity::$sev,
                title: $title,
                title_en: $title_en,
            },
            check: $f,
        }
    };
}

pub(super) static RULES: &[Rule] = &[
    // Completeness
    rule!(
        "HEADER-EMPTY",
        Error,
        "表头字段为空",
        "empty header field",
        header_empty
    ),
    rule!(
        "DATE-MISSING",
        Warning,
        "缺少计划日期",
        "missing planned date",
        date_missing
    ),
    rule!(
        "FUNDS-MISSING",
        Warning,
        "资金总额未填",
        "fund totals not filled in",
        funds_missing
    ),
    rule!(
        "GOAL-EMPTY",
        Error,
        "绩效目标为空",
        "empty goal",
        goal_empty
    ),
    rule!(
        "L1-MISSING",
        Error,
        "缺少一级指标",
        "missing level-1 group",
        l1_missing
    ),
    rule!(
        "OUTPUT-L2-MISSING",
        Hint,
        "产出指标缺少二级指标",
        "output lacks a level-2 category",
        output_l2_missing
    ),
    rule!(
        "COST-MISSING",
        Warning,
        "没有成本指标",
        "no cost indicator",
        cost_missing
    ),
    rule!(
        "SATISFACTION-MISSING",
        Warning,
        "没有满意度指标",
        "no satisfaction indicator",
        satisfaction_missing
    ),
    rule!(
        "LEVEL2-MISSING",
        Warning,
        "指标没有二级指标",
        "indicator without level 2",
        level2_missing
    ),
    rule!(
        "LEVEL-MISMATCH",
        Error,
        "二级指标不属于所在一级指标",
        "level 2 does not belong to its level 1",
        level_mismatch
    ),
    rule!(
        "TARGET-EMPTY",
        Error,
        "指标值为空",
        "empty target",
        target_empty
    ),
    // Arithmetic
    rule!(
        "FUND-SUM",
        Error,
        "项目资金合计不符",
        "project funds do not add up",
        fund_sum
    ),
    rule!(
        "FUND-ANNUAL-SUM",
        Error,
        "年度资金合计不符",
        "annual funds do not add up",
        fund_annual_sum
    ),
    rule!(
        "FUND-ANNUAL-EXCEEDS",
        Error,
        "年度资金超过项目资金总额",
        "annual request exceeds the project total",
        fund_annual_exceeds
    ),
    rule!(
        "DATE-ORDER",
        Error,
        "开始日期晚于完成日期",
        "start after end",
        date_order
    ),
    rule!(
        "DATE-YEAR",
        Warning,
        "计划期不含申报年度",
        "planned period misses the form's year",
        date_year
    ),
    // Measurability
    rule!(
        "VAGUE-TARGET",
        Warning,
        "指标值含糊",
        "vague target",
        vague_target
    ),
    rule!(
        "QUALITATIVE-COUNTABLE",
        Hint,
        "宜量化的定性指标",
        "qualitative where a number is natural",
        qualitative_countable
    ),
    rule!(
        "COST-NOT-QUANTIFIED",
        Hint,
        "成本指标未量化",
        "cost indicator not quantified",
        cost_not_quantified
    ),
    // Consistency
    rule!(
        "UNIT-RATE",
        Error,
        "比率类指标的单位不是百分比",
        "a rate not measured in %",
        unit_rate
    ),
    rule!(
        "UNIT-DURATION",
        Warning,
        "时长类指标的单位不是时间",
        "a duration not measured in time",
        unit_duration
    ),
    rule!(
        "UNIT-COUNT",
        Warning,
        "数量类指标以百分比计量",
        "a count measured in %",
        unit_count
    ),
    rule!(
        "OP-REVERSE",
        Warning,
        "反向指标使用了“≥”",
        "a reverse indicator written with ≥",
        op_reverse
    ),
    rule!(
        "OP-POSITIVE",
        Warning,
        "正向指标使用了“≤”",
        "a positive indicator written with ≤",
        op_positive
    ),
    rule!(
        "OP-CEILING",
        Warning,
        "“≥100%”无法超额完成",
        "≥100% cannot be exceeded",
        op_ceiling
    ),
    rule!(
        "TARGET-IMPOSSIBLE",
        Error,
        "指标值不可能达到",
        "impossible target",
        target_impossible
    ),
    rule!(
        "CATEGORY-RATE-AS-QUANTITY",
        Warning,
        "比率填在数量指标下",
        "a rate filed as a quantity",
        category_rate_as_quantity
    ),
    rule!(
        "CATEGORY-OUTCOME-AS-COST",
        Warning,
        "效益填在成本指标下",
        "an outcome filed as the project's cost",
        category_outcome_as_cost
    ),
    rule!(
        "CATEGORY-SATISFACTION",
        Hint,
        "满意度指标归类不当",
        "satisfaction filed in the wrong group",
        category_satisfaction
    ),
    rule!(
        "OUTPUT-IS-MONEY",
        Hint,
        "产出指标以金额计量",
        "an output measured in money",
        output_is_money
    ),
    rule!(
        "INDICATOR-DUPLICATE",
        Warning,
        "指标重复",
        "duplicated indicator",
        indicator_duplicate
    ),
    rule!(
        "GOAL-COPY",
        Warning,
        "项目总目标与年度目标相同",
        "overall goal copies the annual goal",
        goal_copy
    ),
    rule!(
        "GOAL-NUMBER-MISMATCH",
        Warning,
        "目标中的数值与指标不一致",
        "a number in the goal disagrees with its indicator",
        goal_number_mismatch
    ),
    rule!(
        "GOAL-NUMBER-UNMEASURED",
        Hint,
        "目标中的数值没有指标衡量",
        "a number in the goal that no indicator measures",
        goal_number_unmeasured
    ),
    // Plausibility against history
    rule!(
        "HISTORY-BELOW",
        Warning,
        "指标值低于上年",
        "target weaker than last year's",
        history_below
    ),
    rule!(
        "HISTORY-JUMP",
        Warning,
        "指标值较上年大幅变化",
        "target jumps from last year's",
        history_jump
    ),
    rule!(
        "HISTORY-RECTIFY",
        Warning,
        "上年整改未落实",
        "last year's rectification still open",
        history_rectify
    ),
];

// ---------------------------------------------------------------- vocabulary

const VAGUE: [&str; 44] = [
    "有所提升",
    "有所提高",
    "有所降低",
    "有所改善",
    "有所增加",
    "有所增强",
    "有所减少",
    "有所下降",
    "有所好转",
    "明显提升",
    "明显提高",
    "明显降低",
    "明显改善",
    "明显增强",
    "明显下降",
    "明显减少",
    "显著提升",
    "显著提高",
    "显著降低",
    "显著改善",
    "有效提升",
    "有效提高",
    "有效降低",
    "有效改善",
    "有效增强",
    "有效减少",
    "进一步",
    "逐步",
    "不断",
    "大幅",
    "稳步提升",
    "持续提升",
    "持续改善",
    "持续提高",
    "较大提升",
    "全面提升",
    "得到提升",
    "得到提高",
    "得到改善",
    "逐年提高",
    "积极推进",
    "一定程度",
    "尽可能",
    "力争",
];

/// Rates that cannot pass 100 %, and that are positive (more is better).
const BOUNDED_POSITIVE: [&str; 40] = [
    "完成率",
    "合格率",
    "达标率",
    "满意度",
    "满意率",
    "覆盖率",
    "可用率",
    "可用性",
    "及时率",
    "准确率",
    "正确率",
    "验收率",
    "到位率",
    "办结率",
    "知晓率",
    "参与率",
    "入驻率",
    "出勤率",
    "使用率",
    "利用率",
    "执行率",
    "达成率",
    "完好率",
    "在线率",
    "响应率",
    "解决率",
    "通过率",
    "开通率",
    "建成率",
    "实现率",
    "完整率",
    "完整度",
    "规范率",
    "受理率",
    "归集率",
    "更新率",
    "稳定运行率",
    "正常运转率",
    "保障度",
    "实现度",
];

/// Rates and amounts where less is better.
const REVERSE: [&str; 36] = [
    "缺陷率",
    "延期率",
    "故障率",
    "投诉率",
    "差错率",
    "错误率",
    "出错率",
    "变更率",
    "失败率",
    "流失率",
    "超支率",
    "返工率",
    "发生率",
    "空置率",
    "误报率",
    "漏报率",
    "不合格率",
    "退回率",
    "事故",
    "损失",
    "中断时长",
    "停机时长",
    "中断时间",
    "响应时间",
    "处理时间",
    "等待时间",
    "办理时间",
    "办理时长",
    "恢复时间",
    "修复时间",
    "单价",
    "单位成本",
    "能耗",
    "逾期",
    "违规",
    "超标",
];

/// Rates that measure how much was done: they belong in 数量指标.
const COMPLETION: [&str; 14] = [
    "完成率",
    "完成比例",
    "完成度",
    "覆盖率",
    "开通率",
    "到位率",
    "建成率",
    "实现率",
    "达成率",
    "执行率",
    "接入率",
    "上线率",
    "办结率",
    "入驻率",
];

const TIME_UNITS: [&str; 22] = [
    "秒",
    "分",
    "分钟",
    "小时",
    "时",
    "h",
    "H",
    "min",
    "天",
    "日",
    "工作日",
    "个工作日",
    "周",
    "个周",
    "月",
    "个月",
    "年",
    "季度",
    "个季度",
    "自然日",
    "小时内",
    "分钟内",
];

fn is_cost(i: &Indicator) -> bool {
    i.level1 == Level1::Cost || matches!(i.level2, Some(Level2::Cost))
}

/// "Saving citizens' costs" is an outcome, not the project's cost.
fn is_outcome_named_cost(i: &Indicator, info: &Info) -> bool {
    is_cost(i)
        && (info.name_bits & SAVING != 0
            || (info.name_bits & PUBLIC != 0 && info.name_bits & COST_W != 0))
}

/// The indicators with what their names say.
fn each<'c>(c: &'c Ctx) -> impl Iterator<Item = (usize, &'c Indicator, &'c Info)> {
    c.form
        .indicators
        .iter()
        .zip(&c.info)
        .enumerate()
        .map(|(n, (i, info))| (n, i, info))
}

fn quantity(i: &Indicator) -> Option<(Op, Decimal, &str)> {
    match &i.target {
        Target::Quantitative {
            op, value, unit, ..
        } => Some((*op, *value, unit.as_str())),
        Target::Qualitative { .. } => None,
    }
}

fn qualitative_text(i: &Indicator) -> Option<&str> {
    match &i.target {
        Target::Qualitative { text } => Some(text),
        Target::Quantitative { .. } => None,
    }
}

fn shown(i: &Indicator) -> String {
    format!(
        "{}：{}",
        i.name,
        if i.raw.is_empty() {
            i.target.display()
        } else {
            i.raw.clone()
        }
    )
}

fn money(m: Option<Money>) -> String {
    m.map_or("（空）".into(), |m| m.grouped())
}

// ---------------------------------------------------------------- completeness

fn header_empty(c: &Ctx, out: &mut Vec<Draft>) {
    let f = c.form;
    for (field, label, en, value) in [
        ("name", "项目名称", "project name", &f.name),
        (
            "department",
            "主管部门",
            "competent department",
            &f.department,
        ),
        (
            "implementer",
            "实施单位",
            "implementing unit",
            &f.implementer,
        ),
        ("nature", "项目性质", "project nature", &f.nature),
        ("category", "项目类别", "project category", &f.category),
    ] {
        if value.trim().is_empty() {
            out.push(Draft::form(
                field,
                "",
                format!("表头“{label}”没有填写"),
                format!("the header field {en} is empty"),
                "按项目批复信息填写该字段",
                "fill it in from the project's approval",
            ));
        }
    }
}

fn date_missing(c: &Ctx, out: &mut Vec<Draft>) {
    for (field, label, en, d) in [
        (
            "start_date",
            "计划开始日期",
            "planned start date",
            c.form.start_date,
        ),
        (
            "end_date",
            "计划完成日期",
            "planned end date",
            c.form.end_date,
        ),
    ] {
        if d.is_none() {
            out.push(Draft::form(
                field,
                "",
                format!("缺少{label}"),
                format!("the {en} is missing"),
                "填写项目计划实施期限",
                "give the project's planned period",
            ));
        }
    }
}

fn funds_missing(c: &Ctx, out: &mut Vec<Draft>) {
    for (field, label, en, m) in [
        (
            "funds.total",
            "项目资金总额",
            "project total",
            c.form.funds.total,
        ),
        (
            "funds.annual_total",
            "年度资金申请总额",
            "annual request",
            c.form.funds.annual_total,
        ),
    ] {
        if m.is_none() {
            out.push(Draft::form(
                field,
                "",
                format!("{label}没有填写"),
                format!("the {en} is not filled in"),
                "按预算填写金额（元）",
                "fill in the amount in yuan from the budget",
            ));
        }
    }
}

fn goal_empty(c: &Ctx, out: &mut Vec<Draft>) {
    for (field, label, en, g) in [
        (
            "goal_overall",
            "项目总目标",
            "overall goal",
            &c.form.goal_overall,
        ),
        (
            "goal_annual",
            "年度总体目标",
            "annual goal",
            &c.form.goal_annual,
        ),
    ] {
        if g.trim().is_empty() {
            out.push(Draft::form(
                field,
                "",
                format!("{label}为空"),
                format!("the {en} is empty"),
                "写明项目要达到的产出和效果",
                "state the outputs and effects the project is to achieve",
            ));
        }
    }
}

fn l1_missing(c: &Ctx, out: &mut Vec<Draft>) {
    for l in [Level1::Output, Level1::Outcome] {
        if !c.form.indicators.iter().any(|i| i.level1 == l) {
            out.push(Draft::form(
                "indicators",
                l.name(),
                format!("缺少一级指标“{}”", l.name()),
                format!(
                    "the level-1 group {} ({}) is missing",
                    l.name(),
                    l.english()
                ),
                &format!("补充{}及其下的三级指标", l.name()),
                &format!("add {} indicators", l.english()),
            ));
        }
    }
}

fn output_l2_missing(c: &Ctx, out: &mut Vec<Draft>) {
    if !c.form.indicators.iter().any(|i| i.level1 == Level1::Output) {
        return;
    }
    for l in [Level2::Quantity, Level2::Quality, Level2::Timeliness] {
        if !c.form.indicators.iter().any(|i| i.level2 == Some(l)) {
            out.push(Draft::form(
                "indicators",
                l.name(),
                format!("产出指标下没有“{}”", l.name()),
                format!("output has no {} indicator ({})", l.english(), l.name()),
                &format!("补充{}，或说明为何不适用", l.name()),
                &format!("add a {} indicator, or say why none applies", l.english()),
            ));
        }
    }
}

fn cost_missing(c: &Ctx, out: &mut Vec<Draft>) {
    let real_cost = each(c).any(|(_, i, info)| is_cost(i) && !is_outcome_named_cost(i, info));
    if !real_cost {
        let misfiled = each(c)
            .find(|(_, i, info)| is_outcome_named_cost(i, info))
            .map(|(_, i, _)| i);
        out.push(Draft::form(
            "indicators",
            misfiled.map(shown).unwrap_or_default(),
            if misfiled.is_some() {
                "没有衡量项目自身成本的成本指标（成本指标下填的是效益）".into()
            } else {
                "没有成本指标".into()
            },
            "no indicator measures the project's own cost".into(),
            "补充成本指标，如单位成本、成本控制数（元）",
            "add a cost indicator such as a unit cost or a cost ceiling in yuan",
        ));
    }
}

fn satisfaction_missing(c: &Ctx, out: &mut Vec<Draft>) {
    if !c
        .form
        .indicators
        .iter()
        .any(|i| i.level1 == Level1::Satisfaction)
    {
        out.push(Draft::form(
            "indicators",
            "",
            "没有满意度指标".into(),
            "there is no satisfaction indicator".into(),
            "补充服务对象满意度指标（如“≥90%”），或说明项目没有服务对象",
            "add a beneficiary satisfaction indicator (e.g. ≥90%), or say the project has no beneficiaries",
        ));
    }
}

fn level2_missing(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, _) in each(c) {
        if i.level2.is_none() {
            out.push(Draft::indicator(
                n,
                "level2",
                &i.name,
                format!("指标“{}”没有二级指标", i.name),
                format!("“{}” has no level-2 category", i.name),
                "选择所属二级指标".into(),
                "choose its level-2 category".into(),
            ));
        }
    }
}

fn level_mismatch(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, _) in each(c) {
        if let Some(l2) = i.level2 {
            let ok = l2.level1() == i.level1 || (l2 == Level2::Cost && i.level1 == Level1::Cost);
            if !ok {
                out.push(Draft::indicator(
                    n,
                    "level2",
                    format!("{} / {}", i.level1, l2),
                    format!("“{}”不属于“{}”", l2, i.level1),
                    format!(
                        "{} is not a category of {}",
                        l2.english(),
                        i.level1.english()
                    ),
                    format!(
                        "改为“{}”下的二级指标，或把指标移到“{}”",
                        i.level1,
                        l2.level1()
                    ),
                    format!(
                        "pick a category of {}, or move the indicator to {}",
                        i.level1.english(),
                        l2.level1().english()
                    ),
                ));
            }
        }
    }
}

fn target_empty(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, _) in each(c) {
        if qualitative_text(i).is_some_and(|t| t.trim().is_empty()) {
            out.push(Draft::indicator(
                n,
                "target",
                &i.name,
                format!("指标“{}”没有指标值", i.name),
                format!("“{}” has no target value", i.name),
                "填写指标值，如“≥30项”".into(),
                "give a target such as ≥30 items".into(),
            ));
        }
    }
}

// ---------------------------------------------------------------- arithmetic

fn sum(parts: &[Option<Money>]) -> Option<Money> {
    parts.iter().try_fold(Money::ZERO, |acc, m| {
        acc.checked_add(m.unwrap_or(Money::ZERO))
    })
}

fn fund_sum(c: &Ctx, out: &mut Vec<Draft>) {
    let f = &c.form.funds;
    let (Some(total), true) = (f.total, f.fiscal.is_some() || f.other.is_some()) else {
        return;
    };
    let parts = sum(&[f.fiscal, f.other]);
    if parts != Some(total) {
        out.push(Draft::form(
            "funds.total",
            format!(
                "{} ≠ {} + {}",
                total.grouped(),
                money(f.fiscal),
                money(f.other)
            ),
            format!(
                "项目资金总额 {} 不等于财政资金与其他资金之和 {}",
                total.grouped(),
                money(parts)
            ),
            format!(
                "the project total {} is not fiscal + other funds ({})",
                total.grouped(),
                money(parts)
            ),
            "核对项目资金总额、财政资金和其他资金",
            "check the total against fiscal and other funds",
        ));
    }
}

fn fund_annual_sum(c: &Ctx, out: &mut Vec<Draft>) {
    let f = &c.form.funds;
    let Some(total) = f.annual_total else { return };
    if f.annual_appropriation.is_none() && f.annual_carryover.is_none() && f.annual_other.is_none()
    {
        return;
    }
    let parts = sum(&[f.annual_appropriation, f.annual_carryover, f.annual_other]);
    if parts != Some(total) {
        out.push(Draft::form(
            "funds.annual_total",
            format!(
                "{} ≠ {} + {} + {}",
                total.grouped(),
                money(f.annual_appropriation),
                money(f.annual_carryover),
                money(f.annual_other)
            ),
            format!(
                "年度资金申请总额 {} 不等于当年财政拨款、上年结转和其他资金之和 {}",
                total.grouped(),
                money(parts)
            ),
            format!(
                "the annual request {} is not appropriation + carry-over + other ({})",
                total.grouped(),
                money(parts)
            ),
            "核对年度资金申请总额及其构成",
            "check the annual request against its parts",
        ));
    }
}

fn fund_annual_exceeds(c: &Ctx, out: &mut Vec<Draft>) {
    let f = &c.form.funds;
    if let (Some(t), Some(a)) = (f.total, f.annual_total) {
        if a > t {
            out.push(Draft::form(
                "funds.annual_total",
                format!("{} > {}", a.grouped(), t.grouped()),
                format!(
                    "年度资金申请总额 {} 超过项目资金总额 {}",
                    a.grouped(),
                    t.grouped()
                ),
                format!(
                    "the annual request {} exceeds the project total {}",
                    a.grouped(),
                    t.grouped()
                ),
                "年度申请不应超过项目总额，请核对",
                "the annual request cannot exceed the project total: check both",
            ));
        }
    }
}

fn date_order(c: &Ctx, out: &mut Vec<Draft>) {
    if let (Some(s), Some(e)) = (c.form.start_date, c.form.end_date) {
        if s > e {
            out.push(Draft::form(
                "end_date",
                format!("{s} > {e}"),
                format!("计划开始日期 {s} 晚于计划完成日期 {e}"),
                format!("the planned start {s} is after the planned end {e}"),
                "核对计划实施期限",
                "check the planned period",
            ));
        }
    }
}

fn date_year(c: &Ctx, out: &mut Vec<Draft>) {
    use chrono::Datelike;
    if let (Some(s), Some(e)) = (c.form.start_date, c.form.end_date) {
        let y = c.form.year;
        if s <= e && (y < s.year() || y > e.year()) {
            out.push(Draft::form(
                "start_date",
                format!("{y}年度；{s} 至 {e}"),
                format!("申报年度 {y} 不在计划期 {s} 至 {e} 之内"),
                format!("the form's year {y} lies outside the planned period {s} to {e}"),
                "核对申报年度和计划实施期限",
                "check the year and the planned period",
            ));
        }
    }
}

// ---------------------------------------------------------------- measurability

fn vague_target(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        if let Some(text) = qualitative_text(i) {
            if let Some(w) = &info.vague {
                out.push(Draft::indicator(
                    n,
                    "target",
                    shown(i),
                    format!("指标值“{text}”含糊（“{w}”），无法判断是否完成"),
                    format!(
                        "the target “{text}” is vague (“{w}”): nobody can tell whether it was met"
                    ),
                    "改为可衡量的值（如“≥95%”“≤2小时”），或写明分级标准（好/较好/一般/较差/差）"
                        .into(),
                    "write a measurable value (e.g. ≥95%, ≤2 hours), or state graded criteria"
                        .into(),
                ));
            }
        }
    }
}

fn qualitative_countable(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some(text) = qualitative_text(i) else {
            continue;
        };
        if text.chars().any(|ch| ch.is_ascii_digit())
            || info.vague.is_some()
            || is_cost(i)
            || text.trim().is_empty()
        {
            continue;
        }
        let countable = info.rate
            || info.count
            || info.duration
            || ["价值", "金额", "费用", "人数", "次数"]
                .iter()
                .any(|w| i.name.ends_with(w));
        if countable {
            out.push(Draft::indicator(
                n,
                "target",
                shown(i),
                format!("“{}”可以用数值衡量，指标值却是“{text}”", i.name),
                format!(
                    "“{}” can be measured by a number, but its target is “{text}”",
                    i.name
                ),
                "改为带计算符号和单位的数值，如“≥95%”".into(),
                "give a number with an operator and unit, e.g. ≥95%".into(),
            ));
        }
    }
}

fn cost_not_quantified(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        if is_cost(i) && !is_outcome_named_cost(i, info) {
            if let Some(text) = qualitative_text(i) {
                out.push(Draft::indicator(
                    n,
                    "target",
                    shown(i),
                    format!("成本指标“{}”没有量化（“{text}”）", i.name),
                    format!(
                        "the cost indicator “{}” is not quantified (“{text}”)",
                        i.name
                    ),
                    "写明成本控制数或单位成本，如“≤30元/平方米”“≤119,624,404.76元”".into(),
                    "state a cost ceiling or unit cost, e.g. ≤30 yuan/m²".into(),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------- consistency

fn unit_rate(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some((_, _, unit)) = quantity(i) else {
            continue;
        };
        if !info.rate {
            continue;
        }
        let u = Unit::parse(unit);
        let ok =
            u.is_percent() || matches!(u.base, "‰" | "百分点" | "个百分点" | "千分比" | "万分比");
        if !ok {
            let missing = unit.is_empty();
            out.push(
                Draft::indicator(
                    n,
                    "target.unit",
                    shown(i),
                    if missing {
                        format!("比率类指标“{}”没有写单位", i.name)
                    } else {
                        format!("“{}”是比率，单位却是“{unit}”", i.name)
                    },
                    if missing {
                        format!("“{}” is a rate but has no unit", i.name)
                    } else {
                        format!("“{}” is a rate, but its unit is “{unit}”", i.name)
                    },
                    "比率以“%”计量；若要衡量总量，请把名称改为数量（如“服务人次数”）".into(),
                    "measure a rate in %; to measure a total, rename it as a count".into(),
                )
                .lowered(missing),
            );
        }
    }
}

fn unit_duration(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some((_, _, unit)) = quantity(i) else {
            continue;
        };
        if info.duration && !unit.is_empty() && !TIME_UNITS.contains(&unit) {
            out.push(Draft::indicator(
                n,
                "target.unit",
                shown(i),
                format!("“{}”是时长或时间，单位却是“{unit}”", i.name),
                format!("“{}” is a duration, but its unit is “{unit}”", i.name),
                "以时间单位计量，如“≤2小时”“≤5个工作日”".into(),
                "measure it in time, e.g. ≤2 hours".into(),
            ));
        }
    }
}

fn unit_count(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some((_, _, unit)) = quantity(i) else {
            continue;
        };
        if info.count && Unit::parse(unit).is_percent() {
            out.push(Draft::indicator(
                n,
                "target.unit",
                shown(i),
                format!("“{}”是数量，单位却是“%”", i.name),
                format!("“{}” is a count, but it is measured in %", i.name),
                "以计数单位计量（个、项、次、人），或把名称改为比率（如“完成率”）".into(),
                "measure it in count units, or rename it as a rate".into(),
            ));
        }
    }
}

fn op_reverse(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some((op, value, _)) = quantity(i) else {
            continue;
        };
        if op.is_positive() && info.reverse() {
            let w = info.reverse_word.unwrap_or("");
            out.push(Draft::indicator(
                n,
                "target.op",
                shown(i),
                format!("“{}”越低越好（{w}），却写成“{}”", i.name, op.symbol()),
                format!(
                    "less is better for “{}” ({w}), but it is written with {}",
                    i.name,
                    op.symbol()
                ),
                format!("改为“≤{}”", value.normalize()),
                format!("write ≤{}", value.normalize()),
            ));
        }
    }
}

fn op_positive(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some((op, value, _)) = quantity(i) else {
            continue;
        };
        if op.is_reverse() && info.positive() && info.name_bits & NEGATED == 0 {
            out.push(Draft::indicator(
                n,
                "target.op",
                shown(i),
                format!("“{}”越高越好，却写成“{}”", i.name, op.symbol()),
                format!(
                    "more is better for “{}”, but it is written with {}",
                    i.name,
                    op.symbol()
                ),
                format!("改为“≥{}”", value.normalize()),
                format!("write ≥{}", value.normalize()),
            ));
        }
    }
}

fn op_ceiling(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, _) in each(c) {
        let Some((op, value, unit)) = quantity(i) else {
            continue;
        };
        if op == Op::Ge && value == Decimal::ONE_HUNDRED && Unit::parse(unit).is_percent() {
            out.push(Draft::indicator(
                n,
                "target.op",
                shown(i),
                "“≥100%”不可能超过100%，与“=100%”无异".into(),
                "≥100% cannot be exceeded: it means =100%".into(),
                "改为“=100%”".into(),
                "write =100%".into(),
            ));
        }
    }
}

fn target_impossible(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some((op, value, unit)) = quantity(i) else {
            continue;
        };
        let percent = Unit::parse(unit).is_percent();
        let bounded = percent && info.positive() && info.rate || info.name_bits & SATISFIED != 0;
        let impossible = (percent
            && bounded
            && (value > Decimal::ONE_HUNDRED || (op == Op::Gt && value >= Decimal::ONE_HUNDRED)))
            || (op == Op::Lt && value <= Decimal::ZERO && percent);
        if impossible {
            out.push(Draft::indicator(
                n,
                "target",
                shown(i),
                format!(
                    "“{}”不可能达到“{}{}{}”",
                    i.name,
                    op.symbol(),
                    value.normalize(),
                    unit
                ),
                format!(
                    "“{}” cannot reach {}{}{}",
                    i.name,
                    op.symbol(),
                    value.normalize(),
                    unit
                ),
                "比率最高为100%，请核对指标值".into(),
                "a rate is at most 100%: check the target".into(),
            ));
        }
    }
}

fn category_rate_as_quantity(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        let Some((_, _, unit)) = quantity(i) else {
            continue;
        };
        if i.level2 == Some(Level2::Quantity)
            && Unit::parse(unit).is_percent()
            && info.name_bits & COMPLETION_W == 0
        {
            out.push(Draft::indicator(
                n,
                "level2",
                shown(i),
                format!("“{}”以百分比衡量的是质量或效果，不是数量", i.name),
                format!("“{}” is a percentage of quality, not a quantity", i.name),
                "移到“质量指标”，或改为数量（个、项、次）".into(),
                "move it to quality indicators, or measure a count".into(),
            ));
        }
    }
}

fn category_outcome_as_cost(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, info) in each(c) {
        if is_outcome_named_cost(i, info) {
            out.push(Draft::indicator(
                n,
                "level2",
                shown(i),
                format!("“{}”是项目带来的效益，不是项目自身的成本", i.name),
                format!("“{}” is a benefit of the project, not its own cost", i.name),
                "移到“经济效益指标”或“社会效益指标”，成本指标写项目自身的成本".into(),
                "move it to economic or social outcomes; cost indicators state the project's own cost".into(),
            ));
        }
    }
}

fn category_satisfaction(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, _) in each(c) {
        let satisfied = i.name.contains("满意");
        if satisfied && i.level1 != Level1::Satisfaction {
            out.push(Draft::indicator(
                n,
                "level1",
                shown(i),
                format!("“{}”是满意度，却填在“{}”下", i.name, i.level1),
                format!(
                    "“{}” is a satisfaction measure filed under {}",
                    i.name,
                    i.level1.english()
                ),
                "移到“满意度指标—服务对象满意度指标”".into(),
                "move it to satisfaction indicators".into(),
            ));
        }
        if !satisfied && i.level1 == Level1::Satisfaction {
            out.push(Draft::indicator(
                n,
                "level1",
                shown(i),
                format!("满意度指标下的“{}”不是满意度", i.name),
                format!(
                    "“{}” under satisfaction is not a satisfaction measure",
                    i.name
                ),
                "改为服务对象满意度，或移到相应的一级指标".into(),
                "make it a satisfaction measure, or move it".into(),
            ));
        }
    }
}

fn output_is_money(c: &Ctx, out: &mut Vec<Draft>) {
    for (n, i, _) in each(c) {
        let Some((_, _, unit)) = quantity(i) else {
            continue;
        };
        if i.level1 == Level1::Output
            && !is_cost(i)
            && Unit::parse(unit).base == "元"
            && !unit.contains('/')
        {
            out.push(Draft::indicator(
                n,
                "target.unit",
                shown(i),
                format!("产出指标“{}”以金额计量；花了多少钱不是产出", i.name),
                format!(
                    "the output “{}” is measured in money: money spent is not an output",
                    i.name
                ),
                "写明资金买到的产出（数量、质量、时效），金额放在成本指标".into(),
                "state what the money buys; put amounts under cost".into(),
            ));
        }
    }
}

fn indicator_duplicate(c: &Ctx, out: &mut Vec<Draft>) {
    let inds = &c.form.indicators;
    for (n, i) in inds.iter().enumerate() {
        if let Some(first) = inds[..n].iter().position(|j| j.name == i.name) {
            out.push(Draft::indicator(
                n,
                "name",
                shown(i),
                format!("“{}”与第{}个指标重复", i.name, first + 1),
                format!("“{}” repeats indicator {}", i.name, first + 1),
                "删除重复的指标，或写明两者的区别".into(),
                "remove the duplicate, or make the difference clear".into(),
            ));
        }
    }
}

fn goal_copy(c: &Ctx, out: &mut Vec<Draft>) {
    use chrono::Datelike;
    let f = c.form;
    if f.goal_overall.trim().is_empty() || !c.goals_same {
        return;
    }
    let one_year = match (f.start_date, f.end_date) {
        (Some(s), Some(e)) => s.year() == e.year(),
        _ => false,
    };
    let excerpt: String = f.goal_annual.chars().take(40).collect();
    out.push(
        Draft::form(
            "goal_overall",
            format!("{excerpt}…"),
            if one_year {
                "项目总目标与年度总体目标完全相同（项目只有一年，可以接受，但总目标宜写项目的长期效果）".into()
            } else {
                "项目跨年度，项目总目标却与年度总体目标完全相同".into()
            },
            if one_year {
                "the overall goal is a copy of the annual goal (acceptable for a one-year project, but the overall goal should state the lasting effect)".into()
            } else {
                "the project spans years, yet its overall goal is a copy of the annual goal".into()
            },
            "总目标写项目整个周期的产出和效果，年度目标写本年度要完成的部分",
            "state the whole project's outputs and effects in the overall goal, this year's share in the annual goal",
        )
        .lowered(one_year),
    );
}

/// Longest run of characters two texts share (by characters, ignoring spaces and quotes).
fn common_run(a: &str, b: &str) -> usize {
    let clean = |s: &str| {
        s.chars()
            .filter(|c| {
                !c.is_whitespace() && !matches!(c, '“' | '”' | '"' | '（' | '）' | '(' | ')')
            })
            .collect::<Vec<char>>()
    };
    let (a, b) = (clean(a), clean(b));
    let mut best = 0;
    for i in 0..a.len() {
        for j in 0..b.len() {
            let mut k = 0;
            while i + k < a.len() && j + k < b.len() && a[i + k] == b[j + k] {
                k += 1;
            }
            best = best.max(k);
        }
    }
    best
}

#[derive(Clone, Copy)]
enum GoalMatch {
    Measured,
    /// The indicator (by position) measuring the same thing with another value.
    Mismatch(usize),
    Unmeasured,
}

fn match_goal_number(form: &Form, s: &goals::StatedNumber) -> GoalMatch {
    let su = Unit::parse(&s.unit);
    let stated = s.value * su.scale();
    let mut mismatch = None;
    for (n, i) in form.indicators.iter().enumerate() {
        let Some((_, value, unit)) = quantity(i) else {
            continue;
        };
        let iu = Unit::parse(unit);
        // A bare magnitude (`2000万`) compares with any unit of that magnitude's base.
        let comparable = iu.comparable(&su) || (su.base.is_empty() && su.exponent > 0);
        if !comparable {
            continue;
        }
        let same_value = value * iu.scale() == stated;
        let overlap = common_run(&s.subject, &i.name);
        // The same thing: a real overlap that includes what is measured, the subject's last
        // words (`巡检服务` of 运维日常巡检服务, not only the brand 随申办 of “随申办”月活).
        let tail: String = {
            let chars: Vec<char> = s
                .subject
                .chars()
                .filter(|c| !matches!(c, '”' | '"' | '）' | ')'))
                .collect();
            chars[chars.len().saturating_sub(2)..].iter().collect()
        };
        let same_thing = (overlap >= 3 || (overlap >= 2 && s.subject.chars().count() <= 4))
            && i.name.contains(&tail);
        if same_thing && same_value {
            return GoalMatch::Measured;
        }
        if same_thing && mismatch.is_none() {
            mismatch = Some((n, i));
        }
        if same_value && overlap >= 2 {
            return GoalMatch::Measured;
        }
    }
    match mismatch {
        Some((n, _)) => GoalMatch::Mismatch(n),
        None => GoalMatch::Unmeasured,
    }
}

fn goal_number_mismatch(c: &Ctx, out: &mut Vec<Draft>) {
    for (field, s, m) in c.goal_matches() {
        if let GoalMatch::Mismatch(n) = *m {
            let i = &c.form.indicators[n];
            let mut d = Draft::indicator(
                n,
                "target",
                format!("目标：{}；指标：{}", s.text, shown(i)),
                format!(
                    "目标写“{}”，衡量它的指标“{}”却是“{}”",
                    s.text, i.name, i.raw
                ),
                format!(
                    "the goal says “{}”, but the indicator “{}” that measures it says “{}”",
                    s.text, i.name, i.raw
                ),
                "使目标文字与指标值一致".into(),
                "make the goal and the indicator agree".into(),
            );
            d.field = format!("{field} / indicators[{n}].target");
            out.push(d);
        }
    }
}

fn goal_number_unmeasured(c: &Ctx, out: &mut Vec<Draft>) {
    for (field, s, m) in c.goal_matches() {
        if let GoalMatch::Unmeasured = m {
            let label = if *field == "goal_annual" {
                "年度总体目标"
            } else {
                "项目总目标"
            };
            out.push(Draft::form(
                field,
                s.text.clone(),
                format!("{label}承诺“{}”，但没有指标衡量它", s.text),
                format!(
                    "the goal promises “{}”, but no indicator measures it",
                    s.text
                ),
                &format!("为“{}”增设三级指标，或从目标中删去该数值", s.subject),
                "add an indicator for it, or drop the number from the goal",
            ));
        }
    }
}

// ---------------------------------------------------------------- history

/// This year's indicator and last year's of the same name, both quantities in comparable units,
/// with their values folded to the same magnitude.
fn history_pairs<'a>(c: &'a Ctx) -> Vec<(usize, &'a Indicator, &'a Indicator, Decimal, Decimal)> {
    let Some(last) = c.last_year else {
        return vec![];
    };
    let mut pairs = vec![];
    for (n, i, _) in each(c) {
        let Some((_, v, u)) = quantity(i) else {
            continue;
        };
        let Some(prev) = last
            .indicators
            .iter()
            .find(|p| p.name == i.name && p.level1 == i.level1)
        else {
            continue;
        };
        let Some((_, pv, pu)) = quantity(prev) else {
            continue;
        };
        let (u, pu) = (Unit::parse(u), Unit::parse(pu));
        if u.comparable(&pu) {
            pairs.push((n, i, prev, v * u.scale(), pv * pu.scale()));
        }
    }
    pairs
}

/// Rectifications (整改) that last year's monitoring asked for and that have no result: the
/// new year's form is where they are carried into targets, so the reviewer sees them here.
fn history_rectify(c: &Ctx, out: &mut Vec<Draft>) {
    for (name, advice) in c.last_rectifications {
        let advice_zh = if advice.trim().is_empty() {
            String::new()
        } else {
            format!("（整改建议：{}）", advice.trim())
        };
        let advice_en = if advice.trim().is_empty() {
            String::new()
        } else {
            format!(" (advice: {})", advice.trim())
        };
        let evidence = format!("上年监控：“{name}”需整改{advice_zh}，尚无整改结果");
        let message = format!("上年监控要求整改“{name}”{advice_zh}，至今没有整改结果");
        let message_en = format!(
            "last year's monitoring asked for “{name}” to be rectified{advice_en}, and no result is recorded"
        );
        match c.form.indicators.iter().position(|i| i.name == *name) {
            Some(n) => out.push(Draft::indicator(
                n,
                "target",
                evidence,
                message,
                message_en,
                "在本年指标值和保障措施中落实整改，或在上年监控中填写整改结果".into(),
                "carry the rectification into this year's target, or record its result in last year's monitoring".into(),
            )),
            None => out.push(Draft::form(
                "indicators",
                evidence,
                message,
                message_en,
                "本年没有同名指标：说明整改如何落实，或在上年监控中填写整改结果",
                "this year has no indicator of that name: say how the rectification is carried out, or record its result",
            )),
        }
    }
}

fn history_below(c: &Ctx, out: &mut Vec<Draft>) {
    // Against last year's actual where it is known: a positive target below what was already
    // achieved (or a reverse one above it) is no ambition.
    let mut checked = vec![];
    for (n, i, _) in each(c) {
        let Some((op, value, unit)) = quantity(i) else {
            continue;
        };
        let Some((_, raw)) = c.last_actuals.iter().find(|(name, _)| *name == i.name) else {
            continue;
        };
        let Ok(crate::actual::Measured::Value(actual)) =
            crate::actual::measure(&i.target, &crate::actual::Actual::parse(raw), raw)
        else {
            continue;
        };
        checked.push(n);
        let weaker = (op.is_positive() && value < actual) || (op.is_reverse() && value > actual);
        if weaker {
            out.push(Draft::indicator(
                n,
                "target",
                format!("今年指标值 {}；上年实际完成 {}", i.raw, raw),
                format!(
                    "“{}”的指标值 {}{}{} 不及上年实际完成的 {}",
                    i.name,
                    op.symbol(),
                    value.normalize(),
                    unit,
                    raw
                ),
                format!(
                    "the target of “{}” ({}{}{}) is below what was achieved last year ({})",
                    i.name,
                    op.symbol(),
                    value.normalize(),
                    unit,
                    raw
                ),
                "以上年实际完成为基础设定指标值，或说明降低的理由".into(),
                "set the target from last year's actual, or explain why it is lower".into(),
            ));
        }
    }
    for (n, i, prev, now, before) in history_pairs(c) {
        if checked.contains(&n) {
            continue;
        }
        let Some((op, ..)) = quantity(i) else {
            continue;
        };
        let weaker = (op.is_positive() && now < before) || (op.is_reverse() && now > before);
        if weaker {
            out.push(Draft::indicator(
                n,
                "target",
                format!("今年 {}；上年 {}", i.raw, prev.raw),
                format!("“{}”的指标值比上年（{}）宽松", i.name, prev.raw),
                format!(
                    "the target of “{}” is weaker than last year's ({})",
                    i.name, prev.raw
                ),
                "说明降低目标的理由，或不低于上年水平".into(),
                "explain why the target is lowered, or keep last year's level".into(),
            ));
        }
    }
}

fn history_jump(c: &Ctx, out: &mut Vec<Draft>) {
    let factor = c.settings.history_jump_factor;
    for (n, i, prev, now, before) in history_pairs(c) {
        if now <= Decimal::ZERO || before <= Decimal::ZERO {
            continue;
        }
        let ratio = if now > before {
            now / before
        } else {
            before / now
        };
        if ratio >= factor {
            out.push(Draft::indicator(
                n,
                "target",
                format!("今年 {}；上年 {}", i.raw, prev.raw),
                format!(
                    "“{}”较上年（{}）变化 {} 倍以上",
                    i.name,
                    prev.raw,
                    ratio.round_dp(1).normalize()
                ),
                format!(
                    "“{}” changes by a factor of {} on last year's ({})",
                    i.name,
                    ratio.round_dp(1).normalize(),
                    prev.raw
                ),
                "核对单位和数值，并说明大幅变化的原因".into(),
                "check the unit and value, and explain the change".into(),
            ));
        }
    }
}
