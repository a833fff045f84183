#!/usr/bin/env python3
"""Writes the workbook fixtures of fixtures/workbooks/ with writers other than ours
(openpyxl for .xlsx, xlwt for .xls), in the layouts finance offices use:

  seed-one-per-sheet.xlsx   the seed's 8 forms, one per sheet, central 申报表 layout: merged
                            level cells, amounts as floating-point numbers, dates as dates
  seed-one-sheet.xls        the same 8 forms down one sheet, saved as .xls (WPS, older offices)
  split-target-wanyuan.xlsx a form with operator / value / unit columns and amounts in 万元
  self-evaluation.xlsx      a 项目支出绩效自评表 (财预〔2020〕10号) with amounts in 万元, 4 decimals
  moe-three-columns.xlsx    the layout of a ministry's project system: three target columns
                            (总体 / 第一年度 / 第二年度), every 二级指标 owning a merged block of
                            three rows used or not, units inside names, notes beside the table

Input: the seed as jixiao's JSON exchange format on stdin, e.g.
    jixiao --db /tmp/x.db import fixtures/shanghai-bigdata-center-2023.txt
    jixiao --db /tmp/x.db export --format json | python3 scripts/make-workbooks.py
Needs: pip install openpyxl xlwt
(fixtures/workbooks/encrypted.xlsx is split-target-wanyuan.xlsx with the password "jixiao",
made once with msoffcrypto-tool: `msoffcrypto-tool -e -p jixiao in.xlsx out.xlsx`.)
"""
import datetime
import json
import sys

import openpyxl
import xlwt
from openpyxl.styles import Alignment

OUT = "fixtures/workbooks/"


def money(v):
    return None if v is None else float(v)


def form_rows(f):
    """The central layout as rows of (value, merge_right, merge_down) cells."""
    fu = f["funds"]
    d = lambda s: datetime.date.fromisoformat(s) if s else None
    rows = [
        [("财政项目支出绩效目标申报表", 4, 0)],
        [("(%d年度)" % f["year"], 4, 0)],
        [("项目名称", 0, 0), (f["name"], 0, 0), ("项目性质", 0, 0), (f["nature"], 0, 0), ("项目类别", 0, 0), (f["category"], 0, 0)],
        [("主管部门", 0, 0), (f["department"], 0, 0), ("实施单位", 0, 0), (f["implementer"], 0, 0)],
        [("计划开始日期", 0, 0), (d(f["start_date"]), 0, 0), ("计划完成日期", 0, 0), (d(f["end_date"]), 0, 0)],
        [("项目资金（元）", 0, 3), ("项目资金总额", 0, 0), (money(fu["total"]), 0, 0), ("年度资金申请总额", 0, 0), (money(fu["annual_total"]), 0, 0)],
        [None, ("其中：财政资金", 0, 0), (money(fu["fiscal"]), 0, 0), ("其中：当年财政拨款", 0, 0), (money(fu["annual_appropriation"]), 0, 0)],
        [None, None, None, ("上年结转资金", 0, 0), (money(fu["annual_carryover"]), 0, 0)],
        [None, ("其他资金", 0, 0), (money(fu["other"]), 0, 0), ("其他资金", 0, 0), (money(fu["annual_other"]), 0, 0)],
        [("项目绩效目标", 0, 1), ("项目总目标", 1, 0), None, ("年度总体目标", 1, 0)],
        [None, (f["goal_overall"], 1, 0), None, (f["goal_annual"], 1, 0)],
        [("绩效指标", 0, 0), ("一级指标", 0, 0), ("二级指标", 0, 0), ("三级指标", 0, 0), ("年度指标值", 0, 0)],
    ]
    inds = f["indicators"]
    i = 0
    while i < len(inds):
        l1 = inds[i]["level1"]
        j = i
        while j < len(inds) and inds[j]["level1"] == l1:
            j += 1
        k = i
        while k < j:
            l2 = inds[k]["level2"]
            m = k
            while m < j and inds[m]["level2"] == l2:
                m += 1
            for n in range(k, m):
                ind = inds[n]
                row = [None,
                       (l1, 0, j - i - 1) if n == i else None,
                       ((l2 or ""), 0, m - k - 1) if n == k else None,
                       (ind["name"], 0, 0), (ind["raw"], 0, 0)]
                rows.append(row)
            k = m
        i = j
    return rows


