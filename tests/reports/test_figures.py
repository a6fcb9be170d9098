"""The figures of a scripted fortnight, each computed by hand (issue 12, proof).

The story, at 17:00 local time each day (the test clock's T0 is 2026-11-23 09:00 UTC):
  d0 (11-23)  R1 (home DC-TD) borrows A1 (owned by DC-TD) and B1 (owned by DC-TD-01, no price)
              at DC-TD; R2 (home DC-WL) borrows A2 (owned by DC-WL) at DC-TD; R2 places a hold
              on B1's title for pickup at DC-WL.
  d1          R1 renews A1 at DC-TD; R2 returns A2 at DC-WL; R1 returns B1 at DC-TD-01, where it
              is trapped for R2's hold and sent to DC-WL.
  d2          R1 returns A1 at DC-WL; it is sent home to DC-TD.
  d3          B1 arrives at DC-WL (2 days on the road) and R2 borrows it there.
  d4          C1 of the other system (XD) is withdrawn; a new copy D1 joins DC-TD.
  d5          A1 arrives home at DC-TD (3 days on the road).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import staff
from tests.support.library import Library, library

def _figures(lib: Library, headers: dict[str, str] | None = None, **params: str) -> Any:
    return lib.client.get("/api/v1/reports/figures", headers=headers or lib.admin, params=params)


def _rows(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in answer["units"]}


def test_figures_by_the_unit_where_it_happened_match_the_hand_count(story: Library) -> None:
    answer = _figures(story, unit="DC", period="2026-11").json()
    rows = _rows(answer)
    assert [r["code"] for r in answer["units"]] == ["DC", "DC-TD", "DC-TD-01", "DC-WL"]
    td, point, wl = rows["DC-TD"]["own"], rows["DC-TD-01"]["own"], rows["DC-WL"]["own"]
    assert (td["loans"], wl["loans"], point["loans"]) == (3, 1, 0)
    assert (td["renewals"], td["loans_with_renewals"]) == (1, 4)
    assert (wl["returns"], point["returns"], td["returns"]) == (2, 1, 0)
    assert (wl["returns_away"], point["returns_away"]) == (2, 1)
    assert (td["borrowing_readers"], wl["borrowing_readers"]) == (2, 1)  # R1 borrowed twice on d0: one visit
    assert (td["active_readers"], wl["active_readers"]) == (2, 1)
    assert (wl["holds_placed"], wl["holds_filled"]) == (1, 1)
    assert (point["transits_sent"], wl["transits_sent"], td["transits_sent"]) == (1, 1, 0)
    assert (wl["transit_days"], td["transit_days"]) == (2.0, 3.0)
    assert (td["cards_issued"], wl["cards_issued"], td["valid_cards"]) == (1, 1, 1)
    assert (td["holdings"], point["holdings"], wl["holdings"]) == (2, 1, 1)  # D1 joined on d4
    assert (td["holdings_value"], point["holdings_value"], point["holdings_unpriced"]) == (6000, 0, 1)
    assert td["opening_hours"] == 42.0
    assert (td["visits"], wl["visits"]) == (42, None)  # 30 + 5 + 7, the second import replacing the first
    assert (wl["activities"], wl["activity_attendance"], rows["DC"]["own"]["outreach_activities"]) == (1, 40, 1)
    total = answer["total"]
    assert total == rows["DC"]["total"]
    assert (total["loans"], total["renewals"], total["returns"], total["returns_away"]) == (4, 1, 3, 3)
    assert total["borrowing_readers"] == 3
    assert total["active_readers"] == 2  # R1 and R2, once each however many units they borrowed at
    assert rows["DC-TD"]["total"]["active_readers"] == 2
    assert total["transit_days"] == 2.5
    assert (total["holdings"], total["holdings_added"], total["holdings_value"]) == (4, 4, 9000)
    assert (total["visits"], total["activities"], total["activity_attendance"]) == (42, 2, 65)
    assert rows["DC-WL"]["total"]["visits"] is None  # nothing entered: no figure, not 0


def test_loans_can_be_credited_to_the_copys_owner_or_the_readers_home_unit(story: Library) -> None:
    owner = _rows(_figures(story, unit="DC", period="2026-11", by="owner").json())
    assert [owner[c]["own"]["loans"] for c in ("DC-TD", "DC-TD-01", "DC-WL")] == [1, 2, 1]
    assert [owner[c]["own"]["returns"] for c in ("DC-TD", "DC-TD-01", "DC-WL")] == [1, 1, 1]
    assert owner["DC-TD"]["own"]["renewals"] == 1
    home = _figures(story, unit="DC", period="2026-11", by="home").json()
    rows = _rows(home)
    assert [rows[c]["own"]["loans"] for c in ("DC-TD", "DC-TD-01", "DC-WL")] == [2, 0, 2]
    assert [rows[c]["own"]["borrowing_readers"] for c in ("DC-TD", "DC-WL")] == [1, 2]
    assert rows["DC-WL"]["own"]["holds_placed"] == 1  # a hold by the reader's home unit too
    by = {f["code"]: f["counted_by"] for f in home["figures"]}
    assert (by["loans"], by["holdings"], by["transits_sent"], by["cards_issued"]) == ("home", "owner", "happened", "home")


def test_per_capita_figures_use_the_population_of_the_roll_up_and_say_when_it_is_missing(story: Library) -> None:
    answer = _figures(story, unit="CITY", period="2026-11").json()
    rows = _rows(answer)
    td, wl, dc = rows["DC-TD"]["total"], rows["DC-WL"]["total"], rows["DC"]["total"]
    assert (td["loans_per_capita"], td["holdings_per_capita"], td["circulation_rate"]) == (0.075, 0.075, 1.0)
    assert (wl["loans_per_capita"], wl["holdings_per_capita"]) == (0.05, 0.05)
    assert (dc["loans_per_capita"], dc["holdings_per_capita"], dc["added_per_capita"]) == (0.04, 0.04, 0.04)
    assert (td["visits_per_capita"], dc["visits_per_capita"], wl["visits_per_capita"]) == (1.05, 0.42, None)
    assert rows["DC"]["own"]["loans_per_capita"] is None  # the county's population is not the 总馆's own
    assert rows["DC-TD-01"]["total"]["loans_per_capita"] is None
    assert "DC-TD-01:loans_per_capita" in answer["not_computable"]
    # XD has no population and CITY neither, with one of its systems unknown: not computable, not 0.
    assert rows["XD"]["total"]["holdings_per_capita"] is None and answer["total"]["loans_per_capita"] is None
    assert answer["not_computable"]["CITY:loans_per_capita"] == "the population served is not set on the unit"


def test_holdings_at_a_past_date_count_copies_withdrawn_and_not_those_added_since(story: Library) -> None:
    day0 = _rows(_figures(story, unit="CITY", period="2026-11-23", by="owner").json())
    assert day0["DC-TD"]["own"]["holdings"] == 1  # A1; D1 came on d4
    assert day0["XD"]["own"]["holdings"] == 1  # C1, withdrawn on d4
    now = _rows(_figures(story, unit="CITY", period="2026-11").json())
    assert (now["XD"]["own"]["holdings"], now["XD"]["own"]["holdings_withdrawn"]) == (0, 1)
    window = _rows(_figures(story, unit="DC", **{"from": "2026-11-24", "to": "2026-11-25"}).json())
    assert window["DC-TD"]["own"]["loans"] == 0 and window["DC-TD"]["own"]["renewals"] == 1
    assert window["DC-WL"]["own"]["returns"] == 2


def test_a_period_with_no_data_gives_zeros_and_holdings_as_they_stood(story: Library) -> None:
    answer = _figures(story, unit="DC", period="2025").json()
    assert answer["total"]["loans"] == 0 and answer["total"]["holdings"] == 0
    assert answer["total"]["circulation_rate"] is None and answer["total"]["transit_days"] is None


def test_a_branch_librarian_reads_their_own_units_only_and_readers_none(story: Library, client: Any, db: Any) -> None:
    librarian = staff(client, db, "librarian", ("DC-TD",))
    assert _figures(story, librarian, unit="DC-TD", period="2026-11").status_code == 200
    assert _figures(story, librarian, unit="DC-TD-01", period="2026-11").status_code == 200
    refused = _figures(story, librarian, unit="DC", period="2026-11")
    assert refused.status_code == 403 and refused.json()["error"] == "UNIT_OUT_OF_SCOPE"
    manager = staff(client, db, "manager")
    assert _figures(story, manager, unit="CITY", period="2026").status_code == 200
    story.reader("R009", password="reader-pass")
    reader = client.post("/api/v1/auth/token", json={"card_number": "R009", "password": "reader-pass"})
    refused = _figures(story, {"Authorization": f"Bearer {reader.json()['access_token']}"}, unit="DC-TD")
    assert refused.status_code == 403 and refused.json()["error"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("params, code", [
    ({"unit": "DC", "period": "2026-13"}, "PERIOD_INVALID"),
    ({"unit": "DC", "period": "2026-02-30"}, "PERIOD_INVALID"),
    ({"unit": "DC", "period": "last year"}, "PERIOD_INVALID"),
    ({"unit": "DC", "from": "2026-05-01", "to": "2026-04-01"}, "PERIOD_INVALID"),
    ({"unit": "DC", "from": "2026-05-01"}, "PERIOD_INVALID"),
    ({"unit": "DC", "period": "2026", "from": "2026-05-01", "to": "2026-06-01"}, "PERIOD_INVALID"),
    ({"unit": "NOPE", "period": "2026"}, "UNIT_NOT_FOUND"),
    ({"unit": "DC", "by": "desk"}, "VALIDATION_FAILED"),
])
def test_bad_periods_units_and_attributions_are_refused_with_a_code(client: Any, db: Any, params: dict[str, str],
                                                                    code: str) -> None:
    lib = library(client, db)
    answer = _figures(lib, **params)
    assert answer.status_code in (404, 422) and answer.json()["error"] == code, answer.text
