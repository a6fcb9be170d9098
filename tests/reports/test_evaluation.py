"""The evaluation (绩效考核) of the scripted fortnight's system against the county's targets."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from tests.support.factories import staff
from tests.support.library import Library


def _evaluation(lib: Library, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return lib.client.get("/api/v1/reports/evaluation", headers=headers or lib.admin,
                          params={"system": "DC", "year": 2026, **params})


def _units(answer: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    return {u["code"]: {j["indicator"]: j for j in u["judgements"]} for u in answer["units"]}


def test_every_unit_is_judged_on_its_roll_up_against_the_default_targets(story: Library) -> None:
    answer = _evaluation(story).json()
    units = _units(answer)
    td, point, dc = units["DC-TD"], units["DC-TD-01"], units["DC"]
    assert (td["holdings_per_capita"]["value"], td["holdings_per_capita"]["status"]) == (0.075, "missed")
    assert (td["added_per_capita"]["value"], td["added_per_capita"]["status"]) == (0.075, "met")
    assert td["circulation_rate"]["status"] == "met"
    assert (td["opening_hours"]["value"], td["opening_hours"]["target"], td["opening_hours"]["status"]) == (
        42.0, 48, "missed")
    assert (dc["opening_hours"]["target"], point["opening_hours"]["target"]) == (57, 40)
    assert point["opening_hours"]["status"] == "met"
    assert point["holdings_per_capita"]["status"] == "none"  # no population: not judged, not missed
    assert (td["visits_per_capita"]["value"], td["visits_per_capita"]["status"]) == (1.05, "met")
    assert units["DC-WL"]["visits_per_capita"]["status"] == "none"  # no visits entered: not judged
    assert (dc["outreach_activities"]["value"], dc["outreach_activities"]["status"]) == (1.0, "missed")
    assert "outreach_activities" not in td  # a 总馆's indicator only
    # DC-TD 3 of 5 met; DC 3 of 6, DC-WL 2 of 4 and the point 1 of 2 tie on the share, then by the count.
    assert [u["code"] for u in answer["units"]] == ["DC-TD", "DC", "DC-WL", "DC-TD-01"]
    assert [u["rank"] for u in answer["units"]] == [1, 2, 3, 4]
    assert td["added_per_capita"]["trend"] == [[2022, 0.0], [2023, 0.0], [2024, 0.0], [2025, 0.0], [2026, 0.075]]


def test_a_systems_own_targets_change_the_judgement_and_near_is_within_ten_percent(story: Library, client: Any,
                                                                               db: Any) -> None:
    manager = staff(client, db, "manager")
    for indicator, target in (("opening_hours", 40), ("holdings_per_capita", 0.08)):
        reply = client.put("/api/v1/reports/targets", headers=manager,
                           json={"system": "DC", "indicator": indicator, "level": "branch", "target": target})
        assert reply.status_code == 200, reply.text
    answer = _evaluation(story).json()
    td = _units(answer)["DC-TD"]
    assert td["opening_hours"]["status"] == "met" and td["holdings_per_capita"]["status"] == "near"
    assert answer["units"][0]["code"] == "DC-TD" and answer["targets"]["opening_hours"]["branch"] == 40
    bad = client.put("/api/v1/reports/targets", headers=manager,
                     json={"system": "DC", "indicator": "nonsense", "level": "branch", "target": 1})
    assert bad.status_code == 422 and bad.json()["error"] == "INDICATOR_UNKNOWN"


def test_the_evaluation_is_for_a_system_its_staff_may_read(story: Library, client: Any, db: Any) -> None:
    assert _evaluation(story, system="DC-TD").json()["error"] == "SYSTEM_REQUIRED"
    # A branch librarian sees their own units, ranked among the whole system; another system's
    # librarian nothing of this one.
    librarian = staff(client, db, "librarian", ("DC-TD",))
    mine = _evaluation(story, librarian).json()
    assert [(u["code"], u["rank"]) for u in mine["units"]] == [("DC-TD", 1), ("DC-TD-01", 4)]  # with its point
    assert _evaluation(story, staff(client, db, "librarian", ("XD",))).status_code == 403
    assert client.put("/api/v1/reports/targets", headers=librarian, json={
        "system": "DC", "indicator": "opening_hours", "level": "branch", "target": 1}).status_code == 403


def test_the_evaluation_xlsx_ranks_the_units_with_their_figures(story: Library) -> None:
    reply = _evaluation(story, format="xlsx")
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.content))["绩效考核"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[2] for r in rows] == ["DC-TD", "DC", "DC-WL", "DC-TD-01"]
    assert rows[1][3] == "3/6"


def test_ils_report_evaluation_ranks_the_units_and_writes_the_workbook(story: Library, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from ils.cli import app

    result = CliRunner().invoke(app, ["report", "evaluation", "--system", "DC", "--year", "2026",
                                      "--xlsx", str(tmp_path / "eval.xlsx")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    ranked = [line.split("│")[2].split()[0] for line in result.output.splitlines() if line.count("│") > 3]
    assert ranked == ["DC-TD", "DC", "DC-WL", "DC-TD-01"]  # as the API ranks them
    assert load_workbook(tmp_path / "eval.xlsx").sheetnames
    branch = CliRunner().invoke(app, ["report", "evaluation", "--system", "DC-TD", "--year", "2026"])
    assert branch.exit_code != 0 and getattr(branch.exception, "code", None) == "SYSTEM_REQUIRED"
