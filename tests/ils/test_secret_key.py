"""`ils serve` will not sign tokens with a placeholder or short ILS_SECRET_KEY (anyone who read
the example file could sign one for any account); an unset key is generated once and kept."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

import pytest

from ils.config import Settings, secret_key_problem
from ils.errors import DomainError
from tests.support.live_server import REPOSITORY, free_port

GOOD = "kQ3vX9_pL2mZ7rT5wY8uN1bC4dF6gH0jA-sE"


def _serve(key: str | None, tmp_path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ILS_DATA_DIR": str(tmp_path), "ILS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
           "ILS_LOG_LEVEL": "WARNING"}
    env.pop("ILS_SECRET_KEY", None)
    if key is not None:
        env["ILS_SECRET_KEY"] = key
    return subprocess.run([sys.executable, "-c", "from ils.cli import main; main()", "serve", "--port", str(port)],
                          env=env, cwd=REPOSITORY, capture_output=True, text=True, timeout=60)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("key,says", [
    ("CHANGE_ME_SECRET_KEY", "placeholder"),                       # deploy/ils.env.example's value
    ("changeme-changeme-changeme-changeme-1234", "placeholder"),
    ("this-is-an-example-key-for-the-docs-0123456789", "placeholder"),
    ("s3cr3t-but-short", "at least 32"),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "different characters"),
])
def test_ils_serve_refuses_a_placeholder_or_short_key(tmp_path, key, says):
    port = free_port()
    result = _serve(key, tmp_path, port)
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "refuses to start" in message and "ILS_SECRET_KEY" in message and says in message
    assert "secrets.token_urlsafe(48)" in message  # how to make a good one
    assert key not in message  # the key itself is never printed
    assert not _listening(port)


def test_the_app_refuses_to_sign_with_a_placeholder_key_outside_demo_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("ILS_DEMO_MODE", raising=False)
    with pytest.raises(DomainError) as refused:
        Settings(secret_key="CHANGE_ME_SECRET_KEY", data_dir=tmp_path).resolved_secret_key()
    assert refused.value.code == "SECRET_KEY_WEAK"
    monkeypatch.setenv("ILS_DEMO_MODE", "1")  # what `ils demo` sets for the process it serves
    assert Settings(secret_key="CHANGE_ME_SECRET_KEY", data_dir=tmp_path).resolved_secret_key() == \
        "CHANGE_ME_SECRET_KEY"


def test_an_unset_key_is_generated_once_into_the_data_directory(tmp_path):
    first = Settings(secret_key=None, data_dir=tmp_path).resolved_secret_key()
    again = Settings(secret_key=None, data_dir=tmp_path).resolved_secret_key()
    assert first == again and secret_key_problem(first) is None
    path = tmp_path / "secret.key"
    assert path.read_text() == first and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_tests_key_and_a_generated_key_are_accepted():
    assert secret_key_problem("test-secret-key-with-enough-length-1234567890") is None
    assert secret_key_problem(GOOD) is None


def test_ils_serve_starts_with_no_key_set_and_keeps_the_one_it_made(tmp_path):
    import time

    import httpx

    from ils.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    upgrade(url)
    port = free_port()
    env = {**os.environ, "ILS_DATA_DIR": str(tmp_path), "ILS_DATABASE_URL": url, "ILS_LOG_LEVEL": "WARNING"}
    env.pop("ILS_SECRET_KEY", None)
    process = subprocess.Popen([sys.executable, "-c", "from ils.cli import main; main()", "serve", "--port",
                                str(port)], env=env, cwd=REPOSITORY, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "ils serve did not start"
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert secret_key_problem((tmp_path / "secret.key").read_text()) is None
