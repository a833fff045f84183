// The pages in a real browser: each test asserts what the page shows, not only that it loaded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, signIn, shot } from "./harness.mjs";

let server, browser;
before(async () => { server = await startServer(); browser = await startBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

const YWTB = "“一网通办”运营服务项目经费";

async function openForm(page, name) {
  await page.goto(server.base + "/forms?q=" + encodeURIComponent(name));
  await page.getByRole("link", { name, exact: true }).click();
  await page.waitForURL(/\/forms\/[0-9a-f]{32}$/);
}

test("each role signs in and sees the forms it may see", async () => {
  for (const [user, name, forms] of [["unit", "大数据中心填报人", 8], ["dept", "主管部门审核人", 8], ["finance", "财政局审核人", 8], ["auditor", "审计人员", 8]]) {
    const page = await signIn(browser, server.base, user);
    await assert.doesNotReject(page.getByText(name).first().waitFor());
    const totals = await page.locator(".totals").textContent();
    assert.match(totals, new RegExp("共 " + forms + " 张申报表"), user);
    if (forms) {
      assert.match(totals, /1,408,122,458\.08/, user);
      assert.equal(await page.locator("table.list tbody tr").count(), 8, user);
    }
    await shot(page, "portfolio-" + user);
    await page.context().close();
  }
  // The three administrators see no form at all (三权分立): each lands on their own page,
  // the navigation offers no form page, and the portfolio refuses them.
  for (const [user, name, home, nav] of [["admin", "系统管理员", /\/admin$/, ["管理", "授权审批", "指标库"]], ["security", "安全管理员", /\/security$/, ["安全管理", "授权审批"]], ["auditadmin", "审计管理员", /\/audit$/, ["审计日志"]]]) {
    const page = await signIn(browser, server.base, user);
    assert.match(page.url(), home, user);
    await assert.doesNotReject(page.getByText(name).first().waitFor());
    const links = await page.locator("nav[aria-label=主导航] a").allTextContents();
    assert.deepEqual(links, nav, user);
    await page.goto(server.base + "/forms");
    assert.match(await page.getByRole("alert").textContent(), /不能查看或办理申报表/, user);
    assert.equal(await page.locator("table.list").count(), 0, user);
    await shot(page, "portfolio-refused-" + user);
    await page.context().close();
  }
});

test("the portfolio filters, searches and sorts", async () => {
  const page = await signIn(browser, server.base, "finance");
  await page.getByLabel("搜索").fill("政务");
  await page.getByRole("button", { name: "筛选" }).click();
  const names = await page.locator("td.name").allTextContents();
  assert.deepEqual(names.sort(), ["上海市政务云基础设施服务项目经费", "上海市政务外网通信服务项目经费"]);
  await page.goto(server.base + "/forms?sort=-amount");
  const first = await page.locator("td.name").first().textContent();
  assert.equal(first, "2023年数字化运维及综合保障项目经费", "the largest annual amount first");
  await page.context().close();
});

test("a form shows in the official layout with its findings, and prints cleanly", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, YWTB);
  await assert.doesNotReject(page.getByRole("heading", { name: "财政项目支出绩效目标申报表" }).waitFor());
  const row = page.locator("table.indicators tr", { hasText: "一网通办年度总服务人次数增长率" });
  assert.match(await row.textContent(), /≥80\.00\(亿次\)/);
  assert.match(await row.locator(".findings-cell").textContent(), /UNIT-RATE/);
  assert.match(await page.locator("table.official").first().textContent(), /161,244,500\.00/);
  await shot(page, "form-unit");
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.top").isVisible(), false, "no navigation on paper");
  assert.equal(await page.locator(".side-col").isVisible(), false, "no findings panel on paper");
  assert.equal(await page.locator("table.indicators").isVisible(), true);
  await shot(page, "form-print");
  await page.context().close();
});

test("editing a form: a finding appears and disappears as the target is typed", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, YWTB);
  await page.getByRole("link", { name: "编辑" }).click();
  const panel = page.locator("#live-findings");
  await assert.doesNotReject(panel.getByText("UNIT-RATE").waitFor());
  const row = page.locator("#indicator-rows tr").nth(1);
  const raw = row.locator("input.raw");
  assert.equal(await raw.inputValue(), "≥80.00(亿次)");
  await raw.fill("≥5%");
  await assert.doesNotReject(panel.getByText("UNIT-RATE").waitFor({ state: "detached" }));
  await assert.doesNotReject(row.locator("td.parsed", { hasText: "定量：≥5%" }).waitFor());
  await raw.fill("≥80(亿次)");
  await assert.doesNotReject(panel.getByText("UNIT-RATE").waitFor());
  await raw.fill("≥5%");
  await assert.doesNotReject(panel.getByText("UNIT-RATE").waitFor({ state: "detached" }));
  await shot(page, "editor");
  await page.getByRole("button", { name: "保存" }).click();
  await page.waitForURL(/\/forms\/[0-9a-f]{32}\?saved=\d+$/);
  assert.match(await page.locator(".meta").textContent(), /第 2 版/);
  assert.match(await page.locator("table.indicators").textContent(), /≥5%/);
  await page.context().close();
});

