//! The layouts of published forms, described as data: the words that label header fields,
//! column heads and their roles, old and short level names, and the characters that
//! traditional-script and mirror sites use. The reader in `disclosure.rs` matches cells
//! against these tables; adding a province's wording is adding a row here.

use jixiao_core::{Level1, Level2};

/// The fields a header or funds label names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Name,
    Nature,
    Category,
    Department,
    Implementer,
    Start,
    End,
    Total,
    Fiscal,
    /// 其他资金: the project's or the year's, told apart by column.
    Other,
    AnnualTotal,
    AnnualAppropriation,
    Carryover,
    /// 预算数 in a table of several projects: the project's amount.
    Budget,
    /// 项目期限 / 项目起止时间 written as one range: the start and end dates.
    Period,
    /// A header field the form model has no place for (项目负责人, 联系电话, 项目属性 …):
    /// its value is reported in a warning, never dropped silently.
    Unkept,
}

/// What a column of the indicator table holds, after the 三级指标 name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// 指标性质 / 计算符号: ≥ ≤ = 定性.
    Op,
    /// 指标值 / 年度指标值: the target, whole or its value only.
    Target,
    /// 度量单位 / 计量单位.
    Unit,
    /// 权重 / 分值.
    Weight,
    /// 指标方向性: 正向 / 反向.
    Direction,
    /// 实际完成值.
    Actual,
    /// 得分.
    Score,
    /// 偏差原因分析及改进措施.
    Reason,
    /// 备注, 指标值设定依据, 评分标准, 指标解释: text kept in a warning.
    Note,
    /// 累计完成率: the actual against the target, as published (kept in a warning).
    Completion,
}

/// Columns of the budget block of a self-evaluation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BudgetCol {
    Initial,
    Annual,
    Spent,
    Weight,
    Rate,
    Score,
}

/// What a cell is in the official layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Label {
    Field(Field),
    /// 项目资金（元）or（万元）, 金额单位：万元: fen per unit of the amounts that follow.
    FundsUnit(i64),
    GoalOverall,
    GoalAnnual,
    /// 实际完成情况 of the goals block of a self-evaluation table.
    GoalActual,
    /// 项目绩效目标, the goals block's row label.
    GoalsBlock,
    /// 绩效指标, the indicator block's row label.
    IndicatorsBlock,
    /// 一级指标, 二级指标, 三级指标.
    LevelHead,
    /// A column head of the indicator table.
    Column(Role),
    /// A column head of a self-evaluation's budget block.
    Budget(BudgetCol),
    /// The first half of a budget head broken over lines: `年初` of 年初预算数, `全年`.
    BudgetPart,
    /// 总分 / 合计 of a self-evaluation table.
    Total,
    /// 其他需要说明事项, 评价结论, 存在问题, 改进措施: text after the indicator table.
    Remarks,
    /// `优良中差` under 绩效指标评价标准: the grades of a graded standard, one column each.
    Grades,
}

/// Folds the traditional characters of labels and level names to simplified ones, so that
/// `產出指標` is matched as 产出指标. Names and values keep the characters as written.
pub(crate) fn simplify(c: char) -> char {
    match c {
        '產' => '产',
        '標' => '标',
        '數' => '数',
        '質' => '质',
        '時' => '时',
        '滿' => '满',
        '會' => '会',
        '態' => '态',
        '經' => '经',
        '濟' => '济',
        '續' => '续',
        '響' => '响',
        '務' => '务',
        '對' => '对',
        '項' => '项',
        '稱' => '称',
        '實' => '实',
        '績' => '绩',
        '預' => '预',
        '資' => '资',
        '額' => '额',
        '總' => '总',
        '體' => '体',
        '達' => '达',
        '際' => '际',
        '單' => '单',
        '門' => '门',
        '級' => '级',
        '環' => '环',
        '費' => '费',
        '財' => '财',
        '撥' => '拨',
        '結' => '结',
        '轉' => '转',
        '執' => '执',
        '値' | '值' => '值',
        '權' => '权',
        '進' => '进',
        '應' => '应',
        '劃' => '划',
        '計' => '计',
        '設' => '设',
        '報' => '报',
        '評' => '评',
        '價' => '价',
        '當' => '当',
        '據' => '据',
        '況' => '况',
        '負' => '负',
        '責' => '责',
        '電' => '电',
        '話' => '话',
        '內' => '内',
        '率' => '率',
        '長' => '长',
        '區' => '区',
        '縣' => '县',
        '與' => '与',
        '範' => '范',
        '規' => '规',
        '編' => '编',
        '號' => '号',
        '碼' => '码',
        '屬' => '属',
        '類' => '类',
        '別' => '别',
        '其' => '其',
        '減' => '减',
        '開' => '开',
        '說' => '说',
        '明' => '明',
        '見' => '见',
        '備' => '备',
        '釋' => '释',
        '準' => '准',
        '確' => '确',
        '專' => '专',
        '優' => '优',
        '興' => '兴',
        _ => c,
    }
}

