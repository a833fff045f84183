//! The OpenAPI description of every route, and a page that browses it offline (our own small
//! script; no CDN).

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Json;
use serde_json::{json, Map, Value};

/// Every route: method, path, who may call it, summary (Chinese / English), request body.
pub const ROUTES: &[(&str, &str, &str, &str, Option<&str>)] = &[
    ("get", "/api/health", "public", "健康检查 / health check", None),
    ("post", "/api/session", "public", "登录：{username, password}；设置会话 Cookie，返回 csrf_token 和 token / sign in: sets the session cookie, returns csrf_token and a bearer token", Some("SignIn")),
    ("get", "/api/session", "any", "当前用户 / the signed-in user", None),
    ("delete", "/api/session", "any", "退出登录 / sign out", None),
    ("get", "/api/forms", "unit, department, finance, auditor", "申报表列表：year, status, department, q（搜索）, sort（name/year/amount/updated/status，前加 - 倒序）, per_page；翻页用游标 after=（上次的 next）或 before=（上次的 prev），任何深度一样快；page= 按页码（越深越慢，只宜前几页）。返回 items, total, page（按游标时为 null）, per_page, next, prev, annual_total_sum / list forms with filters, search, sorting; page with the cursors after= (a `next`) or before= (a `prev`), as fast at any depth; page= by number still works but slows with depth (for the first pages only)", None),
    ("post", "/api/forms", "unit", "新建申报表（交换格式）；指标可只给 raw（按用户写法解析）/ create a form (exchange format); an indicator may give only raw", Some("Form")),
    ("get", "/api/forms/{id}", "unit, department, finance, auditor", "申报表（交换格式，加 status、version）/ a form in the exchange format, with status and version", None),
    ("put", "/api/forms/{id}", "unit", "保存新版本：{base_version, form}；基于旧版本的保存返回 409 并说明谁改了什么 / save a new version; a stale base gets 409 with who changed what", Some("SaveForm")),
    ("get", "/api/forms/{id}/versions", "unit, department, finance, auditor", "版本列表 / versions", None),
    ("get", "/api/forms/{id}/versions/{version}", "unit, department, finance, auditor", "某一版本 / one version", None),
    ("get", "/api/forms/{id}/diff", "unit, department, finance, auditor", "版本差异：from, to / differences between versions", None),
    ("get", "/api/forms/{id}/indicators", "unit, department, finance, auditor", "指标 / indicators", None),
    ("get", "/api/forms/{id}/findings", "unit, department, finance, auditor", "智能审核结果（随版本保存）/ review findings (kept with the version)", None),
    ("post", "/api/forms/{id}/actions", "unit, department, finance", "流程操作：{action: submit|withdraw|return|approve|publish, version, comment, indicator_comments}；退回、审核通过、公开须带所审阅的版本号 version，版本已变则 409；审核通过和公开以 SM2 签名（见 /signatures）/ workflow action; return, approve and publish carry the version the reviewer read (409 if it changed); approvals and publications are signed with SM2 (see /signatures)", Some("Action")),
    ("get", "/api/forms/{id}/history", "unit, department, finance, auditor", "流程记录 / workflow history", None),
    ("get", "/api/forms/{id}/signatures", "unit, department, finance, auditor", "审批签名：每次审核通过（主管部门、财政）和公开时，以本系统的 SM2 密钥对所审版本内容的 SM3 摘要签名（签名文本逐行写明 form、version、action、signer、time、digest）；返回签名文本、签名、公钥及当前核验结果 check（signature_valid 签名有效、key_ours 为本系统公钥、content_unchanged 内容未改动）；能查看申报表者可读 / approval signatures: each approval (department, finance) and publication signs, with the installation's SM2 key, a text stating the form, version, action, signer, time and the SM3 digest of the version decided on; each with its text, signature, public key and a check made now (signature_valid, key_ours, content_unchanged); for those who may read the form", None),
    ("get", "/api/forms/{id}/monitoring", "unit, department, finance, auditor", "监控期间及预警；format=xlsx 下载绩效运行监控表工作簿 / monitoring periods and warnings; format=xlsx downloads the 绩效运行监控表 workbook", None),
    ("put", "/api/forms/{id}/monitoring/{period}", "unit", "录入期间数据 / record a period's figures", Some("Period")),
    ("put", "/api/forms/{id}/self-evaluation", "unit", "录入自评（自评填报中或已退回时；送审后返回 409）/ record the self-evaluation (while a draft or returned; 409 once submitted)", Some("SelfEvaluation")),
    ("get", "/api/forms/{id}/self-evaluation", "unit, department, finance, auditor", "自评：status（draft/submitted/returned/approved）、evaluation、history / the self-evaluation with its status and history", None),
    ("post", "/api/forms/{id}/self-evaluation/actions", "unit, department, finance", "自评流程：{action: submit|withdraw|return|approve, comment}；退回须写理由；财政可退回已审核的自评（复核）/ self-evaluation workflow; a return needs a comment; finance may return an approved one on re-check", Some("EvalAction")),
    ("get", "/api/forms/{id}/score", "unit, department, finance, auditor", "自评计分：scheme；format=xlsx 下载财预〔2020〕10号版式的自评表工作簿 / the self-evaluation scored; format=xlsx downloads the 自评表 workbook", None),
    ("get", "/api/forms/summary", "unit, department, finance, auditor", "汇总表（xlsx）：与列表相同的筛选条件，全部页；筛选条件写在表头 / the portfolio as a 汇总表 workbook: the list's filters, every page, the filters written above the table", None),
    ("post", "/api/imports", "unit", "导入文件：请求体为 xlsx/xls/文本/JSON；dry_run=true 只读取和审核、列出申报表、警告和审核发现，不保存；否则为本单位保存全部申报表（一个事务）/ import a file (the body: xlsx, xls, text or JSON): with dry_run=true read and review it, listing forms, warnings and findings, saving nothing; otherwise save all its forms for the caller's unit in one transaction", None),
    ("post", "/api/forms/{id}/copy", "unit", "复制为新年度：{year}；上年的表头、资金、目标和指标成为新年度草稿，归属本单位 / copy a form into a draft of another year for the caller's unit", Some("Copy")),
    ("post", "/api/forms/{id}/documents", "unit", "上传佐证材料：请求体为文件本身，name=文件名，indicator_id=所佐证的指标（可选）；只接受 PDF、PNG、JPEG、Word、Excel、OFD（按内容判断），最大 10 MB；保存 SM3 摘要 / upload a supporting document: the body is the file, name=file name, indicator_id optional; PDF, PNG, JPEG, Word, Excel, OFD only (judged by content), 10 MB at most; its SM3 digest is kept", None),
    ("get", "/api/forms/{id}/documents", "unit, department, finance, auditor", "佐证材料列表（不含内容）/ the form's documents, without their contents", None),
    ("get", "/api/documents/{id}", "unit, department, finance, auditor", "下载佐证材料（须能查看其申报表；下载前核对 SM3 摘要，响应头 x-sm3）/ download a document (for those who may read its form; checked against its SM3 digest, header x-sm3)", None),
    ("get", "/api/forms/{id}/export", "unit, department, finance, auditor", "下载申报表：format=xlsx（官方版式工作簿，默认）或 json（交换格式）/ download the form: format=xlsx (a workbook in the official layout, the default) or json (the exchange format)", None),
    ("get", "/api/todo", "unit, department, finance, auditor", "待办 / to-do", None),
    ("get", "/api/handled", "unit, department, finance, auditor", "我处理过的 / handled by me", None),
    ("get", "/api/users", "admin, security", "用户 / users", None),
    ("post", "/api/users", "admin", "新建用户：实施单位、主管部门角色立即建立（201 {user}）；财政、管理员、审计角色为授权申请（202 {grant}），经安全管理员批准后才建立 / create a user: unit and department accounts at once (201 {user}); a privileged role is a grant (202 {grant}) and the account exists only once the security administrator approves it", Some("NewUser")),
    ("put", "/api/users/{id}", "admin, security", "修改用户：{display_name, role, org_id}；角色须与组织类型相符（填报人—实施单位，主管部门审核人—主管部门，财政—财政部门）；其会话结束；不能改变自己的角色（403）；改为或改离财政、管理员、审计角色为授权申请（202 {grant}），由另一职责的管理员批准后生效 / change a user's name, role and organisation (the role must fit the organisation's kind); their sessions end; nobody changes their own role (403); a privileged role given or taken away is a grant (202 {grant}) for an administrator of the other duty to approve", Some("UserEdit")),
    ("put", "/api/orgs/{id}", "admin", "修改组织：{name, parent_id}（类型不变；不能放在自己或下级之下）/ rename or move an organisation (its kind stays; never under itself or its own)", Some("OrgEdit")),
    ("put", "/api/forms/{id}/unit", "admin", "申报表归属：{unit_id}（实施单位，null 为无）；该单位及其主管部门即可看到 / give a form to a unit organisation (null for none), so that unit and its department see it", Some("Assign")),
    ("get", "/api/accounts", "admin", "账户及其状态（锁定、停用、待改密码）/ every account with its state (locked, disabled, password to change)", None),
    ("post", "/api/users/{id}/{action}", "admin", "账户操作：action 为 reset-password（请求体 {password}，至少 10 位；下次登录须修改；结束其会话）、unlock、disable（结束其会话）、enable、reset-totp（移除其动态口令，结束其会话；不能对自己）/ account actions: reset-password (body {password}; to be changed at next sign-in; ends its sessions), unlock, disable (ends its sessions), enable, reset-totp (removes the second factor and ends the sessions; not one's own); for a privileged account reset-password and reset-totp are grants (202 {grant}) for the security administrator to approve", Some("AccountAction")),
    ("get", "/api/grants", "admin, security", "授权申请：待审批的；all=true 含已审批的（最近 200 条）/ grants waiting for approval; all=true the decided ones too (the latest 200)", None),
    ("post", "/api/grants/{id}/approve", "admin, security", "批准授权：{comment}（可选）；须为另一职责的管理员（系统管理员提出的由安全管理员批准，反之亦然），不能是申请人或该账户本人；批准即生效，该账户的会话结束 / approve a grant: an administrator of the other duty, neither the requester nor the account's holder; it applies at once and ends the account's sessions", Some("Decision")),
    ("post", "/api/grants/{id}/reject", "admin, security", "拒绝授权：{comment}（可选）；申请人可撤回自己的申请 / reject a grant; the requester may withdraw their own", Some("Decision")),
    ("post", "/api/session/password", "any", "修改自己的密码：{current, new}；其他会话结束。管理员重置密码后，修改前其他接口返回 403 password_change_required / change one's own password; other sessions end. After an administrator's reset, every other route answers 403 password_change_required until then", Some("PasswordChange")),
    ("get", "/api/session/totp", "any", "新的动态口令密钥：secret（base32）、uri（otpauth://）、qr_svg（二维码）/ a new second-factor secret with its otpauth address and QR code", None),
    ("post", "/api/session/totp", "any", "启用动态口令：{secret, code}；财政、系统管理员、安全管理员、审计管理员、审计人员须先启用（演示账户除外），此后登录须带 totp / enrol the second factor; finance, the three administrators and auditors must before anything else (demo accounts excepted); sign-in then needs totp", Some("Totp")),
    ("get", "/api/sessions", "any", "自己的登录会话：id、开始、最近使用、到期、地址、是否本会话 / one's own sessions", None),
    ("delete", "/api/sessions", "any", "退出所有设备（包括本会话）/ sign out everywhere, this session included", None),
    ("get", "/api/orgs", "any", "组织 / organisations", None),
    ("post", "/api/orgs", "admin", "新建组织 / create an organisation", Some("NewOrg")),
    ("get", "/api/rules", "any", "审核规则 / review rules", None),
    ("get", "/api/audit", "audit_admin", "审计日志：limit / the audit log", None),
    ("get", "/api/audit/retention", "audit_admin", "审计日志保存期限：days（null 为全部保留）、minimum_days（184）、oldest_at、anchor_seq（清理后的链起点）/ the audit log's retention: days (null keeps everything), minimum_days (184), oldest_at, anchor_seq (where the chain begins after a purge)", None),
    ("put", "/api/audit/retention", "audit_admin", "设定保存期限：{days}，184–36500 天或 null（全部保留）/ set the retention: {days}, 184 to 36500 days, or null to keep everything", Some("Retention")),
    ("post", "/api/audit/purge", "audit_admin", "清理超过保存期限的记录：最后一条被清理的记录成为校验链的起点，其余仍可校验（jixiao audit verify）；清理本身记入日志；数据库拒绝删除 184 天内的记录；未设定期限时 409 / delete the entries past the retention: the last one deleted becomes the chain's anchor, so the rest still verifies; the purge is logged; the database refuses to delete entries younger than 184 days; 409 without a retention", None),
    ("get", "/api/library", "any", "指标库：q（名称的一部分，或合并到它的写法）、level1、level2、category（项目类别：本类常用指标，本类中填报最多的在前）、all（含已停用和已合并的）、limit（1–100，默认 20）；推荐的在前；每项另有 recommended、retired、merged_into、aliases、in_category；每项为名称、级别、单位、填报次数、单位数、年份、常用指标值、指标值和实际完成值的最小/中位/最大 / the indicator library: q (part of the name), level1, level2, limit; each entry has name, levels, unit, count, implementers, years, the usual target, and min/median/max of targets and actuals", None),
    ("post", "/api/library/curation", "admin", "指标库维护：{name, action: recommend|unrecommend|retire|restore|merge|unmerge, into}；推荐的排在前面，停用的不再建议，合并的写法显示为另一个名称 / curate the library: recommended names first, retired ones no longer suggested, merged spellings shown as the other name", Some("Curation")),
    ("get", "/api/targets/parse", "any", "按用户写法解析指标值：raw / read a target as typed", None),
    ("post", "/api/review", "unit, department, finance, auditor", "审核未保存的申报表（编辑时实时显示）/ review an unsaved form (live in the editor)", Some("Form")),
    ("get", "/api/openapi.json", "public", "本说明 / this description", None),
    ("get", "/api/docs", "public", "可浏览的接口说明 / browsable API description", None),
];

