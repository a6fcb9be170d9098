"""The ``ils`` command: serve, demo, migrate, import-marc, export-marc, import-visits, report, user, outbox-relay."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from circulation.sip2.cli import sip2_app
from ils.clock import get_clock
from ils.config import get_settings
from ils.db import get_database
from ils.errors import DomainError

app = typer.Typer(help="县域总分馆图书馆系统 (ILS) command line.", no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(sip2_app, name="sip2")
report_app = typer.Typer(help="Statistics: the annual report and the evaluation.", no_args_is_help=True)
app.add_typer(report_app, name="report")
console = Console()
err = Console(stderr=True)


def main() -> None:
    logging.basicConfig(level=get_settings().log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app()
    except DomainError as exc:
        err.print(f"[red]{exc.code}[/red]: {exc.detail}")
        sys.exit(2)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic upgrade head)."""
    from ils.migrate import upgrade

    url = get_settings().sqlalchemy_url
    upgrade(url)
    console.print(f"schema is up to date ({get_database().dialect})")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="Worker processes (PostgreSQL deployments)"),
    relay: bool = typer.Option(True, help="Deliver outbox messages from this process"),
    forwarded_allow_ips: Annotated[Optional[str], typer.Option(
        help="Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses or "
             "networks, or *). Default: FORWARDED_ALLOW_IPS, else 127.0.0.1 (nginx on the same machine)")] = None,
) -> None:
    """Run the web service (REST API, OpenAPI at /docs)."""
    _serve(host, port, workers, relay, forwarded_allow_ips, demo=False)


def _serve(host: str, port: int, workers: int, relay: bool, forwarded_allow_ips: str | None, *, demo: bool) -> None:
    import uvicorn

    from ils.config import DEMO_MODE_ENV

    if demo:
        os.environ[DEMO_MODE_ENV] = "1"
    else:
        os.environ.pop(DEMO_MODE_ENV, None)
        # Before anything listens: a placeholder key would let anyone sign a token for any account.
        try:
            get_settings().resolved_secret_key()
        except DomainError as exc:
            err.print(f"[red]ils serve refuses to start[/red]: {exc.detail}")
            raise typer.Exit(2) from None
    if relay and workers > 1:
        # One relay for the whole service, in this supervising process, rather than one per
        # worker: the embedded search index has a single writer.
        from ils.app import register_subscribers
        from ils.outbox.relay import Relay

        register_subscribers()
        Relay(get_database()).start_thread()
        os.environ["ILS_RUN_RELAY"] = "0"
    else:
        os.environ["ILS_RUN_RELAY"] = "1" if relay else "0"
    settings = get_settings()
    if settings.sip2_port:
        # In this supervising process, beside the web workers: one listener for the machines.
        from circulation.sip2.cli import start_server_thread

        start_server_thread(settings.sip2_host, settings.sip2_port)
    # Behind nginx the client's address (counted by the login limits) and the scheme (https makes
    # cookies Secure) come from X-Forwarded-For and X-Forwarded-Proto, believed only from these.
    trusted = forwarded_allow_ips or os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
    uvicorn.run("ils.cli:served_app", factory=True, host=host, port=port, workers=workers,
                log_level=get_settings().log_level.lower(), proxy_headers=True, forwarded_allow_ips=trusted)


def served_app():  # type: ignore[no-untyped-def]
    from ils.app import create_app

    return create_app(run_relay=os.environ.get("ILS_RUN_RELAY", "1") == "1")


@app.command("outbox-relay")
def outbox_relay(
    interval: float = typer.Option(None, help="Seconds between looks once caught up (default: the relay's own, 0.5)"),
    once: bool = typer.Option(False, help="Deliver what is due, then exit"),
) -> None:
    """Deliver queued outbox messages (webhooks, index updates) until stopped."""
    from ils.app import register_subscribers
    from ils.outbox.relay import POLL_SECONDS, Relay

    register_subscribers()
    relay = Relay(get_database())
    if once:
        console.print(f"delivered {relay.run_until_idle()} message(s)")
        return
    console.print("outbox relay running; Ctrl+C stops it")
    try:
        relay.run_forever(interval if interval is not None else POLL_SECONDS)
    except KeyboardInterrupt:
        relay.stop()


@app.command()
def daily(keep_keys_days: int = typer.Option(7, help="Days an Idempotency-Key is remembered")) -> None:
    """The day's housekeeping (run it from the ils-daily timer or cron; safe to run more often):
    expire holds not collected in time, sending each copy to the next reader or on its way, and
    forget old Idempotency-Keys."""
    from datetime import timedelta

    from circulation.holds import expire_shelf
    from ils.auth.service import forget_old_logins
    from ils.idempotency import forget_before

    now = get_clock().now()
    with get_database().session() as session:
        expired = expire_shelf(session, now)
        forgotten = forget_before(session, now - timedelta(days=keep_keys_days))
        sessions, counts = forget_old_logins(session, now)
    for hold, move in expired:
        console.print(f"hold {hold.id} expired: copy → {move.disposition}")
    console.print(f"holds expired: {len(expired)}, idempotency keys forgotten: {forgotten}, "
                  f"ended logins forgotten: {sessions}, wrong-password counts forgotten: {counts}")