test("the review workflow: submit, return with a comment, fix, approve twice", async () => {
  const unit = await signIn(browser, server.base, "unit");
  await openForm(unit, "管理工作经费");
  const url = unit.url();
  unit.expectDialog(/确认送审/);
  await unit.getByRole("button", { name: "送审" }).click();
  await assert.doesNotReject(unit.locator(".meta .status", { hasText: "已送审" }).waitFor());

  const dept = await signIn(browser, server.base, "dept");
  await dept.getByRole("link", { name: "待办" }).click();
  await dept.getByRole("link", { name: "管理工作经费" }).click();
  const formUrl = dept.url();
  // Cancelling the confirmation takes no action.
  dept.expectDialog(/确认审核通过/, false);
  await dept.getByRole("button", { name: "审核通过" }).click();
  assert.equal(dept.expected.length, 0, "the confirmation was asked");
  assert.match(await dept.locator(".meta .status").textContent(), /已送审/);
  // A return without any comment: the reviewer stays on the form, told why.
  await dept.getByRole("button", { name: "退回" }).click();
  assert.match(await dept.getByRole("alert").first().textContent(), /退回必须写明理由/);
  assert.equal(dept.url().replace(/\/action#act-h$/, ""), formUrl);
  assert.equal(await dept.locator("table.official").count() > 0, true, "the form is still shown");
  assert.match(await dept.locator(".meta .status").textContent(), /已送审/);
  await shot(dept, "form-return-needs-comment");
  await dept.getByLabel("意见（退回时必填）").fill("请量化长效管理机制的目标");
  await dept.locator("details summary", { hasText: "对单个指标的意见" }).click();
  await dept.getByLabel("长效管理机制健全性").fill("写成可考核的数量，如制度数");
  await dept.getByRole("button", { name: "退回" }).click();
  await assert.doesNotReject(dept.locator(".meta .status", { hasText: "已退回" }).waitFor());
  await shot(dept, "form-returned");

  await unit.goto(server.base + "/todo");
  await unit.getByRole("link", { name: "管理工作经费" }).click();
  assert.match(await unit.locator(".history").textContent(), /请量化长效管理机制的目标/);
  assert.match(await unit.locator(".history").textContent(), /主管部门审核人（dept）/, "people by name");
  // The indicator's comment stands beside it in the form's 审核意见 column and in the editor.
  const commented = unit.locator("table.indicators tr", { hasText: "长效管理机制健全性" });
  assert.match(await commented.locator(".ind-comment").textContent(), /审核意见（主管部门审核人，.*）：写成可考核的数量，如制度数/);
  await unit.getByRole("link", { name: "编辑" }).click();
  await unit.locator("#indicator-rows tr").first().waitFor();
  assert.match(await unit.locator("#indicator-rows .ind-comment").textContent(), /写成可考核的数量/);
  await shot(unit, "editor-indicator-comment");
  const idx = await unit.locator("#indicator-rows input[aria-label^='三级指标名称']").evaluateAll((els) => els.findIndex((e) => e.value === "长效管理机制健全性"));
  assert.ok(idx >= 0);
  const raw = unit.locator("#indicator-rows tr").nth(idx).locator("input.raw");
  await raw.fill("≥3项");
  // Leaving with unsaved changes asks first; staying keeps them.
  unit.expectDialog(/.*/, false);
  await unit.getByRole("link", { name: "取消" }).click();
  assert.equal(unit.expected.length, 0, "the browser asked before leaving");
  assert.match(unit.url(), /\/edit$/);
  assert.equal(await raw.inputValue(), "≥3项");
  await unit.getByRole("button", { name: "保存" }).click();
  await unit.waitForURL(url + "?saved=2");
  assert.equal(await unit.getByRole("status").first().textContent(), "已保存为第 2 版。");
  // The two versions side by side, the change marked.
  await unit.getByRole("link", { name: "与第 1 版比较" }).click();
  await unit.waitForURL(/\/diff\?from=1&to=2$/);
  const change = unit.locator("table.diff tbody tr", { hasText: "长效管理机制健全性" });
  assert.equal(await change.locator("del").textContent(), "健全");
  assert.equal(await change.locator("ins").textContent(), "≥3项");
  await shot(unit, "version-diff");
  await unit.goto(url);
  unit.expectDialog(/确认送审/);
  await unit.getByRole("button", { name: "送审" }).click();
  await assert.doesNotReject(unit.locator(".meta .status", { hasText: "已送审" }).waitFor());

  await dept.goto(url);
  dept.expectDialog(/确认审核通过/);
  await dept.getByRole("button", { name: "审核通过" }).click();
  await assert.doesNotReject(dept.locator(".meta .status", { hasText: "主管部门已审核" }).waitFor());
  const finance = await signIn(browser, server.base, "finance");
  await finance.getByRole("link", { name: "待办" }).click();
  await finance.getByRole("link", { name: "管理工作经费" }).click();
  finance.expectDialog(/确认审核通过/);
  await finance.getByRole("button", { name: "审核通过" }).click();
  await assert.doesNotReject(finance.locator(".meta .status", { hasText: "财政已批复" }).waitFor());
  assert.equal(await finance.locator("table.indicators .ind-comment").count(), 0, "settled by the approval");
  const steps = await finance.locator(".history tbody tr").count();
  assert.equal(steps, 5);
  await shot(finance, "form-approved");
  await finance.getByRole("link", { name: "我处理过的" }).click();
  assert.match(await finance.locator("table.list").textContent(), /管理工作经费/);
  for (const p of [unit, dept, finance]) assert.deepEqual(p.unexpectedDialogs, []);
  for (const p of [unit, dept, finance]) await p.context().close();
});

test("a stale save is refused with a clear message", async () => {
  const a = await signIn(browser, server.base, "unit");
  await openForm(a, "数据运营服务费");
  const edit = a.url() + "/edit";
  const b = await a.context().newPage();
  await a.goto(edit);
  await b.goto(edit);
  await a.getByLabel("年度总体目标").fill("甲先保存的目标");
  await a.getByRole("button", { name: "保存" }).click();
  await a.waitForURL(/\/forms\/[0-9a-f]{32}\?saved=\d+$/);
  await b.getByLabel("年度总体目标").fill("乙后保存的目标");
  await b.getByRole("button", { name: "保存" }).click();
  await assert.doesNotReject(b.locator("#save-status", { hasText: "保存被拒绝" }).waitFor());
  assert.match(await b.locator("#save-status").textContent(), /对方改动了：年度总体目标/);
  assert.match(await b.locator("#save-status").textContent(), /（北京时间）/);
  await shot(b, "editor-conflict");
  await a.context().close();
});

test("HTML in any field shows as text; long names and 60 indicators do not break the page", async () => {
  const page = await signIn(browser, server.base, "unit");
  const evil = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>";
  const longName = "超长项目名称".repeat(20) + evil; // 184 characters: near the 200 limit
  assert.ok(longName.length <= 200);
  const id = await page.evaluate(async ([name, evil]) => {
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    const indicators = [];
    for (let i = 0; i < 60; i++) {
      indicators.push({ level1: i < 40 ? "产出指标" : i < 55 ? "效益指标" : "满意度指标", level2: i < 40 ? "数量指标" : i < 55 ? "社会效益指标" : "服务对象满意度指标",
        name: "指标" + i + (i === 3 ? evil : ""), raw: i === 5 ? evil : "≥" + i + "项" });
    }
    const form = { year: 2024, name, nature: evil, category: "其他", department: "上海市大数据中心", implementer: "上海市大数据中心",
      start_date: "2024-01-01", end_date: "2024-12-31", funds: { total: "100.00", fiscal: "100.00", other: null, annual_total: "100.00",
      annual_appropriation: "100.00", annual_carryover: null, annual_other: null }, goal_overall: evil, goal_annual: "年度目标", indicators };
    const r = await fetch("/api/forms", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(form) });
    const body = await r.json();
    return body.id || JSON.stringify(body);
  }, [longName, evil]);
  assert.match(id, /^[0-9a-f]{32}$/);
  await page.goto(server.base + "/forms/" + id);
  assert.equal(await page.locator("h1").textContent(), longName);
  assert.notEqual(await page.title(), "pwned");
  assert.equal(await page.locator("table.indicators tbody tr").count(), 60);
  assert.match(await page.locator("table.indicators").textContent(), /onerror=alert\(1\)/, "shown as text");
  assert.equal(await page.locator("img[src=x]").count(), 0, "no element was made from the text");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, "no sideways scrolling: " + overflow);
  await shot(page, "form-long-and-html");
  await page.goto(server.base + "/forms?q=" + encodeURIComponent("超长项目名称"));
  assert.equal(await page.locator("td.name").count(), 1);
  await shot(page, "portfolio-long-name");
  // In the editor, a long indicator name is shown whole under its box, as text.
  await page.goto(server.base + "/forms/" + id + "/edit");
  const row3 = page.locator("#indicator-rows tr").nth(3);
  await row3.locator(".fullname").waitFor();
  assert.equal(await row3.locator(".fullname").textContent(), "指标3" + evil);
  assert.equal(await page.locator("img[src=x]").count(), 0, "no element was made from the name");
  await page.locator("#indicator-rows tr").nth(4).getByLabel("三级指标名称（第5行）").fill("短名称");
  assert.equal(await page.locator("#indicator-rows tr").nth(4).locator(".fullname").textContent(), "", "a short name needs no caption");
  await shot(page, "editor-long-names");
  await page.context().close();
});

test("sign-in errors: a wrong password, then the lock-out says until when", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  for (let i = 0; i < 5; i++) {
    await page.goto(server.base + "/login");
    // The auditor account: no later test signs in with it.
    await page.getByLabel("用户名").fill("auditor");
    await page.getByLabel("密码").fill("wrong-password");
    await page.getByRole("button", { name: "登录" }).click();
    await assert.doesNotReject(page.getByRole("alert").waitFor());
    assert.match(await page.getByRole("alert").textContent(), /用户名或密码错误/);
  }
  await page.getByLabel("密码").fill("jixiao-demo");
  await page.getByRole("button", { name: "登录" }).click();
  assert.match(await page.getByRole("alert").textContent(), /已锁定至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）/);
  await shot(page, "login-locked");
  // An expired or ended session sends the user back to sign in, saying so.
  const unit = await signIn(browser, server.base, "unit");
  await unit.getByRole("button", { name: "退出" }).click();
  assert.match(await unit.getByRole("alert").textContent(), /已退出/);
  await unit.goto(server.base + "/forms");
  assert.match(unit.url(), /\/login/);
  await context.close();
  await unit.context().close();
});

const LAW = "大数据和一网通办重点领域研究、法律服务";

test("monitoring: enter a period's figures and see the warnings with their numbers", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, LAW);
  await page.getByRole("link", { name: "绩效监控" }).click();
  await page.getByLabel("期间（如 1-7月、Q2、全年）").fill("1-7月");
  await page.getByLabel("截至本期执行数（元）").fill("500,000.00");
  // A unit that cannot be compared with the target's is refused with the reason.
  await page.getByLabel("用户满意度 截至本期完成").fill("3200份");
  await page.getByRole("button", { name: "保存本期数据" }).click();
  assert.match(await page.getByRole("alert").textContent(), /单位/);
  assert.equal(await page.getByLabel("截至本期执行数（元）").inputValue(), "500,000.00", "what was typed is kept");
  await page.getByLabel("用户满意度 截至本期完成").fill("92%");
  await page.getByLabel("委托研究课题数量 截至本期完成").fill("10项");
  await page.getByLabel("委托研究课题数量 全年预计").fill("24项");
  await page.getByLabel("委托研究课题数量 完成可能性").selectOption("有可能");
  await page.getByRole("button", { name: "保存本期数据" }).click();
  await page.waitForURL(/\/monitoring$/);
  const warnings = await page.locator(".warnings").textContent();
  // 500,000 of 2,550,000 is 19.61 % after 7 months (58.33 %): r = 33.61, red.
  assert.match(warnings, /红灯 预算执行慢于时间进度（红灯） SPEND-TIME/, "the Chinese name first, the code after it");
  assert.match(warnings, /r = 执行率 ÷ 时间进度 × 100 = 33\.61/);
  assert.match(warnings, /黄灯 “委托研究课题数量”：全年预计 24项 达不到指标值 =30 \(项\) FORECAST-BELOW/);
  await shot(page, "monitoring");
  // Correcting the period: its figures load back into the form, and saving lists the
  // changes and waits for a confirmation.
  await page.getByRole("link", { name: "修改“1-7月”的数据" }).click();
  assert.equal(await page.getByLabel("截至本期执行数（元）").inputValue(), "500,000.00");
  assert.equal(await page.getByLabel("委托研究课题数量 截至本期完成").inputValue(), "10项");
  assert.equal(await page.getByLabel("委托研究课题数量 完成可能性").inputValue(), "有可能");
  await page.getByLabel("委托研究课题数量 截至本期完成").fill("12项");
  await page.getByRole("button", { name: "保存本期数据" }).click();
  const changes = page.locator("table.changes tbody tr");
  assert.equal(await changes.count(), 1);
  assert.match(await changes.first().textContent(), /委托研究课题数量 截至本期完成\s*10项\s*12项/);
  await shot(page, "monitoring-confirm");
  await page.getByRole("button", { name: "确认替换" }).click();
  await page.waitForURL(/\/monitoring$/);
  assert.match(await page.locator("section.period").first().textContent(), /12项/);
  // The old way to lose data: the same period typed again on the empty form. Nothing is
  // replaced until confirmed, and the figures it would clear are named.
  await page.getByLabel("期间（如 1-7月、Q2、全年）").fill("1-7月");
  await page.getByLabel("截至本期执行数（元）").fill("500000");
  await page.getByRole("button", { name: "保存本期数据" }).click();
  const cleared = await page.locator("table.changes").textContent();
  assert.match(cleared, /委托研究课题数量 截至本期完成\s*12项\s*（清空）/);
  assert.doesNotMatch(cleared, /截至本期执行数/, "500000 and 500,000.00 are the same amount");
  await page.getByRole("link", { name: "放弃这些改动" }).click();
  assert.match(await page.locator("section.period").first().textContent(), /12项/, "nothing was replaced");
  // A rectification (整改): advice required, listed as open until its result is written.
  await page.getByRole("link", { name: "修改“1-7月”的数据" }).click();
  await page.getByLabel("委托研究课题数量 是否整改").selectOption("是");
  await page.getByRole("button", { name: "保存本期数据" }).click();
  assert.match(await page.getByRole("alert").first().textContent(), /请写明整改建议/);
  await page.getByLabel("委托研究课题数量 整改建议").fill("加快课题委托进度");
  await page.getByRole("button", { name: "保存本期数据" }).click();
  await page.getByRole("button", { name: "确认替换" }).click();
  await page.waitForURL(/\/monitoring$/);
  assert.match(await page.locator("section.period").first().textContent(), /待整改 加快课题委托进度/);
  await page.getByRole("link", { name: "待整改", exact: true }).click();
  const open = page.locator("table.list tbody tr", { hasText: "委托研究课题数量" });
  assert.match(await open.textContent(), /加快课题委托进度/);
  await shot(page, "rectifications");
  await open.getByRole("link").click();
  await page.getByRole("link", { name: "修改“1-7月”的数据" }).click();
  await page.getByLabel("委托研究课题数量 整改结果").fill("已签订 2 项委托合同");
  await page.getByRole("button", { name: "保存本期数据" }).click();
  await page.getByRole("button", { name: "确认替换" }).click();
  await page.waitForURL(/\/monitoring$/);
  await page.goto(server.base + "/rectifications");
  assert.equal(await page.locator("table.list tbody tr", { hasText: "委托研究课题数量" }).count(), 0, "done: no longer open");
  await page.context().close();
});