/// The matching key of a cell: whitespace removed, full-width brackets and colons folded,
/// traditional characters simplified, and the pinyin that mirror sites insert after
/// characters (`項(xiàng)目`) removed, also after a `?` that stands for a lost character.
pub(crate) fn key_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        let c = match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            c if c.is_whitespace() => continue,
            c => simplify(c),
        };
        out.push(c);
        if jixiao_core::text::is_cjk(c) {
            rest = &rest[pinyin_len(rest)..];
        } else if c == '?' {
            rest = &rest[lost_pinyin_len(rest)..];
        }
    }
    out
}

/// The length of the pinyin a mirror site put in brackets right after a character
/// (`(xiàng)` of `項(xiàng)`): up to seven letters, none of them Chinese; 0 when there is none.
pub(crate) fn pinyin_len(rest: &str) -> usize {
    let Some(open) = rest.chars().next().filter(|c| matches!(c, '(' | '（')) else {
        return 0;
    };
    let after = &rest[open.len_utf8()..];
    for (n, (i, x)) in after.char_indices().enumerate() {
        if matches!(x, ')' | '）') {
            return if n == 0 {
                0
            } else {
                open.len_utf8() + i + x.len_utf8()
            };
        }
        if n >= 7 || !x.is_alphabetic() || jixiao_core::text::is_cjk(x) {
            return 0;
        }
    }
    0
}

/// After a `?` that stands for a lost character, its pinyin, whole (`(jī)`) or with its
/// opening bracket lost too (`???jī)效`).
pub(crate) fn lost_pinyin_len(rest: &str) -> usize {
    match pinyin_len(rest) {
        0 => {
            for (n, (i, x)) in rest.char_indices().enumerate() {
                if matches!(x, ')' | '）') {
                    return if n == 0 { 0 } else { i + x.len_utf8() };
                }
                if n >= 7 || !x.is_alphabetic() || jixiao_core::text::is_cjk(x) {
                    return 0;
                }
            }
            0
        }
        n => n,
    }
}

/// The characters of a text folded as `key_of` folds them, each with the bytes of the text
/// it stands for (a character's pinyin in brackets included): for cutting a text where its
/// key matches.
pub(crate) fn folded_chars(text: &str) -> Vec<(char, usize, usize)> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let start = at;
        at += c.len_utf8();
        let f = match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            c if c.is_whitespace() => continue,
            c => simplify(c),
        };
        if jixiao_core::text::is_cjk(f) {
            at += pinyin_len(&text[at..]);
        } else if f == '?' {
            at += lost_pinyin_len(&text[at..]);
        }
        out.push((f, start, at));
    }
    out
}

