"""Two gunicorn instances share sessions through a real redis-server, under concurrent logins.

Each login starts on one instance; its callback and dashboard go to the other (as a load balancer
without sticky sessions would send them). Bounded: 200 logins, 16 at a time, 20 s per request.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from local_cognito import create_provider_app
from local_cognito.settings import default_pool
from tests.support import LiveServer, free_port, stop

LOGINS = 200
CONCURRENCY = 16
ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def start_instance(port: int, env: dict, log: Path) -> subprocess.Popen:
    """gunicorn on `port`, started (wait_until_serving waits for it)."""
    args = [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "60", "app:create_app()"]
    with log.open("w") as out:  # the child keeps its own descriptor
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_serving(proc: subprocess.Popen, port: int, log: Path) -> subprocess.Popen:
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return proc
        except (requests.ConnectionError, requests.Timeout):  # a busy machine may answer slowly at first
            time.sleep(0.1)
    stop(proc)
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()[-2000:]}")


@pytest.fixture
def cluster(tmp_path, key_dir, redis_url):
    """A provider with 200 users, and two gunicorn instances behind one APP_URL."""
    ports = [free_port(), free_port()]
    app_url = f"http://127.0.0.1:{ports[0]}"  # the load balancer's URL; both instances use it
    provider_server = LiveServer()
    pool = default_pool(app_url, port=provider_server.server.server_port)
    pool["users"] = [
        {
            "username": f"user{i}",
            "password": f"pw-{i}",
            "sub": f"sub-{i:04d}",
            "email": f"user{i}@example.com",
            "email_verified": True,
            "groups": [],
            "attributes": {},
        }
        for i in range(LOGINS)
    ]
    pool_file = tmp_path / "local_cognito.json"
    pool_file.write_text(json.dumps(pool))
    shutil.copytree(key_dir, tmp_path / "keys")
    provider_server.app = create_provider_app(pool, tmp_path / "keys", base_url=provider_server.url)
    procs = []
    try:
        for index, port in enumerate(ports):
            env = {
                **os.environ,
                "APP_URL": app_url,
                "SESSION_BACKEND": "redis",
                "REDIS_URL": redis_url,
                "LOCAL_COGNITO_FILE": str(pool_file),
                "INSTANCE_PATH": str(tmp_path / f"instance{index}"),  # nothing shared but Redis
                "SECRET_KEY": "shared-by-all-instances",
            }
            procs.append(start_instance(port, env, tmp_path / f"gunicorn{index}.log"))
        for index, (proc, port) in enumerate(zip(procs, ports, strict=True)):  # both start at once
            wait_until_serving(proc, port, tmp_path / f"gunicorn{index}.log")
        yield [f"http://127.0.0.1:{p}" for p in ports], provider_server
    finally:
        for proc in procs:
            stop(proc)
        provider_server.stop()


def one_login(index: int, instances: list[str], provider_url: str) -> dict:
    """Start on one instance, finish on the other; return what happened."""
    first, second = instances[index % 2], instances[(index + 1) % 2]
    statuses = []
    with requests.Session() as http:

        def get(url, **kw):
            response = http.get(url, timeout=20, allow_redirects=False, **kw)
            statuses.append(response.status_code)
            return response

        authorize = get(first + "/login").headers["Location"]
        login_page = get(get(authorize).headers["Location"])
        hidden = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', login_page.text)
        form = {k: html.unescape(v) for k, v in hidden}
        form.update(username=f"user{index}", password=f"pw-{index}")
        posted = http.post(provider_url + "/login", data=form, timeout=20, allow_redirects=False)
        statuses.append(posted.status_code)
        callback = posted.headers["Location"].replace(instances[0], second, 1)
        landed = get(callback)
        dashboard = get(second + landed.headers.get("Location", "/missing"))
        session = get(first + "/api/session").json()
    return {"statuses": statuses, "dashboard": dashboard.text, "session": session, "index": index}


def test_200_concurrent_logins_across_two_instances(cluster):
    instances, provider = cluster
    started = time.monotonic()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(lambda i: one_login(i, instances, provider.url), range(LOGINS)))
    elapsed = time.monotonic() - started
    statuses = Counter(s for r in results for s in r["statuses"])
    assert not [s for s in statuses if s >= 500], statuses
    lost = [r["index"] for r in results if not r["session"].get("authenticated")]
    assert lost == [], f"lost sessions: {lost[:10]}"
    for r in results:
        assert r["session"]["sub"] == f"sub-{r['index']:04d}"  # every user sees only their own claims
        assert f'Signed in as <span id="who">user{r["index"]}</span>' in r["dashboard"]
    assert elapsed < 240, f"the load test took {elapsed:.0f} s"
