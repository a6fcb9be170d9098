"""统计填报: the pages where librarians and managers enter what the system cannot measure.

- ``/stats/visits``: upload a gate counter's CSV and read its report (every bad row with its
  line and reason), enter a day's visits by hand at the desk (a village point has no counter),
  and the unit's days with what each was counted from;
- ``/stats/activities``: the activities held at or organised by a unit in a period, and the form
  that records one; ``/stats/activities/{id}`` corrects or deletes one;
- ``/stats/annual-fields``: the fields of the national annual table for a unit and year, with
  who entered each and when, money in yuan (kept as fen).

The pages call the same use cases as the API (``reports.entries``, ``activities``), which check
the gate's ``stats.enter`` or ``stats.read`` for every unit: a librarian gets the same refusal
page for another unit's figures as every other page gives. The unit lists offer only the units
the login serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from activities import service as activities
from activities.models import AUDIENCES
from activities.schemas import ActivityCreate, ActivityUpdate
from ils import upload
from ils.auth import gate
from ils.config import get_settings
from ils.errors import DomainError, InvalidInput
from ils.events import local_day
from ils.http import Now, ReadSession, WriteSession
from ils.network.snapshot import UnitInfo, network, unit_by_code
from ils.validation import Id
from ils.web.confirm import Confirm, ask, confirmed
from ils.web.pages import View, check_csrf, page, redirect, render
from reports.entries import annual, visits
from reports.entries.api import too_large
from reports.entries.fields import FIELDS, GROUPS, Field

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]
Reading = Annotated[View, page("stats.read", "staff")]
Entering = Annotated[View, page("stats.enter", "staff")]
UnitParam = Annotated[str | None, Query(max_length=32)]
# Dates as text: an empty field of a GET form (from=) is "not given", not a malformed date.
DayParam = Annotated[str | None, Query(max_length=10)]
AREA = "stats"


# ---- the units a login works for ----------------------------------------------------------------

@dataclass(frozen=True)
class UnitOption:
    code: str
    name: str
    depth: int


def unit_options(session: Session, view: View) -> list[UnitOption]:
    """The units the login serves, in the order of the tree (a parent, then the units below it),
    indented from the highest of them."""
    assert view.principal is not None
    snapshot = network(session)
    mine = gate.own_unit_ids(session, view.principal)
    children: dict[int | None, list[UnitInfo]] = {}
    for unit in snapshot.units.values():
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[UnitInfo, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u.code):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    shown = [(u, d) for u, d in ordered if mine is None or u.id in mine]
    top = min((d for _, d in shown), default=0)
    return [UnitOption(u.code, u.name, d - top) for u, d in shown]


def _chosen(view: View, options: list[UnitOption], asked: str | None) -> str:
    """The unit asked for, else the desk's, else the first the login serves."""
    if asked:
        return asked
    codes = [o.code for o in options]
    if view.unit in codes:
        return view.unit  # type: ignore[return-value]
    return codes[0] if codes else ""


def _day(text: str | None, field: str = "date") -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("VALIDATION_FAILED", f"{field}: {text!r} is not a date (2026-11-23)") from None


def when(moment: datetime) -> str:
    """A time as the pages show it: in the network's timezone, to the minute."""
    return moment.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M")


def show(view: View, template: str, status: int = 200, **context: Any) -> Response:
    return render(view, template, status=status, area=AREA, when=when, **context)


class FormProblem(InvalidInput):
    """A form field the page could not read, said in the visitor's words already."""


def _refused(view: View, session: Session, exc: DomainError) -> None:
    session.rollback()
    view.error(exc, heading=exc.detail if isinstance(exc, FormProblem) else None)


# ---- visits -------------------------------------------------------------------------------------

def _visits_page(view: View, session: Session, now: datetime, unit: str | None, start: str | None, end: str | None,
                 *, status: int = 200, report: visits.ImportResult | None = None,
                 form: dict[str, Any] | None = None) -> Response:
    options = unit_options(session, view)
    code = _chosen(view, options, unit)
    found_unit, first, last, days = visits.days(session, code, _day(start, "from"), _day(end, "to"), view.principal,
                                                now)  # type: ignore[arg-type]
    today = local_day(now)
    return show(view, "entries/visits.html", status=status, page_name="visits", units=options,
                  unit=found_unit, first=first, last=last, days=days, total=sum(d.visits for d in days),
                  report=report, today=today,
                  form=form or {"unit": found_unit.code, "date": today.isoformat(), "in_count": "", "out_count": "",
                                "note": ""})