pub(crate) fn label_of(key: &str) -> Option<Label> {
    // `*指标值`: the asterisk of a required column.
    let k = key.trim_start_matches('*').trim_end_matches([':', '：']);
    // Heads of the long-term and annual column groups: `二级指标(长期)`, `指标值(年度)`.
    let k = ["(长期)", "(年度)", "(中期)", "(长期目标)", "(年度目标)"]
        .iter()
        .find_map(|q| k.strip_suffix(q))
        .unwrap_or(k);
    let k = k
        .strip_prefix("其中:")
        .or_else(|| k.strip_prefix("其中"))
        .unwrap_or(k);
    // `主管部门(盖章)`, `实施单位(盖章)`: the label with the place of its stamp.
    let k = match k.strip_suffix("(盖章)") {
        Some(l) if !l.is_empty() => l.trim_end_matches(':'),
        _ => k,
    };
    use Field::*;
    Some(match k {
        "项目名称" | "项目(名称)" | "二级项目名称" | "项目支出名称" | "专项名称" => {
            Label::Field(Name)
        }
        "项目性质" => Label::Field(Nature),
        "项目类别" | "项目类型" => Label::Field(Category),
        "主管部门"
        | "主管单位"
        | "主管部门及代码"
        | "主管部门及编码"
        | "预算部门"
        | "项目主管部门" => Label::Field(Department),
        "实施单位" | "项目实施单位" | "项目单位" | "单位名称" | "部门名称" | "预算单位"
        | "项目执行单位" | "执行单位" => Label::Field(Implementer),
        "计划开始日期" | "开始日期" | "项目开始日期" | "计划开始时间" => {
            Label::Field(Start)
        }
        "计划完成日期" | "完成日期" | "计划结束日期" | "项目完成日期" | "计划完成时间"
        | "结束日期" => Label::Field(End),
        "项目资金总额" | "资金总额" | "项目总金额" | "项目总额" => {
            Label::Field(Total)
        }
        "财政资金" | "财政拨款" | "财政拨款数" => Label::Field(Fiscal),
        "其他资金" | "财政专户管理资金" | "单位资金" | "其他来源资金" => {
            Label::Field(Other)
        }
        "年度资金申请总额"
        | "年度资金总额"
        | "年度申请资金总额"
        | "年度资金申请"
        | "当年资金总额"
        | "总额" => Label::Field(AnnualTotal),
        "当年财政拨款" | "当年财政资金" | "本年财政拨款" => {
            Label::Field(AnnualAppropriation)
        }
        "上年结转资金" | "上年结转" => Label::Field(Carryover),
        "预算数" | "项目预算数" | "预算金额" | "项目金额" | "年度预算数" => {
            Label::Field(Budget)
        }
        "项目起止时间" | "项目期" | "项目期限" | "实施期限" | "项目实施期限" | "起止时间" => {
            Label::Field(Period)
        }
        "项目负责人"
        | "项目负责人及电话"
        | "联系电话"
        | "项目属性"
        | "资金来源"
        | "归口科室"
        | "年初安排金额(万元)"
        | "部门"
        | "填报人"
        | "填表人"
        | "填报日期"
        | "填表日期"
        | "填报单位(盖章)"
        | "填报单位" => Label::Field(Unkept),
        "项目资金(元)"
        | "项目资金"
        | "项目资金(单位:元)"
        | "资金情况(元)"
        | "金额单位:元"
        | "单位:元"
        | "投入目标(元)" => Label::FundsUnit(100),
        "项目资金(万元)"
        | "项目资金(单位:万元)"
        | "资金情况(万元)"
        | "金额单位:万元"
        | "单位:万元"
        | "投入目标(万元)"
        | "资金情况"
        | "年度预算数(万元)"
        | "金额单位:万元。" => Label::FundsUnit(1_000_000),
        "项目总目标" | "总目标" | "项目绩效总目标" | "中期目标" | "长期目标" => {
            Label::GoalOverall
        }
        "年度总体目标" | "年度目标" | "年度绩效目标" | "预期目标" => {
            Label::GoalAnnual
        }
        "实际完成情况" | "年度总体目标完成情况" | "年度总体目标完成情况综述" => {
            Label::GoalActual
        }
        "项目绩效目标" | "绩效目标" | "总体目标" | "总体目标完成情况" => {
            Label::GoalsBlock
        }
        "绩效指标" | "项目绩效指标" | "年度绩效指标完成情况" | "绩效指标完成情况" => {
            Label::IndicatorsBlock
        }
        // `绩效指标分类`: the level-1 column of an old template with no level 2.
        "一级指标" | "二级指标" | "三级指标" | "指标内容" | "指标名称" | "三级指标内容" | "绩效指标分类"
        | "三级指标名称" | "绩效指标内容" | "评价指标" | "评价内容" | "绩效内容" => {
            Label::LevelHead
        }
        "指标性质" | "计算符号" | "运算符号" | "符号" | "指标符号" | "指标值类型" | "指标类型" => {
            Label::Column(Role::Op)
        }
        "指标值"
        | "年度指标值"
        | "项目指标值"
        | "年度(/项目)指标值"
        | "年度(项目)指标值"
        | "年度/项目指标值"
        | "目标值"
        | "预期指标值"
        | "绩效指标值"
        | "年度目标值"
        | "指标目标值"
        | "绩效目标值"
        | "指标值及单位"
        | "指标值(含单位)"
        | "目标值及单位"
        | "当年预期实现值"
        | "区域目标值"
        | "指标值(A)"
        // A graded standard (优 良 中 差) in place of the target: the 优 grade is the target.
        | "绩效指标评价标准" => Label::Column(Role::Target),
        "优良中差" => Label::Grades,
        "度量单位" | "计量单位" => Label::Column(Role::Unit),
        // Several periods under 指标值: the whole period's is the target, the years' notes.
        "总体" | "总体指标值" | "实施期" => Label::Column(Role::Target),
        "第一年度" | "第二年度" | "第三年度" | "第一年" | "第二年" | "第三年" => {
            Label::Column(Role::Note)
        }
        "权重" | "指标权重" | "权重(%)" | "权重分值" | "参考分值" => {
            Label::Column(Role::Weight)
        }
        "累计完成率" => Label::Column(Role::Completion),
        "分值" => Label::Column(Role::Weight),
        "指标方向性" | "指标方向" | "方向" => Label::Column(Role::Direction),
        "实际完成值" | "全年实际完成值" | "实际值" | "完成值" | "全年实际值" | "全年实际值(B)" => {
            Label::Column(Role::Actual)
        }
        "得分" | "自评得分" => Label::Column(Role::Score),
        "偏差原因分析及改进措施"
        | "偏差原因"
        | "偏差原因分析"
        | "未完成原因和改进措施"
        | "未完成原因分析"
        | "未完成原因及拟采取的改进措施"
        | "未完成原因分析及改进措施" => Label::Column(Role::Reason),
        "备注"
        | "指标值设定依据"
        | "评(扣)分标准"
        | "评(扣分标准)"
        | "得分计算方法"
        | "指标值内容"
        | "评分标准"
        | "指标解释"
        | "指标说明"
        | "绩效标准"
        | "指标标准"
        | "绩效指标描述"
        | "指标描述" => Label::Column(Role::Note),
        "年初预算数" | "年初预算" | "年初预算数(A)" => {
            Label::Budget(BudgetCol::Initial)
        }
        "全年预算数" | "调整后预算数" | "全年预算" | "预算调整数" | "全年预算数(A)" => {
            Label::Budget(BudgetCol::Annual)
        }
        "全年执行数" | "预算执行数" | "执行数" | "全年执行" | "全年执行数(B)" => {
            Label::Budget(BudgetCol::Spent)
        }
        "执行率" | "预算执行率" | "执行率(B/A)" => Label::Budget(BudgetCol::Rate),
        "年初" | "全年" | "调整后" => Label::BudgetPart,
        "总分" | "合计" | "总计" => Label::Total,
        // Explanations of a column of their own: `指标值说明`, `指标值设定依据`, `评分标准`.
        k if k.chars().count() <= 8
            && ["说明", "依据", "解释", "标准"]
                .iter()
                .any(|w| k.ends_with(w))
            && ["指标", "评", "扣", "计分", "打分"]
                .iter()
                .any(|w| k.starts_with(w)) =>
        {
            Label::Column(Role::Note)
        }
        "其他需要说明事项"
        | "其他说明事项"
        | "评价结论"
        | "存在问题"
        | "改进措施"
        | "存在的问题及改进措施"
        | "自评结论" => Label::Remarks,
        _ => return None,
    })
}

