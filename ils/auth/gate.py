"""Who may do what, decided in one place.

Every API route, web page and SIP2 message names the *operation* it performs (``loan.checkout``,
``patron.block`` …). An operation needs a *permission* (a scope an account's role or API key
holds) and says, for each unit it touches, how far from the account's own units that unit may
be (its *reach*):

- ``own``: a unit the account serves — a librarian's units and the points below them (a 分馆's
  librarian serves its village points; a librarian of the 总馆 serves its whole system), a
  self-check machine's one unit, an API key's listed units;
- ``system``: any unit of the same system (the 总馆 and everything under it) as an own unit;
- ``network``: any unit of the network, other systems under the same 中心馆 included.

Accounts with no units (admins, and cataloguers or managers not tied to a unit) reach every
unit. Readers act only for their own card, and only in operations open to readers.

The routes declare their operation with ``ils.http.allows(...)`` (API) or the page views of
``ils.web.pages`` (pages); the permission is checked there, before the body of the route runs. The
units an operation touches are known only once its rows are loaded, so the use cases call
``check`` with them — the same call whether the request came from the API, a page or a machine.
tests/ils/test_scope_matrix.py walks every route and fails on one that declares nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from ils.auth.principal import Principal
from ils.errors import Forbidden
from ils.network.snapshot import NetworkSnapshot, network

Reach = Literal["own", "system", "network"]
REACHES: tuple[Reach, ...] = ("own", "system", "network")


@dataclass(frozen=True)
class Operation:
    name: str
    summary: str
    permission: str | None = None  # None: open to anyone (public) or to any logged-in account
    login: bool = True  # False: public, no credentials needed
    readers: bool = False  # a reader may do it for their own card
    # Every one of these units must be within its reach (units not involved are passed as None).
    units: Mapping[str, Reach] = field(default_factory=dict)
    # At least one of these must be (for example: the loan was made here, or the reader is ours).
    any_of: Mapping[str, Reach] = field(default_factory=dict)


def _op(name: str, summary: str, permission: str | None = None, *, login: bool = True, readers: bool = False,
        units: Mapping[str, Reach] | None = None, any_of: Mapping[str, Reach] | None = None) -> Operation:
    return Operation(name, summary, permission, login, readers, dict(units or {}), dict(any_of or {}))


# The scope model. The README's "Who may do what" section is this table in words.
OPERATIONS: dict[str, Operation] = {op.name: op for op in (
    # ---- public, and the caller's own account
    _op("public.read", "read what the public catalogue shows (records, units, search, SRU, health)", login=False),
    _op("auth.login", "log in", login=False),
    _op("auth.self", "see or end one's own login, change one's own password", readers=True),
    # ---- administration
    _op("user.admin", "manage staff accounts, API keys and self-check machines", "users:admin"),
    _op("unit.write", "create and change units and van routes", "units:write"),
    _op("policy.write", "change loan rules, patron categories, return policies, float groups and activity types",
        "policies:write"),
    # ---- the catalogue
    _op("record.read", "read records, items, imports and locations with staff detail", "records:read"),
    _op("record.write", "create, edit and import bibliographic records", "records:write"),
    _op("item.create", "add a copy owned by a unit one serves", "items:write", units={"owner": "own"}),
    _op("item.write", "change a copy owned by or standing at a unit one serves", "items:write",
        any_of={"owner": "own", "here": "own"}),
    _op("distribution.write", "allocate and send copies to units (统一配送)", "distribution:write",
        units={"owner": "own", "target": "own"}),
    # ---- readers
    _op("patron.read", "look a reader up, with their loans, holds and fines", "patrons:read", readers=True),
    _op("patron.register", "issue a card at a unit one serves", "patrons:write", units={"home": "own"}),
    _op("patron.write", "change a reader, lift a block, set proxies", "patrons:write", units={"home": "own"}),
    # A desk act (a card reported lost, a card a self-check machine kept), so a machine may too.
    _op("patron.block", "block a reader of one's own units", "circulation:write", units={"home": "own"}),
    _op("rule.read", "read loan rules and which rule applies", "patrons:read"),
    # ---- circulation at a desk: the desk must be one's own; readers and copies come from anywhere
    _op("desk.open", "work at the desk of a unit one serves", "circulation:write", units={"desk": "own"}),
    _op("loan.checkout", "lend a copy at one's own desk to any reader of the network (通借通还)",
        "circulation:write", units={"desk": "own"}),
    _op("loan.checkin", "take back any copy at one's own desk (通还)", "circulation:write", units={"desk": "own"}),
    _op("loan.renew", "renew a loan made at one's units or of a reader of one's units", "circulation:write",
        readers=True, units={"desk": "own"}, any_of={"lending": "own", "home": "own"}),
    _op("loan.lost", "record a loan as lost or claimed returned", "circulation:write",
        units={"desk": "own"}, any_of={"lending": "own", "home": "own"}),
    _op("payment.take", "take a payment at one's own desk from a reader of one's system", "circulation:write",
        units={"desk": "own", "home": "system"}),
    _op("hold.place", "place a hold for collection in one's own system", "circulation:write", readers=True,
        units={"pickup": "system"}),
    _op("hold.change", "cancel, suspend or move a hold collected at one's units or of a reader of one's units",
        "circulation:write", readers=True, units={"new_pickup": "system"}, any_of={"pickup": "own", "home": "own"}),
    _op("hold.shelf", "expire the hold shelf of one's own units", "circulation:write", units={"unit": "own"}),
    _op("hold.list", "read the hold shelf and the pull list of one's own units", "patrons:read",
        units={"unit": "own"}),
    # ---- logistics
    _op("transit.read", "read the transits leaving or reaching one's own units", "records:read",
        any_of={"from": "own", "to": "own", "unit": "own"}),
    _op("transit.receive", "receive copies and crates at one's own unit", "transits:write", units={"unit": "own"}),
    _op("transit.write", "pack and send crates, report van stops, give up a copy lost on the road, at one's units",
        "transits:write", any_of={"from": "own", "to": "own", "unit": "own"}),
    _op("logistics.read", "read routes, runs, paths, return policies and float groups", "records:read"),
    _op("stats.read", "read statistics of one's own units", "stats:read", units={"unit": "own"}),
    _op("stats.enter", "enter visits, activities and annual figures of one's own units", "stats:write",
        units={"unit": "own"}),
    _op("report.submit", "submit or reopen the annual report of one's own units", "stats:write",
        units={"unit": "own"}),
)}


def operation(name: str) -> Operation:
    try:
        return OPERATIONS[name]
    except KeyError:  # a typo in a route must fail at import, not at the first request
        raise ValueError(f"unknown operation {name!r}; declare it in ils/auth/gate.py") from None


# ---- reach -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reaches:
    own: frozenset[int]
    systems: frozenset[int]
    everything: bool  # the own units are every unit (a librarian of the 中心馆 serves them all)


# Per network snapshot (it is replaced whenever a unit changes), the unit ids an account's
# codes stand for: asked on every check-out, so computed once per set of codes.
_reaches: "weakref.WeakKeyDictionary[NetworkSnapshot, dict[frozenset[str], Reaches]]" = weakref.WeakKeyDictionary()


def _system_of(snapshot: NetworkSnapshot, unit_id: int) -> int:
    unit = snapshot.units[unit_id]
    # A 中心馆 belongs to no system; it counts as its own for the reach of its staff.
    return unit.system_id if unit.system_id is not None else unit.id


def reaches(snapshot: NetworkSnapshot, codes: frozenset[str]) -> Reaches:
    per = _reaches.setdefault(snapshot, {})
    found = per.get(codes)
    if found is None:
        own = frozenset(snapshot.by_code[c].id for c in codes if c in snapshot.by_code)
        found = Reaches(own, frozenset(_system_of(snapshot, u) for u in own), own >= snapshot.units.keys())
        per[codes] = found
    return found


def within(snapshot: NetworkSnapshot, principal: Principal, unit_id: int, reach: Reach) -> bool:
    """Whether ``unit_id`` is within ``reach`` of the principal's units."""
    if principal.unit_codes is None or reach == "network":
        return True
    mine = reaches(snapshot, principal.unit_codes)
    if reach == "own":
        return unit_id in mine.own
    return unit_id in snapshot.units and _system_of(snapshot, unit_id) in mine.systems