fn schemas() -> Value {
    let roles: Vec<&str> = jixiao_core::workflow::Role::ALL
        .iter()
        .map(|r| r.name())
        .collect();
    let money = json!({ "type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$", "description": "元，两位小数 / yuan with two decimals" });
    json!({
        "Error": { "type": "object", "required": ["code", "message", "message_en"], "properties": {
            "code": { "type": "string" }, "message": { "type": "string" }, "message_en": { "type": "string" }, "detail": {} } },
        "Retention": { "type": "object", "required": ["days"], "additionalProperties": false,
            "properties": { "days": { "type": ["integer", "null"], "minimum": 184, "maximum": 36500 } } },
        "Decision": { "type": "object", "additionalProperties": false,
            "properties": { "comment": { "type": "string", "maxLength": 500 } } },
        "AccountAction": { "type": "object", "additionalProperties": false,
            "properties": { "password": { "type": "string", "minLength": 10 } } },
        "PasswordChange": { "type": "object", "required": ["current", "new"], "additionalProperties": false,
            "properties": { "current": { "type": "string" }, "new": { "type": "string", "minLength": 10 } } },
        "SignIn": { "type": "object", "required": ["username", "password"], "additionalProperties": false,
            "properties": { "username": { "type": "string" }, "password": { "type": "string" } } },
        "Target": { "oneOf": [
            { "type": "object", "required": ["kind", "op", "value", "unit"], "properties": {
                "kind": { "const": "quantitative" }, "op": { "enum": [">=", ">", "=", "<", "<="] },
                "value": { "type": "string" }, "unit": { "type": "string" }, "subject": { "type": "string" }, "op_implied": { "type": "boolean" } } },
            { "type": "object", "required": ["kind", "text"], "properties": { "kind": { "const": "qualitative" }, "text": { "type": "string" } } } ] },
        "Indicator": { "type": "object", "required": ["level1", "name"], "additionalProperties": false, "properties": {
            "id": { "type": ["string", "null"] }, "level1": { "enum": ["产出指标", "成本指标", "效益指标", "满意度指标"] },
            "level2": { "type": ["string", "null"] }, "name": { "type": "string" }, "target": { "$ref": "#/components/schemas/Target" },
            "raw": { "type": "string", "description": "指标值原文 / the target as written" },
            "weight": { "type": "string", "description": "权重 / 分值（十进制字符串）/ the weight, a decimal string" },
            "direction": { "type": "string", "description": "指标方向性（如 正向指标）/ the direction as written" } } },
        "Form": { "type": "object", "required": ["year", "name", "nature", "category", "department", "implementer", "funds", "goal_overall", "goal_annual", "indicators"],
            "properties": {
                "id": { "type": "string" }, "year": { "type": "integer" }, "name": { "type": "string" }, "nature": { "type": "string" },
                "category": { "type": "string" }, "department": { "type": "string" }, "implementer": { "type": "string" },
                "start_date": { "type": ["string", "null"], "format": "date" }, "end_date": { "type": ["string", "null"], "format": "date" },
                "funds": { "type": "object", "properties": { "total": money, "fiscal": money, "other": money, "annual_total": money,
                    "annual_appropriation": money, "annual_carryover": money, "annual_other": money } },
                "goal_overall": { "type": "string" }, "goal_annual": { "type": "string" },
                "indicators": { "type": "array", "items": { "$ref": "#/components/schemas/Indicator" } },
                "status": { "type": "string", "readOnly": true }, "version": { "type": "integer", "readOnly": true } } },
        "Copy": { "type": "object", "required": ["year"], "additionalProperties": false,
            "properties": { "year": { "type": "integer", "minimum": 2000, "maximum": 2100 } } },
        "SaveForm": { "type": "object", "required": ["base_version", "form"], "additionalProperties": false,
            "properties": { "base_version": { "type": "integer" }, "form": { "$ref": "#/components/schemas/Form" } } },
        "Action": { "type": "object", "required": ["action"], "additionalProperties": false, "properties": {
            "action": { "enum": ["submit", "withdraw", "return", "approve", "publish"] }, "version": { "type": "integer", "description": "所审阅的版本（退回、审核通过、公开时必填）/ the version read (required to return, approve, publish)" }, "comment": { "type": "string" },
            "indicator_comments": { "type": "array", "items": { "type": "object", "properties": { "indicator_id": { "type": "string" }, "comment": { "type": "string" } } } } } },
        "Period": { "type": "object", "required": ["spent"], "properties": { "spent": money, "forecast_spent": money, "indicators": { "type": "array" } } },
        "SelfEvaluation": { "type": "object", "required": ["budget", "indicators"], "properties": { "budget": { "type": "object" }, "indicators": { "type": "array", "description": "{name, actual, weight, self_score, deviation（偏差原因分析及改进措施）}" }, "total": {}, "overall_actual": { "type": "string", "description": "年度总体目标实际完成情况 / what the year achieved against the annual goal" } } },
        "UserEdit": { "type": "object", "required": ["display_name", "role"], "additionalProperties": false, "properties": {
            "display_name": { "type": "string" }, "role": { "enum": roles }, "org_id": { "type": ["string", "null"] } } },
        "OrgEdit": { "type": "object", "required": ["name"], "additionalProperties": false, "properties": {
            "name": { "type": "string" }, "parent_id": { "type": ["string", "null"] } } },
        "Assign": { "type": "object", "additionalProperties": false, "properties": { "unit_id": { "type": ["string", "null"] } } },
        "Curation": { "type": "object", "required": ["name", "action"], "additionalProperties": false, "properties": {
            "name": { "type": "string" }, "action": { "enum": ["recommend", "unrecommend", "retire", "restore", "merge", "unmerge"] }, "into": { "type": "string" } } },
        "Totp": { "type": "object", "required": ["secret", "code"], "additionalProperties": false, "properties": {
            "secret": { "type": "string" }, "code": { "type": "string", "pattern": "^[0-9]{6}$" } } },
        "EvalAction": { "type": "object", "required": ["action"], "additionalProperties": false, "properties": {
            "action": { "enum": ["submit", "withdraw", "return", "approve"] }, "comment": { "type": "string" } } },
        "NewUser": { "type": "object", "required": ["username", "display_name", "password", "role"], "additionalProperties": false, "properties": {
            "username": { "type": "string" }, "display_name": { "type": "string" }, "password": { "type": "string", "minLength": 10 },
            "role": { "enum": roles }, "org_id": { "type": ["string", "null"] } } },
        "NewOrg": { "type": "object", "required": ["name", "kind"], "additionalProperties": false, "properties": {
            "name": { "type": "string" }, "kind": { "enum": ["unit", "department", "finance"] }, "parent_id": { "type": ["string", "null"] } } }
    })
}

