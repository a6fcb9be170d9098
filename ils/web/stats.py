"""统计: the statistics pages for managers and librarians, with their charts.

- ``/stats``: the overview of a unit (with every unit below it) for a period, credited by a chosen
  attribution: the headline figures, each with its definition written out beside it (a manager
  defends these numbers at an evaluation, and a screen reader must reach the definition too), a
  bar chart of the units right below and a line chart of the year's months, each chart with its
  numbers as a table.
- ``/stats/units``: every unit below the chosen one, indented by depth, with its own figures and
  its roll-up, every figure a column; sorted by following a column's link (no JavaScript), and
  ``/stats/units.csv``, the same table for Excel.
- ``/stats/charts/units.svg`` and ``/stats/charts/months.svg``: the charts.

The numbers are those of ``reports.service.figures`` (the API's ``GET /api/v1/reports/figures``)
and ``reports.views.monthly``, which check the gate's ``stats.read`` for the unit: a librarian
asking for a unit outside theirs gets the refusal page every other page gives.

Why pygal for the charts: they are drawn on the server as SVG, so a county intranet with no
internet needs nothing but the app (no CDN, no JavaScript bundle to serve and keep up to date),
the pages keep their strict Content-Security-Policy (no script runs on them), the chart is the
same in every browser and prints sharp, and it is a plain dependency from PyPI, kept up since
2012. The SVG is its own document, fetched by an ``<img>``: pygal writes its styles inline in a
``<style>`` element, so that one answer carries a policy that allows inline styles and nothing
else (no script, no fetch); pygal's tooltip script is turned off and its config script removed.
Apache ECharts, which Chinese dashboards use, would have meant serving ~1 MB of JavaScript and
drawing in the browser for charts that do not need to move.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pygal
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pygal.style import Style
from sqlalchemy.orm import Session

from ils.auth import gate
from ils.errors import InvalidInput
from ils.events import local_day
from ils.http import Now, ReadSession
from ils.network.snapshot import UnitInfo, network, unit_by_code
from ils.web.pages import View, page, render
from reports import service, views
from reports.figures import ATTRIBUTION_NAMES, ATTRIBUTIONS, FIGURES, Attribution, Figure

router = APIRouter(include_in_schema=False)
Reading = Annotated[View, page("stats.read", "staff")]

UnitParam = Annotated[str | None, Query(max_length=32)]
PeriodParam = Annotated[str | None, Query(max_length=10)]
# Dates as text: an empty field of the form (from=) is "not given", not a malformed date.
FromParam = Annotated[str | None, Query(alias="from", max_length=10)]
DayParam = Annotated[str | None, Query(max_length=10)]
ByParam = Annotated[Literal["happened", "owner", "home"], Query()]
FigureParam = Annotated[str, Query(max_length=32)]
SortParam = Annotated[str | None, Query(max_length=32)]
OrderParam = Annotated[Literal["asc", "desc"] | None, Query()]
ElderParam = Annotated[int, Query(ge=0, le=1)]

# The overview's figures, in the order a manager reads them.
HEADLINE = ("loans", "renewals", "returns", "returns_away", "borrowing_readers", "active_readers",
            "holds_placed", "holds_filled", "holdings", "holdings_added", "visits", "activities",
            "activity_attendance", "loans_per_capita", "holdings_per_capita", "added_per_capita",
            "visits_per_capita", "circulation_rate")

SVG = "image/svg+xml"
# The chart is a document of its own: its inline <style> is all it may use.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


# ---- what the visitor chose ---------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    unit: UnitInfo
    period: service.Period
    by: Attribution

    @property
    def period_params(self) -> dict[str, str]:
        if ".." in self.period.label:
            return {"from": self.period.first_day.isoformat(), "to": self.period.last_day.isoformat()}
        return {"period": self.period.label}

    def query(self, **extra: str | int | None) -> str:
        params: dict[str, Any] = {"unit": self.unit.code, **self.period_params, "by": self.by}
        params.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(params)


@dataclass(frozen=True)
class UnitOption:
    code: str
    name: str
    depth: int


def readable_units(session: Session, view: View) -> list[UnitOption]:
    """The units the login may read statistics of, in the order of the tree (a parent, then the
    units below it), indented from the highest of them."""
    assert view.principal is not None
    snapshot = network(session)
    mine = gate.own_unit_ids(session, view.principal)
    ordered: list[tuple[UnitInfo, int]] = []
    for root in sorted((u for u in snapshot.units.values() if u.parent_id is None), key=lambda u: u.code):
        depth = {root.id: 0}
        for unit in service.subtree(snapshot, root):
            if unit.parent_id is not None:
                depth[unit.id] = depth[unit.parent_id] + 1
            ordered.append((unit, depth[unit.id]))
    shown = [(u, d) for u, d in ordered if mine is None or u.id in mine]
    top = min((d for _, d in shown), default=0)
    return [UnitOption(u.code, u.name, d - top) for u, d in shown]


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("PERIOD_INVALID", f"{text!r} is not a date (2026-07-15)") from None


def choose(session: Session, view: View, units: list[UnitOption], unit: str | None, period: str | None,
           start: str | None, end: str | None, by: str, today: date) -> Choice:
    """The unit (by default the highest the login may read: a librarian's own unit, a manager's
    whole network), the period (from–to when both are filled, else the period field; by default
    this year) and the attribution."""
    code = unit or (units[0].code if units else "")
    chosen = unit_by_code(session, code)
    first, last = _day(start), _day(end)
    if first is not None or last is not None:
        window = service.parse_period(None, first, last, today)
    else:
        window = service.parse_period(period.strip() if period and period.strip() else str(today.year),
                                      None, None, today)
    return Choice(chosen, window, by)  # type: ignore[arg-type]


# ---- showing numbers ----------------------------------------------------------------------------

def name_of(view: View, figure: Figure) -> str:
    return figure.name_zh if view.locale == "zh-CN" else figure.name_en


def unit_of(view: View, figure: Figure) -> str:
    if view.locale == "zh-CN":
        return figure.unit_zh
    return "yuan" if figure.kind == "money" else figure.unit_en


def definition_of(view: View, figure: Figure) -> str:
    return figure.definition_zh if view.locale == "zh-CN" else figure.definition_en


def _decimals(value: float, least: int) -> str:
    text = f"{value:.4f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(least, '0')}" if least or fraction else whole


def show(figure: Figure, value: int | float | None) -> str:
    """A figure's value as the page shows it: counts with separators, money in yuan (the service
    counts fen), ratios to four decimals at most; an empty string where there is none."""
    if value is None:
        return ""
    if figure.kind == "money":
        return f"{value / 100:,.2f}"
    if figure.kind == "count":
        return f"{int(value):,}"
    return _decimals(float(value), 2 if figure.kind == "ratio" else 1)


def plain(figure: Figure, value: int | float | None) -> str:
    """The value in a CSV cell: no separators, money in yuan, empty where not computable."""
    if value is None:
        return ""
    if figure.kind == "money":
        return f"{value / 100:.2f}"
    return str(value)


def why_missing(view: View, figure: Figure) -> str:
    """Why a figure has no value, in words (a ratio whose denominator is missing or zero, or an
    average with nothing to average)."""
    if figure.denominator == "population":
        return view.t("stats.missing.population")
    if figure.denominator:
        return view.t("stats.missing.zero", figure=name_of(view, FIGURES[figure.denominator]))
    return view.t("stats.missing.none")


@dataclass
class Headline:
    code: str
    name: str
    value: str
    unit: str
    definition: str
    how: str | None
    counted_by: str
    missing: str | None


def headlines(view: View, report: service.FiguresReport) -> list[Headline]:
    found = []
    for code in HEADLINE:
        figure = FIGURES[code]
        value = report.total.get(code)
        found.append(Headline(code, name_of(view, figure), show(figure, value), unit_of(view, figure),
                              definition_of(view, figure), figure.how if view.locale != "zh-CN" else None,
                              by_name(view, report.counted_by[code]),
                              why_missing(view, figure) if value is None else None))
    return found


def by_name(view: View, by: str) -> str:
    zh, en = ATTRIBUTION_NAMES[by]  # type: ignore[index]
    return zh if view.locale == "zh-CN" else en


# ---- the units below: bars and the table ---------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    code: str
    label: str
    value: int | float | None


def bars(view: View, report: service.FiguresReport, figure_code: str) -> list[Bar]:
    """One bar per unit right below the chosen one (its roll-up), after the chosen unit's own
    share when the figure adds up, so that the bars make the total; the unit itself when nothing
    lies below it."""
    root = report.rows[0]
    figure = FIGURES[figure_code]
    if not root.has_children:
        return [Bar(root.code, root.name, root.total.get(figure_code))]
    found = []
    if figure.additive:
        found.append(Bar(root.code, view.t("stats.own_of", unit=root.name), root.own.get(figure_code)))
    found += [Bar(r.code, r.name, r.total.get(figure_code)) for r in report.rows if r.depth == 1]
    return found


@dataclass
class TableRow:
    code: str
    name: str
    level: str
    parent: str | None
    depth: int
    scope: Literal["total", "own", "only"]  # only: a unit with nothing below, own and roll-up alike
    population: int | None
    values: dict[str, int | float | None] = field(default_factory=dict)


def table_rows(report: service.FiguresReport, sort: str | None, descending: bool) -> list[TableRow]:
    """Every unit as in the tree: its roll-up row, its own row, then the units below it. Sorted
    by a figure, the units below each parent are ordered by their roll-up's value (units
    without one last), so the table stays a tree whose branches can be compared."""
    children: dict[str | None, list[service.UnitRow]] = {}
    for row in report.rows[1:]:
        children.setdefault(row.parent, []).append(row)

    def key(row: service.UnitRow) -> tuple[int, float]:
        value = row.total.get(sort or "")
        if value is None:
            return (1, 0.0)
        return (0, -float(value) if descending else float(value))

    found: list[TableRow] = []

    def visit(row: service.UnitRow) -> None:
        common = (row.code, row.name, row.level, row.parent, row.depth)
        if row.has_children:
            found.append(TableRow(*common, "total", row.total_population, row.total))
            found.append(TableRow(*common, "own", row.population, row.own))
        else:
            found.append(TableRow(*common, "only", row.total_population, row.total))
        below = children.get(row.code, [])
        for child in (sorted(below, key=key) if sort in FIGURES else below):
            visit(child)

    visit(report.rows[0])
    return found


# ---- charts ---------------------------------------------------------------------------------------

FONTS = 'system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif'
# The site's accent, warning and success colours: each at least 4.5:1 on white.
COLOURS = ("#0b5cad", "#a4330b", "#1b6e2a", "#6b3fa0")


def _style(elder: bool, stroke: int = 1) -> Style:
    big = 1.6 if elder else 1.0
    guides = "#000000" if elder else "#999999"
    return Style(
        background="#ffffff", plot_background="#ffffff", value_background="#ffffff",
        foreground="#000000" if elder else "#1a1a1a", foreground_strong="#000000",
        foreground_subtle="#000000" if elder else "#555555",
        font_family=FONTS, colors=COLOURS, opacity="1", opacity_hover="1", stroke_opacity="1",
        stroke_opacity_hover="1", stroke_width=str(stroke), stroke_width_hover=str(stroke), transition="0s",
        label_font_size=int(14 * big), major_label_font_size=int(14 * big), value_font_size=int(14 * big),
        value_label_font_size=int(14 * big), title_font_size=int(18 * big), legend_font_size=int(15 * big),
        tooltip_font_size=int(14 * big), no_data_font_size=int(24 * big),
        guide_stroke_color=guides, major_guide_stroke_color=guides,
    )


SVG_NS = "{http://www.w3.org/2000/svg}"


def _no_scripts(root: Any) -> Any:
    # pygal writes a <script> with its config for its tooltip script, which is not loaded here.
    for script in list(root.iter(f"{SVG_NS}script", "script")):
        script.getparent().remove(script)
    return root


def _values_after_bars(root: Any) -> Any:
    # A value printed at the end of its bar starts there, rather than straddling it.
    for text in root.iter(f"{SVG_NS}text", "text"):
        if "value" in (text.get("class") or "").split():
            text.set("text-anchor", "start")
    return root


def _chart(kind: type, title: str, no_data: str, elder: bool, width: int, height: int, stroke: int = 1,
           **config: Any) -> Any:
    chart = kind(js=[], style=_style(elder, stroke), title=title, width=width, height=height, explicit_size=True,
                 no_data_text=no_data, truncate_label=-1, truncate_legend=-1, disable_xml_declaration=False,
                 **{"margin": 16, **config})
    chart.add_xml_filter(_no_scripts)
    return chart


def _wide_margin(labels: Iterable[str], size: int) -> int:
    """What pygal's estimate of a label's width (0.6 of the type size a character) lacks for
    Chinese, whose characters are a full em wide: the margin it would otherwise cut them at."""
    wide = max((sum(1 for c in label if ord(c) > 0x2e7f) for label in labels), default=0)
    return 16 + int(wide * 0.45 * size)


def integer_ticks(values: Iterable[int | float | None]) -> list[int]:
    """Whole-number ticks for a count's axis (pygal would mark 0.2, 0.4 … on a scale of 2):
    at most eleven, a step of 1, 2 or 5 times a power of ten."""
    top = max((float(v) for v in values if v is not None), default=0.0)
    if top <= 0:
        return [0, 1]
    step = 1
    while top / step > 10:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def bar_chart(title: str, figure: Figure, items: list[Bar], no_data: str, elder: bool) -> bytes:
    per_bar = 64 if elder else 40
    # pygal draws the first label at the bottom of a horizontal chart: reversed, the bars read
    # top to bottom in the table's order.
    labels = [b.label for b in reversed(items)]
    values = [b.value for b in reversed(items)]
    size = _style(elder).label_font_size
    config: dict[str, Any] = {"y_labels": integer_ticks(values)} if figure.kind == "count" else {}
    chart = _chart(pygal.HorizontalBar, title, no_data, elder, width=960,
                   height=120 + per_bar * max(len(items), 1) + (60 if elder else 0),
                   show_legend=False, print_values=True, print_zeroes=True, print_values_position="top",
                   value_formatter=lambda v: show(figure, v), margin_left=_wide_margin(labels, size), **config)
    chart.add_xml_filter(_values_after_bars)
    chart.x_labels = labels
    if any(v is not None for v in values):
        chart.add(title, values)
    return chart.render()


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[int | None]]], no_data: str,
               elder: bool) -> bytes:
    chart = _chart(pygal.Line, title, no_data, elder, width=960, height=560 if elder else 420,
                   stroke=5 if elder else 3, legend_at_bottom=True, legend_at_bottom_columns=3, show_dots=True,
                   dots_size=6 if elder else 4, allow_interruptions=True, include_x_axis=True, print_values=False,
                   value_formatter=lambda v: f"{int(v):,}",
                   y_labels=integer_ticks(v for _, values in series for v in values))
    chart.x_labels = labels
    dashes = ("", "10,5", "3,4")
    for (name, values), dash in zip(series, dashes):
        # A dash of its own for each line: told apart without colour too.
        chart.add(name, values, stroke_style={"dasharray": dash or "none"})
    return chart.render()


def svg_response(body: bytes) -> Response:
    return Response(body, media_type=SVG, headers={"Content-Security-Policy": SVG_POLICY,
                                                   "Cache-Control": "private, no-cache"})


def month_labels(view: View, year: int) -> list[str]:
    return [view.t("stats.month", year=year, month=m) for m in range(1, 13)]


# ---- the pages ------------------------------------------------------------------------------------

def _context(view: View, page_name: str, units: list[UnitOption], choice: Choice | None,
             today: date) -> dict[str, Any]:
    year = today.year
    quarter = (today.month - 1) // 3 + 1
    quick = [("stats.period.this_year", str(year)), ("stats.period.last_year", str(year - 1)),
             ("stats.period.this_quarter", f"{year}-Q{quarter}"),
             ("stats.period.this_month", f"{year}-{today.month:02d}"), ("stats.period.today", today.isoformat())]
    return {"area": "stats", "page_name": page_name, "units": units, "choice": choice, "quick": quick,
            "attributions": ATTRIBUTIONS, "by_name": lambda by: by_name(view, by), "show_value": show}


def _refused_period(view: View, page_name: str, units: list[UnitOption], exc: InvalidInput, today: date,
                    **context: Any) -> Response:
    """The form again, saying what is wrong with the period, with what was typed."""
    view.error(exc)
    return render(view, f"stats/{page_name}.html", status=exc.http_status, report=None, **context,
                  **_context(view, page_name, units, None, today))


def _typed(unit: str | None, period: str | None, start: str | None, end: str | None, by: str) -> dict[str, str]:
    return {"unit": unit or "", "period": period or "", "from": start or "", "to": end or "", "by": by}


@router.get("/stats", response_class=HTMLResponse)
def overview(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None, period: PeriodParam = None,
             from_: FromParam = None, to: DayParam = None,
             by: ByParam = "happened") -> Response:
    assert view.principal is not None
    today = local_day(now)
    units = readable_units(session, view)
    try:
        choice = choose(session, view, units, unit, period, from_, to, by, today)
    except InvalidInput as exc:
        return _refused_period(view, "overview", units, exc, today, form=_typed(unit, period, from_, to, by))
    report = service.figures(session, view.principal, choice.unit.code, choice.period, choice.by, now)
    year = choice.period.last_day.year
    months = views.monthly(session, view.principal, choice.unit.code, year, choice.by, today)
    extra = _chart_extra(view)
    return render(view, "stats/overview.html", report=report, headlines=headlines(view, report),
                  bars=bars(view, report, "loans"), loans=FIGURES["loans"],
                  bars_query=choice.query(figure="loans", **extra), year=year, months=months,
                  month_names=month_labels(view, year),
                  months_query=urlencode({"unit": choice.unit.code, "year": year, "by": choice.by,
                                          **{k: v for k, v in extra.items() if v is not None}}),
                  monthly=[(c, name_of(view, FIGURES[c])) for c in views.MONTHLY],
                  form=_form(choice), **_context(view, "overview", units, choice, today))


def _form(choice: Choice) -> dict[str, str]:
    params = choice.period_params
    return {"unit": choice.unit.code, "period": params.get("period", ""), "from": params.get("from", ""),
            "to": params.get("to", ""), "by": choice.by}


def _chart_extra(view: View) -> dict[str, str | int | None]:
    # The chart is fetched as its own request: it is told the page's language and 长者模式, and
    # its address differs with them, so a browser's cached chart never shows the other mode.
    return {"lang": view.locale, "elder": 1 if view.elder else None}


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    unit: str
    figure: Figure


def columns(view: View) -> list[Column]:
    return [Column(f.code, name_of(view, f), unit_of(view, f), f) for f in FIGURES.values()]


def _sorting(sort: str | None, order: str | None) -> tuple[str | None, bool]:
    if sort is not None and sort not in FIGURES:
        raise InvalidInput("SORT_INVALID", f"cannot sort by {sort!r}: name a figure")
    return sort, order != "asc"


@router.get("/stats/units", response_class=HTMLResponse)
def units_page(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None, period: PeriodParam = None,
               from_: FromParam = None, to: DayParam = None,
               by: ByParam = "happened", sort: SortParam = None,
               order: OrderParam = None) -> Response:
    assert view.principal is not None
    today = local_day(now)
    units = readable_units(session, view)
    sort_by, descending = _sorting(sort, order)
    try:
        choice = choose(session, view, units, unit, period, from_, to, by, today)
    except InvalidInput as exc:
        return _refused_period(view, "units", units, exc, today, form=_typed(unit, period, from_, to, by),
                               sort=sort_by, descending=descending)
    report = service.figures(session, view.principal, choice.unit.code, choice.period, choice.by, now)
    chart_figure = sort_by or "loans"
    cols = columns(view)
    return render(view, "stats/units.html", report=report, rows=table_rows(report, sort_by, descending),
                  columns=cols, sort=sort_by, descending=descending,
                  bars=bars(view, report, chart_figure), chart_figure=FIGURES[chart_figure],
                  chart_name=name_of(view, FIGURES[chart_figure]),
                  bars_query=choice.query(figure=chart_figure, **_chart_extra(view)), form=_form(choice),
                  definitions=[(c, definition_of(view, c.figure)) for c in cols],
                  **_context(view, "units", units, choice, today))


def csv_rows(view: View, report: service.FiguresReport, rows: Iterable[TableRow]) -> list[list[str]]:
    """The units table as CSV rows: a header, then a row per unit and scope."""
    cols = columns(view)
    t = view.t
    header = [t("stats.csv.code"), t("stats.csv.name"), t("stats.csv.level"), t("stats.csv.parent"),
              t("stats.csv.scope"), t("stats.csv.population"), t("stats.csv.period"), t("stats.csv.by")]
    header += [f"{c.name}（{c.unit}）" if view.locale == "zh-CN" else f"{c.name} ({c.unit})" for c in cols]
    found = [header]
    for row in rows:
        found.append([row.code, row.name, t(f"stats.level.{row.level}"), row.parent or "",
                      t(f"stats.scope.{row.scope}"), "" if row.population is None else str(row.population),
                      report.period.label, by_name(view, report.by)]
                     + [plain(c.figure, row.values.get(c.code)) for c in cols])
    return found


@router.get("/stats/units.csv")
def units_csv(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None, period: PeriodParam = None,
              from_: FromParam = None, to: DayParam = None,
              by: ByParam = "happened", sort: SortParam = None,
              order: OrderParam = None) -> Response:
    """The units table as CSV, UTF-8 with a byte-order mark: Excel opens it in Chinese only then."""
    assert view.principal is not None
    today = local_day(now)
    sort_by, descending = _sorting(sort, order)
    choice = choose(session, view, readable_units(session, view), unit, period, from_, to, by, today)
    report = service.figures(session, view.principal, choice.unit.code, choice.period, choice.by, now)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_rows(view, report, table_rows(report, sort_by, descending)))
    name = f"stats-{report.unit}-{report.period.label.replace('..', '_')}-{report.by}.csv"
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/stats/charts/units.svg")
def units_chart(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None, period: PeriodParam = None,
                from_: FromParam = None, to: DayParam = None,
                by: ByParam = "happened", figure: FigureParam = "loans",
                elder: ElderParam = 0) -> Response:
    """Bars of one figure for each unit right below the chosen one (as on the pages' tables)."""
    assert view.principal is not None
    if figure not in FIGURES:
        raise InvalidInput("FIGURE_UNKNOWN", f"no figure {figure!r}")
    today = local_day(now)
    choice = choose(session, view, readable_units(session, view), unit, period, from_, to, by, today)
    report = service.figures(session, view.principal, choice.unit.code, choice.period, choice.by, now)
    chosen = FIGURES[figure]
    title = view.t("stats.chart.units_title", figure=name_of(view, chosen), unit=choice.unit.name,
                   period=report.period.label, by=by_name(view, report.counted_by[figure]))
    return svg_response(bar_chart(title, chosen, bars(view, report, figure), view.t("stats.chart.no_data"),
                                  view.elder or elder == 1))


@router.get("/stats/charts/months.svg")
def months_chart(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None,
                 year: Annotated[int | None, Query(ge=1900, le=2200)] = None, by: ByParam = "happened",
                 elder: ElderParam = 0) -> Response:
    """Loans, returns and borrowing visits of each month of a year (lines; months to come left out)."""
    assert view.principal is not None
    today = local_day(now)
    units = readable_units(session, view)
    code = unit or (units[0].code if units else "")
    chosen_year = year or today.year
    months = views.monthly(session, view.principal, code, chosen_year, by, today)
    series = [(name_of(view, FIGURES[c]), [m.values[c] if m.values is not None else None for m in months.months])
              for c in views.MONTHLY]
    title = view.t("stats.chart.months_title", year=chosen_year, unit=unit_by_code(session, code).name,
                   by=by_name(view, months.by))
    return svg_response(line_chart(title, month_labels(view, chosen_year), series, view.t("stats.chart.no_data"),
                                   view.elder or elder == 1))