test("self-evaluation: enter actuals and see the score, the grade and the departures", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, LAW);
  await page.getByRole("link", { name: "绩效自评" }).click();
  assert.equal(await page.getByLabel("全年预算数（元）").inputValue(), "2550000.00");
  await page.getByLabel("全年执行数（元）").fill("2295000");
  await page.getByLabel("委托研究课题数量 实际完成值").fill("24项");
  await page.getByLabel("委托研究课题数量 自评得分").fill("50");
  await page.getByLabel("信息安全事故发生数 实际完成值").fill("0起");
  await page.getByLabel("用户满意度 实际完成值").fill("92%");
  await page.getByRole("button", { name: "保存并计分" }).click();
  const table = page.locator("table.scores");
  await assert.doesNotReject(table.waitFor());
  // Budget 90 % × 10 = 9; 24 ÷ 30 × 50 = 40 (the only output entered); 0 起 against =0: 30; 92 % ≥ 90 %: 10.
  assert.equal(await table.locator(".total").textContent(), "89.00");
  assert.equal(await page.locator(".grade").first().textContent(), "良");
  const row = table.locator("tr", { hasText: "委托研究课题数量" });
  assert.match(await row.locator(".score").textContent(), /40\.00/);
  assert.match(await row.locator(".explain").textContent(), /24 ÷ 30 × 50/);
  assert.match(await page.locator(".departures").textContent(), /委托研究课题数量：自评 50，按规则 40/);
  await shot(page, "evaluation");
  // Another scheme, chosen on the page.
  await page.goto(page.url().replace(/\?.*$/, "") + "?scheme=budget10-indicators90");
  assert.match(await page.locator(".scheme-name").textContent(), /计分方案：预算执行10分，全部指标共90分（四川等）/);
  await page.context().close();
});

test("the portfolio filters by grade and by warnings", async () => {
  const page = await signIn(browser, server.base, "dept");
  await page.getByLabel("预警").selectOption("any");
  await page.getByRole("button", { name: "筛选" }).click();
  assert.deepEqual(await page.locator("td.name").allTextContents(), [LAW], "the form with a red light in its latest period");
  assert.match(await page.locator("table.list tbody").textContent(), /红灯/);
  await page.getByLabel("预警").selectOption("");
  await page.getByLabel("自评等级").selectOption("良");
  await page.getByRole("button", { name: "筛选" }).click();
  assert.deepEqual(await page.locator("td.name").allTextContents(), [LAW]);
  await page.getByLabel("自评等级").selectOption("优");
  await page.getByRole("button", { name: "筛选" }).click();
  assert.match(await page.locator(".totals").textContent(), /共 0 张/);
  await shot(page, "portfolio-filtered");
  await page.context().close();
});

test("dashboards: the whole jurisdiction and one department, charts readable as text", async () => {
  const page = await signIn(browser, server.base, "finance");
  await page.getByRole("link", { name: "看板" }).click();
  assert.equal(await page.locator("h1").textContent(), "看板：全辖区");
  const money = page.getByRole("img", { name: "各项目年度资金（前 15 个）" });
  assert.ok(await money.locator("g.bar").count() >= 8, "one bar per form (an earlier test added a ninth)");
  const text = await money.textContent();
  assert.match(text, /2023年数字化运维及综合保障项目经费/);
  assert.match(text, /389,283,388\.94 元/);
  assert.match(await page.getByRole("img", { name: "申报表状态" }).textContent(), /草稿.*张/);
  // The self-evaluation recorded earlier scored 89.00: one 良.
  assert.match(await page.getByRole("img", { name: "自评等级" }).textContent(), /良1 个项目/);
  assert.match(await page.getByRole("img", { name: /各期预警/ }).textContent(), /7月 红灯[1-9]\d* 条/);
  // Warning bars in their colours; every bar leads to the forms behind it.
  const warn = page.getByRole("img", { name: /各期预警/ });
  assert.ok(await warn.locator("g.bar.red").count() >= 1 && await warn.locator("g.bar.yellow").count() >= 1);
  await shot(page, "dashboard-finance");
  await page.getByRole("textbox", { name: "年度" }).fill("2023");
  await page.getByRole("button", { name: "查看" }).click();
  assert.match(await page.locator(".totals").textContent(), /共 \d+ 张申报表/);
  await page.getByRole("img", { name: /各期预警/ }).locator("a").first().click();
  await page.waitForURL(/\/forms\?warnings=red&year=2023$/);
  assert.ok(await page.locator("td.name").count() >= 1, "the red-light forms are listed");
  await page.goto(server.base + "/dashboard");
  await page.getByLabel("主管部门").fill("上海市大数据中心");
  await page.getByRole("button", { name: "查看" }).click();
  assert.equal(await page.locator("h1").textContent(), "看板：上海市大数据中心");
  const dept = await signIn(browser, server.base, "dept");
  await dept.getByRole("link", { name: "看板" }).click();
  assert.equal(await dept.locator("h1").textContent(), "看板：本部门");
  assert.match(await dept.locator(".totals").textContent(), /共 \d+ 张申报表/);
  await shot(dept, "dashboard-dept");
  await page.context().close();
  await dept.context().close();
});

test("the editor adds, moves and removes indicators with the keyboard-reachable buttons", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, "数据运营服务费");
  await page.getByRole("link", { name: "编辑" }).click();
  const rows = page.locator("#indicator-rows tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 21);
  await page.getByRole("button", { name: "添加指标", exact: true }).click();
  assert.equal(await rows.count(), 22);
  const added = rows.nth(21);
  await added.getByLabel("三级指标名称（第22行）").fill("新增的满意度调查次数");
  await added.locator("input.raw").fill("≥2次");
  await assert.doesNotReject(added.locator("td.parsed", { hasText: "定量：≥2次" }).waitFor());
  await page.getByRole("button", { name: "上移第22行" }).click();
  assert.equal(await rows.nth(20).getByLabel("三级指标名称（第21行）").inputValue(), "新增的满意度调查次数");
  await page.getByRole("button", { name: "删除第1行" }).click();
  assert.equal(await rows.count(), 21);
  await page.getByRole("button", { name: "保存" }).click();
  await page.waitForURL(/\/forms\/[0-9a-f]{32}\?saved=\d+$/);
  const names = await page.locator("table.indicators tbody tr td:nth-last-child(3)").allTextContents();
  assert.equal(names.length, 21);
  assert.ok(!names.includes("完成下达服务任务"), "the first indicator was removed");
  assert.equal(names[19], "新增的满意度调查次数", "moved above the last one");
  assert.equal(names[20], "用户满意度");
  await page.context().close();
});