@app.command("circulation-check")
def circulation_check() -> None:
    """Check the circulation invariants (one loan per copy, one copy per hold, item states that
    agree with loans and transits, an event for every loan); exits 1 if any is broken."""
    from circulation.audit import check

    with get_database().session(write=False) as session:
        problems = check(session)
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    console.print(f"{len(problems)} problem(s)")
    if problems:
        raise typer.Exit(1)


@app.command("load-network")
def load_network(path: Path) -> None:
    """Create or update the units of a network from a YAML file (safe to re-run)."""
    import yaml

    from ils.network.service import load_network as load

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    with get_database().session() as session:
        created, updated = load(session, document, get_clock().now())
    console.print(f"units created: {created}, updated: {updated}")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TransferSpeedColumn(), TextColumn("{task.fields[records]} records"), TimeElapsedColumn(),
        console=err, transient=False,
    )


@app.command("load-routes")
def load_routes(path: Path) -> None:
    """Create or replace the van routes of a YAML file (safe to re-run); see ils/demo/routes.yaml."""
    import yaml

    from logistics.routes import load_routes as load

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    with get_database().session() as session:
        count = load(session, document, get_clock().now())
    console.print(f"routes loaded: {count}")


@app.command("import-marc")
def import_marc_cmd(
    files: Annotated[list[Path], typer.Argument(help="ISO 2709 or MARCXML files")],
    flavour: Annotated[Optional[str], typer.Option(help="marc21 or cnmarc (default: detect)")] = None,
    encoding: Annotated[Optional[str], typer.Option(help="utf-8, marc-8, gb18030 ... (default: detect)")] = None,
    unit: Annotated[Optional[str], typer.Option(help="Owning unit for holdings that name none")] = None,
    show_errors: Annotated[int, typer.Option(help="How many rejected records to list")] = 10,
) -> None:
    """Import MARC files into the union catalogue. Exit status 1 only if a file could not be read
    or was stopped as not MARC (IMPORT_NOT_MARC: nothing of it was imported)."""
    from catalog.importer import (
        ImportOptions,
        import_marc,
        prepare_process_for_bulk_import,
    )
    from catalog.marc import MarcFileError

    prepare_process_for_bulk_import()
    failed = False
    database = get_database()
    for path in files:
        try:
            size = path.stat().st_size
            with path.open("rb") as stream, _progress() as bar:
                task = bar.add_task(path.name, total=size, records=0)
                result = import_marc(
                    database, stream,
                    ImportOptions(flavour=flavour, encoding=encoding, unit_code=unit, filename=path.name,
                                  actor="cli:" + (os.environ.get("USER") or "ils")),
                    progress=lambda n, pos, task=task: bar.update(task, completed=pos or 0, records=n),
                )
                bar.update(task, completed=size)
        except (OSError, MarcFileError) as exc:
            failed = True
            code = getattr(exc, "code", "FILE_UNREADABLE")
            batch = getattr(exc, "extra", {}).get("batch_id")
            err.print(f"[red]{path}: {code}[/red]: {getattr(exc, 'detail', exc)}"
                      + (f" [dim](batch {batch})[/dim]" if batch else ""))
            continue
        console.print(
            f"{path.name}: read {result.read}, imported {result.imported}, merged {result.merged}, "
            f"rejected {result.rejected}, copies created {result.items_created} "
            f"[dim]({result.format}, {result.encoding}, batch {result.batch_id})[/dim]"
        )
        for issue in result.errors[:show_errors]:
            console.print(f"  [red]record {issue.index}[/red] {issue.code}: {issue.message}")
        if result.rejected > show_errors:
            kept = f"; the first {len(result.errors)} are kept in the report" if result.errors_truncated else ""
            console.print(f"  … and {result.rejected - show_errors} more rejected{kept}")
        for issue in result.warnings[:show_errors]:
            console.print(f"  [yellow]record {issue.index}[/yellow] {issue.code}: {issue.message}")
        if result.warned > show_errors:
            console.print(f"  … and {result.warned - show_errors} more warnings")
    raise typer.Exit(1 if failed else 0)