/// Words that begin a new cell where a text runs its cells together (`项目名称农村…`,
/// `产出指标数量指标…覆盖率100%`): labels and level names, longest first when matched.
pub(crate) const RUN_WORDS: [&str; 70] = [
    "年度总体目标完成情况",
    // The heads of an old template with a graded standard (优 良 中 差), and its level 1.
    "绩效指标分类",
    "绩效指标描述",
    "绩效指标评价标准",
    "评价标准确定依据",
    "优良中差",
    "效果指标",
    "项目产出",
    "项目效益",
    "社会公众或服务对象满意度指标",
    "未完成原因及拟采取的改进措施",
    "未完成原因分析及改进措施",
    "未完成原因和改进措施",
    "偏差原因分析及改进措施",
    "服务对象满意度指标",
    "可持续影响指标",
    "生态环境成本指标",
    "年度资金申请总额",
    "项目实施单位",
    "项目执行单位",
    "项目主管部门",
    "经济效益指标",
    "社会效益指标",
    "生态效益指标",
    "经济成本指标",
    "社会成本指标",
    "年度资金总额",
    "年度总体目标",
    "项目完成指标",
    "项目效益指标",
    "年度绩效目标",
    "当年财政拨款",
    "上年结转资金",
    "实际完成值",
    "年度指标值",
    "指标目标值",
    "满意度指标",
    "项目名称",
    "主管部门",
    "实施单位",
    "项目类别",
    "项目性质",
    "项目类型",
    "资金情况",
    "财政拨款",
    "其他资金",
    "总体目标",
    "年度目标",
    "绩效指标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标内容",
    "产出指标",
    "效益指标",
    "成本指标",
    "数量指标",
    "质量指标",
    "时效指标",
    "年初预算数",
    "全年预算数",
    "全年执行数",
    "评价结论",
    "存在问题",
    "改进措施",
    "项目资金",
    "产出目标",
    "效益目标",
    "数量目标",
    "质量目标",
];