test("administration: organisations and users, for administrators only", async () => {
  const admin = await signIn(browser, server.base, "admin");
  await admin.getByRole("link", { name: "管理" }).click();
  await admin.getByLabel("名称", { exact: true }).fill("测试单位");
  await admin.getByLabel("类型").selectOption("unit");
  await admin.getByLabel("上级组织").selectOption({ label: "上海市人民政府办公厅" });
  await admin.getByRole("button", { name: "新建组织" }).click();
  assert.match(await admin.locator("section[aria-labelledby=orgs-h] table").textContent(), /测试单位/);
  await admin.getByLabel("用户名").fill("tester");
  await admin.getByLabel("姓名", { exact: true }).fill("测试填报人");
  // The policy, as the administrator meets it: a password with the username in it is refused.
  await admin.getByLabel("初始密码（至少 10 位）").fill("tester-password-1");
  await admin.getByLabel("角色", { exact: true }).selectOption("unit");
  await admin.getByLabel("所属组织").selectOption({ label: "测试单位" });
  await admin.getByRole("button", { name: "新建用户" }).click();
  assert.match(await admin.getByRole("alert").textContent(), /密码不能包含用户名/);
  await admin.getByLabel("用户名").fill("tester");
  await admin.getByLabel("姓名", { exact: true }).fill("测试填报人");
  await admin.getByLabel("初始密码（至少 10 位）").fill("Initial-pass-1");
  await admin.getByLabel("角色", { exact: true }).selectOption("unit");
  await admin.getByLabel("所属组织").selectOption({ label: "测试单位" });
  await admin.getByRole("button", { name: "新建用户" }).click();
  assert.match(await admin.getByRole("status").textContent(), /已建立用户 tester/);
  assert.match(await admin.locator("#users-h").textContent(), /用户（8）/);
  await shot(admin, "admin");
  // The first sign-in leads to choosing one's own password.
  const tester = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" })).newPage();
  await tester.goto(server.base + "/forms");
  await tester.getByLabel("用户名").fill("tester");
  await tester.getByLabel("密码").fill("Initial-pass-1");
  await tester.getByRole("button", { name: "登录" }).click();
  await tester.waitForURL(/\/account\/password$/);
  await tester.getByLabel("当前密码").fill("Initial-pass-1");
  await tester.getByLabel("新密码（至少 10 位）").fill("onlyletters");
  await tester.getByLabel("再输入一次新密码").fill("onlyletters");
  await tester.getByRole("button", { name: "修改密码" }).click();
  assert.match(await tester.getByRole("alert").textContent(), /至少三种/);
  await tester.getByLabel("当前密码").fill("Initial-pass-1");
  await tester.getByLabel("新密码（至少 10 位）").fill("First-own-pass-1");
  await tester.getByLabel("再输入一次新密码").fill("First-own-pass-1");
  await tester.getByRole("button", { name: "修改密码" }).click();
  await tester.waitForURL(/\/forms$/);
  assert.match(await tester.locator(".totals").textContent(), /共 0 张申报表/, "a new unit sees no one else's forms");
  await tester.goto(server.base + "/admin");
  assert.match(await tester.getByRole("alert").textContent(), /此角色无权访问/);
  assert.equal(await tester.getByRole("link", { name: "管理" }).count(), 0);
  // The rule set, now the security administrator's: switching GOAL-COPY off takes effect
  // for everyone at once.
  const unit = await signIn(browser, server.base, "unit");
  await openForm(unit, "上海市政务外网通信服务项目经费");
  assert.match(await unit.locator(".side-col").textContent(), /GOAL-COPY/);
  await admin.goto(server.base + "/admin");
  assert.equal(await admin.getByRole("button", { name: "保存规则集" }).count(), 0, "not the system administrator's");
  const security = await signIn(browser, server.base, "security");
  await security.getByLabel("启用 GOAL-COPY").uncheck();
  await security.getByLabel("VAGUE-TARGET 级别").selectOption("error");
  await security.getByRole("button", { name: "保存规则集" }).click();
  assert.match(await security.getByRole("status").textContent(), /已保存规则集/);
  assert.equal(await security.getByLabel("启用 GOAL-COPY").isChecked(), false);
  await shot(security, "security");
  await unit.reload();
  assert.doesNotMatch(await unit.locator(".side-col").textContent(), /GOAL-COPY/);
  await openForm(unit, "上海市政务云基础设施服务项目经费");
  assert.match(await unit.locator(".side-col").textContent(), /错误 政务云稳定性：指标值“有所提升”含糊.* VAGUE-TARGET/);
  // Accounts: the administrator resets tester's password; tester's session ends, the new
  // password only leads to changing it; then disabled, tester cannot sign in.
  await admin.goto(server.base + "/admin");
  await admin.getByLabel("“tester”的新密码").fill("temporary-pass-9");
  await admin.getByRole("button", { name: "重置“tester”的密码" }).click();
  assert.match(await admin.getByRole("status").textContent(), /已重置 tester 的密码/);
  assert.match(admin.url(), /\/admin\?done=reset-password&who=tester$/, "redirected: a reload does not reset again");
  const row = admin.locator("section[aria-labelledby=users-h] tbody tr", { hasText: "测试填报人" });
  assert.match(await row.textContent(), /待改密码/);
  await shot(admin, "admin-accounts");
  await tester.reload();
  assert.match(tester.url(), /\/login\?.*expired=1/, "the old session ended");
  await tester.getByLabel("用户名").fill("tester");
  await tester.getByLabel("密码").fill("temporary-pass-9");
  await tester.getByRole("button", { name: "登录" }).click();
  await tester.waitForURL(/\/account\/password$/);
  assert.match(await tester.locator("main").textContent(), /你的密码由管理员设定/);
  await tester.goto(server.base + "/forms");
  assert.match(tester.url(), /\/account\/password$/, "nothing else until the password is changed");
  await tester.getByLabel("当前密码").fill("temporary-pass-9");
  await tester.getByLabel("新密码（至少 10 位）").fill("Second-own-pass-1");
  await tester.getByLabel("再输入一次新密码").fill("Second-own-pass-2");
  await tester.getByRole("button", { name: "修改密码" }).click();
  assert.match(await tester.getByRole("alert").textContent(), /两次输入的新密码不一致/);
  await tester.getByLabel("当前密码").fill("temporary-pass-9");
  await tester.getByLabel("新密码（至少 10 位）").fill("Second-own-pass-1");
  await tester.getByLabel("再输入一次新密码").fill("Second-own-pass-1");
  await tester.getByRole("button", { name: "修改密码" }).click();
  await tester.waitForURL(/\/forms$/);
  await admin.goto(server.base + "/admin");
  admin.expectDialog(/确认停用“tester”/);
  await admin.getByRole("button", { name: "停用“tester”" }).click();
  assert.match(await admin.getByRole("status").textContent(), /已停用 tester/);
  await tester.reload();
  assert.match(tester.url(), /\/login/);
  await tester.getByLabel("用户名").fill("tester");
  await tester.getByLabel("密码").fill("Second-own-pass-1");
  await tester.getByRole("button", { name: "登录" }).click();
  assert.match(await tester.getByRole("alert").textContent(), /账户已停用/);
  assert.deepEqual(admin.unexpectedDialogs, []);
  await unit.context().close();
  await admin.context().close();
  await tester.context().close();
  await security.context().close();
});

test("授权审批: a finance account asked for by the system administrator exists only once the security administrator approves it", async () => {
  const admin = await signIn(browser, server.base, "admin");
  await admin.getByLabel("用户名").fill("fin-b");
  await admin.getByLabel("姓名", { exact: true }).fill("新财政审核人");
  await admin.getByLabel("初始密码（至少 10 位）").fill("Chosen-start-7");
  await admin.getByLabel("角色", { exact: true }).selectOption("finance");
  await admin.getByLabel("所属组织").selectOption({ label: "上海市财政局" });
  await admin.getByRole("button", { name: "新建用户" }).click();
  assert.match(await admin.getByRole("status").textContent(), /已提交授权申请：新建账户 fin-b，角色财政局审核人；待安全管理员在“授权审批”中批准后生效/);
  assert.doesNotMatch(await admin.locator("section[aria-labelledby=users-h] table").textContent(), /fin-b/, "no account yet");
  // The requester sees it waiting, may withdraw it, may not approve it.
  await admin.getByRole("link", { name: "授权审批" }).first().click();
  await admin.waitForURL(/\/grants$/);
  const row = admin.locator("section[aria-labelledby=pending-h] tbody tr", { hasText: "fin-b" });
  assert.match(await row.textContent(), /待安全管理员审批/);
  assert.equal(await row.getByRole("button", { name: /批准/ }).count(), 0);
  assert.equal(await row.getByRole("button", { name: "撤回对“fin-b”的授权申请" }).count(), 1);
  await shot(admin, "grants-requester");
  // Not yet: the account cannot sign in.
  const context = await browser.newContext({ locale: "zh-CN" });
  const fin = await context.newPage();
  await fin.goto(server.base + "/login");
  await fin.getByLabel("用户名").fill("fin-b");
  await fin.getByLabel("密码").fill("Chosen-start-7");
  await fin.getByRole("button", { name: "登录" }).click();
  assert.match(await fin.getByRole("alert").textContent(), /用户名或密码错误/);
  // The security administrator approves it on 授权审批.
  const security = await signIn(browser, server.base, "security");
  assert.match(await security.locator("section[aria-labelledby=pending-h]").textContent(), /待审批的授权：\d+ 项/);
  await security.getByRole("link", { name: "授权审批" }).first().click();
  await security.waitForURL(/\/grants$/);
  await shot(security, "grants");
  security.expectDialog(/确认批准：新建账户 fin-b/);
  await security.getByLabel("对“fin-b”的审批意见").fill("经核实，同意");
  await security.getByRole("button", { name: "批准对“fin-b”的授权" }).click();
  assert.match(await security.getByRole("status").textContent(), /已批准对 fin-b 的授权/);
  const decided = security.locator("section[aria-labelledby=decided-h] tbody tr", { hasText: "fin-b" });
  assert.match(await decided.textContent(), /已批准.*安全管理员（security）.*经核实，同意/);
  await shot(security, "grants-decided");
  // Now the account exists: its own password first, then its second factor.
  await fin.getByLabel("用户名").fill("fin-b");
  await fin.getByLabel("密码").fill("Chosen-start-7");
  await fin.getByRole("button", { name: "登录" }).click();
  await fin.waitForURL(/\/account\/password$/);
  await fin.getByLabel("当前密码").fill("Chosen-start-7");
  await fin.getByLabel("新密码（至少 10 位）").fill("Own-chosen-pass-7");
  await fin.getByLabel("再输入一次新密码").fill("Own-chosen-pass-7");
  await fin.getByRole("button", { name: "修改密码" }).click();
  await fin.waitForURL(/\/account\/totp$/);
  assert.deepEqual(security.unexpectedDialogs, []);
  await context.close();
  await admin.context().close();
  await security.context().close();
});

