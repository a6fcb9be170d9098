"""The SIP2 TCP server: many self-check machines at once, each on its own connection.

One asyncio loop reads every connection and cuts its bytes into messages; each message is
answered in a thread of a bounded pool (the answer is one database transaction, and the
database pool must not be outnumbered by threads waiting on it). A connection's messages are
answered one after the other, as a machine waits for each answer anyway. Nothing a machine
sends can stop the server: a bad frame costs that machine a refusal, a stream of garbage costs
it the connection, and an idle connection is closed after a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from circulation.sip2.codec import Framer
from circulation.sip2.service import Connection, NeedsDatabase, answer_at_once, handle

log = logging.getLogger("ils.sip2")

# Messages answered at once. The answers are mostly Python work under one GIL: on the 2-core
# bench (bench/sip2_load.py, 50 machines) 4-8 threads answered about a fifth more messages a
# second than 16, with a far shorter tail, and still overlap one machine's database round trip
# with another's work.
THREADS = 8
MAX_CONNECTIONS = 1000
# Machines keep their connection open all day and send an SC status every few minutes; one
# silent for half an hour has been switched off or lost its network.
IDLE_SECONDS = 1800.0
# Consecutive frames answered "resend" before the connection is dropped: whatever is on the
# other end is not speaking SIP2 (a port scanner, a misconfigured printer).
MAX_REFUSALS = 20
READ_BYTES = 65536


class Sip2Server:
    """``await start()`` then ``await serve_forever()``, or ``start_in_thread()``."""

    def __init__(self, host: str, port: int, *, threads: int = THREADS, max_connections: int = MAX_CONNECTIONS,
                 idle_seconds: float = IDLE_SECONDS):
        self.host, self.port = host, port
        self.max_connections, self.idle_seconds = max_connections, idle_seconds
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sip2")
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
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

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = "%s:%s" % (writer.get_extra_info("peername") or ("?", "?"))[:2]
        if len(self._writers) >= self.max_connections:
            log.warning("SIP2 connection from %s refused: %d connections open", peer, len(self._writers))
            writer.close()
            return
        self._writers.add(writer)
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
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        framer, refusals = Framer(), 0
        while True:
            data = await asyncio.wait_for(reader.read(READ_BYTES), self.idle_seconds)
            if not data:
                return
            for frame in framer.feed(data):
                try:
                    answer = answer_at_once(connection, frame)
                except NeedsDatabase:
                    answer = await loop.run_in_executor(self._pool, handle, connection, frame)
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
