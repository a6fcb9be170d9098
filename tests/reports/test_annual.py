"""The annual service report: computed lines, blanks, submitting freezes it, reopening, XLSX and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.support.factories import staff
from tests.support.library import Library


def _annual(lib: Library, unit: str = "DC", headers: dict[str, str] | None = None, **params: Any) -> Any:
    return lib.client.get("/api/v1/reports/annual", headers=headers or lib.admin,
                          params={"unit": unit, "year": 2026, **params})


def _sheets(answer: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["unit"], s["scope"]): s["values"] for s in answer["sheets"]}


def test_a_draft_report_computes_what_it_can_and_flags_what_must_be_entered(story: Library) -> None:
    answer = _annual(story).json()
    assert answer["state"] == "draft"
    sheets = _sheets(answer)
    assert list(sheets)[:3] == [("DC", "total"), ("DC", "own"), ("DC-TD", "total")]
    total = sheets[("DC", "total")]
    assert (total["loans"], total["renewals"], total["returns_away"], total["holdings"]) == (4, 1, 3, 4)
    assert total["population"] == 100 and total["loans_per_capita"] == 0.04
    assert sheets[("DC-TD-01", "total")]["loans_per_capita"] is None
    assert total["staff_established"] is None  # nobody entered it
    assert "staff_established" in answer["blanks"]["DC:total"]
    codes = [line["code"] for section in answer["sections"] for line in section["lines"]]
    assert "loans" in codes and "income_fiscal" in codes


def test_submitting_freezes_the_report_and_later_changes_show_as_differences(story: Library, client: Any,
                                                                           db: Any) -> None:
    refused = client.post("/api/v1/reports/annual/submit", headers=story.admin, json={"unit": "DC", "year": 2026})
    assert refused.status_code == 409 and refused.json()["error"] == "ANNUAL_REPORT_INCOMPLETE"
    assert "staff_established" in refused.json()["blanks"]["DC:total"]
    manager = staff(client, db, "manager")
    submitted = client.post("/api/v1/reports/annual/submit", headers=manager,
                            json={"unit": "DC", "year": 2026, "accept_blanks": True})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "submitted" and submitted.json()["submitted_by"] == "staff:manager-all"
    # A loan after the report went in: the report keeps 4, the live figure is 5.
    assert story.checkout("R003", "A2", "DC-TD").status_code == 201
    kept = _annual(story).json()
    assert _sheets(kept)[("DC", "total")]["loans"] == 4
    assert {"unit": "DC", "scope": "total", "line": "loans", "submitted": 4, "live": 5} in kept["differences"]
    again = client.post("/api/v1/reports/annual/submit", headers=manager,
                        json={"unit": "DC", "year": 2026, "accept_blanks": True})
    assert again.status_code == 409 and again.json()["error"] == "ANNUAL_REPORT_TRANSITION_INVALID"
    no_reason = client.post("/api/v1/reports/annual/reopen", headers=manager, json={"unit": "DC", "year": 2026,
                                                                                   "reason": " "})
    assert no_reason.status_code == 422
    reopened = client.post("/api/v1/reports/annual/reopen", headers=manager,
                           json={"unit": "DC", "year": 2026, "reason": "补录一笔借阅"})
    assert reopened.status_code == 200 and reopened.json()["state"] == "reopened"
    assert _sheets(reopened.json())[("DC", "total")]["loans"] == 5 and reopened.json()["differences"] == []


def test_only_a_units_own_staff_submit_its_report(story: Library, client: Any, db: Any) -> None:
    librarian = staff(client, db, "librarian", ("DC-TD",))
    body = {"unit": "DC", "year": 2026, "accept_blanks": True}
    refused = client.post("/api/v1/reports/annual/submit", headers=librarian, json=body)
    assert refused.status_code == 403 and refused.json()["error"] == "UNIT_OUT_OF_SCOPE"
    mine = client.post("/api/v1/reports/annual/submit", headers=librarian, json={**body, "unit": "DC-TD"})
    assert mine.status_code == 200
    cataloguer = staff(client, db, "cataloguer")
    assert client.post("/api/v1/reports/annual/submit", headers=cataloguer, json=body).status_code == 403
    assert _annual(story, "DC", librarian).status_code == 403


def test_the_xlsx_has_a_sheet_per_unit_with_the_json_figures_and_a_chart(story: Library) -> None:
    answer = _annual(story).json()
    reply = _annual(story, format="xlsx")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(reply.content))
    assert book.sheetnames[0] == "DC汇总" and "DC-TD-01" in book.sheetnames
    sheet = book["DC汇总"]
    cells = {row[0]: row[2] for row in sheet.iter_rows(min_row=5, max_col=3, values_only=True) if row[0]}
    total = _sheets(answer)[("DC", "total")]
    assert cells["书刊文献外借册次"] == total["loans"] == 4
    assert cells["续借册次"] == total["renewals"]
    assert cells["馆藏价值"] == total["holdings_value"] / 100 == 90.0
    assert cells["在编人员"] == "未填报"
    assert len(sheet._charts) == 1
    assert sheet.print_options is not None and sheet.page_setup.paperSize in (9, "9")


def test_the_csv_has_one_row_per_sheet_and_line(story: Library) -> None:
    reply = _annual(story, format="csv")
    assert reply.status_code == 200 and reply.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(reply.text.removeprefix("\ufeff"))))
    loans = {(r["unit"], r["scope"]): r["value"] for r in rows if r["code"] == "loans"}
    assert loans[("DC", "total")] == "4" and loans[("DC-WL", "total")] == "1"


@pytest.mark.parametrize("params, status", [({"year": 1800}, 422), ({"format": "pdf"}, 422)])
def test_bad_years_and_formats_are_refused(story: Library, params: dict[str, Any], status: int) -> None:
    assert _annual(story, **params).status_code == status


def test_ils_report_annual_writes_the_workbook_and_the_csv(story: Library, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from ils.cli import app

    result = CliRunner().invoke(app, ["report", "annual", "--unit", "DC", "--year", "2026",
                                      "--xlsx", str(tmp_path / "dc.xlsx"), "--csv", str(tmp_path / "dc.csv")])
    assert result.exit_code == 0, result.output
    assert "draft" in result.output
    book = load_workbook(tmp_path / "dc.xlsx")
    assert book.sheetnames[0] == "DC汇总"
    assert (tmp_path / "dc.csv").read_text(encoding="utf-8-sig").startswith("unit,scope,section")
    unknown = CliRunner().invoke(app, ["report", "annual", "--unit", "NOPE", "--year", "2026"])
    assert unknown.exit_code != 0