/// A piece of a text whose cells run together: its text as written, and the layout word
/// it is read as where the text is that word damaged (`???(jī)效指標分類`, its first character
/// lost to a `?`: read as 绩效指标分类).
pub(crate) type RunPiece = (String, Option<&'static str>);

/// Splits a text whose cells run together at the labels and level names it holds, and a
/// target at its end (`…覆盖率100%`, `…满意度≥90%`). A title at its start (`1、…绩效目标表`)
/// is a piece, and so is a goals label right after it. Words are matched on the key (pinyin
/// after characters left out, `績(jī)效` as 绩效), cut on the text as written. `None` when
/// there is nothing to split.
pub(crate) fn split_run_together(text: &str, ends_line: bool) -> Option<Vec<RunPiece>> {
    use std::sync::OnceLock;
    static WORDS: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    text.chars().nth(5)?;
    let words = WORDS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(RUN_WORDS)
            .expect("the run words build an automaton")
    });
    // Matched on the simplified text, cut on the original: one character for one of the same
    // length, unless pinyin or a lost character's `?` may be in it; then each character of
    // the key knows where it stands in the text.
    let folded = text.contains(['(', '（', '?']);
    let (simple, at): (String, Vec<usize>) = if folded {
        let chars = folded_chars(text);
        let mut simple = String::with_capacity(text.len());
        let mut at = Vec::with_capacity(text.len() + 1);
        for (c, from, _) in &chars {
            simple.push(*c);
            at.extend(std::iter::repeat_n(*from, c.len_utf8()));
        }
        at.push(text.len());
        (simple, at)
    } else {
        (text.chars().map(simplify).collect(), vec![])
    };
    let orig = |b: usize| if folded { at[b] } else { b };
    let mut found: Vec<(usize, usize, Option<&'static str>)> = words
        .find_iter(&simple)
        .map(|m| (m.start(), m.end(), None))
        .collect();
    let mut pieces: Vec<RunPiece> = vec![];
    let mut start = 0;
    // A title at the start (`1、…预算指标绩效目标表绩效目标保障…`), no layout word or value
    // inside it, and a goals label right after it: cut after each.
    const GOALS: [&str; 4] = ["年度绩效目标", "绩效目标", "年度目标", "总体目标"];
    let mut skip = 0;
    let title = title_end(&simple).and_then(|end| {
        let label = GOALS
            .iter()
            .find(|l| simple[end..].starts_with(**l) && simple.len() > end + l.len())?;
        (found.first().is_none_or(|m| m.0 >= end)
            && !simple[..end].contains(['%', '≥', '≤', '=', '>', '<']))
        .then_some((end, end + label.len()))
    });
    if let Some((end, label_end)) = title {
        pieces.push((text[..orig(end)].to_string(), None));
        pieces.push((text[orig(end)..orig(label_end)].to_string(), None));
        start = orig(label_end);
        skip = label_end;
        found.retain(|m| m.0 >= skip);
    }
    if folded && simple.contains('?') {
        damaged_words(&simple, skip, &mut found);
    }
    let mut depth = 0usize;
    let mut scanned = skip;
    let mut last_end = skip;
    for (m_start, m_end, read_as) in found {
        if m_start < last_end {
            continue;
        }
        // Words inside brackets are a remark (`绩效指标(其中产出指标权重分值50分…)`), not cells.
        for c in simple[scanned..m_start].chars() {
            match c {
                '(' | '（' => depth += 1,
                ')' | '）' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        scanned = m_start;
        // Nor words that end a sentence (`完成年度目标。`): a label is followed by its value.
        if depth > 0 || simple[m_end..].starts_with(['。', '，', ',', '；', ';']) {
            continue;
        }
        let (a, b) = (orig(m_start), orig(m_end));
        // Byte offsets agree: `simplify` maps CJK to CJK of the same UTF-8 length.
        if !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            return None;
        }
        if a > start {
            pieces.push((text[start..a].to_string(), None));
        }
        pieces.push((text[a..b].to_string(), read_as));
        start = b;
        last_end = m_end;
    }
    // A target at the end of the last piece: a percentage when nothing follows it on the
    // line, one with its operator (`足额保障率=100%`) wherever it stands.
    if start < text.len() {
        let last = &text[start..];
        let with_op = |at: &usize| {
            last[*at..].starts_with(['≥', '≤', '=', '>', '<', '≧', '≦', '＞', '＜', '＝'])
        };
        match trailing_target(last).filter(|at| ends_line || with_op(at)) {
            Some(at) => {
                pieces.push((last[..at].to_string(), None));
                pieces.push((last[at..].to_string(), None));
            }
            None => pieces.push((last.to_string(), None)),
        }
    }
    (pieces.len() > 1).then_some(pieces)
}

/// Where a title at the start of a key ends, when more follows it: `1、…绩效目标表`.
fn title_end(simple: &str) -> Option<usize> {
    ["绩效目标申报表", "绩效目标表", "绩效评价指标表", "自评表"]
        .iter()
        .filter_map(|w| simple.find(w).map(|i| i + w.len()))
        .min()
        .filter(|&end| end < simple.len() && title_kind(&simple[..end]).is_some())
}

/// Layout words whose first character was lost to `?` (`???效指标分类`: 绩效指标分类): the
/// question marks and the rest of the word, read as the word. Added to `found`, in order.
fn damaged_words(simple: &str, from: usize, found: &mut Vec<(usize, usize, Option<&'static str>)>) {
    let mut i = from;
    while let Some(q) = simple[i..].find('?') {
        let q_start = i + q;
        let run_end =
            q_start + simple[q_start..].len() - simple[q_start..].trim_start_matches('?').len();
        let rest = &simple[run_end..];
        let word = RUN_WORDS
            .iter()
            .filter(|w| w.chars().count() >= 4)
            .filter(|w| {
                let first = w.chars().next().map_or(0, char::len_utf8);
                rest.starts_with(&w[first..])
            })
            .max_by_key(|w| w.len());
        if let Some(w) = word {
            let first = w.chars().next().map_or(0, char::len_utf8);
            let end = run_end + w.len() - first;
            // The word found inside it (`绩效指标` of 绩效指标分类 cannot be: its first character
            // is the lost one) gives way to it.
            found.retain(|(a, b, _)| *b <= q_start || *a >= end);
            let at = found.partition_point(|(a, _, _)| *a < q_start);
            found.insert(at, (q_start, end, Some(*w)));
        }
        i = run_end.max(q_start + 1);
    }
}

/// Where a target starts at the end of a name: an operator with a quantity after it, or a
/// percentage after Chinese text.
fn trailing_target(t: &str) -> Option<usize> {
    for (i, c) in t.char_indices().skip(1) {
        if matches!(
            c,
            '≥' | '≤' | '=' | '>' | '<' | '≧' | '≦' | '＞' | '＜' | '＝'
        ) {
            let rest = &t[i..];
            if matches!(
                jixiao_core::Target::parse(rest),
                jixiao_core::Target::Quantitative { subject: None, .. }
            ) {
                let before = &t[..i];
                if before
                    .chars()
                    .last()
                    .is_some_and(|c| jixiao_core::text::is_cjk(c) || matches!(c, ')' | '）'))
                {
                    return Some(i);
                }
            }
            return None;
        }
    }
    let body = t.strip_suffix('%')?;
    let start = body
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .last()
        .map(|(i, _)| i)?;
    (start > 0
        && t[..start]
            .chars()
            .last()
            .is_some_and(jixiao_core::text::is_cjk))
    .then_some(start)
}

/// Level-1 names of older or local templates, mapped to the official ones.
pub(crate) const LEVEL1_ALIASES: [(&str, Level1); 10] = [
    ("项目产出", Level1::Output),
    ("项目效益", Level1::Outcome),
    ("项目完成指标", Level1::Output),
    ("预期产出指标", Level1::Output),
    ("产出目标", Level1::Output),
    ("项目效益指标", Level1::Outcome),
    ("效果指标", Level1::Outcome),
    ("效益目标", Level1::Outcome),
    ("满意度目标", Level1::Satisfaction),
    ("服务对象满意度", Level1::Satisfaction),
];

/// Reads a level-1 name as published: official (`产出指标`), with spaces (`产 出 指 标`),
/// old (`项目完成指标`), or with points (`产出指标(50分)`, `产出指标(40-50)分`).
pub(crate) fn level1_of(key: &str) -> Option<Level1> {
    let k = strip_points(key);
    if let Some((_, l)) = LEVEL1_ALIASES.iter().find(|(n, _)| *n == k) {
        return Some(*l);
    }
    Level1::from_name(k).filter(|_| k.ends_with("指标") || matches!(k, "产出" | "效益" | "满意度"))
}

/// Reads a level-2 name as published: official, short (`数量`), with `目标` for `指标`,
/// with an alternative in brackets (`数量指标(或建筑规模指标)`), or with `等` after it.
pub(crate) fn level2_of(key: &str) -> Option<Level2> {
    let k = strip_points(key);
    let k = k.strip_suffix('等').unwrap_or(k);
    let k = match k.find('(') {
        Some(i) if i > 0 && k.ends_with(')') => &k[..i],
        _ => k,
    };
    let owned;
    let k = if let Some(stem) = k.strip_suffix("目标") {
        owned = format!("{stem}指标");
        owned.as_str()
    } else {
        k
    };
    let l = Level2::from_name(k)?;
    let ok = k.ends_with("指标")
        || k.ends_with("效益")
        || k.ends_with("满意度")
        || k.ends_with("影响")
        || matches!(k, "数量" | "质量" | "时效" | "成本");
    ok.then_some(l)
}

/// `产出指标(50分)` → `产出指标`; `(40-50)分` after a name → the name.
fn strip_points(key: &str) -> &str {
    let k = key.strip_suffix('分').unwrap_or(key);
    if let Some(i) = k.rfind('(') {
        let inner = k[i + 1..].trim_end_matches(')');
        if i > 0
            && !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | '分' | '~' | '—'))
        {
            return &k[..i];
        }
    }
    key
}

