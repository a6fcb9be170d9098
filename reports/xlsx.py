"""The annual report as a workbook laid out like the official table, for printing and filing.

One sheet for the roll-up, then one per unit; each has the title, the unit, the year and the
report's state in its head, the table's sections with 指标 / 计量单位 / 数值 columns, blank lines
marked 未填报 in colour, A4 portrait fitted to one page wide with the table's head repeated on
every page. The roll-up sheet ends with a native Excel bar chart of loans by unit, drawn from
the numbers in the workbook itself (a small table under the main one), so Excel, WPS and
LibreOffice redraw it from the data rather than from a picture.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter

from reports.annual import LINES, SECTIONS, Report, Sheet
from reports.assets import AssetReport
from reports.evaluation import Evaluation
from reports.figures import FIGURES

STATE_NAMES = {"draft": "草稿", "submitted": "已报送", "reopened": "已退回修改"}
SCOPE_NAMES = {"total": "（含下属分馆、服务点）", "own": "（本馆）"}
MONEY = {"holdings_value"}  # figures kept in fen
SHEET_NAME_CHARS = 31  # Excel's limit


def _sheet_name(sheet: Sheet, used: set[str]) -> str:
    base = f"{sheet.unit}{'汇总' if sheet.scope == 'total' and sheet.level != 'service_point' else ''}"
    for bad in "[]:*?/\\":
        base = base.replace(bad, "_")
    name, n = base[:SHEET_NAME_CHARS], 2
    while name in used:
        suffix = f"~{n}"
        name, n = base[:SHEET_NAME_CHARS - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _a4(book: Any, name: str, *, landscape: bool) -> Any:
    """A sheet printed on A4, one page wide however many rows."""
    ws = book.add_worksheet(name)
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    return ws


def _display(code: str, value: Any) -> Any:
    line = LINES[code]
    if value is None:
        return None
    if code in MONEY or (line.source == "field" and line.unit_zh == "元"):
        return round(int(value) / 100, 2)  # fen to yuan
    if isinstance(value, str):
        return float(Decimal(value))
    return value


def workbook(report: Report) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"title": f"{report.name}{report.year}年度服务统计年报", "company": report.name})
    title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2", "align": "center"})
    section = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    text = book.add_format({"border": 1})
    number = book.add_format({"border": 1, "num_format": "#,##0"})
    decimal = book.add_format({"border": 1, "num_format": "#,##0.00##"})
    blank = book.add_format({"border": 1, "bg_color": "#FCE4D6", "font_color": "#9C0006"})
    note = book.add_format({"italic": True, "font_color": "#595959"})
    used: set[str] = set()
    for index, sheet in enumerate(report.sheets):
        ws = _a4(book, _sheet_name(sheet, used), landscape=False)
        ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.set_column(0, 0, 44)
        ws.set_column(1, 1, 12)
        ws.set_column(2, 2, 18)
        ws.merge_range(0, 0, 0, 2, f"{report.year}年度公共图书馆服务统计年报", title)
        ws.write(1, 0, f"填报单位：{sheet.name}{SCOPE_NAMES[sheet.scope]}（{sheet.unit}）")
        ws.write(1, 2, f"状态：{STATE_NAMES.get(report.state, report.state)}")
        if report.submitted_at is not None and report.state == "submitted":
            ws.write(2, 0, f"报送：{report.submitted_by}，{report.submitted_at.isoformat(timespec='minutes')}")
        ws.write_row(3, 0, ["指标", "计量单位", "数值"], head)
        ws.repeat_rows(3)
        row = 4
        for part in SECTIONS:
            ws.merge_range(row, 0, row, 2, part.zh, section)
            row += 1
            for line in part.lines:
                value = _display(line.code, sheet.values.get(line.code))
                ws.write(row, 0, line.zh, text)
                ws.write(row, 1, "元" if line.code in MONEY else line.unit_zh, text)
                if value is None:
                    ws.write(row, 2, "未填报" if line.source == "field" else "无法计算", blank)
                elif isinstance(value, float) and not value.is_integer():
                    ws.write_number(row, 2, value, decimal)
                else:
                    ws.write_number(row, 2, value, number)
                row += 1
        ws.write(row + 1, 0, "外借册次不含续借；续借册次另列。数值为空处标“未填报”或“无法计算”（如未设服务人口）。", note)
        if index == 0 and len(report.sheets) > 1:
            _chart(book, ws, report, row + 3)
    book.close()
    return out.getvalue()


def _chart(book: Any, ws: Any, report: Report, row: int) -> None:
    """Loans by unit (each unit on its own), from a small table written under the main one."""
    with_own = {s.unit for s in report.sheets if s.scope == "own"}
    units = [s for s in report.sheets if s.scope == "own" or s.unit not in with_own]
    if not units:
        return
    ws.write_row(row, 0, ["单位", "外借册次"])
    for i, sheet in enumerate(units, start=1):
        ws.write(row + i, 0, sheet.name)
        ws.write_number(row + i, 1, int(sheet.values.get("loans") or 0))
    chart = book.add_chart({"type": "bar"})
    name = ws.get_name()
    chart.add_series({"name": "外借册次", "categories": [name, row + 1, 0, row + len(units), 0],
                      "values": [name, row + 1, 1, row + len(units), 1]})
    chart.set_title({"name": f"{report.year}年各馆外借册次"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 620, "height": max(240, 22 * len(units))})
    ws.insert_chart(row, 3, chart)


def csv_rows(report: Report) -> list[list[Any]]:
    """The same table flat: one row per sheet and line (for a spreadsheet or a script)."""
    rows: list[list[Any]] = [["unit", "scope", "section", "code", "指标", "计量单位", "value"]]
    for sheet in report.sheets:
        for part in SECTIONS:
            for line in part.lines:
                value = _display(line.code, sheet.values.get(line.code))
                rows.append([sheet.unit, sheet.scope, part.zh, line.code, line.zh,
                             "元" if line.code in MONEY else line.unit_zh, "" if value is None else value])
    return rows


STATUS_NAMES = {"met": "达标", "near": "接近", "missed": "未达标", "none": "无法计算"}
STATUS_COLOURS = {"met": "#C6EFCE", "near": "#FFEB9C", "missed": "#FFC7CE", "none": "#EDEDED"}


def evaluation_workbook(found: Evaluation) -> bytes:
    """One sheet: a row per unit (ranked), per indicator the figure coloured by its status and the target."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = _a4(book, "绩效考核", landscape=True)
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"})
    text = book.add_format({"border": 1})
    status = {s: book.add_format({"border": 1, "bg_color": c, "num_format": "0.00##"}) for s, c in STATUS_COLOURS.items()}
    indicators = list(found.targets)
    ws.merge_range(0, 0, 0, 3 + 2 * len(indicators), f"{found.name}{found.year}年度分馆、服务点绩效考核",
                   book.add_format({"bold": True, "font_size": 14, "align": "center"}))
    ws.write_row(1, 0, ["排名", "单位", "代码", "达标项"], head)
    for i, code in enumerate(indicators):
        ws.write(1, 4 + 2 * i, FIGURES[code].name_zh, head)
        ws.write(1, 5 + 2 * i, "目标", head)
    ws.repeat_rows(1)
    ws.set_column(1, 1, 28)
    for row, unit in enumerate(found.units, start=2):
        ws.write_row(row, 0, [unit.rank, unit.name, unit.code, f"{unit.met}/{unit.judged}"], text)
        judged = {j.indicator: j for j in unit.judgements}
        for i, code in enumerate(indicators):
            j = judged.get(code)
            if j is None:
                continue
            if j.value is None:
                ws.write(row, 4 + 2 * i, STATUS_NAMES["none"], status["none"])
            else:
                ws.write_number(row, 4 + 2 * i, j.value, status[j.status])
            ws.write_number(row, 5 + 2 * i, j.target, text)
    book.close()
    return out.getvalue()


