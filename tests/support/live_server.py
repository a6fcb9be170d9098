"""The real HTTP service in a subprocess, for tests that need what the in-process TestClient
cannot give: several worker processes, a thread pool serving requests side by side, and
clients whose requests truly overlap on the database.

The served process uses the system clock, not the tests' FixedClock: data a test seeds must
be valid on the real date (cards far from expiry, loans made through the served API).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SECRET_KEY = "live-server-test-secret-key-0123456789abcdef"
# A start-up (two workers importing the app) took over 20 s on the shared 2-core machine under load.
STARTUP_SECONDS = 60
STOP_SECONDS = 10
STARTUP_ERROR_CHARS = 5000
REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _tail(path: Path) -> str:
    """The end of the server's stderr: a server failing every health check repeats itself."""
    return _read(path)[-STARTUP_ERROR_CHARS:]


def wait_until_up(process: subprocess.Popen[bytes], base_url: str, stderr: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    # One client for every probe: a new one each time builds an SSL context, a few seconds of
    # CPU over a slow start-up, taken from the server starting beside it.
    with httpx.Client(timeout=1) as probe:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"ils serve exited with status {process.returncode} before answering:\n"
                                   f"{_tail(stderr)}")
            try:
                if probe.get(f"{base_url}/api/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"ils serve did not answer {base_url}/api/v1/health within {STARTUP_SECONDS} s:\n"
                       f"{_tail(stderr)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the supervisor and its workers: the whole process group, gently, then for good."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_SECONDS)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    # Workers that outlived their supervisor would keep database connections open.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def spawn(database_url: str, port: int, data_dir: str, stderr: Path, *, workers: int, relay: bool,
           extra_env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    """``ils serve`` in a process group of its own (its workers join it), stderr appended to a file."""
    env = {
        **os.environ,
        "ILS_DATABASE_URL": database_url,
        "ILS_SECRET_KEY": SECRET_KEY,
        "ILS_DATA_DIR": data_dir,
        # Upper case: logging.basicConfig in ils.cli.main refuses "warning".
        "ILS_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    # ils.cli has no ``__main__`` entry, so ``-m ils.cli`` would exit at once; call main().
    command = [sys.executable, "-c", "from ils.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--relay" if relay else "--no-relay"]
    with stderr.open("ab") as sink:
        return subprocess.Popen(command, env=env, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=sink,
                                start_new_session=True)


@contextmanager
def live_server(database_url: str, *, workers: int = 1, relay: bool = False,
                extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``ils serve`` against ``database_url`` and yield its base URL (http://127.0.0.1:port).

    The server's stderr (tracebacks of any 500) is printed when the block ends, so a failing
    test shows it; if the server dies while starting, the error carries it.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ils-live-") as data_dir:
        # A file of its own for the server (appending), read by name here, so reading it
        # never moves the server's write position.
        stderr = Path(data_dir) / "stderr.log"
        process = spawn(database_url, port, data_dir, stderr, workers=workers, relay=relay, extra_env=extra_env)
        try:
            wait_until_up(process, base_url, stderr)
            yield base_url
        finally:
            stop(process)
            output = _read(stderr).strip()
            if output:
                print(f"--- ils serve stderr ({base_url}) ---\n{output}", file=sys.stderr)


class CrashableServer:
    """``ils serve`` that a test kills without warning (SIGKILL to the supervisor and its workers
    at once, as the OOM killer would) and starts again on the same port, data directory and
    database, as a service manager would. Use it as a context manager: leaving the block stops
    whatever still runs and prints the stderr of every run."""

    def __init__(self, database_url: str, *, workers: int = 1, relay: bool = False,
                 extra_env: dict[str, str] | None = None) -> None:
        self.database_url, self.workers, self.relay, self.extra_env = database_url, workers, relay, extra_env
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="ils-crash-")
        self.stderr = Path(self._dir.name) / "stderr.log"

    def start(self) -> None:
        assert self.process is None, "already running"
        self.process = spawn(self.database_url, self.port, self._dir.name, self.stderr, workers=self.workers,
                              relay=self.relay, extra_env=self.extra_env)
        wait_until_up(self.process, self.base_url, self.stderr)

    def kill(self) -> None:
        """SIGKILL to the whole process group at once: no worker gets to finish a request."""
        assert self.process is not None, "not running"
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None

    def __enter__(self) -> "CrashableServer":
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.process is not None:
                stop(self.process)
                self.process = None
            output = _read(self.stderr).strip() if self.stderr.exists() else ""
            if output:
                print(f"--- ils serve stderr ({self.base_url}, every run) ---\n{output}", file=sys.stderr)
        finally:
            self._dir.cleanup()