/// A cell that only says how many points a group has: `(50分)`, `(30分)`.
pub(crate) fn is_points_cell(key: &str) -> bool {
    // `(50分)`, `(40-50)分`.
    let k = key.strip_suffix('分').unwrap_or(key);
    let k = k.trim_start_matches('(').trim_end_matches(')');
    let k = k.strip_suffix('分').unwrap_or(k);
    key.starts_with('(')
        && !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.'))
}

/// Page furniture and sign-off lines after a table (`附件:`, `[打印]`, `扫一扫…`, `填报人:`,
/// `…审核意见`, `(盖章)`): the table has ended.
pub(crate) fn footer_cell(key: &str) -> bool {
    const STARTS: [&str; 25] = [
        "附件",
        "扫一扫",
        "[下载]",
        "[打印]",
        "[关闭]",
        "打印本页",
        "关闭窗口",
        "责任编辑",
        "分享到",
        "上一篇",
        "下一篇",
        "填报人",
        "填表人",
        "单位负责人",
        "财务负责人",
        "项目负责人:",
        "(盖章)",
        "盖章",
        "【打印",
        "【关闭",
        "相关附件",
        "附表",
        "填报单位",
        "填报日期",
        "填表日期",
    ];
    let key = key.trim_end_matches(':');
    STARTS.iter().any(|w| key.starts_with(w))
        // `注:各地请根据实际情况…`: a footnote.
        || key.starts_with("注:")
        || key == "注"
        || key.ends_with("审核意见")
        || key.ends_with("初审意见")
        || key.ends_with("复审意见")
        || key.contains("(盖章)")
        || key.ends_with("(盖章)")
        || key.ends_with("审核意见(盖章)")
}

