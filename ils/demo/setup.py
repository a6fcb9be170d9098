"""`ils demo`: the demo county network, its accounts and catalogue, built on the real paths.

Everything goes through the same code a library would use: the network through the YAML
loader, accounts through the account service, the catalogue through MARC files (CNMARC in
GB18030 as Chinese exchange files usually are, MARC21 in UTF-8) fed to the importer.
Re-running the demo changes nothing that is already there.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from ils.auth.principal import job
from ils.clock import get_clock
from ils.config import get_settings
from ils.db import get_database
from ils.network.models import Unit

DEMO_PASSWORD = "demo-2026"
READERS = [
    ("DC00000001", "李秀英", "DC", "senior"),
    ("DC00000002", "王建华", "DC-TD", "adult"),
    ("DC00000003", "张丽娟", "DC-WL", "adult"),
    ("DC00000004", "刘子涵", "DC-SF", "child"),
    ("DC00000005", "陈国强", "DC-TD", "disabled"),
]
CATEGORIES = [
    ("adult", "成人读者", 60), ("child", "少儿读者", 36), ("senior", "老年读者", 60),
    ("disabled", "残障读者", 60), ("temporary", "临时读者", 3),
]
# The demo network's loan rules: a default, and what a county typically varies. A renewal is
# possible in the last week before the due day (renew_days_before_due): earlier it would spend a
# renewal for a few days at most. Readers who come less often (the elderly, disabled readers,
# village points and the mobile library's fortnightly stops) get a longer window.
RULES = [
    {"loan_days": 30, "max_items": 10, "renewals": 1, "hold_shelf_days": 7, "renew_days_before_due": 7},
    {"patron_category": "child", "loan_days": 21, "max_items": 5, "renewals": 1, "renew_days_before_due": 7},
    {"patron_category": "child", "item_type": "children", "loan_days": 30, "max_items": 5, "renewals": 2,
     "renew_days_before_due": 7},
    {"patron_category": "senior", "loan_days": 45, "max_items": 10, "renewals": 2, "renew_days_before_due": 14},
    {"patron_category": "disabled", "loan_days": 60, "max_items": 10, "renewals": 3, "renew_days_before_due": 14},
    {"patron_category": "temporary", "loan_days": 14, "max_items": 2, "renewals": 0, "holds_allowed": False},
    {"item_type": "local_doc", "loan_days": 14, "max_items": 10, "renewals": 0},
    {"item_type": "rare_book", "loan_days": 1, "max_items": 0, "renewals": 0, "holds_allowed": False},
    {"unit_level": "service_point", "loan_days": 45, "max_items": 10, "renewals": 1, "hold_shelf_days": 10,
     "renew_days_before_due": 14},
    {"unit_level": "mobile", "loan_days": 60, "max_items": 10, "renewals": 1, "hold_shelf_days": 14,
     "renew_days_before_due": 14},
]
# A self-check machine in the lobby of the 总馆 and of two branches; the village one is an older
# model set to GB18030, as many in use are.
SELF_CHECK = [("sc-dc", "DC", "utf-8"), ("sc-dc-td", "DC-TD", "utf-8"), ("sc-dc-wl", "DC-WL", "gb18030")]
# Last year and this one: the annual report of last year, and this year so far.
HISTORY_FROM = date(2025, 1, 1)
LIBRARIAN_LEVELS = ("main", "branch", "service_point", "study_room", "mobile")
# Children's books float among the 总馆, the town-centre branches and the 城市书房: parents
# return them wherever they shop, and the van would only carry them back.
FLOAT_GROUP = ("DC-TOWN", "东川城区", ["DC", "DC-TD", "DC-BG", "DC-SF"])


def run_demo(console: Console, *, history_from: date | None = HISTORY_FROM) -> dict[str, object]:
    """The demo network, accounts, catalogue and a morning's circulation; with ``history_from``,
    also the network's life from that day to yesterday (ils.demo.history)."""

    from catalog.importer import ImportOptions, import_marc
    from circulation.models import Patron
    from circulation.patrons import register, save_category
    from circulation.rules import save_rule
    from circulation.schemas import PatronCategoryWrite, PatronCreate, RuleWrite
    from circulation.sip2.accounts import create_account, list_accounts
    from circulation.sip2.schemas import Sip2AccountCreate
    from ils.auth.models import StaffUser
    from ils.auth.service import create_user
    from ils.demo import marc_builder
    from ils.migrate import upgrade
    from ils.network import repository as units_repo
    from ils.network.service import load_network
    from logistics.routes import load_routes

    settings = get_settings()
    database = get_database()
    now = get_clock().now()
    upgrade(settings.sqlalchemy_url)

    network = marc_builder.load_network()
    with database.session() as session:
        created, updated = load_network(session, network, now)
    console.print(f"network: {created} units created, {updated} updated")

    admin_password: str | None = None
    with database.session() as session:
        existing = set(session.scalars(select(StaffUser.username)))
        units = units_repo.list_units(session)
        if "admin" not in existing:
            admin_password = settings.admin_password or secrets.token_urlsafe(12)
            create_user(session, "admin", admin_password, "admin", now, display_name="系统管理员")
        for username, role, name in (("cataloguer", "cataloguer", "总馆编目员"), ("manager", "manager", "馆长")):
            if username not in existing:
                create_user(session, username, DEMO_PASSWORD, role, now, display_name=name)
        for unit in units:
            username = f"lib-{unit.code.lower()}"
            if unit.level in LIBRARIAN_LEVELS and username not in existing:
                create_user(session, username, DEMO_PASSWORD, "librarian", now, unit_codes=[unit.code],
                            display_name=f"{unit.name}馆员")
        for code, name, months in CATEGORIES:
            save_category(session, PatronCategoryWrite(code=code, name=name, valid_months=months))
        for rule in RULES:
            save_rule(session, RuleWrite(**rule), "demo", now)
        machines = {a.login for a in list_accounts(session)}
        for login, unit_code, encoding in SELF_CHECK:
            if login not in machines:
                create_account(session, Sip2AccountCreate(login=login, password=DEMO_PASSWORD, unit=unit_code,
                                                          encoding=encoding, location="大厅"), "demo", now)
        cards = set(session.scalars(select(Patron.card_number)))
        for card, name, unit_code, category in READERS:
            if card not in cards:
                register(session, PatronCreate(card_number=card, name=name, category=category, unit=unit_code,
                                               password=DEMO_PASSWORD), job("demo"), now)

    works = marc_builder.load_works()
    unit_codes = [u["code"] for u in network["units"]]
    cnmarc, marc21 = marc_builder.build_records(works, unit_codes, today=now.astimezone(settings.tz).date())
    out_dir = settings.data_dir / "demo"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [(out_dir / "demo-cnmarc-gb18030.iso", cnmarc, "gb18030"), (out_dir / "demo-marc21-utf8.mrc", marc21, "utf-8")]
    totals = {"imported": 0, "merged": 0, "rejected": 0, "items": 0}
    for path, records, encoding in files:
        marc_builder.write_iso2709(records, path, encoding)
        with Path(path).open("rb") as stream:
            result = import_marc(database, stream, ImportOptions(filename=path.name, actor="demo"))
        totals["imported"] += result.imported
        totals["merged"] += result.merged
        totals["rejected"] += result.rejected
        totals["items"] += result.items_created
        console.print(
            f"{path.name}: {result.read} records read ({result.encoding}), {result.imported} new, "
            f"{result.merged} merged, {result.rejected} rejected, {result.items_created} copies"
        )

    with database.session() as session:
        routes = load_routes(session, yaml.safe_load((Path(__file__).parent / "routes.yaml").read_text("utf-8")), now)
    console.print(f"routes: {routes} van routes")
    with database.session() as session:
        activity = _demo_circulation(session, now)
    console.print(f"circulation: {activity}")
    if history_from is not None:
        from ils.demo import history

        yesterday = now.astimezone(settings.tz).date() - timedelta(days=1)
        console.print(f"history: {history.build(database, console, start=history_from, end=yesterday)}")

    console.rule("demo ready")
    if admin_password:
        console.print(f"admin account: [bold]admin[/bold] / [bold]{admin_password}[/bold] (shown only this once)")
    else:
        console.print("admin account: admin (password unchanged from the first demo run)")
    console.print(f"cataloguer / {DEMO_PASSWORD}, manager / {DEMO_PASSWORD}, "
                  f"a librarian per unit: lib-<unit code in lower case> / {DEMO_PASSWORD} (e.g. lib-dc-td)")
    console.print(f"readers: card {READERS[0][0]} … {READERS[-1][0]} / {DEMO_PASSWORD}")
    console.print("self-check machines (SIP2, port ILS_SIP2_PORT): "
                  + ", ".join(f"{login} ({unit}, {enc})" for login, unit, enc in SELF_CHECK) + f" / {DEMO_PASSWORD}")
    return {"admin_password": admin_password, **totals}