def own_unit_ids(session: Session, principal: Principal) -> frozenset[int] | None:
    """The units a principal serves (None: every unit), for lists narrowed to them."""
    if principal.unit_codes is None:
        return None
    return reaches(network(session), principal.unit_codes).own


def _refuse(snapshot: NetworkSnapshot, principal: Principal, op: Operation, unit_ids: Iterable[int]) -> Forbidden:
    codes = [snapshot.units[u].code if u in snapshot.units else str(u) for u in unit_ids]
    return Forbidden("UNIT_OUT_OF_SCOPE", f"{principal.label} may not {op.summary}: {', '.join(codes)} is not "
                     f"within its units", extra={"operation": op.name, "units": codes})


# ---- the checks --------------------------------------------------------------------------------

def permit(principal: Principal, name: str) -> Operation:
    """The permission part: may this account do this kind of thing at all?"""
    op = operation(name)
    if principal.kind == "patron":
        if not op.readers and op.permission is not None:
            raise Forbidden("PERMISSION_DENIED", f"readers may not {op.summary}", extra={"operation": name})
        return op
    if op.permission is not None and op.permission not in principal.scopes:
        raise Forbidden("PERMISSION_DENIED", f"{principal.label} lacks the permission {op.permission!r} "
                        f"needed to {op.summary}", extra={"operation": name})
    return op