/// Whether a cell holds an operator of its own column: `≥`, `>=`, `≧`, `═`, `定性`.
pub(crate) fn op_cell(key: &str) -> bool {
    matches!(
        key,
        "≥" | "≤"
            | ">"
            | "<"
            | "="
            | ">="
            | "<="
            | "≧"
            | "≦"
            | "═"
            | "﹦"
            | "＞"
            | "＜"
            | "＝"
            | "＞＝"
            | "＜＝"
            | "定性"
            | "定量"
            | "大于等于"
            | "小于等于"
            | "等于"
            | "大于"
            | "小于"
            | "不低于"
            | "不少于"
            | "不小于"
            | "不高于"
            | "不超过"
            | "不大于"
            | "不多于"
            | "大于或等于"
            | "小于或等于"
    )
}

/// Whether a cell says the direction of an indicator (指标方向性).
pub(crate) fn direction_cell(key: &str) -> bool {
    matches!(
        key,
        "正向" | "反向" | "正向指标" | "反向指标" | "中性" | "中性指标" | "逆向" | "逆向指标"
    )
}

/// Whether a cell is a plain number (a weight, a score): `10`, `22.5`, `10分`.
pub(crate) fn number_cell(key: &str) -> bool {
    let k = key.strip_suffix('分').unwrap_or(key);
    !k.is_empty()
        && k.chars().all(|c| c.is_ascii_digit() || c == '.')
        && k.chars().filter(|c| *c == '.').count() <= 1
        && k.starts_with(|c: char| c.is_ascii_digit())
}

