"""Server-side sessions: Redis shared by two app instances, and the cachelib default."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from conftest import LiveServer

from app import create_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real redis-server on a loopback port, for this test run only."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: `make test` installs it (scripts/system-deps.sh)"
    port = _free_port()
    directory: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    client.close()
    proc.terminate()
    proc.wait(timeout=10)


def test_login_on_one_instance_continues_on_another(make_stack, http, redis_url):
    stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": redis_url})
    second = LiveServer(create_app(stack.settings))
    try:
        authorize = stack.start_login(http)  # instance A stores the transaction
        back = stack.sign_in_at_provider(http, authorize)
        callback = back.replace(stack.url, second.url)  # the load balancer picks instance B
        assert http.get(callback, allow_redirects=False).headers["Location"] == "/dashboard"
        page = http.get(second.url + "/dashboard")
        assert page.status_code == 200 and "Signed in as" in page.text
        assert stack.session_json(http)["authenticated"] is True  # and A sees it too
        keys = redis.Redis.from_url(redis_url).keys("flowlab:*")
        assert keys, "the session lives in Redis"
    finally:
        second.stop()


def test_cachelib_sessions_live_under_instance(stack, http):
    stack.login(http)
    files = list((Path(stack.settings.instance_path) / "sessions").iterdir())
    assert files
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert stack.app.config["SESSION_CACHELIB"]._threshold >= 100_000


def test_redis_outage_is_a_clear_503_and_recovers(make_stack, http, tmp_path):
    binary = shutil.which("redis-server")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": url})
        stack.login(http)
        proc.terminate()
        proc.wait(timeout=10)
        for path in ("/dashboard", "/login", "/api/session"):
            response = http.get(stack.url + path, allow_redirects=False)
            assert response.status_code == 503, path
            assert "The session store is unavailable" in response.text and "Traceback" not in response.text
        proc = subprocess.Popen(proc.args, stdout=subprocess.DEVNULL)  # the store comes back (empty)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        http.cookies.clear()
        assert stack.login(http).headers["Location"] == "/dashboard"
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