def check(session: Session, principal: Principal, name: str, *, card: str | None = None,
          **units: int | None) -> None:
    """The whole decision for one operation on loaded rows: the permission, then each unit the
    operation touches (by its role in the operation: ``desk=``, ``home=``, ``pickup=`` …; None
    where it is not involved), then for a reader that the card is their own."""
    op = permit(principal, name)
    unknown = set(units) - set(op.units) - set(op.any_of)
    if unknown:
        raise ValueError(f"{name} does not touch {sorted(unknown)}; declare them in ils/auth/gate.py")
    if principal.kind == "patron":
        if card is not None and card != principal.name:
            raise Forbidden("NOT_OWN_ACCOUNT", "readers act only on their own card")
        return
    if principal.unit_codes is None:
        return
    snapshot = network(session)
    outside = [u for role, reach in op.units.items()
               if (u := units.get(role)) is not None and not within(snapshot, principal, u, reach)]
    if outside:
        raise _refuse(snapshot, principal, op, outside)
    if op.any_of:
        given = {role: u for role in op.any_of if (u := units.get(role)) is not None}
        if not given:
            whole_network(session, principal, name)
        elif not any(within(snapshot, principal, u, op.any_of[role]) for role, u in given.items()):
            raise _refuse(snapshot, principal, op, given.values())


def whole_network(session: Session, principal: Principal, name: str) -> None:
    """For a request about every unit at once: only accounts that serve every unit may ask it; the
    others name one of their units."""
    if principal.kind == "patron" or principal.unit_codes is None:
        return
    if not reaches(network(session), principal.unit_codes).everything:
        raise Forbidden("SCOPE_UNIT_REQUIRED", f"{principal.label} serves only some units: name one of them to "
                        f"{operation(name).summary}", extra={"operation": name})


def sees_in_full(session: Session, principal: Principal, home_unit_id: int) -> bool:
    """Whether a reader's ID card number, phone and address are shown unmasked: to staff who
    register and change readers, for readers of their own units."""
    return (principal.kind != "patron" and "patrons:write" in principal.scopes
            and within(network(session), principal, home_unit_id, "own"))


# ---- what routes declare -----------------------------------------------------------------------

def declared(dependency: Callable[..., object]) -> str | None:
    """The operation a route dependency stands for (the scope matrix test reads it)."""
    return getattr(dependency, "operation", None)


def mark(dependency: Callable[..., object], name: str) -> None:
    operation(name)
    dependency.operation = name  # type: ignore[attr-defined]
    dependency.__name__ = f"allows_{name.replace('.', '_')}"


__all__ = ["OPERATIONS", "REACHES", "Operation", "Reach", "check", "declared", "mark", "operation",
           "own_unit_ids", "permit", "sees_in_full", "whole_network", "within"]
