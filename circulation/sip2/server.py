"""The SIP2 TCP server: many self-check machines at once, each on its own connection.

One asyncio loop reads every connection and cuts its bytes into messages; each message is
answered in a thread of a bounded pool (the answer is one database transaction, and the
database pool must not be outnumbered by threads waiting on it). A connection's messages are
answered one after the other, as a machine waits for each answer anyway. Nothing a machine
sends can stop the server: a bad frame costs that machine a refusal, a stream of garbage costs
it the connection, and an idle connection is closed after a while.

Nothing a stranger does can keep the machines out either: a connection that has not logged in
within ``login_seconds`` is closed (sending something does not buy it more time), one address
holds at most ``max_per_address`` connections and the server ``max_connections``, and the
connection over a limit is closed at once without touching the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from circulation.sip2.codec import Framer
from circulation.sip2.service import Connection, NeedsDatabase, answer_at_once, handle
from ils.config import get_settings

log = logging.getLogger("ils.sip2")

# Messages answered at once. The answers are mostly Python work under one GIL: on the 2-core
# bench (bench/sip2_load.py, 50 machines) 4-8 threads answered about a fifth more messages a
# second than 16, with a far shorter tail, and still overlap one machine's database round trip
# with another's work.
THREADS = 8
MAX_CONNECTIONS = 1000
# Machines keep their connection open all day and send an SC status every few minutes; one
# silent for half an hour has been switched off or lost its network (or sends no heartbeat: it
# finds the connection closed at its next reader and logs in again).
IDLE_SECONDS = 1800.0
# The host itself: a TLS proxy in front of the server (stunnel, as the README advises) brings
# every machine of the network from here, so a limit per address would refuse the ninth machine.
UNLIMITED_ADDRESSES = frozenset({"127.0.0.1", "::1"})
# A flood of refused connections is logged one line per this many seconds, with the count.
REFUSAL_LOG_SECONDS = 5.0
# Open files the process needs besides the machines' connections: the database pool, the web
# service beside the server, logs, the search index.
OTHER_FILES = 200
# Consecutive frames answered "resend" before the connection is dropped: whatever is on the
# other end is not speaking SIP2 (a port scanner, a misconfigured printer).
MAX_REFUSALS = 20
READ_BYTES = 65536


class Sip2Server:
    """``await start()`` then ``await serve_forever()``, or ``start_in_thread()``."""

    def __init__(self, host: str, port: int, *, threads: int = THREADS, max_connections: int = MAX_CONNECTIONS,
                 idle_seconds: float = IDLE_SECONDS, login_seconds: float | None = None,
                 max_per_address: int | None = None):
        """``login_seconds`` and ``max_per_address`` default to ILS_SIP2_LOGIN_SECONDS and
        ILS_SIP2_MAX_PER_ADDRESS; a ``max_per_address`` of 0 sets no limit per address."""
        settings = get_settings()
        self.host, self.port = host, port
        self.max_connections, self.idle_seconds = max_connections, idle_seconds
        self.login_seconds = settings.sip2_login_seconds if login_seconds is None else login_seconds
        self.max_per_address = settings.sip2_max_per_address if max_per_address is None else max_per_address
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sip2")
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._per_address: Counter[str] = Counter()
        self._refused, self._refusal_logged_at = 0, float("-inf")

    async def start(self) -> None:
        self.max_connections = _connections_possible(self.max_connections)
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=READ_BYTES)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("SIP2 server listening on %s:%s", self.host, self.port)

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def connections(self) -> int:
        return len(self._writers)

    def _over_limit(self, address: str) -> str | None:
        if len(self._writers) >= self.max_connections:
            return f"{len(self._writers)} connections open, the server's limit"
        if self.max_per_address and address not in UNLIMITED_ADDRESSES \
                and self._per_address[address] >= self.max_per_address:
            return f"{self._per_address[address]} connections open from {address}, the limit per address"
        return None

    def _refuse(self, writer: asyncio.StreamWriter, peer: str, reason: str) -> None:
        writer.close()
        self._refused += 1
        now = time.monotonic()
        if now - self._refusal_logged_at >= REFUSAL_LOG_SECONDS:
            log.warning("SIP2 connection from %s refused: %s (%d refused since the last such line)",
                        peer, reason, self._refused)
            self._refused, self._refusal_logged_at = 0, now

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername") or ("?", "?")
        address, peer = _address(peername[0]), "%s:%s" % peername[:2]
        reason = self._over_limit(address)
        if reason is not None:
            self._refuse(writer, peer, reason)
            return
        self._writers.add(writer)
        self._per_address[address] += 1
        try:
            await self._converse(reader, writer, Connection(peer))
        except (ConnectionError, OSError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the machine went away; nothing to answer
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must cost this connection, never the server
            log.exception("SIP2 connection from %s failed", peer)
        finally:
            self._writers.discard(writer)
            self._per_address[address] -= 1
            if self._per_address[address] <= 0:
                del self._per_address[address]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        framer, refusals = Framer(), 0
        login_by = loop.time() + self.login_seconds
        while True:
            left = login_by - loop.time()
            awaiting_login = connection.machine is None and left < self.idle_seconds
            try:
                if awaiting_login and left <= 0:
                    raise TimeoutError
                data = await asyncio.wait_for(reader.read(READ_BYTES), left if awaiting_login else self.idle_seconds)
            except TimeoutError:
                if awaiting_login:
                    log.info("SIP2 connection from %s closed: no login within %g s", connection.peer,
                             self.login_seconds)
                else:
                    log.info("SIP2 connection from %s closed: silent for %g s", connection.peer, self.idle_seconds)
                return
            if not data:
                return
            for frame in framer.feed(data):
                logged_in = connection.machine is not None
                try:
                    answer = answer_at_once(connection, frame)
                except NeedsDatabase:
                    answer = await loop.run_in_executor(self._pool, handle, connection, frame)
                if logged_in and connection.machine is None:
                    # The account was disabled, or the machine sent a login that failed: it has
                    # the same time to log in again as a new connection.
                    login_by = loop.time() + self.login_seconds
                if answer is None:
                    continue
                writer.write(answer)
                await writer.drain()
                refusals = refusals + 1 if answer.startswith(b"96") else 0
                if refusals >= MAX_REFUSALS:
                    log.warning("SIP2 connection from %s dropped after %d unreadable frames", connection.peer, refusals)
                    return

    def start_in_thread(self) -> RunningServer:
        """Serve from a daemon thread with its own event loop (inside ``ils serve``, beside the
        web service, and in tests). Returns once the port is bound."""
        return RunningServer(self)


def _connections_possible(wanted: int) -> int:
    """How many connections the process can hold: each is an open file, and a process out of
    them cannot accept, so every new machine would wait or be reset instead of the one over the
    limit being refused. A soft limit too low (systemd's default is 1024) is raised towards the
    hard one; where that is not allowed, the server holds fewer connections and says so."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to meet
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + OTHER_FILES
    if soft != resource.RLIM_INFINITY and soft < need:
        raised = need if hard == resource.RLIM_INFINITY else min(need, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        if soft < need:
            possible = max(1, soft - OTHER_FILES)
            log.warning("SIP2 server holds at most %d connections: the process may open %d files", possible, soft)
            return possible
    return wanted


def _address(host: str) -> str:
    """The address a limit counts: an IPv4 client of a dual-stack listener shows as
    ``::ffff:a.b.c.d`` and is the same client as ``a.b.c.d``."""
    try:
        parsed = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


class RunningServer:
    """A server serving from its own thread; ``stop()`` closes it and its connections."""

    def __init__(self, server: Sip2Server):
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sip2-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    @property
    def port(self) -> int:
        return self.server.port

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:  # e.g. the port is taken: tell the caller, in its own thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_until_complete(self.server.serve_forever())
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.run_until_complete(self.server.close())
            # Let the cancelled connections finish closing their sockets before the loop goes.
            pending = asyncio.all_tasks(self._loop)
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        if not self._thread.is_alive():
            return

        def cancel() -> None:
            for task in asyncio.all_tasks(self._loop):
                task.cancel()

        self._loop.call_soon_threadsafe(cancel)
        self._thread.join(timeout)