@router.get("/stats/visits", response_class=HTMLResponse)
def visits_page(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None,
                from_: Annotated[str | None, Query(alias="from", max_length=10)] = None, to: DayParam = None,
                saved: DayParam = None, cleared: DayParam = None) -> Response:
    if saved:
        view.flash.append(("ok", view.t("entries.visits.saved", day=_day(saved))))
    if cleared:
        view.flash.append(("ok", view.t("entries.visits.cleared", day=_day(cleared))))
    return _visits_page(view, session, now, unit, from_, to)


@upload.post(router, "/stats/visits/import", too_large, response_class=HTMLResponse, include_in_schema=False)
def import_page(view: Entering, session: WriteSession, now: Now, file: Annotated[UploadFile, File()],
                csrf: Csrf = "") -> Response:
    """The gate counter file uploaded from the page; the answer is the visits page with the
    import's report (its counts and every bad row by line)."""
    check_csrf(view, csrf)
    assert view.principal is not None
    try:
        result = visits.import_visits(session, file.file.read(), file.filename or "upload.csv", view.principal, now)
    except DomainError as exc:
        _refused(view, session, exc)
        return _visits_page(view, session, now, None, None, None, status=exc.http_status)
    unit = result.units[0] if len(result.units) == 1 else None
    start = result.first_day.isoformat() if result.first_day else None
    end = result.last_day.isoformat() if result.last_day else None
    if result.first_day and result.last_day and (result.last_day - result.first_day).days >= visits.MAX_PERIOD_DAYS:
        start = None
    return _visits_page(view, session, now, unit, start, end, report=result)