/// The list's paging parameters, described for clients (the filters are in the summary).
fn list_parameters() -> Vec<Value> {
    [
        ("after", "string", "游标：给出上一页返回的 next，取其后一页 / a cursor: the `next` of the page before, for the page after it"),
        ("before", "string", "游标：给出下一页返回的 prev，取其前一页 / a cursor: the `prev` of the page after, for the page before it"),
        ("page", "integer", "页码（按偏移，深页请用游标）/ a page number (by offset: use the cursors for deep pages)"),
        ("per_page", "integer", "每页条数，1–200，默认 50 / rows per page, 1–200, 50 by default"),
        ("sort", "string", "name, year, amount, updated, status；前加 - 倒序 / a `-` before it for descending"),
    ]
    .into_iter()
    .map(|(name, ty, description)| {
        json!({ "name": name, "in": "query", "required": false, "schema": { "type": ty }, "description": description })
    })
    .collect()
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, who, summary, body) in ROUTES {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "summary": summary,
            "description": format!("可调用者 / who may call: {who}"),
            "parameters": params,
            "responses": {
                "200": { "description": "OK" },
                "400": { "description": "输入有误 / bad input", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "401": { "description": "未登录 / not signed in" },
                "403": { "description": "无权 / forbidden" },
                "404": { "description": "找不到（或无权查看）/ not found (or not yours to see)" },
                "409": { "description": "冲突 / conflict" }
            }
        });
        if (*method, *path) == ("get", "/api/forms") {
            op["parameters"] = json!(list_parameters());
        }
        if who != &"public" {
            op["security"] = json!([{ "cookie": [], "csrf": [] }, { "bearer": [] }]);
        }
        if let Some(b) = body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{b}") } } } });
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "jixiao 绩效 API", "version": env!("CARGO_PKG_VERSION"),
            "description": "预算绩效目标管理接口。浏览器用会话 Cookie，并在修改请求中带 X-CSRF-Token；其他系统用 Authorization: Bearer。错误为 JSON：code、message、message_en。/ Browsers use the session cookie and send X-CSRF-Token on changes; other systems use a bearer token. Errors are JSON with code, message, message_en." },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "cookie": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE },
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token" },
                "bearer": { "type": "http", "scheme": "bearer" }
            }
        }
    })
}

pub async fn spec() -> Json<Value> {
    Json(document())
}

pub async fn docs_page() -> Html<&'static str> {
    Html(include_str!("../static/api-docs.html"))
}

pub async fn docs_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/api-docs.js"),
    )
}