test("a form downloads as an Excel workbook and as JSON, named after the project", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, "管理工作经费");
  for (const [label, ext] of [["下载 Excel", "xlsx"], ["下载 JSON", "json"]]) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: label }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "管理工作经费（2023年度）." + ext);
    const path = await download.path();
    const fs = await import("node:fs");
    const bytes = fs.readFileSync(path);
    if (ext === "xlsx") {
      assert.equal(bytes.subarray(0, 2).toString(), "PK", "a workbook (zip) was downloaded");
    } else {
      assert.equal(JSON.parse(bytes.toString("utf8")).forms[0].name, "管理工作经费");
    }
  }
  assert.match(page.url(), /\/forms\/[0-9a-f]{32}$/, "the page stays where it was");
  await shot(page, "form-downloads");
  // The portfolio as a 汇总表, with the filters applied.
  await page.goto(server.base + "/forms?q=" + encodeURIComponent("政务"));
  const [summary] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "下载汇总表（Excel）" }).click(),
  ]);
  assert.equal(summary.suggestedFilename(), "申报表汇总表.xlsx");
  const summaryBytes = (await import("node:fs")).readFileSync(await summary.path());
  assert.ok(summaryBytes.subarray(0, 2).toString() === "PK" && summaryBytes.includes("xl/workbook.xml"), "a valid workbook");
  assert.match(await page.getByRole("link", { name: "下载汇总表（Excel）" }).getAttribute("href"), /q=/);
  await page.context().close();
});

test("a unit uploads a workbook: preview with warnings and findings, then confirm", async () => {
  const page = await signIn(browser, server.base, "unit");
  await page.goto(server.base + "/forms");
  await page.getByRole("link", { name: /导入文件/ }).click();
  await page.waitForURL(/\/forms\/import$/);
  const path = new URL("../../fixtures/workbooks/split-target-wanyuan.xlsx", import.meta.url).pathname;
  await page.getByLabel(/选择文件/).setInputFiles(path);
  await page.getByRole("button", { name: "读取并预览" }).click();
  await assert.doesNotReject(page.getByRole("heading", { name: /导入预览/ }).waitFor());
  await assert.doesNotReject(page.getByRole("heading", { name: "乡村道路养护（2024年度）" }).waitFor());
  assert.match(await page.locator("main, body").first().textContent(), /尚未保存/);
  assert.match(await page.locator("section.preview").textContent(), /审核发现/);
  await shot(page, "import-preview");
  // Nothing saved yet: the portfolio does not list it.
  const other = await page.context().newPage();
  await other.goto(server.base + "/forms?q=" + encodeURIComponent("乡村道路养护"));
  assert.equal(await other.locator("td.name").count(), 0, "the preview saved nothing");
  // Cancel: back to the list, still nothing saved.
  await page.getByRole("link", { name: "取消" }).click();
  await page.waitForURL(/\/forms$/);
  await other.reload();
  assert.equal(await other.locator("td.name").count(), 0, "cancel leaves nothing");
  // Again, and confirm.
  await page.goto(server.base + "/forms/import");
  await page.getByLabel(/选择文件/).setInputFiles(path);
  await page.getByRole("button", { name: "读取并预览" }).click();
  await page.getByRole("button", { name: /确认导入 1 张申报表/ }).click();
  await assert.doesNotReject(page.getByRole("heading", { name: "已导入" }).waitFor());
  await other.goto(server.base + "/forms?q=" + encodeURIComponent("乡村道路养护"));
  assert.equal(await other.locator("td.name").count(), 1, "confirmed: one new form");
  await shot(page, "import-done");
  await page.context().close();
});

test("an unreadable upload says why and offers to choose again", async () => {
  const page = await signIn(browser, server.base, "unit");
  await page.goto(server.base + "/forms/import");
  await page.getByLabel(/选择文件/).setInputFiles({ name: "letter.txt", mimeType: "text/plain", buffer: Buffer.from("这是一封信，不是申报表。\n") });
  await page.getByRole("button", { name: "读取并预览" }).click();
  assert.match(await page.getByRole("alert").textContent(), /无法读取“letter\.txt”/);
  assert.equal(await page.getByRole("button", { name: "读取并预览" }).count(), 1);
  await page.context().close();
});

test("the monitoring report and the self-evaluation download as valid workbooks", async () => {
  const page = await signIn(browser, server.base, "unit");
  const fs = await import("node:fs");
  const workbook = async (label, name) => {
    const [d] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: label }).click()]);
    assert.match(d.suggestedFilename(), name);
    const bytes = fs.readFileSync(await d.path());
    assert.equal(bytes.subarray(0, 2).toString(), "PK");
    assert.ok(bytes.includes("xl/workbook.xml"), "an Office Open XML workbook");
  };
  await openForm(page, LAW);
  await page.getByRole("link", { name: "绩效监控" }).click();
  await workbook("下载绩效运行监控表（Excel）", /绩效运行监控表\.xlsx$/);
  await page.getByRole("link", { name: "绩效自评" }).click();
  await workbook("下载自评表（Excel）", /绩效自评表\.xlsx$/);
  await shot(page, "evaluation-download");
  await page.context().close();
});

test("starting a year: last year's form copied into a draft shows last year's targets; a new form from scratch", async () => {
  const page = await signIn(browser, server.base, "unit");
  await page.goto(server.base + "/forms?q=" + encodeURIComponent("管理工作经费"));
  await page.getByRole("button", { name: "复制“管理工作经费”为 2024 年度草稿" }).click();
  await page.waitForURL(/\/forms\/[0-9a-f]{32}\/edit$/);
  await assert.doesNotReject(page.getByRole("heading", { name: "上年（2023年度）参考" }).waitFor());
  const ref = page.locator("section.last-year tbody tr");
  assert.ok(await ref.count() > 0, "last year's indicators are listed");
  assert.equal(await page.locator("#indicator-rows tr").count(), await ref.count(), "every indicator copied");
  await shot(page, "copy-editor");
  // The copy is a 2024 draft beside the 2023 form.
  await page.goto(server.base + "/forms?q=" + encodeURIComponent("管理工作经费"));
  assert.equal(await page.locator("td.name").count(), 2);
  // Copying into 2024 again is refused with a reason.
  await page.getByRole("button", { name: "复制“管理工作经费”为 2024 年度草稿" }).click();
  assert.match(await page.getByRole("alert").textContent(), /已有 2024 年度的申报表/);
  await page.getByRole("link", { name: "打开那张申报表" }).click();
  await page.waitForURL(/\/forms\/[0-9a-f]{32}$/);
  assert.match(await page.locator("h1").textContent(), /管理工作经费/);
  assert.match(await page.locator("main").textContent(), /2024/);
  // A new form from scratch.
  await page.goto(server.base + "/forms");
  await page.getByRole("link", { name: "新建申报表" }).click();
  await page.waitForURL(/\/forms\/new$/);
  assert.equal(await page.getByLabel("实施单位").inputValue(), "上海市大数据中心");
  await page.getByLabel("项目名称").fill("公共数据开放平台运维");
  await page.getByLabel("年度资金申请总额（元）").fill("1,200,000.50");
  await page.getByLabel("年度总体目标").fill("保障平台全年稳定运行。");
  await shot(page, "new-form");
  await page.getByRole("button", { name: "创建并编辑指标" }).click();
  await page.waitForURL(/\/forms\/[0-9a-f]{32}\/edit$/);
  await page.getByRole("button", { name: "添加指标", exact: true }).click();
  const row = page.locator("#indicator-rows tr").first();
  await row.getByLabel("三级指标名称（第1行）").fill("平台可用率");
  await row.locator("input.raw").fill("≥99.9%");
  // The indicator library: typing part of a name offers filed names; choosing one fills the
  // levels and the usual target, and says where they come from.
  await page.getByRole("button", { name: "添加指标", exact: true }).click();
  const second = page.locator("#indicator-rows tr").nth(1);
  const name2 = second.getByLabel("三级指标名称（第2行）");
  await name2.pressSequentially("用户满意");
  await assert.doesNotReject(page.locator("#library-names option[value='用户满意度']").waitFor({ state: "attached" }));
  await name2.fill("用户满意度");
  await assert.doesNotReject(second.locator(".lib-hint", { hasText: "填报" }).waitFor());
  assert.match(await second.locator("input.raw").inputValue(), /90/);
  assert.equal(await second.locator("select").first().inputValue(), "满意度指标");
  await assert.doesNotReject(second.locator("td.parsed", { hasText: "定量" }).waitFor());
  await assert.doesNotReject(row.locator("td.parsed", { hasText: "定量：≥99.9%" }).waitFor(), "the first row is still read after a row is added");
  // A row added right below the first, under the same levels; level 2 follows level 1.
  await page.getByRole("button", { name: "在第1行下添加指标" }).click();
  const added = page.locator("#indicator-rows tr").nth(1);
  assert.equal(await page.locator("#indicator-rows tr").count(), 3);
  assert.equal(await added.getByLabel("三级指标名称（第2行）").inputValue(), "");
  assert.equal(await added.locator("select.l1").inputValue(), "产出指标");
  await added.locator("select.l1").selectOption("效益指标");
  assert.equal(await added.locator("select.l2").inputValue(), "经济效益指标");
  const offered = await added.locator("select.l2 option:not([hidden])").allTextContents();
  assert.ok(!offered.includes("数量指标") && offered.includes("社会效益指标"), offered.join(","));
  await page.getByRole("button", { name: "删除第2行" }).click();
  assert.equal(await page.locator("#indicator-rows tr").count(), 2);
  await shot(page, "editor-library");
  await page.getByRole("button", { name: "保存" }).click();
  await page.waitForURL(/\/forms\/[0-9a-f]{32}\?saved=\d+$/);
  assert.match(await page.locator("table.official").first().textContent(), /1,200,000\.50/);
  assert.match(await page.locator("table.indicators").textContent(), /平台可用率/);
  assert.match(await page.locator("table.indicators").textContent(), /用户满意度/);
  await page.context().close();
});