@router.post("/stats/visits", response_class=HTMLResponse)
def enter_visits(view: Entering, session: WriteSession, now: Now, unit: Annotated[str, Form(max_length=32)],
                 day: Annotated[str, Form(alias="date", max_length=10)],
                 in_count: Annotated[str, Form(max_length=12)],
                 out_count: Annotated[str, Form(max_length=12)] = "",
                 note: Annotated[str, Form(max_length=500)] = "", csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    form = {"unit": unit, "date": day, "in_count": in_count, "out_count": out_count, "note": note}
    try:
        chosen = _day(day)
        if chosen is None:
            raise InvalidInput("VALIDATION_FAILED", "the day is missing")
        counts = [_count(view, in_count, "entries.visits.in_count"),
                  _count(view, out_count, "entries.visits.out_count") if out_count.strip() else None]
        if counts[0] is None:
            raise FormProblem("VALIDATION_FAILED", view.t("entries.visits.in_missing"))
        visits.enter_day(session, unit, chosen, counts[0], counts[1], note, view.principal, now)
    except DomainError as exc:
        _refused(view, session, exc)
        return _visits_page(view, session, now, unit, None, None, status=exc.http_status, form=form)
    return redirect("/stats/visits?" + urlencode({"unit": unit, "saved": chosen.isoformat()}))


def _count(view: View, text: str, label: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not text.isascii() or int(text) > 2**31 - 1:
        raise FormProblem("VALIDATION_FAILED", view.t("entries.not_a_count", field=view.t(label), value=text))
    return int(text)


@router.post("/stats/visits/clear", response_class=HTMLResponse)
def clear_visits(view: Entering, session: WriteSession, now: Now, unit: Annotated[str, Form(max_length=32)],
                 day: Annotated[str, Form(alias="date", max_length=10)], confirm: Confirm = "",
                 csrf: Csrf = "") -> Response:
    """Remove a day's manual entry (the counter's figure counts again); asks first."""
    check_csrf(view, csrf)
    assert view.principal is not None
    chosen = _day(day)
    if chosen is None:
        raise InvalidInput("VALIDATION_FAILED", "the day is missing")
    back = "/stats/visits?" + urlencode({"unit": unit})
    if not confirmed(confirm):
        return ask(view, area=AREA, action="/stats/visits/clear", fields={"unit": unit, "date": chosen.isoformat()},
                   question=view.t("entries.visits.clear_confirm", unit=unit, day=chosen), back=back)
    visits.clear_day(session, unit, chosen, view.principal, now)
    return redirect("/stats/visits?" + urlencode({"unit": unit, "cleared": chosen.isoformat()}))


# ---- activities ---------------------------------------------------------------------------------

def _audiences(view: View) -> list[tuple[str, str]]:
    return [(code, zh if view.locale == "zh-CN" else en) for code, (zh, en) in AUDIENCES.items()]


def _types(view: View, session: Session, current: str | None = None) -> list[tuple[str, str]]:
    return [(t.code, t.name_zh if view.locale == "zh-CN" else t.name_en) for t in activities.list_types(session)
            if t.active or t.code == current]


def _activity_form(unit: str, today: date) -> dict[str, Any]:
    return {"type": "lecture", "title": "", "unit": unit, "organiser": unit, "held_on": today.isoformat(),
            "attendance": "", "audience": "all", "note": ""}


def _activities_page(view: View, session: Session, now: datetime, unit: str | None, start: str | None,
                     end: str | None, *, status: int = 200, form: dict[str, Any] | None = None) -> Response:
    assert view.principal is not None
    options = unit_options(session, view)
    code = _chosen(view, options, unit)
    first = _day(start, "from")
    last = _day(end, "to")
    if first is None and last is None:
        last = local_day(now)
        first = date(last.year, 1, 1)
    rows, total, attendance = activities.find(session, view.principal, [code], first, last)
    names = {u.code: u.name for u in network(session).units.values()}
    return show(view, "entries/activities.html", status=status, page_name="activities", units=options,
                  unit=unit_by_code(session, code), first=first, last=last, total=total, attendance=attendance,
                  activities=[activities.read(session, a) for a in rows], names=names, types=_types(view, session),
                  type_names={t.code: (t.name_zh if view.locale == "zh-CN" else t.name_en)
                              for t in activities.list_types(session)},
                  audiences=_audiences(view), audience_names=dict(_audiences(view)),
                  form=form or _activity_form(code, local_day(now)))


@router.get("/stats/activities", response_class=HTMLResponse)
def activities_page(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None,
                    from_: Annotated[str | None, Query(alias="from", max_length=10)] = None, to: DayParam = None,
                    done: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    if done in ("added", "changed", "deleted"):  # never echo free text from a link into the page
        view.flash.append(("ok", view.t(f"entries.activities.{done}")))
    return _activities_page(view, session, now, unit, from_, to)


def _activity_fields(title: str, unit: str, organiser: str, held_on: str, attendance: str, audience: str,
                     note: str, type_: str) -> dict[str, Any]:
    return {"type": type_, "title": title, "unit": unit, "organiser": organiser or unit, "held_on": held_on,
            "attendance": attendance, "audience": audience, "note": note}


def _invalid(view: View, exc: ValidationError) -> FormProblem:
    fields = ", ".join(view.t(f"entries.activities.{e['loc'][-1]}") if view.t.has(f"entries.activities.{e['loc'][-1]}")
                       else str(e["loc"][-1]) for e in exc.errors())
    return FormProblem("VALIDATION_FAILED", view.t("entries.invalid", fields=fields))


ActivityForm = Annotated[str, Form(max_length=1000)]


@router.post("/stats/activities", response_class=HTMLResponse)
def add_activity(view: Entering, session: WriteSession, now: Now, title: ActivityForm, unit: ActivityForm,
                 held_on: ActivityForm, attendance: ActivityForm, type_: Annotated[str, Form(alias="type",
                                                                                           max_length=32)],
                 organiser: ActivityForm = "", audience: ActivityForm = "all", note: ActivityForm = "",
                 csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    form = _activity_fields(title, unit, organiser, held_on, attendance, audience, note, type_)
    try:
        try:
            data = ActivityCreate(type=type_, title=title.strip(), unit=unit, organiser=organiser or None,
                                  held_on=held_on, attendance=attendance, audience=audience,  # type: ignore[arg-type]
                                  note=note or None)
        except ValidationError as exc:
            raise _invalid(view, exc) from None
        activities.create(session, data, view.principal, now)
    except DomainError as exc:
        _refused(view, session, exc)
        return _activities_page(view, session, now, unit, None, None, status=exc.http_status, form=form)
    return redirect("/stats/activities?" + urlencode({"unit": unit, "done": "added"}))


def _activity_page(view: View, session: Session, activity_id: int, *, status: int = 200,
                   form: dict[str, Any] | None = None) -> Response:
    assert view.principal is not None
    found = activities.read(session, activities.get(session, activity_id, view.principal))
    return show(view, "entries/activity.html", status=status, page_name="activities",
                  units=unit_options(session, view), activity=found, types=_types(view, session, found.type),
                  audiences=_audiences(view),
                  form=form or {"type": found.type, "title": found.title, "unit": found.unit,
                                "organiser": found.organiser, "held_on": found.held_on.isoformat(),
                                "attendance": str(found.attendance), "audience": found.audience,
                                "note": found.note or ""})


@router.get("/stats/activities/{activity_id}", response_class=HTMLResponse)
def activity_page(activity_id: Id, view: Reading, session: ReadSession) -> Response:
    return _activity_page(view, session, activity_id)


@router.post("/stats/activities/{activity_id}", response_class=HTMLResponse)
def change_activity(activity_id: Id, view: Entering, session: WriteSession, now: Now, title: ActivityForm,
                    unit: ActivityForm, held_on: ActivityForm, attendance: ActivityForm,
                    type_: Annotated[str, Form(alias="type", max_length=32)], organiser: ActivityForm = "",
                    audience: ActivityForm = "all", note: ActivityForm = "", csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    form = _activity_fields(title, unit, organiser, held_on, attendance, audience, note, type_)
    try:
        try:
            data = ActivityUpdate(type=type_, title=title.strip(), unit=unit, organiser=organiser or unit,
                                  held_on=held_on, attendance=attendance, audience=audience,  # type: ignore[arg-type]
                                  note=note or None)
        except ValidationError as exc:
            raise _invalid(view, exc) from None
        changed = activities.update(session, activity_id, data, view.principal, now)
    except DomainError as exc:
        _refused(view, session, exc)
        return _activity_page(view, session, activity_id, status=exc.http_status, form=form)
    return redirect("/stats/activities?" + urlencode({"unit": unit_by_code(session, form["unit"]).code,
                                                      "from": changed.held_on.isoformat(),
                                                      "to": changed.held_on.isoformat(), "done": "changed"}))


@router.post("/stats/activities/{activity_id}/delete", response_class=HTMLResponse)
def delete_activity(activity_id: Id, view: Entering, session: WriteSession, now: Now, confirm: Confirm = "",
                    csrf: Csrf = "") -> Response:
    """Delete an activity entered by mistake (within 30 days of its entry); asks first."""
    check_csrf(view, csrf)
    assert view.principal is not None
    if not confirmed(confirm):
        found = activities.read(session, activities.get(session, activity_id, view.principal))
        return ask(view, area=AREA, action=f"/stats/activities/{activity_id}/delete",
                   question=view.t("entries.activities.delete_confirm", title=found.title, day=found.held_on),
                   back=f"/stats/activities/{activity_id}")
    try:
        gone = activities.delete(session, activity_id, view.principal, now)
    except DomainError as exc:
        _refused(view, session, exc)
        return _activity_page(view, session, activity_id, status=exc.http_status)
    return redirect("/stats/activities?" + urlencode({"unit": gone["unit"], "done": "deleted"}))


# ---- the annual fields --------------------------------------------------------------------------

def _shown(field: Field, value: int | Decimal | None) -> str:
    """A value as the form shows it: money in yuan with two decimals, decimals with their places."""
    if value is None:
        return ""
    if field.kind == "money":
        return f"{Decimal(value).scaleb(-2):.2f}"
    return str(value)


def _parsed(view: View, field: Field, text: str) -> int | Decimal | None:
    """What the form sent for a field, as the use case takes it (yuan become fen)."""
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number.adjusted() > 18:
        raise FormProblem("ANNUAL_FIELD_INVALID", view.t("entries.not_a_number", field=_label(view, field),
                                                          value=text))
    if field.kind == "money":
        fen = number.scaleb(2)
        if fen != fen.to_integral_value():
            raise FormProblem("ANNUAL_FIELD_INVALID", view.t("entries.annual.money_places", field=_label(view, field)))
        return int(fen)
    if field.kind == "int":
        if number != number.to_integral_value():
            raise FormProblem("ANNUAL_FIELD_INVALID", view.t("entries.annual.whole", field=_label(view, field)))
        return int(number)
    return number


def _label(view: View, field: Field) -> str:
    return field.zh if view.locale == "zh-CN" else field.en


def _annual_page(view: View, session: Session, now: datetime, unit: str | None, year: int | None, *,
                 status: int = 200, sent: dict[str, str] | None = None) -> Response:
    assert view.principal is not None
    options = unit_options(session, view)
    code = _chosen(view, options, unit)
    this_year = local_day(now).year
    year = year or this_year - 1  # the annual report is filled in for the year just ended
    found, entered = annual.read(session, code, year, view.principal, now)
    previous = annual.previous_values(session, found, year)
    groups = []
    for group, (zh, en) in GROUPS.items():
        rows = []
        for field in (f for f in FIELDS.values() if f.group == group):
            value = entered.get(field.code)
            before = previous.get(field.code)
            rows.append({
                "field": field, "label": _label(view, field), "name": f"f_{field.code}",
                "unit": field.unit_zh if view.locale == "zh-CN" else
                ("yuan" if field.kind == "money" else field.unit_en),
                "value": sent.get(field.code, "") if sent is not None else
                _shown(field, value.value if value else None),
                "entered": value,
                "previous": None if before is None else _shown(field, Decimal(before) if field.kind == "decimal"
                                                               else int(before)),
                "step": "0.01" if field.kind == "money" else ("1" if field.kind == "int"
                                                                else str(Decimal(1).scaleb(-field.scale))),
            })
        groups.append({"code": group, "name": zh if view.locale == "zh-CN" else en, "rows": rows})
    return show(view, "entries/annual.html", status=status, page_name="annual", units=options,
                  unit=found, year=year, years=list(range(this_year, this_year - 6, -1)), groups=groups,
                  blanks=sum(1 for f in FIELDS if f not in entered))


@router.get("/stats/annual-fields", response_class=HTMLResponse)
def annual_page(view: Reading, session: ReadSession, now: Now, unit: UnitParam = None,
                year: Annotated[int | None, Query(ge=1, le=9999)] = None, saved: int | None = None) -> Response:
    if saved is not None:
        view.flash.append(("ok", view.t("entries.annual.saved", count=saved)))
    return _annual_page(view, session, now, unit, year)


async def annual_form(request: Request) -> dict[str, str]:
    """The annual form's fields (f_<code>), read from the form the request carries (Starlette
    parsed it already for the other parameters)."""
    form = await request.form()
    return {name[2:]: value for name, value in form.items()
            if name.startswith("f_") and name[2:] in FIELDS and isinstance(value, str)}


@router.post("/stats/annual-fields", response_class=HTMLResponse)
def save_annual(view: Entering, session: WriteSession, now: Now, sent: Annotated[dict[str, str], Depends(annual_form)],
                unit: Annotated[str, Form(max_length=32)], year: Annotated[int, Form(ge=1, le=9999)],
                csrf: Csrf = "") -> Response:
    """Every field of the form is sent: an empty one blanks the field, and fields whose value did
    not change keep who entered them."""
    check_csrf(view, csrf)
    assert view.principal is not None
    try:
        for text in sent.values():
            if len(text) > 30:
                raise FormProblem("ANNUAL_FIELD_INVALID", view.t("entries.not_a_number", field="", value=text[:30]))
        _, before = annual.read(session, unit, year, view.principal, now)
        values = {code: _parsed(view, FIELDS[code], text) for code, text in sent.items()}
        # Only what differs from what is kept: an unchanged field keeps who entered it.
        changes = {code: value for code, value in values.items()
                   if (before[code].value if code in before else None) != value}
        annual.enter(session, unit, year, changes, view.principal, now)
    except DomainError as exc:
        _refused(view, session, exc)
        return _annual_page(view, session, now, unit, year, status=exc.http_status, sent=sent)
    return redirect("/stats/annual-fields?" + urlencode({"unit": unit, "year": year, "saved": len(changes)}))
