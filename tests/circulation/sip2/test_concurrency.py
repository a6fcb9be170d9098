"""Twenty self-check machines at the same instant, each on its own connection: copies of their
own and copies they all reach for. The database is asked afterwards what really happened."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from catalog.public import Item
from circulation import audit
from circulation.models import Loan
from circulation.sip2.client import Sip2Client
from ils.events import Event
from tests.circulation.sip2.conftest import MACHINE_PASSWORD, SelfCheck
from tests.support.concurrency import at_once

MACHINES = 20
CONTENDED = ("C1", "C2", "C3")


def _card(n: int) -> str:
    return f"DC{n + 1:08d}"


def _own(n: int) -> str:
    return f"D{n + 1:02d}"


def test_twenty_machines_at_once_lend_each_copy_at_most_once(selfcheck: SelfCheck, db):
    lib = selfcheck.lib
    lib.title("围城", {c: "DC-TD" for c in CONTENDED})
    lib.title("呐喊", {_own(n): "DC-TD" for n in range(MACHINES)})
    for n in range(MACHINES):
        lib.reader(_card(n), expires_on="2099-12-31")
    for unit in ("DC-TD", "DC-WL"):
        selfcheck.account(f"sc-{unit.lower()}", unit=unit)
    machines: list[Sip2Client] = []
    for n in range(MACHINES):
        machine = selfcheck.machine(error_detection=n % 2 == 0)
        assert machine.login(f"sc-{'dc-td' if n % 2 else 'dc-wl'}", MACHINE_PASSWORD).fixed["ok"] == "1"
        machines.append(machine)

    def day(n: int) -> list[tuple[str, str, str]]:
        machine, card, outcomes = machines[n], _card(n), []
        for contended in CONTENDED:
            own = machine.checkout(card, _own(n))
            outcomes.append(("own", _own(n), own.fixed["ok"]))
            race = machine.checkout(card, contended)
            outcomes.append(("race", contended, race.fixed["ok"]))
            outcomes.append(("return", _own(n), machine.checkin(_own(n)).fixed["ok"]))
        return outcomes

    results = at_once(day, MACHINES)
    won = Counter(barcode for outcomes in results for kind, barcode, ok in outcomes if kind == "race" and ok == "1")
    assert won == {c: 1 for c in CONTENDED}
    assert all(ok == "1" for outcomes in results for kind, _, ok in outcomes if kind != "race")

    # Everyone returns the first contended copy at once: its loan is closed once, nobody fails.
    returned = at_once(lambda n: machines[n].checkin("C1").fixed["ok"], MACHINES)
    assert returned == ["1"] * MACHINES
    # … and everyone reaches for it again: one machine lends it.
    again = at_once(lambda n: machines[n].checkout(_card(n), "C1").fixed["ok"], MACHINES)
    assert again.count("1") == 1
    for machine in machines:
        machine.close()

    with db.session(write=False) as s:
        loans = s.execute(select(Item.barcode, Loan.status).join(Loan, Loan.item_id == Item.id)).all()
        open_loans = Counter(barcode for barcode, status in loans if status == "open")
        assert open_loans == {"C1": 1, "C2": 1, "C3": 1}
        assert Counter(barcode for barcode, _ in loans)["C1"] == 2
        assert all(Counter(b for b, _ in loans)[_own(n)] == 3 for n in range(MACHINES))
        actors = set(s.scalars(select(Event.actor).where(Event.kind == "loan.checkout")))
        assert actors == {"sip2:sc-dc-td", "sip2:sc-dc-wl"}
        assert audit.check(s) == []