def _demo_circulation(session: Session, now: datetime) -> str:
    """A float group, a return policy, and a morning of lending, returning elsewhere and a hold,
    done through the real use cases, so the desk and the transit lists have something to show.
    Runs once: a database that has loans already is left alone."""
    from catalog.models import Item
    from circulation import holds, loans
    from circulation.models import Loan
    from ils.auth.principal import ROLE_SCOPES, Principal
    from logistics.policies import save_float_group, save_policy
    from logistics.schemas import FloatGroupWrite, ReturnPolicyWrite

    code, name, units = FLOAT_GROUP
    save_float_group(session, code, FloatGroupWrite(name=name, units=units))
    save_policy(session, ReturnPolicyWrite(system_code="DC", item_type="children", policy="float", float_group=code),
                "demo", now)
    if session.scalar(select(Loan.id).limit(1)) is not None:
        return "already has loans; left as it is"
    desk = Principal("staff", 0, "demo", "librarian", ROLE_SCOPES["librarian"], None)
    by_unit: dict[str, list[Item]] = {}
    for item, unit_code in session.execute(
            select(Item, Unit.code).join(Unit, Unit.id == Item.owning_unit_id)
            .where(Item.status == "available", Item.item_type == "book").order_by(Item.id)):
        by_unit.setdefault(unit_code, []).append(item)
    units_by_code = {code: unit_id for unit_id, code in session.execute(select(Unit.id, Unit.code))}
    borrowed: list[Item] = []
    # Each reader borrows two books of their own unit; then two come back at the 总馆.
    for card, _name, unit_code, _category in READERS:
        shelf = by_unit.get(unit_code, [])
        for item in shelf[:2]:
            loans.checkout(session, loans.CheckoutRequest(card, item.barcode, unit_code), desk, now)
            borrowed.append(item)
        del shelf[:2]
    returned = 0
    for item in [i for i in borrowed if i.owning_unit_id != units_by_code["DC"]][:2]:
        loans.checkin(session, item.barcode, "DC", desk, now)
        returned += 1
    wanted = by_unit.get("DC-BG", [])[:1]
    for item in wanted:
        holds.place(session, holds.HoldRequest(READERS[1][0], "DC-TD", record_id=item.record_id), desk, now)
    return f"{len(borrowed)} loans, {returned} returned at the 总馆 and sent home, {len(wanted)} hold waiting for a copy"