@app.command("import-visits")
def import_visits_cmd(
    files: Annotated[list[Path], typer.Argument(help="Gate counter CSV files: unit,date,hour,in,out (see the README)")],
    show_errors: Annotated[int, typer.Option(help="How many bad rows to list per file")] = 20,
) -> None:
    """Import gate counter files (到馆人次). Good rows are kept, replacing those of an earlier import
    of the same unit, day and hour; bad rows are listed with their line. Exit status 1 only if a
    file could not be read at all."""
    from ils.auth.principal import job
    from reports.entries.visits import import_visits

    failed = False
    actor = job("cli:" + (os.environ.get("USER") or "ils"))
    for path in files:
        try:
            data = path.read_bytes()
            with get_database().session() as session:
                result = import_visits(session, data, path.name, actor, get_clock().now())
        except (OSError, DomainError) as exc:
            failed = True
            err.print(f"[red]{path}: {getattr(exc, 'code', 'FILE_UNREADABLE')}[/red]: {getattr(exc, 'detail', exc)}")
            continue
        span = f"; {result.first_day} to {result.last_day}" if result.first_day else ""
        console.print(f"{path.name}: read {result.lines}, imported {result.imported}, replaced {result.replaced}, "
                      f"rejected {result.rejected} [dim]({result.encoding}; {', '.join(result.units) or 'no units'}"
                      f"{span})[/dim]")
        for issue in result.issues[:show_errors]:
            console.print(f"  [red]line {issue.line}[/red] {issue.code}: {issue.message}")
        if result.rejected > show_errors:
            console.print(f"  … and {result.rejected - show_errors} more rejected")
    raise typer.Exit(1 if failed else 0)


@app.command("export-marc")
def export_marc_cmd(
    output: Path,
    format: Annotated[str, typer.Option(help="iso2709, marcxml, marc21xml or json")] = "iso2709",
) -> None:
    """Export the whole catalogue (UTF-8, in each record's own flavour unless marc21xml)."""
    from sqlalchemy import func, select

    from catalog import export
    from catalog.models import Record

    if format not in export.MEDIA_TYPES:
        raise DomainError("EXPORT_FORMAT_INVALID", f"unknown format {format!r}")
    with get_database().session(write=False) as session:
        total = session.scalar(select(func.count()).select_from(Record)) or 0
        with output.open("wb") as out, _progress() as bar:
            task = bar.add_task(output.name, total=total, records=0)
            for chunk in export.stream(session, format, lambda n: bar.update(task, completed=n, records=n)):
                out.write(chunk)
            bar.update(task, completed=total, records=total)
    console.print(f"exported {total} records to {output} ({format})")


@app.command()
def reindex() -> None:
    """Rebuild the search index from the database (the service may keep running)."""
    from catalog.search.service import get_engine
    from catalog.search.service import reindex as rebuild

    with _progress() as bar:
        task = bar.add_task("reindex", total=None, records=0)
        done = rebuild(get_database(), get_engine(),
                       lambda n, total: bar.update(task, completed=n, total=total, records=n))
    console.print(f"indexed {done} records")


@report_app.command("annual")
def report_annual(
    unit: str = typer.Option(..., help="The unit's code: the report covers it and every unit below it"),
    year: int = typer.Option(..., help="The year"),
    xlsx_path: Path = typer.Option(None, "--xlsx", help="Write the workbook here"),
    csv_path: Path = typer.Option(None, "--csv", help="Write the flat table here"),
) -> None:
    """The annual service report (服务统计年报) of a unit, as submitted or live, to XLSX or CSV."""
    import csv

    from ils.auth.principal import job
    from reports import annual, xlsx

    with get_database().session(write=False) as session:
        report = annual.annual(session, job("cli"), unit, year)
    if xlsx_path is not None:
        xlsx_path.write_bytes(xlsx.workbook(report))
        console.print(f"wrote {xlsx_path} ({len(report.sheets)} sheets)")
    if csv_path is not None:
        with csv_path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerows(xlsx.csv_rows(report))
        console.print(f"wrote {csv_path}")
    blank = sum(len(b) for b in report.blanks.values())
    console.print(f"{report.name} {year}: {report.state}, {len(report.sheets)} sheets, {blank} blank lines")


@report_app.command("evaluation")
def report_evaluation(
    system: str = typer.Option(..., help="The 总馆's code: every unit of its system is judged"),
    year: int = typer.Option(..., help="The year"),
    xlsx_path: Path = typer.Option(None, "--xlsx", help="Write the workbook here"),
) -> None:
    """The evaluation (绩效考核) of a system: every unit against the indicators, ranked."""
    from ils.auth.principal import job
    from reports import evaluation, xlsx

    with get_database().session(write=False) as session:
        found = evaluation.evaluate(session, job("cli"), system, year)
    if xlsx_path is not None:
        xlsx_path.write_bytes(xlsx.evaluation_workbook(found))
        console.print(f"wrote {xlsx_path}")
    table = Table("rank", "unit", "level", "met", "near", "judged", "score", title=f"{found.name} {year}")
    for unit in found.units:
        table.add_row(str(unit.rank), f"{unit.code} {unit.name}", unit.level, str(unit.met), str(unit.near),
                      str(unit.judged), f"{unit.score:.2f}")
    console.print(table)