test("each role lands on its home; the audit administrator reads, filters and exports the audit log", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  for (const [user, home] of [["dept", /\/todo$/], ["admin", /\/admin$/], ["unit", /\/forms$/], ["auditor", /\/forms$/], ["security", /\/security$/], ["auditadmin", /\/audit$/]]) {
    await context.clearCookies();
    await page.goto(server.base + "/");
    await page.waitForURL(/\/login$/);
    await page.getByLabel("用户名").fill(user);
    await page.getByLabel("密码").fill("jixiao-demo");
    await page.getByRole("button", { name: "登录" }).click();
    await page.waitForURL(home);
    if (user === "admin") {
      // The sign-in test locked the auditor out: the administrator unlocks the account.
      const unlock = page.getByRole("button", { name: "解锁“auditor”" });
      if (await unlock.count()) {
        await unlock.click();
        assert.match(await page.getByRole("status").textContent(), /已解锁 auditor/);
      }
    }
    if (user === "unit") {
      // Something for the log: the unit submits a form.
      page.once("dialog", (d) => d.accept());
      await openForm(page, "上海市政务外网通信服务项目经费");
      await page.getByRole("button", { name: "送审" }).click();
      await page.locator(".meta .status", { hasText: "已送审" }).waitFor();
    }
  }
  // The audit administrator is signed in now: the log in words and Beijing time.
  assert.equal(await page.locator("h1").textContent(), "审计日志");
  const rows = page.locator("table.audit tbody tr");
  assert.ok(await rows.count() > 0);
  assert.match(await rows.first().textContent(), /审计管理员（auditadmin）/);
  await page.getByLabel("操作").selectOption({ label: "送审" });
  await page.getByRole("button", { name: "筛选" }).click();
  const submitted = await page.locator("table.audit tbody").textContent();
  assert.match(submitted, /上海市政务外网通信服务项目经费（2023年度）/, "a form by its name, not its ID");
  assert.doesNotMatch(submitted, /[0-9a-f]{32}/);
  assert.equal(await page.locator("table.audit a[href^='/forms/']").count(), 0, "no way into a form's content");
  await shot(page, "audit-log");
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "导出 CSV" }).click()]);
  assert.equal(csv.suggestedFilename(), "审计日志.csv");
  const text = (await import("node:fs")).readFileSync(await csv.path(), "utf8");
  assert.match(text, /^\uFEFF时间（北京时间）,人员/);
  assert.match(text, /"送审"/);
  assert.doesNotMatch(text, /"登录"/, "the export has the page's filters");
  // The retention: never shorter than six months; kept longer as the audit administrator sets it.
  await page.goto(server.base + "/audit");
  assert.match(await page.locator("section[aria-labelledby=retention-h]").textContent(), /全部保留（未设定期限）/);
  await page.getByLabel(/保存天数/).fill("100");
  await page.getByLabel(/保存天数/).evaluate((e) => e.removeAttribute("min"));
  await page.getByRole("button", { name: "保存期限" }).click();
  assert.match(await page.getByRole("alert").textContent(), /审计日志至少保存 184 天/);
  await page.getByLabel(/保存天数/).fill("365");
  await page.getByRole("button", { name: "保存期限" }).click();
  assert.match(await page.locator("p.ok[role=status]").textContent(), /已保存审计日志的保存期限/);
  assert.match(await page.locator("section[aria-labelledby=retention-h]").textContent(), /现行：保存 365 天/);
  assert.equal(await page.getByRole("button", { name: "清理过期记录" }).count(), 1);
  await shot(page, "audit-retention");
  await context.close();
});

test("help: a finding's code leads to its rule; targets are shown as the editor reads them", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, "2023年数字化建设项目经费");
  await page.locator(".side-col a.code", { hasText: "VAGUE-TARGET" }).first().click();
  await page.waitForURL(/\/help#rule-VAGUE-TARGET$/);
  assert.match(await page.locator("#rule-VAGUE-TARGET").textContent(), /指标值含糊/);
  const targets = await page.locator("section[aria-labelledby=targets] tbody").textContent();
  assert.match(targets, /≤30元\/平方米\s*定量：/);
  assert.match(targets, /按期完成\s*定性：按期完成/);
  assert.match(await page.locator("section[aria-labelledby=monitoring]").textContent(), /红灯：r 低于 60/);
  await shot(page, "help");
  await page.getByRole("link", { name: "接口说明（供其他系统对接）" }).click();
  await page.getByRole("link", { name: /返回 jixiao/ }).click();
  await page.waitForURL(/\/forms$/);
  await page.context().close();
});

