"""The asset report of the scripted fortnight: every row balances, and the write-offs are split."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from tests.support.factories import staff
from tests.support.library import Library


def _assets(lib: Library, unit: str = "CITY", headers: dict[str, str] | None = None, **params: Any) -> Any:
    return lib.client.get("/api/v1/reports/assets", headers=headers or lib.admin,
                          params={"unit": unit, "year": 2026, **params})


def _rows(answer: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["code"], r["scope"]): r for r in answer["rows"]}


def test_each_unit_starts_adds_disposes_and_ends_and_every_row_balances(story: Library, client: Any) -> None:
    rows = _rows(_assets(story).json())
    td = rows[("DC-TD", "own")]
    assert (td["start"]["copies"], td["added"]["copies"], td["end"]["copies"]) == (0, 2, 2)
    assert (td["added"]["value_fen"], td["end"]["value_fen"]) == (6000, 6000)
    point = rows[("DC-TD-01", "own")]
    assert (point["end"]["copies"], point["end"]["unpriced"]) == (1, 1)
    xd = rows[("XD", "own")]
    assert (xd["added"]["copies"], xd["weeded"]["copies"], xd["lost"]["copies"], xd["end"]["copies"]) == (1, 1, 0, 0)
    assert (rows[("DC", "total")]["end"]["copies"], rows[("CITY", "total")]["end"]["copies"]) == (4, 4)
    assert all(r["balanced"] for r in rows.values())
    # A copy missing from the shelf and then written off counts as lost, not weeded.
    for status in ("missing", "withdrawn"):
        assert client.patch("/api/v1/items/A2", headers=story.admin, json={"status": status}).status_code == 200
    wl = _rows(_assets(story, "DC-WL").json())[("DC-WL", "own")]
    assert (wl["lost"]["copies"], wl["lost"]["value_fen"], wl["weeded"]["copies"], wl["end"]["copies"]) == (1, 3000, 0, 0)
    assert wl["balanced"]
    # The next year starts where this one ended.
    later = _rows(_assets(story, "DC", year=2027).json())[("DC-TD", "own")]
    assert later["start"] == td["end"] and later["balanced"]


def test_the_asset_xlsx_has_a_row_per_unit_and_roll_up(story: Library, client: Any, db: Any) -> None:
    reply = _assets(story, "DC", format="xlsx")
    sheet = load_workbook(io.BytesIO(reply.content))["资产统计"]
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [r[1] for r in rows][:2] == ["含下属", "本馆"] and len(rows) == 6  # DC, DC-TD with their roll-ups
    assert rows[0][-2:] == (4, 90.0)
    librarian = staff(client, db, "librarian", ("DC-TD",))
    assert _assets(story, "DC", librarian).status_code == 403
    assert _assets(story, "DC-TD", librarian).status_code == 200


def test_ils_report_assets_prints_each_row_balanced_and_writes_the_workbook(story: Library, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from ils.cli import app

    result = CliRunner().invoke(app, ["report", "assets", "--unit", "DC", "--year", "2026",
                                      "--xlsx", str(tmp_path / "assets.xlsx")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.output.splitlines()
            if line.count("│") > 3]
    assert [row[0].split()[0] for row in rows] == ["DC", "DC", "DC-TD", "DC-TD", "DC-TD-01", "DC-WL"]
    assert rows[0][1:8] == ["total", "0", "4", "0", "0", "4", "90.00"]  # as the API's DC roll-up
    assert all(row[-1] == "yes" for row in rows)
    assert load_workbook(tmp_path / "assets.xlsx")["资产统计"].max_row > 2