@report_app.command("assets")
def report_assets(
    unit: str = typer.Option(..., help="The unit's code: the report covers it and every unit below it"),
    year: int = typer.Option(..., help="The year"),
    xlsx_path: Path = typer.Option(None, "--xlsx", help="Write the workbook here"),
) -> None:
    """The asset report (资产统计年报) of a unit: holdings and their value at the start and end of the
    year, copies added, weeded and written off after a loss."""
    from ils.auth.principal import job
    from reports import assets, xlsx

    with get_database().session(write=False) as session:
        report = assets.assets(session, job("cli"), unit, year)
    if xlsx_path is not None:
        xlsx_path.write_bytes(xlsx.assets_workbook(report))
        console.print(f"wrote {xlsx_path}")
    table = Table("unit", "scope", "start", "added", "weeded", "lost", "end", "value at end (yuan)", "balances",
                  title=f"{report.name} {year}")
    for row in report.rows:
        table.add_row(f"{'  ' * row.depth}{row.code} {row.name}", row.scope, str(row.start.copies),
                      str(row.added.copies), str(row.weeded.copies), str(row.lost.copies), str(row.end.copies),
                      f"{row.end.value_fen / 100:.2f}", "yes" if row.balanced else "NO")
    console.print(table)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, cataloguer, librarian or manager")],
    unit: Annotated[Optional[list[str]], typer.Option(help="Unit code a librarian serves (repeatable)")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
    display_name: Annotated[Optional[str], typer.Option(help="Name shown in the desk")] = None,
) -> None:
    """Create a staff account. Without --password-stdin a password is generated and printed once."""
    from ils.auth.service import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = secrets.token_urlsafe(12)
    with get_database().session() as session:
        create_user(session, username, password, role, get_clock().now(), unit_codes=unit or [],
                    display_name=display_name)
    console.print(f"created {role} {username}" + ("" if password_stdin else f" with password: {password}"))


@user_app.command("set-password")
def user_set_password(
    username: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Give a staff account a new password (a forgotten one, a departing colleague's): every login
    of the account ends and a lock after wrong passwords is lifted. Without --password-stdin a
    password is generated and printed once."""
    from ils.auth.service import reset_staff_password

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else secrets.token_urlsafe(12)
    with get_database().session() as session:
        ended = reset_staff_password(session, username, password, get_clock().now())
    console.print(f"new password for {username}" + ("" if password_stdin else f": {password}")
                  + f"; logins ended: {ended}")


@app.command("unlock-login")
def unlock_login(
    user: Annotated[Optional[list[str]], typer.Option(help="Staff username (repeatable)")] = None,
    card: Annotated[Optional[list[str]], typer.Option(help="Reader card number (repeatable)")] = None,
    machine: Annotated[Optional[list[str]], typer.Option(help="SIP2 login of a self-check machine")] = None,
    address: Annotated[Optional[list[str]], typer.Option(help="Client address (IPv6: any address of the /64)")] = None,
) -> None:
    """Lift the lock that wrong passwords put on accounts or addresses before it runs out."""
    from ils.auth import limits

    keys = [limits.account_key("staff", u) for u in user or []] + [limits.account_key("card", c) for c in card or []]
    keys += [limits.account_key("sip2", m) for m in machine or []]
    keys += [k for a in address or [] if (k := limits.address_source(a))]
    keys += [limits.machine_source(m) for m in machine or []]
    if not keys:
        raise typer.BadParameter("name at least one --user, --card, --machine or --address")
    with get_database().session() as session:
        cleared = limits.unlock(session, keys)
    console.print(f"unlocked: {cleared} of {len(keys)} had wrong passwords counted")


@user_app.command("list")
def user_list() -> None:
    """List staff accounts with their roles and units."""
    from ils.auth.service import list_users

    table = Table("username", "role", "units", "active")
    with get_database().session(write=False) as session:
        for user, units in list_users(session):
            table.add_row(user.username, user.role, ", ".join(units) or "—", "yes" if user.active else "no")
    console.print(table)


@app.command()
def demo(
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the service afterwards")] = True,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Set up the demo county network (东川区), accounts and catalogue, then serve it."""
    from ils.demo.setup import run_demo

    from ils.config import DEMO_MODE_ENV

    # The demo may run with whatever key it finds (a laptop, a training room); `ils serve` may not.
    os.environ[DEMO_MODE_ENV] = "1"
    run_demo(console)
    if serve_after:
        _serve(host, port, 1, True, None, demo=True)


if __name__ == "__main__":  # python -m ils.cli, as the tests and benchmarks start the service
    main()