def assets_workbook(report: AssetReport) -> bytes:
    """One sheet: per unit (roll-ups first), copies and value (元) at the start, added, weeded,
    written off after a loss, and at the end."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = _a4(book, "资产统计", landscape=True)
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2", "align": "center", "text_wrap": True})
    text = book.add_format({"border": 1})
    bold = book.add_format({"border": 1, "bold": True})
    count = book.add_format({"border": 1, "num_format": "#,##0"})
    money = book.add_format({"border": 1, "num_format": "#,##0.00"})
    parts = (("start", "年初藏量"), ("added", "本年新增"), ("weeded", "剔旧注销"), ("lost", "丢失注销"), ("end", "年末藏量"))
    ws.merge_range(0, 0, 0, 1 + 2 * len(parts), f"{report.name}{report.year}年度文献资产统计",
                   book.add_format({"bold": True, "font_size": 14, "align": "center"}))
    ws.write_row(1, 0, ["单位", "范围"], head)
    for i, (_, label) in enumerate(parts):
        ws.write(1, 2 + 2 * i, f"{label}（册）", head)
        ws.write(1, 3 + 2 * i, f"{label}（元）", head)
    ws.repeat_rows(1)
    ws.set_column(0, 0, 30)
    for row, r in enumerate(report.rows, start=2):
        ws.write(row, 0, "　" * r.depth + r.name, bold if r.scope == "total" else text)
        ws.write(row, 1, "含下属" if r.scope == "total" else "本馆", text)
        for i, (part, _) in enumerate(parts):
            stock = getattr(r, part)
            ws.write_number(row, 2 + 2 * i, stock.copies, count)
            ws.write_number(row, 3 + 2 * i, stock.value_fen / 100, money)
    book.close()
    return out.getvalue()