test("at 390 px wide no page scrolls sideways (wide tables scroll inside themselves)", async () => {
  const own = ["/help", "/account/password", "/account/sessions", "/account/totp"];
  for (const [user, extra] of [["unit", []], ["auditor", []], ["admin", ["/admin", "/grants", "/library"]], ["security", ["/security", "/grants"]], ["auditadmin", ["/audit"]]]) {
    const page = await signIn(browser, server.base, user);
    await page.setViewportSize({ width: 390, height: 844 });
    const business = ["unit", "auditor"].includes(user);
    const ids = business ? await page.evaluate(async () => (await (await fetch("/api/forms?per_page=1")).json()).items.map((f) => f.id)) : [];
    const forms = ids.length ? [`/forms/${ids[0]}`, `/forms/${ids[0]}/versions/1`, `/forms/${ids[0]}/monitoring`, `/forms/${ids[0]}/evaluation`, `/forms/${ids[0]}/diff?from=1&to=1`] : [];
    const unitOnly = user === "unit" && ids.length ? [`/forms/${ids[0]}/edit`, "/forms/new", "/forms/import"] : [];
    const pages = business ? ["/forms", "/todo", "/handled", "/dashboard", "/rectifications", "/library"] : [];
    for (const p of [...pages, ...own, ...forms, ...unitOnly, ...extra]) {
      await page.goto(server.base + p);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${user} ${p}: the page is ${width} px wide`);
      const name = "narrow-" + user + p.replace(/[0-9a-f]{32}/, "form").replace(/[/?=&]+/g, "-").replace(/-$/, "");
      await shot(page, name);
    }
    await page.context().close();
  }
  // The sign-in page, before anyone signs in, and with an error.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const login = await context.newPage();
  await login.goto(server.base + "/login");
  assert.ok(await login.evaluate(() => document.documentElement.scrollWidth) <= 390, "the sign-in page");
  // The demo lists its accounts, each with its role.
  const demo = (await login.locator("section.demo-accounts li").allTextContents()).map((t) => t.replace(/\s+/g, ""));
  assert.deepEqual(demo, ["unit：实施单位填报人", "dept：主管部门审核人", "finance：财政局审核人", "admin：系统管理员", "security：安全管理员", "auditadmin：审计管理员", "auditor：审计人员"]);
  await shot(login, "narrow-login");
  await login.getByLabel("用户名").fill("nobody");
  await login.getByLabel("密码").fill("wrong-password");
  await login.getByRole("button", { name: "登录" }).click();
  await login.getByRole("alert").waitFor();
  assert.ok(await login.evaluate(() => document.documentElement.scrollWidth) <= 390, "the sign-in page with its error");
  await shot(login, "narrow-login-error");
  await context.close();
});

test("supporting documents: the unit attaches a PDF to an actual value; a reviewer downloads it", async () => {
  const page = await signIn(browser, server.base, "unit");
  await openForm(page, LAW);
  await page.getByRole("link", { name: "绩效自评" }).click();
  await page.getByLabel("佐证的指标").selectOption({ label: "委托研究课题数量" });
  const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n");
  await page.getByLabel(/文件（PDF/).setInputFiles({ name: "课题委托合同.pdf", mimeType: "application/pdf", buffer: pdf });
  await page.getByRole("button", { name: "上传佐证材料" }).click();
  await page.waitForURL(/\/evaluation#docs-h$/);
  const row = page.locator("section.documents tbody tr", { hasText: "课题委托合同.pdf" });
  assert.match(await row.textContent(), /委托研究课题数量/);
  await shot(page, "documents");
  // A file that is not a document is refused with the reason.
  await page.getByLabel(/文件（PDF/).setInputFiles({ name: "发票.pdf", mimeType: "application/pdf", buffer: Buffer.from("MZ this is a program") });
  await page.getByRole("button", { name: "上传佐证材料" }).click();
  assert.match(await page.getByRole("alert").textContent(), /不是可接受的佐证材料/);
  // The department reviewer reads the same list and downloads the file as it was uploaded.
  const dept = await signIn(browser, server.base, "dept");
  await openForm(dept, LAW);
  await dept.getByRole("link", { name: "绩效自评" }).click();
  assert.equal(await dept.getByRole("button", { name: "上传佐证材料" }).count(), 0, "reviewers do not upload");
  const [d] = await Promise.all([dept.waitForEvent("download"), dept.getByRole("link", { name: "课题委托合同.pdf" }).click()]);
  assert.equal(d.suggestedFilename(), "课题委托合同.pdf");
  assert.deepEqual((await import("node:fs")).readFileSync(await d.path()), pdf);
  await page.context().close();
  await dept.context().close();
});

test("self-evaluation as the official table: submitted, returned with a reason, fixed, approved", async () => {
  const unit = await signIn(browser, server.base, "unit");
  await openForm(unit, LAW);
  await unit.getByRole("link", { name: "绩效自评" }).click();
  await unit.getByLabel("年度总体目标实际完成情况").fill("完成年度研究课题和法律服务，数据安全无事故。");
  await unit.getByLabel("委托研究课题数量 偏差原因分析及改进措施").fill("6项课题立项延后，次年一季度完成");
  await unit.getByRole("button", { name: "保存并计分" }).click();
  await unit.waitForURL(/\/evaluation\?saved=1/);
  assert.match(await unit.getByRole("status").textContent(), /自评已保存并计分/);
  // The header block, the goal against what was achieved, and the deviation in its column.
  const sheet = unit.locator(".sheet");
  assert.match(await sheet.locator("table.official").first().textContent(), /年初预算数.*全年预算数.*全年执行数.*执行率/);
  assert.match(await sheet.textContent(), /完成年度研究课题和法律服务，数据安全无事故。/);
  const row = sheet.locator("table.scores tr", { hasText: "委托研究课题数量" });
  assert.match(await row.textContent(), /6项课题立项延后，次年一季度完成/);
  assert.equal(await unit.locator(".eval-status").textContent(), "自评填报中");
  await shot(unit, "evaluation-official");
  await unit.setViewportSize({ width: 390, height: 800 });
  assert.ok(await unit.evaluate(() => document.documentElement.scrollWidth) <= 390, "no sideways scroll at 390 px");
  await shot(unit, "narrow-evaluation-official");
  await unit.setViewportSize({ width: 1440, height: 900 });

  unit.expectDialog(/确认自评送审/);
  await unit.getByRole("button", { name: "自评送审" }).click();
  await unit.waitForURL(/\/evaluation#eval-act-h$/);
  assert.equal(await unit.locator(".eval-status").textContent(), "自评已送审");
  assert.equal(await unit.getByRole("button", { name: "保存并计分" }).count(), 0, "no changes while under review");
  assert.equal(await unit.getByRole("button", { name: "上传佐证材料" }).count(), 0, "no new documents while under review");

  // The department finds it in its to-do, returns it without a reason (refused), then with one.
  const dept = await signIn(browser, server.base, "dept");
  await dept.goto(server.base + "/todo");
  assert.match(await dept.locator("h2", { hasText: "待审核的自评" }).textContent(), /1 张/);
  await dept.getByRole("link", { name: LAW }).last().click();
  await dept.waitForURL(/\/evaluation$/);
  await dept.getByRole("button", { name: "退回自评" }).click();
  assert.match(await dept.getByRole("alert").textContent(), /退回必须写明理由/);
  await dept.getByLabel("意见（退回时必填）").fill("偏差原因请写明责任处室和完成时间");
  await dept.getByRole("button", { name: "退回自评" }).click();
  await dept.waitForURL(/\/evaluation#eval-act-h$/);
  assert.equal(await dept.locator(".eval-status").textContent(), "自评已退回");

  // The unit sees why, fixes the reason and submits again.
  await unit.goto(server.base + "/todo");
  assert.match(await unit.locator("h2", { hasText: "被退回、待修改的自评" }).textContent(), /1 张/);
  await unit.goto(unit.url().replace(/\/todo$/, "") + dept.url().replace(/^https?:\/\/[^/]+/, "").replace(/#.*$/, ""));
  assert.match(await unit.getByRole("alert").first().textContent(), /退回：偏差原因请写明责任处室和完成时间/);
  await unit.getByLabel("委托研究课题数量 偏差原因分析及改进措施").fill("6项课题立项延后（研究处负责），2024年3月底前完成");
  await unit.getByRole("button", { name: "保存并计分" }).click();
  await unit.waitForURL(/\/evaluation\?saved=1/);
  unit.expectDialog(/确认自评送审/);
  await unit.getByRole("button", { name: "自评送审" }).click();
  await unit.waitForURL(/\/evaluation#eval-act-h$/);

  // Approved, with the whole history in words and names.
  await dept.reload();
  dept.expectDialog(/确认自评审核通过/);
  await dept.getByRole("button", { name: "自评审核通过" }).click();
  await dept.waitForURL(/\/evaluation#eval-act-h$/);
  assert.equal(await dept.locator(".eval-status").textContent(), "自评已审核");
  const history = dept.locator("section.history tbody tr");
  assert.equal(await history.count(), 4);
  assert.match(await history.nth(1).textContent(), /退回.*自评已送审 → 自评已退回.*偏差原因请写明责任处室和完成时间/);
  assert.match(await dept.locator(".sheet").textContent(), /研究处负责/);
  assert.match(await dept.locator(".departures").textContent(), /未达到指标值却给满分$/m, "in Chinese, without the English half");
  assert.deepEqual(unit.unexpectedDialogs.concat(dept.unexpectedDialogs), []);
  await shot(dept, "evaluation-approved");
  await unit.context().close();
  await dept.context().close();
});

test("administration: a user's role and name, an organisation's name, a form's unit", async () => {
  const admin = await signIn(browser, server.base, "admin");
  await admin.goto(server.base + "/admin");
  // A user's name changes (their sessions end).
  await admin.getByLabel("修改“auditor”").click();
  await admin.getByLabel("“auditor”的姓名").fill("审计人员（改）");
  admin.expectDialog(/确认修改“auditor”/);
  await admin.getByRole("button", { name: "保存对“auditor”的修改" }).click();
  assert.match(await admin.getByRole("status").textContent(), /已修改 auditor/);
  assert.match(await admin.locator("section[aria-labelledby=users-h] tbody tr", { hasText: "auditor" }).textContent(), /审计人员（改）/);
  // A role that does not fit the organisation is refused with the reason.
  await admin.getByLabel("修改“tester”").click();
  await admin.getByLabel("“tester”的角色").selectOption("department");
  admin.expectDialog(/确认修改“tester”/);
  await admin.getByRole("button", { name: "保存对“tester”的修改" }).click();
  assert.match(await admin.getByRole("alert").textContent(), /此角色须属于一个主管部门/);
  // An organisation renamed.
  await admin.goto(server.base + "/admin");
  await admin.getByLabel("修改组织“测试单位”").click();
  await admin.getByLabel("“测试单位”的新名称").fill("测试单位（改名）");
  await admin.getByRole("button", { name: "保存组织“测试单位”" }).click();
  assert.match(await admin.getByRole("status").textContent(), /已修改组织 测试单位（改名）/);
  // A form given to another unit, found by name; the first unit no longer sees it; given back.
  await admin.getByLabel("查找申报表").fill("管理工作经费");
  await admin.getByRole("button", { name: "查找" }).click();
  const select = admin.getByLabel("“管理工作经费”（2023）归属");
  assert.equal(await select.inputValue() !== "", true, "it has a unit");
  await shot(admin, "admin-assign");
  const unit = await signIn(browser, server.base, "unit");
  await unit.getByLabel("年度", { exact: true }).fill("2023");
  await unit.getByLabel("搜索").fill("管理工作经费");
  await unit.getByRole("button", { name: "筛选" }).click();
  assert.match(await unit.locator(".totals").textContent(), /共 1 张申报表/);
  await select.selectOption({ label: "测试单位（改名）" });
  await admin.getByRole("button", { name: "保存“管理工作经费”（2023）的归属" }).click();
  assert.match(await admin.getByRole("status").textContent(), /已将申报表归属 测试单位（改名）/);
  assert.match(admin.url(), /fq=/, "back to the same search");
  await unit.reload();
  assert.match(await unit.locator(".totals").textContent(), /共 0 张申报表/);
  await admin.getByLabel("“管理工作经费”（2023）归属").selectOption({ label: "上海市大数据中心" });
  await admin.getByRole("button", { name: "保存“管理工作经费”（2023）的归属" }).click();
  await unit.reload();
  assert.match(await unit.locator(".totals").textContent(), /共 1 张申报表/);
  assert.deepEqual(admin.unexpectedDialogs, []);
  await unit.context().close();
  await admin.context().close();
});

test("the indicator library: everyone browses it by category; the administrator recommends and merges", async () => {
  const unit = await signIn(browser, server.base, "unit");
  await unit.getByRole("link", { name: "指标库" }).click();
  await unit.getByLabel("项目类别").selectOption("其他运转类");
  await unit.getByRole("button", { name: "查找" }).click();
  assert.match(await unit.locator("h2").first().textContent(), /“其他运转类”项目的常用指标/);
  assert.match(await unit.locator("table.library tbody").textContent(), /本类/);
  assert.equal(await unit.getByRole("button", { name: /^推荐/ }).count(), 0, "a unit does not curate");
  await shot(unit, "library");

  const admin = await signIn(browser, server.base, "admin");
  await admin.goto(server.base + "/library?q=" + encodeURIComponent("满意度"));
  const variant = "提供多渠道咨询服务，提升用户满意度";
  await admin.getByLabel(`把“${variant}”合并到`).fill("用户满意度");
  await admin.getByRole("button", { name: `合并“${variant}”` }).click();
  assert.match(await admin.getByRole("status").textContent(), /已合并/);
  assert.match(admin.url(), /q=%E6%BB%A1%E6%84%8F%E5%BA%A6/, "back to the same search");
  const row = admin.locator("table.library tbody tr", { hasText: /^用户满意度/ }).first();
  assert.match(await row.textContent(), /也写作：提供多渠道咨询服务，提升用户满意度/);
  await admin.getByRole("button", { name: "推荐“用户满意度”" }).first().click();
  assert.match(await admin.locator("table.library tbody tr").first().textContent(), /用户满意度.*推荐/);
  await shot(admin, "library-curation");
  await admin.setViewportSize({ width: 390, height: 800 });
  assert.ok(await admin.evaluate(() => document.documentElement.scrollWidth) <= 390, "no sideways scroll at 390 px");
  await shot(admin, "narrow-library");
  // Undone, for the tests after this one.
  await admin.goto(server.base + "/library?all=1&q=" + encodeURIComponent("提升用户"));
  await admin.getByRole("button", { name: `取消合并“${variant}”` }).click();
  assert.match(await admin.getByRole("status").textContent(), /已取消合并/);
  await unit.context().close();
  await admin.context().close();
});

test("a whole year of one project, every role in turn, every page at 1440 and 390 px", async () => {
  const ZW = "上海市政务外网通信服务项目经费";
  const NEW = "来访客户满意度";
  // Each page looked at both ways: the screenshot at 1440 px, then at 390 px with no
  // sideways scroll.
  const both = async (page, name) => {
    await shot(page, "year-" + name);
    await page.setViewportSize({ width: 390, height: 800 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${name}: ${width} px wide at 390`);
    await shot(page, "narrow-year-" + name);
    await page.setViewportSize({ width: 1440, height: 900 });
  };
  const unit = await signIn(browser, server.base, "unit");
  const dept = await signIn(browser, server.base, "dept");
  const finance = await signIn(browser, server.base, "finance");

  // 1. The unit copies last year's form and adds an indicator from the library.
  await unit.goto(server.base + "/forms?q=" + encodeURIComponent(ZW));
  await unit.getByRole("button", { name: `复制“${ZW}”为 2024 年度草稿` }).click();
  await unit.waitForURL(/\/forms\/[0-9a-f]{32}\/edit$/);
  const formUrl = unit.url().replace(/\/edit$/, "");
  await unit.getByRole("button", { name: "添加指标", exact: true }).click();
  const rows = unit.locator("#indicator-rows tr");
  const last = rows.nth((await rows.count()) - 1);
  const name = last.locator("input[aria-label^='三级指标名称']");
  await name.pressSequentially("来访客户");
  await assert.doesNotReject(unit.locator(`#library-names option[value='${NEW}']`).waitFor({ state: "attached" }));
  await name.fill(NEW);
  await assert.doesNotReject(last.locator(".lib-hint", { hasText: "填报" }).waitFor());
  assert.match(await last.locator("input.raw").inputValue(), /90/);
  assert.equal(await last.locator("select.l1").inputValue(), "满意度指标");
  await both(unit, "1-copy-editor");
  await unit.getByRole("button", { name: "保存" }).click();
  await unit.waitForURL(/\?saved=\d+$/);
  assert.match(await unit.locator("table.indicators").textContent(), new RegExp(NEW));
  await both(unit, "2-form-draft");

  // 2. Submitted, returned with a comment on the new indicator, fixed, submitted again.
  unit.expectDialog(/确认送审/);
  await unit.getByRole("button", { name: "送审" }).click();
  await assert.doesNotReject(unit.locator(".meta .status", { hasText: "已送审" }).waitFor());
  const formPath = new URL(formUrl).pathname;
  await dept.goto(server.base + "/todo");
  await dept.locator(`a[href='${formPath}']`).click();
  assert.equal(dept.url(), formUrl);
  await dept.getByLabel("意见（退回时必填）").fill("满意度目标应高于上年实际");
  await dept.locator("details summary", { hasText: "对单个指标的意见" }).click();
  await dept.getByLabel(NEW).fill("建议不低于95%");
  await dept.getByRole("button", { name: "退回" }).click();
  await assert.doesNotReject(dept.locator(".meta .status", { hasText: "已退回" }).waitFor());
  await both(dept, "3-form-returned");
  await unit.goto(formUrl);
  const commented = unit.locator("table.indicators tr", { hasText: NEW });
  assert.match(await commented.locator(".ind-comment").textContent(), /建议不低于95%/);
  await unit.getByRole("link", { name: "编辑" }).click();
  await unit.locator("#indicator-rows tr").first().waitFor();
  const idx = await unit.locator("#indicator-rows input[aria-label^='三级指标名称']").evaluateAll((els, n) => els.findIndex((e) => e.value === n), NEW);
  await unit.locator("#indicator-rows tr").nth(idx).locator("input.raw").fill("≥95%");
  await unit.getByRole("button", { name: "保存" }).click();
  await unit.waitForURL(/\?saved=\d+$/);
  unit.expectDialog(/确认送审/);
  await unit.getByRole("button", { name: "送审" }).click();
  await assert.doesNotReject(unit.locator(".meta .status", { hasText: "已送审" }).waitFor());

  // 3. Approved twice and published.
  await dept.goto(formUrl);
  dept.expectDialog(/确认审核通过/);
  await dept.getByRole("button", { name: "审核通过" }).click();
  await assert.doesNotReject(dept.locator(".meta .status", { hasText: "主管部门已审核" }).waitFor());
  await finance.goto(server.base + "/todo");
  await finance.locator(`a[href='${formPath}']`).click();
  finance.expectDialog(/确认审核通过/);
  await finance.getByRole("button", { name: "审核通过" }).click();
  await assert.doesNotReject(finance.locator(".meta .status", { hasText: "财政已批复" }).waitFor());
  finance.expectDialog(/确认公开/);
  await finance.getByRole("button", { name: "公开" }).click();
  await assert.doesNotReject(finance.locator(".meta .status", { hasText: "已公开" }).waitFor());
  await both(finance, "4-form-published");

  // 4. Monitored twice, the first period corrected before the second.
  await unit.goto(formUrl + "/monitoring");
  await unit.getByLabel("期间（如 1-7月、Q2、全年）").fill("1-6月");
  await unit.getByLabel("截至本期执行数（元）").fill("1,000,000.00");
  await unit.getByLabel(`${NEW} 截至本期完成`).fill("93%");
  await unit.getByRole("button", { name: "保存本期数据" }).click();
  await unit.waitForURL(/\/monitoring$/);
  await unit.getByRole("link", { name: "修改“1-6月”的数据" }).click();
  await unit.getByLabel("截至本期执行数（元）").fill("1,200,000.00");
  await unit.getByRole("button", { name: "保存本期数据" }).click();
  assert.match(await unit.locator("table.changes").textContent(), /截至本期执行数/);
  await unit.getByRole("button", { name: "确认替换" }).click();
  await unit.waitForURL(/\/monitoring$/);
  await unit.getByLabel("期间（如 1-7月、Q2、全年）").fill("1-9月");
  await unit.getByLabel("截至本期执行数（元）").fill("2,000,000.00");
  await unit.getByLabel(`${NEW} 截至本期完成`).fill("95%");
  await unit.getByRole("button", { name: "保存本期数据" }).click();
  await unit.waitForURL(/\/monitoring$/);
  const periods = await unit.locator("section.period").allTextContents();
  assert.equal(periods.length, 2);
  assert.ok(periods.some((p) => /1,200,000\.00/.test(p)), "the correction kept");
  await both(unit, "5-monitoring");

  // 5. The self-evaluation, with a document, submitted and approved.
  await unit.goto(formUrl + "/evaluation");
  await unit.getByLabel("全年执行数（元）").fill("2,600,000");
  await unit.getByLabel(`${NEW} 实际完成值`).fill("96%");
  await unit.getByLabel("年度总体目标实际完成情况").fill("政务外网全年稳定运行。");
  await unit.getByRole("button", { name: "保存并计分" }).click();
  await unit.waitForURL(/\/evaluation\?saved=1/);
  await unit.getByLabel("佐证的指标").selectOption({ label: NEW });
  await unit.getByLabel(/文件（PDF/).setInputFiles({ name: "满意度调查报告.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n%%EOF\n") });
  await unit.getByRole("button", { name: "上传佐证材料" }).click();
  await unit.waitForURL(/\/evaluation#docs-h$/);
  unit.expectDialog(/确认自评送审/);
  await unit.getByRole("button", { name: "自评送审" }).click();
  await unit.waitForURL(/\/evaluation#eval-act-h$/);
  await dept.goto(server.base + "/todo");
  await dept.locator("h2", { hasText: "待审核的自评" }).waitFor();
  await dept.goto(formUrl + "/evaluation");
  assert.match(await dept.locator("section.documents").textContent(), /满意度调查报告\.pdf/);
  dept.expectDialog(/确认自评审核通过/);
  await dept.getByRole("button", { name: "自评审核通过" }).click();
  await dept.waitForURL(/\/evaluation#eval-act-h$/);
  assert.equal(await dept.locator(".eval-status").textContent(), "自评已审核");
  const row = dept.locator("table.scores tr", { hasText: NEW });
  assert.match(await row.textContent(), /≥95%|≥95 ?\(?%/);
  assert.match(await row.textContent(), /96%/);
  await both(dept, "6-evaluation-approved");

  // 6. The year on the finance bureau's dashboard and in the history of the form.
  await finance.goto(server.base + "/dashboard?year=2024");
  await both(finance, "7-dashboard");
  await finance.goto(formUrl);
  const steps = await finance.locator(".history tbody tr").count();
  assert.equal(steps, 6, "submit, return, submit, approve, approve, publish");
  for (const p of [unit, dept, finance]) assert.deepEqual(p.unexpectedDialogs, []);
  for (const p of [unit, dept, finance]) await p.context().close();
});

test("one's sessions: listed with this device marked; signing out everywhere ends them all", async () => {
  const one = await signIn(browser, server.base, "dept");
  const two = await signIn(browser, server.base, "dept");
  await one.getByRole("link", { name: "登录设备" }).click();
  await one.waitForURL(/\/account\/sessions$/);
  const rows = one.locator("table.list tbody tr");
  assert.ok(await rows.count() >= 2, "both sessions listed");
  assert.equal(await one.locator("table.list .badge", { hasText: "本设备" }).count(), 1);
  await shot(one, "sessions");
  // The second factor's enrolment page: a QR code drawn by the server, the secret as text.
  await one.goto(server.base + "/account/totp");
  assert.equal(await one.locator(".qr svg").count(), 1);
  assert.match(await one.locator("code.secret").textContent(), /^[A-Z2-7]{32}$/);
  await shot(one, "totp");
  await one.goto(server.base + "/account/sessions");
  one.expectDialog(/确认退出所有设备/);
  await one.getByRole("button", { name: "退出所有设备" }).click();
  await one.waitForURL(/\/login\?bye=1$/);
  await two.reload();
  assert.match(two.url(), /\/login/, "the other device is signed out too");
  assert.deepEqual(one.unexpectedDialogs, []);
  await one.context().close();
  await two.context().close();
});