def write_xlsx_form(ws, f, top):
    for r, row in enumerate(form_rows(f)):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            value, right, down = cell
            if value is None or value == "":
                continue
            x = ws.cell(row=top + r + 1, column=c + 1, value=value)
            if isinstance(value, str) and value.startswith("="):
                x.data_type = "s"  # a target typed as text (`=100%`), not a formula
            if isinstance(value, datetime.date):
                x.number_format = "yyyy-mm-dd"
            if isinstance(value, float):
                x.number_format = "#,##0.00"
            x.alignment = Alignment(wrap_text=True, vertical="center")
            if right or down:
                ws.merge_cells(start_row=top + r + 1, start_column=c + 1,
                               end_row=top + r + 1 + down, end_column=c + 1 + right)
    return top + len(form_rows(f))


def write_xls_form(ws, f, top):
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    money_style = xlwt.easyxf(num_format_str="#,##0.00")
    for r, row in enumerate(form_rows(f)):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            value, right, down = cell
            if value is None or value == "":
                continue
            style = date_style if isinstance(value, datetime.date) else money_style if isinstance(value, float) else xlwt.Style.default_style
            if right or down:
                ws.write_merge(top + r, top + r + down, c, c + right, value, style)
            else:
                ws.write(top + r, c, value, style)
    return top + len(form_rows(f))


def as_text(ws):
    """Targets typed as text (`=100%`) are text, not formulas."""
    for row in ws.iter_rows():
        for x in row:
            if isinstance(x.value, str) and x.value.startswith("="):
                x.data_type = "s"


def main():
    forms = json.load(sys.stdin)["forms"]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for n, f in enumerate(forms):
        write_xlsx_form(wb.create_sheet("表%d" % (n + 1)), f, 0)
    wb.save(OUT + "seed-one-per-sheet.xlsx")

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("申报表")
    top = 0
    for f in forms:
        top = write_xls_form(ws, f, top) + 2
    book.save(OUT + "seed-one-sheet.xls")

    # Operator, value and unit in columns of their own; amounts in 万元.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    rows = [
        ["项目支出绩效目标表"],
        ["（2024年度）"],
        ["项目名称", "乡村道路养护", "项目类别", "特定目标类"],
        ["主管部门", "某县交通运输局", "实施单位", "某县公路管理站"],
        ["项目资金（万元）", "年度资金总额", 234.5678, "其中：财政拨款", 200.5],
        ["年度总体目标", "2024年养护农村公路120公里。"],
        ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "计量单位", "权重"],
        ["产出指标", "数量指标", "养护里程", "≥", 120, "公里", 20],
        [None, None, "桥梁检测", "≥", 15, "座", 10],
        [None, "质量指标", "路况优良率", "≥", 85, "%", 20],
        [None, "成本指标", "每公里养护成本", "≤", 2, "万元", 10],
        ["效益指标", "社会效益指标", "群众出行条件", "定性", "明显改善", None, 20],
        ["满意度指标", "服务对象满意度指标", "沿线群众满意度", "≥", 90, "%", 10],
    ]
    for r in rows:
        ws.append(r)
    ws.merge_cells("A8:A11")
    ws.merge_cells("B8:B9")
    as_text(ws)
    wb.save(OUT + "split-target-wanyuan.xlsx")

    # A self-evaluation table, amounts in 万元 with four decimals.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    rows = [
        ["项目支出绩效自评表"],
        ["（2023年度）"],
        ["项目名称", "农村饮水安全巩固提升"],
        ["主管部门", "某县水利局", "实施单位", "某县供水站"],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", 38.7665, 38.7665, 29.0749, 10, "75.00%", 7.5],
        ["年度总体目标", "预期目标", None, None, "实际完成情况"],
        [None, "完成12处供水工程维修", None, None, "完成10处供水工程维修"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["产出指标", "数量指标", "维修供水工程", "≥12处", "10处", 25, 21, "2处因汛期延后"],
        [None, "质量指标", "验收合格率", "=100%", "100%", 25, 25, None],
        ["效益指标", "社会效益指标", "饮水安全保障", "有效提升", "良好", 30, 28, None],
        ["满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%", "93%", 10, 10, None],
        ["总分", None, None, None, None, 100, 91.5, "优"],
    ]
    for r in rows:
        ws.append(r)
    as_text(ws)
    wb.save(OUT + "self-evaluation.xlsx")

    moe_three_columns()


