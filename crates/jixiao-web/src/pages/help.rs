//! Help (`/help`), in Chinese, step by step. What it shows of the software is computed from
//! it: the target examples are read by the same parser as the editor, the rules come from
//! the registry, the warning thresholds and the scoring schemes from their defaults.

use super::{layout, PageUser};
use axum::response::{IntoResponse, Response};
use jixiao_core::monitor::Thresholds;
use jixiao_core::review::registry;
use jixiao_core::score::Scheme;
use jixiao_core::Target;
use maud::html;

/// Targets as people write them, read back by the parser.
const EXAMPLES: &[&str] = &[
    "≥95%",
    "≤30元/平方米",
    "=4个",
    "不少于20场",
    "≥1,000万元",
    "100%",
    "≤15个工作日",
    "按期完成",
    "有所提高",
];

/// `GET /help`
pub async fn page(PageUser(auth): PageUser) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let t = Thresholds::default();
    let body = html! {
        h1 { "帮助" }
        nav aria-label="帮助目录" class="toc" {
            ol {
                li { a href="#steps" { "一年的流程" } }
                li { a href="#targets" { "怎样写指标值" } }
                li { a href="#rules" { "智能审核的每条规则" } }
                li { a href="#monitoring" { "运行监控的预警" } }
                li { a href="#scoring" { "自评怎样计分" } }
                li { a href="/api/docs" { "接口说明（供其他系统对接）" } }
            }
        }
        section aria-labelledby="steps" {
            h2 id="steps" { "一年的流程" }
            ol {
                li { "实施单位在“申报表”中点“新建申报表”，或对上年的表点“复制为 N 年”：上年的指标值和实际完成值会显示在编辑页下方作参考。" }
                li { "填写表头、资金和绩效目标，逐条添加指标。输入三级指标名称时，指标库会提示各单位填报过的同名指标、常用指标值和完成情况；选中后自动填入级别和常用指标值。" }
                li { "右侧的“智能审核”随输入实时更新。错误应改正；警告和提示请核实。保存后点“送审”。" }
                li { "主管部门审核：通过，或写明理由退回（也可对单个指标写意见）。财政部门再审核并批复、公开。每次保存都留有版本，可在“版本”中比较任意两版。" }
                li { "年中在“绩效监控”中按期间录入执行数和各指标完成情况，查看预警；改正已保存的期间时，系统会先列出改动，确认后才替换。" }
                li { "年末在“绩效自评”中录入实际完成值，系统按计分方案算出每项得分，并说明每一分的来由。" }
            }
        }
        section aria-labelledby="targets" {
            h2 id="targets" { "怎样写指标值" }
            p { "按习惯写：比较符号、数值和单位。能量化的尽量量化；定性指标写清楚要达到的状态。下表右列是系统读出的结果，与编辑页中“读取为”一致。" }
            table class="list" {
                thead { tr { th scope="col" { "写法" } th scope="col" { "读取为" } } }
                tbody { @for e in EXAMPLES {
                    @let target = Target::parse(e);
                    tr { td { code { (e) } } td { (match &target { Target::Quantitative { .. } => "定量：", Target::Qualitative { .. } => "定性：" }) (target.display()) } }
                } }
            }
            p { "“≥”“≤”也可写作“不少于”“不超过”“不低于”“以上”“以内”等；金额可写“万元”“亿元”；百分比写“%”。没有写比较符号的数值按“=”读取。" }
        }
        section aria-labelledby="rules" {
            h2 id="rules" { "智能审核的每条规则" }
            p { "每条审核发现都有固定的规则代码、级别、所指位置、原因和修改建议。" strong { "错误" } "是应当改正的问题（送审不会被拦下，但审核人看得到同样的审核发现）；" strong { "警告" } "多半是问题，请核实；" strong { "提示" } "是建议。安全管理员可在“安全管理”中按本辖区调整规则的启用和级别。" }
            table class="list rules" {
                thead { tr { th scope="col" { "代码" } th scope="col" { "默认级别" } th scope="col" { "检查什么" } } }
                tbody { @for r in registry() {
                    tr id={ "rule-" (r.code) } { td { code { (r.code) } } td { (r.severity.chinese()) } td { (r.title) } }
                } }
            }
        }
        section aria-labelledby="monitoring" {
            h2 id="monitoring" { "运行监控的预警" }
            p { "预算执行进度与时间进度比较：r = 执行率 ÷ 时间进度 × 100（时间进度 = 已过月数 ÷ 12）。" }
            ul {
                li { "红灯：r 低于 " (t.spend_red) "。" }
                li { "黄灯：r 低于 " (t.spend_yellow) "。" }
                li { "指标完成进度与预算执行进度相差超过 " (t.progress_gap) " 个百分点时提示。" }
                li { "年末仍有超过 " (t.year_end_unspent) "% 的预算未执行时预警。" }
                li { "全年预计完成值达不到指标值、完成可能性为“完全不可能”等，也会逐项列出，并给出所用的数字。" }
            }
        }
        section aria-labelledby="scoring" {
            h2 id="scoring" { "自评怎样计分" }
            p { "满分 100 分：预算执行率和各项指标按所选方案分配分值。正向指标按“实际值 ÷ 指标值 × 分值”计分，最高不超过分值；反向指标（越低越好）按方案的公式计分；定性指标按“达成 / 部分达成 / 未达成”分档。每一分都在自评页和自评表的“计分说明”中写明来由；无法自动判断的（如写法无法比较）保留单位的自评分，并标为“需人工判断”。" }
            table class="list" {
                thead { tr { th scope="col" { "方案" } th scope="col" { "说明" } th scope="col" { "预算执行" } th scope="col" { "产出" } th scope="col" { "效益" } th scope="col" { "满意度" } } }
                tbody { @for s in Scheme::builtin() {
                    tr {
                        td { code { (s.name) } }
                        td { (s.label()) }
                        td class="num" { (s.budget) }
                        @if let Some(p) = s.pooled { td colspan="3" class="num" { "全部指标共 " (p) } }
                        @else { td class="num" { (s.output) } td class="num" { (s.outcome) } td class="num" { (s.satisfaction) } }
                    }
                } }
            }
            p { "等级：90 分及以上为优，80–90 为良，60–80 为中，60 以下为差。" }
        }
    };
    layout("帮助", user, "/help", body).into_response()
}
