"""SIP2 accounts: the `ils sip2 account` commands, the REST routes, and logging in with them."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from circulation.sip2.models import Sip2Account
from ils.cli import app
from tests.circulation.sip2.conftest import SelfCheck
from tests.support.factories import staff

runner = CliRunner()


def test_account_add_reads_the_password_from_stdin_and_the_machine_logs_in_with_it(selfcheck: SelfCheck, db):
    added = runner.invoke(app, ["sip2", "account", "add", "sc-td-9", "--unit", "DC-TD", "--encoding", "gb18030",
                                "--error-detection", "--password-stdin", "--location", "二楼"],
                          input="a-machine-password\n")
    assert added.exit_code == 0, added.output
    assert "a-machine-password" not in added.output
    with db.session(write=False) as s:
        stored = s.scalars(select(Sip2Account)).one()
    assert stored.password_hash.startswith("$argon2") and stored.encoding == "gb18030" and stored.error_detection

    listed = runner.invoke(app, ["sip2", "account", "list"])
    assert listed.exit_code == 0
    assert "sc-td-9" in listed.output and "gb18030" in listed.output and "DC-TD" in listed.output

    with selfcheck.machine(encoding="gb18030", error_detection=True) as machine:
        assert machine.login("sc-td-9", "a-machine-password").fixed["ok"] == "1"
        status = machine.sc_status()
        assert status.get("AM") == "铜都街道分馆" and status.get("AN") == "二楼" and status.checksum is not None

    assert runner.invoke(app, ["sip2", "account", "disable", "sc-td-9"]).exit_code == 0
    with selfcheck.machine() as machine:
        assert machine.login("sc-td-9", "a-machine-password").fixed["ok"] == "0"
    assert runner.invoke(app, ["sip2", "account", "enable", "sc-td-9"]).exit_code == 0
    with selfcheck.machine() as machine:
        assert machine.login("sc-td-9", "a-machine-password").fixed["ok"] == "1"

    removed = runner.invoke(app, ["sip2", "account", "remove", "sc-td-9"])
    assert removed.exit_code == 0 and "removed" in removed.output
    assert "sc-td-9" not in runner.invoke(app, ["sip2", "account", "list"]).output
    again = runner.invoke(app, ["sip2", "account", "remove", "sc-td-9"])
    assert again.exit_code != 0 and "SIP2_ACCOUNT_NOT_FOUND" in str(again.exception)


def test_account_add_refuses_an_unknown_unit_a_short_password_and_a_taken_login(selfcheck: SelfCheck):
    def add(login: str, unit: str, password: str) -> str:
        result = runner.invoke(app, ["sip2", "account", "add", login, "--unit", unit, "--password-stdin"],
                               input=password + "\n")
        assert result.exit_code != 0
        return str(result.exception)

    assert "UNIT_NOT_FOUND" in add("sc-1", "NOWHERE", "long-enough-password")
    assert "SIP2_PASSWORD_INVALID" in add("sc-1", "DC-TD", "short")
    assert "SIP2_LOGIN_INVALID" in add("sc 1|x", "DC-TD", "long-enough-password")
    generated = runner.invoke(app, ["sip2", "account", "add", "sc-1", "--unit", "DC-TD"])
    assert generated.exit_code == 0 and "with password: " in generated.output
    assert "SIP2_LOGIN_TAKEN" in add("sc-1", "DC-WL", "long-enough-password")


def test_accounts_api_lists_creates_changes_and_deletes_for_admins_only(selfcheck: SelfCheck, client, db):
    lib = selfcheck.lib
    created = client.post("/api/v1/sip2/accounts", headers=lib.admin, json={
        "login": "sc-wl-1", "password": "machine-pass-1", "unit": "DC-WL", "institution_id": "DCLIB"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["login"], body["unit"], body["encoding"], body["institution_id"], body["active"]) == (
        "sc-wl-1", "DC-WL", "utf-8", "DCLIB", True)
    assert "password" not in body and "password_hash" not in body
    taken = client.post("/api/v1/sip2/accounts", headers=lib.admin, json={
        "login": "sc-wl-1", "password": "machine-pass-1", "unit": "DC-TD"})
    assert taken.status_code == 409 and taken.json()["error"] == "SIP2_LOGIN_TAKEN"

    changed = client.patch("/api/v1/sip2/accounts/sc-wl-1", headers=lib.admin,
                           json={"unit": "DC-TD", "encoding": "gb18030", "error_detection": True})
    assert changed.status_code == 200
    assert (changed.json()["unit"], changed.json()["encoding"], changed.json()["error_detection"]) == (
        "DC-TD", "gb18030", True)
    with selfcheck.machine(encoding="gb18030") as machine:
        assert machine.login("sc-wl-1", "machine-pass-1").fixed["ok"] == "1"
        status = machine.sc_status()
        assert status.get("AO") == "DCLIB" and status.get("AM") == "铜都街道分馆"
        assert status.checksum is not None  # the account asks for error detection

    librarian = staff(client, db, "librarian", ("DC-TD",))
    assert client.get("/api/v1/sip2/accounts", headers=librarian).status_code == 403
    assert client.delete("/api/v1/sip2/accounts/sc-wl-1", headers=librarian).status_code == 403
    assert [a["login"] for a in client.get("/api/v1/sip2/accounts", headers=lib.admin).json()] == ["sc-wl-1"]
    assert client.delete("/api/v1/sip2/accounts/sc-wl-1", headers=lib.admin).status_code == 204
    missing = client.delete("/api/v1/sip2/accounts/sc-wl-1", headers=lib.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "SIP2_ACCOUNT_NOT_FOUND"