def moe_three_columns():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    put = lambda ref, v: ws.__setitem__(ref, v)
    put("A1", "职业教育数字媒体艺术专业教学资源库")
    put("A2", "项目支出绩效目标申报表")
    put("A3", "（2022年度）")
    put("A4", "项目名称"); put("D4", "数字媒体艺术专业教学资源库建设")
    put("A5", "实施单位"); put("D5", "某职业技术学院")
    put("A6", "项目资金（万元）"); put("D6", "年度资金总额"); put("F6", 500.0)
    put("A7", "年度目标"); put("D7", "建成资源库并上线运行，注册用户不少于2万人。")
    put("A8", "一级指标"); put("B8", "二级指标"); put("C8", "三级指标"); put("E8", "指标值")
    put("E9", "总体"); put("G9", "第一年度"); put("H9", "第二年度")
    put("J7", "说明：1.不要修改表结构。")
    put("J8", "2.实施期目标不允许增加行。")
    rows = [
        (10, "产出指标", "数量指标", "用户数（人）", "≥20000", "≥8000", "≥12000"),
        (11, None, None, "颗粒化资源量（个）", "≥6000", "≥3000", "≥3000"),
        (13, None, "质量指标", "活跃资源占比（%）", "≥60%", "≥50%", "≥60%"),
        (16, None, "时效指标", "建设任务完成及时率(%)", "=100%", "=100%", "=100%"),
        (22, "效益指标", "社会效益指标", "社会学习用户数（人）", "≥5000", "≥2000", "≥3000"),
        (25, None, "可持续影响", "资源年更新比例（%）", "≥10%", "≥10%", "≥10%"),
        (34, "满意度指标", "服务对象满意度指标", "在校生使用满意度（%）", "≥85%", "≥85%", "≥85%"),
    ]
    for r, l1, l2, name, total, y1, y2 in rows:
        if l1:
            put("A%d" % r, l1)
        if l2:
            put("B%d" % r, l2)
        put("C%d" % r, name)
        put("E%d" % r, total)
        put("G%d" % r, y1)
        put("H%d" % r, y2)
    for ref in ["A1:H1", "A2:H2", "A3:H3", "A4:C4", "D4:H4", "A5:C5", "D5:H5", "A6:C6", "D6:E6",
                "F6:H6", "A7:C7", "D7:H7", "A8:A9", "B8:B9", "C8:D9", "E8:H8", "E9:F9",
                "A10:A21", "B10:B12", "B13:B15", "B16:B18", "B19:B21", "A22:A33", "B22:B24",
                "B25:B27", "B28:B30", "B31:B33", "A34:A37", "B34:B37"]:
        ws.merge_cells(ref)
    for r in range(10, 38):
        ws.merge_cells("C%d:D%d" % (r, r))
        ws.merge_cells("E%d:F%d" % (r, r))
    as_text(ws)
    wb.save(OUT + "moe-three-columns.xlsx")


if __name__ == "__main__":
    main()
