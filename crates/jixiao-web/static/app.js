// jixiao's own page script: the print button and the form editor. Text from the server or
// the user is only ever set with textContent, never parsed as HTML.
(function () {
  "use strict";

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-action=print]");
    if (t) { window.print(); }
    // Buttons whose action is hard to take back ask first.
    var ask = e.target.closest("button[data-confirm]");
    if (ask && !window.confirm(ask.getAttribute("data-confirm"))) { e.preventDefault(); }
  });

  var root = document.getElementById("editor");
  if (!root) { return; }
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var formId = root.dataset.formId;
  var baseVersion = parseInt(root.dataset.baseVersion, 10);
  var form = JSON.parse(root.dataset.form);
  var comments = root.dataset.comments ? JSON.parse(root.dataset.comments) : {};
  var rows = document.getElementById("indicator-rows");
  var options = document.getElementById("level-options").content;
  var status = document.getElementById("save-status");
  var SEVERITY = { error: "错误", warning: "警告", hint: "提示" };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function api(method, path, body) {
    var init = { method: method, headers: { "x-csrf-token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }

  // Header, funds and goals: each input writes straight into the form object.
  root.querySelectorAll("input[name], textarea[name]").forEach(function (input) {
    input.addEventListener("input", function () {
      var name = input.name, v = input.value;
      if (name.indexOf("funds.") === 0) {
        form.funds[name.slice(6)] = v.trim() === "" ? null : v.trim();
      } else if (name === "year") {
        form.year = parseInt(v, 10) || 0;
      } else if (name === "start_date" || name === "end_date") {
        form[name] = v === "" ? null : v;
      } else {
        form[name] = v;
      }
      schedule();
    });
  });

  function render() {
    rows.textContent = "";
    form.indicators.forEach(function (ind, i) {
      var tr = el("tr");
      tr.id = "ind-" + i;
      var sel = options.cloneNode(true);
      var l1 = sel.querySelector(".l1"), l2 = sel.querySelector(".l2");
      l1.value = ind.level1;
      l2.value = ind.level2 || "";
      // Level 2 offers only the choices under the chosen level 1 (and the value the form has,
      // even if it does not belong, so that nothing is changed behind the user's back).
      function limitLevel2() {
        Array.prototype.forEach.call(l2.options, function (o) {
          var fits = !o.dataset.l1 || o.dataset.l1 === l1.value || o.value === (ind.level2 || "");
          o.hidden = !fits; o.disabled = !fits;
        });
      }
      limitLevel2();
      l1.addEventListener("change", function () {
        ind.level1 = l1.value;
        var sel = l2.options[l2.selectedIndex];
        if (sel && sel.dataset.l1 && sel.dataset.l1 !== l1.value) {
          // The level 2 no longer belongs: the first one that does.
          var first = Array.prototype.find.call(l2.options, function (o) { return o.dataset.l1 === l1.value; });
          l2.value = first ? first.value : ""; ind.level2 = l2.value || null;
        }
        limitLevel2();
        schedule();
      });
      l2.addEventListener("change", function () { ind.level2 = l2.value || null; schedule(); });
      var c1 = el("td"); c1.appendChild(l1);
      var c2 = el("td"); c2.appendChild(l2);
      var name = el("input"); name.value = ind.name; name.setAttribute("aria-label", "三级指标名称（第" + (i + 1) + "行）");
      name.setAttribute("list", "library-names");
      // A long name is shown whole under its box (and on hover), so it is read as filed.
      var full = el("small", undefined, "fullname");
      var showFull = function () {
        name.title = name.value;
        full.textContent = name.value.length > 18 ? name.value : "";
      };
      showFull();
      var hint = el("small", undefined, "lib-hint");
      hint.setAttribute("aria-live", "polite");
      var raw = el("input"); raw.value = ind.raw; raw.className = "raw"; raw.setAttribute("aria-label", "指标值（第" + (i + 1) + "行）");
      var shown = el("td", describe(ind.target), "parsed");
      // A target still being read when the rows were drawn again is read into the new cell.
      if (!ind.target && ind.raw) { parseLater(ind, shown); }
      name.addEventListener("input", function () {
        ind.name = name.value;
        showFull();
        schedule();
        suggest(name.value, ind, function (entry) {
          // A name chosen from the library (or typed exactly) on a row without a target yet:
          // its levels and its usual target. A row already filled in keeps what it has.
          if (raw.value.trim()) { return; }
          l1.value = entry.level1; ind.level1 = entry.level1;
          l2.value = entry.level2 || ""; ind.level2 = entry.level2 || null;
          if (entry.usual) {
            raw.value = entry.usual; ind.raw = entry.usual; ind.target = null;
            parseLater(ind, shown);
          }
          schedule();
        }, hint);
      });
      var c3 = el("td", undefined, "name-cell"); c3.appendChild(name); c3.appendChild(full); c3.appendChild(hint);
      // The reviewer's open comments on this indicator, until an approval settles them.
      (comments[ind.id] || []).forEach(function (c) {
        var p = el("p", "审核意见（" + c[0] + "）：" + c[1], "ind-comment");
        c3.appendChild(p);
      });
      shown.setAttribute("aria-live", "polite");
      raw.addEventListener("input", function () {
        ind.raw = raw.value;
        ind.target = null;
        parseLater(ind, shown);
        schedule();
      });
      var c4 = el("td", undefined, "raw-cell"); c4.appendChild(raw);
      var c6 = el("td", undefined, "row-buttons");
      [["↑", "上移", -1], ["↓", "下移", 1]].forEach(function (b) {
        var btn = el("button", b[0]); btn.type = "button"; btn.setAttribute("aria-label", b[1] + "第" + (i + 1) + "行");
        btn.addEventListener("click", function () { move(i, b[2]); });
        c6.appendChild(btn);
      });
      // A new indicator right below this one, under the same levels.
      var add = el("button", "＋"); add.type = "button"; add.setAttribute("aria-label", "在第" + (i + 1) + "行下添加指标");
      add.title = "在此行下添加同级指标";
      add.addEventListener("click", function () {
        form.indicators.splice(i + 1, 0, { id: null, level1: ind.level1, level2: ind.level2, name: "", raw: "", target: null });
        render(); schedule();
        var next = rows.children[i + 1] && rows.children[i + 1].querySelector("input");
        if (next) { next.focus(); }
      });
      c6.appendChild(add);
      var del = el("button", "删除"); del.type = "button"; del.setAttribute("aria-label", "删除第" + (i + 1) + "行");
      del.addEventListener("click", function () { form.indicators.splice(i, 1); render(); schedule(); });
      c6.appendChild(del);
      [c1, c2, c3, c4, shown, c6].forEach(function (c) { tr.appendChild(c); });
      rows.appendChild(tr);
    });
  }

  function describe(t) {
    if (!t) { return "…"; }
    if (t.kind === "quantitative") {
      var ops = { ">=": "≥", ">": "＞", "=": "=", "<": "＜", "<=": "≤" };
      return "定量：" + (t.subject ? t.subject + " " : "") + ops[t.op] + t.value + t.unit;
    }
    return "定性：" + t.text;
  }

  function move(i, d) {
    var j = i + d;
    if (j < 0 || j >= form.indicators.length) { return; }
    var x = form.indicators[i]; form.indicators[i] = form.indicators[j]; form.indicators[j] = x;
    render(); schedule();
    var btn = rows.children[j] && rows.children[j].querySelector(".row-buttons button");
    if (btn) { btn.focus(); }
  }

  // The indicator library: names containing what is typed, offered in a datalist; the
  // entries behind them fill a row when one is chosen.
  var libraryList = el("datalist"); libraryList.id = "library-names"; root.appendChild(libraryList);
  var libraryEntries = {};
  var libraryTimer = null;
  function range(r) { return r ? (r.min === r.max ? r.min : r.min + "–" + r.max) : null; }
  function entryText(e) {
    var parts = [e.level1 + (e.level2 ? " / " + e.level2 : ""), "填报 " + e.count + " 次"];
    if (e.usual) { parts.push("常用 " + e.usual); }
    if (e.targets) { parts.push("指标值 " + range(e.targets) + e.unit + "（中位 " + e.targets.median + "）"); }
    if (e.actuals) { parts.push("实际 " + range(e.actuals) + e.unit); }
    return parts.join("；");
  }
  function suggest(text, ind, choose, hint) {
    clearTimeout(libraryTimer);
    var q = text.trim();
    if (libraryEntries[q]) { choose(libraryEntries[q]); hint.textContent = "指标库：" + entryText(libraryEntries[q]); return; }
    hint.textContent = "";
    if (!q) { return; }
    libraryTimer = setTimeout(function () {
      api("GET", "/api/library?limit=12&q=" + encodeURIComponent(q)).then(function (r) {
        if (r.status !== 200 || !Array.isArray(r.body)) { return; }
        libraryList.textContent = "";
        r.body.forEach(function (e) {
          if (!libraryEntries[e.name]) { libraryEntries[e.name] = e; }
          var o = el("option"); o.value = e.name; o.label = entryText(e);
          libraryList.appendChild(o);
        });
        if (ind.name.trim() === q && libraryEntries[q]) { choose(libraryEntries[q]); hint.textContent = "指标库：" + entryText(libraryEntries[q]); }
      });
    }, 200);
  }

  // A changed field in the words of the form (the same words as the version comparison).
  var FIELDS = { year: "年度", name: "项目名称", nature: "项目性质", category: "项目类别", department: "主管部门",
    implementer: "实施单位", start_date: "计划开始日期", end_date: "计划完成日期", goal_overall: "项目总目标",
    goal_annual: "年度总体目标", "indicators.order": "指标的顺序", "funds.total": "项目资金总额",
    "funds.fiscal": "财政资金", "funds.other": "其他资金", "funds.annual_total": "年度资金申请总额",
    "funds.annual_appropriation": "当年财政拨款", "funds.annual_carryover": "上年结转资金", "funds.annual_other": "其他资金（年度）" };
  function fieldLabel(f) {
    if (FIELDS[f]) { return FIELDS[f]; }
    var m = /^indicators\[(.*)\](\.(name|level|raw))?$/.exec(f);
    if (m) { return "指标“" + m[1] + "”" + ({ name: "的名称", level: "的级别", raw: "的指标值" }[m[3]] || ""); }
    return f;
  }

  var parseTimers = new WeakMap();
  function parseLater(ind, cell) {
    clearTimeout(parseTimers.get(ind));
    parseTimers.set(ind, setTimeout(function () {
      api("GET", "/api/targets/parse?raw=" + encodeURIComponent(ind.raw)).then(function (r) {
        if (r.status === 200) { ind.target = r.body.target; cell.textContent = describe(r.body.target); }
      });
    }, 150));
  }

  document.getElementById("add-indicator").addEventListener("click", function () {
    var last = form.indicators[form.indicators.length - 1];
    form.indicators.push({ id: null, level1: last ? last.level1 : "产出指标", level2: last ? last.level2 : "数量指标", name: "", raw: "", target: null });
    render();
    var inputs = rows.lastChild.querySelectorAll("input");
    if (inputs.length) { inputs[0].focus(); }
  });

  function payload() {
    return JSON.parse(JSON.stringify(form, function (k, v) { return (k === "target" && v === null) ? undefined : v; }));
  }

  var reviewTimer = null;
  // Unsaved changes: the browser asks before the page is left.
  var dirty = false;
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });

  function schedule() {
    dirty = true;
    clearTimeout(reviewTimer);
    reviewTimer = setTimeout(review, 300);
  }

  function review() {
    api("POST", "/api/review", payload()).then(function (r) {
      var box = document.getElementById("live-findings");
      if (r.status !== 200) { return; }
      var list = r.body.findings;
      var sec = el("section", undefined, "findings");
      sec.appendChild(el("h2", "智能审核（" + list.length + "）"));
      if (!list.length) { sec.appendChild(el("p", "未发现问题。", "ok")); }
      var ul = el("ul");
      list.forEach(function (f) {
        var li = el("li", undefined, "finding " + f.severity);
        li.dataset.code = f.code;
        li.appendChild(el("span", SEVERITY[f.severity], "sev"));
        li.appendChild(document.createTextNode(" " + (f.indicator ? f.indicator + "：" : "") + f.message + " "));
        li.appendChild(el("span", f.code, "code"));
        li.appendChild(el("br"));
        li.appendChild(el("span", "修改建议：" + f.fix, "fix"));
        ul.appendChild(li);
      });
      sec.appendChild(ul);
      box.textContent = "";
      box.appendChild(sec);
    });
  }

  document.getElementById("save").addEventListener("click", function () {
    status.className = "";
    status.textContent = "正在保存…";
    api("PUT", "/api/forms/" + formId, { base_version: baseVersion, form: payload() }).then(function (r) {
      if (r.status === 200) {
        status.textContent = "已保存为第 " + r.body.version + " 版。";
        dirty = false;
        window.location.href = "/forms/" + formId + "?saved=" + r.body.version;
        return;
      }
      status.className = "error";
      var msg = r.body.message || ("保存失败（" + r.status + "）");
      if (r.status === 409 && r.body.detail && r.body.detail.updated_by) {
        var d = r.body.detail;
        var at = Date.parse(d.updated_at);
        // Beijing time (UTC+8), as every page shows it.
        var when = isNaN(at) ? String(d.updated_at) : new Date(at + 8 * 3600 * 1000).toISOString().slice(0, 16).replace("T", " ") + "（北京时间）";
        msg = "保存被拒绝：这张表已被 " + d.updated_by + " 于 " + when +
          " 修改为第 " + d.current_version + " 版，而你的修改基于第 " + d.base_version + " 版。请复制你的修改，刷新页面后再改。";
        if (d.changes && d.changes.length) {
          msg += " 对方改动了：" + d.changes.map(function (c) { return fieldLabel(c.field); }).join("、") + "。";
        }
      }
      status.textContent = msg;
    });
  });

  render();
})();
