"""The `ils` command line, run in-process against the test databases."""

from __future__ import annotations

import pymarc
from typer.testing import CliRunner

from ils.cli import app
from tests.support.factories import login, make_network
from tests.support.shared_data import shared_path

runner = CliRunner()


def test_user_add_reads_password_from_stdin_and_can_log_in(db, client):
    make_network(db)
    result = runner.invoke(app, ["user", "add", "wang", "--role", "librarian", "--unit", "DC-TD",
                                 "--password-stdin"], input="a-long-password\n")
    assert result.exit_code == 0, result.output
    assert "a-long-password" not in result.output
    assert login(client, "wang", "a-long-password")
    listed = runner.invoke(app, ["user", "list"])
    assert "wang" in listed.output and "DC-TD" in listed.output


def test_user_add_without_stdin_prints_a_generated_password_once(db, client):
    result = runner.invoke(app, ["user", "add", "root2", "--role", "admin"])
    assert result.exit_code == 0
    password = result.output.strip().rsplit("password: ", 1)[1]
    assert login(client, "root2", password)


def test_user_add_with_unknown_role_fails_with_code(db):
    result = runner.invoke(app, ["user", "add", "x", "--role", "boss", "--password-stdin"], input="12345678\n")
    assert result.exit_code != 0
    assert "ROLE_INVALID" in str(result.exception) or "ROLE_INVALID" in result.output


def test_import_marc_prints_counts_and_errors_and_exits_0(db):
    path = shared_path("marc21", "pymarc", "bad_records.mrc")
    result = runner.invoke(app, ["import-marc", str(path)])
    assert result.exit_code == 0, result.output
    assert "rejected 3" in result.output
    assert "record 4" in result.output and "MARC_DIRECTORY_INVALID" in result.output


def test_import_marc_exits_1_when_a_file_cannot_be_read(db, tmp_path):
    good = shared_path("marc21", "pymarc", "one.dat")
    bad = tmp_path / "notes.txt"
    bad.write_text("not a MARC file\n")
    result = runner.invoke(app, ["import-marc", str(bad), str(good), str(tmp_path / "missing.mrc")])
    assert result.exit_code == 1
    assert "MARC_FILE_NOT_MARC" in result.output
    assert "one.dat: read 1, imported 1" in result.output.replace("\n", " ")


def test_import_marc_stops_a_file_that_is_not_marc_and_says_how_many_rejections_were_only_counted(db, tmp_path):
    import random

    from catalog.marc import to_iso2709
    from tests.support.marc import cnmarc

    noise = tmp_path / "noise.mrc"
    noise.write_bytes(random.Random(5).randbytes(1024 * 1024))
    tail = tmp_path / "tail.mrc"
    good = b"".join(to_iso2709(cnmarc(f"书{k}", control=f"C{k}"), "cnmarc") for k in range(20))
    tail.write_bytes(good + random.Random(6).randbytes(1024 * 1024))
    # Wide enough that rich never folds a long temporary path in the middle of a word.
    result = runner.invoke(app, ["import-marc", "--show-errors", "3", str(noise), str(tail)], env={"COLUMNS": "400"})
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "noise.mrc: IMPORT_NOT_MARC" in output and "nothing was imported" in output
    assert "tail.mrc: read" in output and "imported 20" in output
    assert "more rejected; the first 1000 are kept in the report" in output


def test_export_marc_writes_every_record_as_utf8(db, tmp_path):
    runner.invoke(app, ["import-marc", str(shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso"))])
    out = tmp_path / "all.mrc"
    result = runner.invoke(app, ["export-marc", str(out), "--format", "iso2709"])
    assert result.exit_code == 0, result.output
    with out.open("rb") as f:
        records = list(pymarc.MARCReader(f, to_unicode=True, force_utf8=True))
    assert len(records) == 9 and all(r is not None for r in records)


def test_load_network_from_yaml(db, tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(
        "units:\n"
        "  - {code: M1, name: 某县图书馆, level: main, hours: {mon: ['09:00-17:00']}}\n"
        "  - {code: M1-B, name: 某镇分馆, level: branch, parent: M1}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["load-network", str(path)])
    assert result.exit_code == 0 and "units created: 2" in result.output


def test_user_set_password_gives_a_new_one_ends_the_logins_and_lifts_the_lock(db, client):
    make_network(db)
    runner.invoke(app, ["user", "add", "wang", "--role", "cataloguer", "--password-stdin"], input="a-long-password\n")
    headers = login(client, "wang", "a-long-password")
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"username": "wang", "password": "forgotten-1"})
    result = runner.invoke(app, ["user", "set-password", "wang", "--password-stdin"], input="another-password\n")
    assert result.exit_code == 0, result.output
    assert "logins ended: 1" in result.output and "another-password" not in result.output
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert login(client, "wang", "another-password")


def test_unlock_login_lifts_a_lock_before_it_runs_out(db, client):
    runner.invoke(app, ["user", "add", "wang", "--role", "cataloguer", "--password-stdin"], input="a-long-password\n")
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"username": "wang", "password": "forgotten-1"})
    locked = client.post("/api/v1/auth/token", json={"username": "wang", "password": "a-long-password"})
    assert locked.json()["error"] == "AUTH_LOCKED"
    result = runner.invoke(app, ["unlock-login", "--user", "wang"])
    assert result.exit_code == 0 and "unlocked: 1 of 1" in result.output
    assert login(client, "wang", "a-long-password")
    assert runner.invoke(app, ["unlock-login"]).exit_code != 0  # nothing named
