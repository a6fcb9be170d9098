"""`ils serve` as a real process on a real port, with the outbox relay running inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.factories import make_network, make_user
from tests.support.live_server import free_port


@pytest.mark.parametrize("workers", [1, 2])
def test_served_app_answers_and_its_relay_delivers_the_outbox(db, tmp_path, workers):
    make_network(db)
    make_user(db, "cat", "cataloguer")
    port = free_port()
    env = {**os.environ, "ILS_DATABASE_URL": db.url, "ILS_DATA_DIR": str(tmp_path),
           "ILS_SECRET_KEY": "serve-test-secret-key-0123456789abcdef", "ILS_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from ils.cli import main; main()", "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("ils serve did not come up")
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "cat", "password": "password-123"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        created = httpx.post(f"{base}/api/v1/records", headers=headers, json={"flavour": "cnmarc", "marc": {
            "leader": "00000nam0 2200000   450 ",
            "fields": [{"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": "围城"}, {"f": "钱钟书著"}]}}],
        }})
        assert created.status_code == 201, created.text
        # The relay thread of the served process delivers the record's outbox message.
        for _ in range(100):
            outbox = httpx.get(f"{base}/api/v1/health").json()["outbox"]
            if outbox["pending"] == 0:
                break
            time.sleep(0.1)
        assert outbox["pending"] == 0
        # ... into the search index, which every worker reads.
        found = httpx.get(f"{base}/api/v1/search", params={"q": "wc"}).json()
        assert [h["title"] for h in found["hits"]] == ["围城"]
    finally:
        process.terminate()
        process.wait(timeout=10)