/// Whether a cell can be a unit column's value: a short word that ends like a unit (`个`,
/// `人次`, `平方米`, `%`, `元/亩`), never a word such as `有效` or `达标`.
pub(crate) fn unit_cell(key: &str) -> bool {
    const ENDS: &str = "个人次%％元天月年日时分秒项套台件座条份家户亩米吨辆所场期篇册本张批处株头只名公里顷斤克升度周岁倍单架艘栋幢间棵盏宗起例辆轮支部钟秒";
    let n = key.chars().count();
    (1..=6).contains(&n)
        && !key.chars().any(|c| c.is_ascii_digit())
        && !direction_cell(key)
        && !op_cell(key)
        && level1_of(key).is_none()
        && level2_of(key).is_none()
        && (key.contains('/')
            || key == "百分比"
            || key.chars().all(|c| c.is_ascii_alphabetic())
            || key.chars().last().is_some_and(|c| ENDS.contains(c)))
}

/// The title of a form or table: `财政项目支出绩效目标申报表`, `项目支出绩效自评表`,
/// `部门预算项目绩效目标申报表(2023年度)`.
pub(crate) fn title_kind(key: &str) -> Option<Kind> {
    if key.chars().count() > 70 {
        return None;
    }
    let k = key.trim_end_matches(['|', ':']);
    // `…绩效目标表公开`: a page's heading over the table.
    let k = k.strip_suffix("公开").unwrap_or(k);
    let k = k
        .split_once('(')
        .map(|(a, b)| if b.contains('年') { a } else { k })
        .unwrap_or(k);
    if k.ends_with("自评表") {
        Some(Kind::SelfEvaluation)
    } else if k.ends_with("绩效目标申报表")
        || k.ends_with("绩效目标表")
        || k.ends_with("绩效评价指标表")
    {
        Some(Kind::Target)
    } else {
        None
    }
}

/// A target form (绩效目标表) or a self-evaluation table (绩效自评表).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Target,
    SelfEvaluation,
}

/// The year a title or a year line gives: `(2023年度)`, `2022年度项目支出绩效自评表`,
/// `2020年度)`, `( 2023年度)`.
pub(crate) fn year_in(key: &str) -> Option<i32> {
    let b = key.as_bytes();
    let mut i = 0;
    while i + 4 < b.len() {
        if b[i..i + 4].iter().all(u8::is_ascii_digit)
            && (i == 0 || !b[i - 1].is_ascii_digit())
            && key[i + 4..].starts_with('年')
        {
            let y: i32 = key[i..i + 4].parse().ok()?;
            if (2000..=2100).contains(&y) {
                return Some(y);
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_in_the_wild() {
        assert_eq!(level1_of("项目完成指标"), Some(Level1::Output));
        assert_eq!(level1_of("产出指标(50分)"), Some(Level1::Output));
        assert_eq!(
            level1_of(&key_of("產(chǎn)出指標(biāo)")),
            Some(Level1::Output)
        );
        assert_eq!(level1_of(&key_of("产 出 指 标")), Some(Level1::Output));
        assert_eq!(level2_of("数量"), Some(Level2::Quantity));
        assert_eq!(
            level2_of("服务对象满意度指标等"),
            Some(Level2::BeneficiarySatisfaction)
        );
        assert_eq!(
            level2_of("数量指标(或建筑规模指标)"),
            Some(Level2::Quantity)
        );
        assert_eq!(level2_of("质量目标"), Some(Level2::Quality));
        assert_eq!(level2_of("村组干部"), None);
        assert!(is_points_cell("(50分)"));
        assert!(!is_points_cell("(万元)"));
    }

    #[test]
    fn titles_and_years() {
        assert_eq!(title_kind("项目支出绩效自评表"), Some(Kind::SelfEvaluation));
        assert_eq!(
            title_kind("部门预算项目绩效目标申报表(2023年度)"),
            Some(Kind::Target)
        );
        assert_eq!(year_in("部门预算项目绩效目标申报表(2023年度)"), Some(2023));
        assert_eq!(year_in("2020年度)"), Some(2020));
        assert_eq!(year_in("人数12345年"), None);
        assert_eq!(title_kind("关于公开绩效目标表的说明"), None);
    }
}
