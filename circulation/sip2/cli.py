"""``ils sip2``: the SIP2 server on its own, and the accounts of the self-check machines.

Heavy imports wait inside the commands: ``ils --help`` should not load the database layer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

sip2_app = typer.Typer(help="SIP2 server for self-check machines (自助借还机).", no_args_is_help=True)
account_app = typer.Typer(help="SIP2 accounts: one login per self-check machine.", no_args_is_help=True)
sip2_app.add_typer(account_app, name="account")
console = Console()


def _actor() -> str:
    return "cli:" + (os.environ.get("USER") or "ils")


def start_server_thread(host: str, port: int):  # type: ignore[no-untyped-def]
    """The SIP2 server serving from a thread of this process (``ils serve`` with ILS_SIP2_PORT)."""
    from circulation.sip2.server import Sip2Server

    return Sip2Server(host, port).start_in_thread()


@sip2_app.command("serve")
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on (default: ILS_SIP2_HOST)")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default: ILS_SIP2_PORT, else 6001)")] = None,
    threads: Annotated[int, typer.Option(help="Messages answered at once (each holds a database connection)")] = 0,
) -> None:
    """Run the SIP2 server alone, without the web service, until stopped."""
    from circulation.sip2.server import THREADS, Sip2Server
    from ils.config import get_settings

    settings = get_settings()
    server = Sip2Server(host or settings.sip2_host, port or settings.sip2_port or 6001, threads=threads or THREADS)

    async def run() -> None:
        await server.start()
        console.print(f"SIP2 server listening on {server.host}:{server.port}; Ctrl+C stops it")
        await server.serve_forever()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        logging.getLogger("ils.sip2").info("SIP2 server stopped")


@account_app.command("add")
def account_add(
    login: str,
    unit: Annotated[str, typer.Option(help="Code of the unit the machine stands at")],
    encoding: Annotated[str, typer.Option(help="utf-8 or gb18030 (older machines)")] = "utf-8",
    error_detection: Annotated[bool, typer.Option("--error-detection", help="Always answer with AY/AZ")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
    institution_id: Annotated[Optional[str], typer.Option(help="AO to answer with (default: the unit code)")] = None,
    location: Annotated[Optional[str], typer.Option(help="Where the machine stands, e.g. 一楼大厅")] = None,
) -> None:
    """Create a machine's account. Without --password-stdin a password is generated and printed once."""
    import secrets

    from circulation.sip2.accounts import create_account
    from circulation.sip2.schemas import Sip2AccountCreate
    from ils.clock import get_clock
    from ils.db import get_database

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else secrets.token_urlsafe(12)
    data = Sip2AccountCreate.model_construct(login=login, password=password, unit=unit, encoding=encoding,
                                             error_detection=error_detection, institution_id=institution_id,
                                             location=location)
    with get_database().session() as session:
        create_account(session, data, _actor(), get_clock().now())
    console.print(f"created SIP2 account {login} at {unit} ({encoding}"
                  f"{', error detection' if error_detection else ''})"
                  + ("" if password_stdin else f" with password: {password}"))


@account_app.command("list")
def account_list() -> None:
    """List the machines' accounts."""
    from circulation.sip2.accounts import list_accounts, read
    from ils.db import get_database

    table = Table("login", "unit", "encoding", "error detection", "active", "institution", "location")
    with get_database().session(write=False) as session:
        for account in list_accounts(session):
            row = read(session, account)
            table.add_row(row.login, row.unit, row.encoding, "yes" if row.error_detection else "no",
                          "yes" if row.active else "no", row.institution_id, row.location or "—")
    console.print(table)


def _set_active(login: str, active: bool) -> None:
    from circulation.sip2.accounts import update_account
    from circulation.sip2.schemas import Sip2AccountUpdate
    from ils.clock import get_clock
    from ils.db import get_database

    with get_database().session() as session:
        update_account(session, login, Sip2AccountUpdate(active=active), get_clock().now())


@account_app.command("disable")
def account_disable(login: str) -> None:
    """Stop a machine from logging in (kept for the record; a connected machine is refused within 30 s)."""
    _set_active(login, False)
    console.print(f"disabled SIP2 account {login}")


@account_app.command("enable")
def account_enable(login: str) -> None:
    """Let a disabled machine log in again."""
    _set_active(login, True)
    console.print(f"enabled SIP2 account {login}")


@account_app.command("remove")
def account_remove(login: str) -> None:
    """Delete a machine's account (its check-outs stay in the event log under sip2:<login>)."""
    from circulation.sip2.accounts import remove_account
    from ils.db import get_database

    with get_database().session() as session:
        remove_account(session, login)
    console.print(f"removed SIP2 account {login}")
