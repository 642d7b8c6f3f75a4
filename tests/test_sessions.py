"""Server-side sessions: Redis shared by two app instances, and the cachelib default."""

from __future__ import annotations

from pathlib import Path

import redis

from app import create_app
from tests.support import LiveServer, start_redis, stop


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
    proc, url = start_redis(tmp_path)
    try:
        stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": url})
        stack.login(http)
        stop(proc)
        for path in ("/dashboard", "/login", "/api/session"):
            response = http.get(stack.url + path, allow_redirects=False)
            assert response.status_code == 503, path
            assert "The session store is unavailable" in response.text and "Traceback" not in response.text
        proc, _ = start_redis(tmp_path, int(url.split(":")[2].split("/")[0]))  # the store comes back, empty
        http.cookies.clear()
        assert stack.login(http).headers["Location"] == "/dashboard"
    finally:
        stop(proc)


def test_a_request_that_changes_nothing_does_not_store_the_session(stack, http):
    """Storing only what changed: a stylesheet or a page fetched alongside a request that writes (the
    implicit page's verify) cannot write back the copy it read and undo that write."""
    stack.login(http)
    http.get(stack.url + "/dashboard")  # records seen_at (at most once a minute)
    store = Path(stack.settings.instance_path) / "sessions"

    def snapshot() -> dict:
        return {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in store.iterdir()}

    before = snapshot()
    for path in ("/static/style.css", "/dashboard", "/trace", "/api/session"):
        assert http.get(stack.url + path).status_code == 200
    assert snapshot() == before
    stack.post(http, "/auto-refresh", data={"enabled": "1"})  # a request that changes the session stores it
    assert snapshot() != before
