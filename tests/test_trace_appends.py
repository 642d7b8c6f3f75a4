"""Issue 20.9: trace steps are appended, never written over. Two requests of one browser that end together
(a page and its fetch, two tabs, two gunicorn workers) both keep their steps, in the file store and in Redis.

Each test makes the two requests read the trace at the same moment: after its read of the trace record, each
waits (at most READ_WAIT seconds) until the other request has read it too. A store that reads, changes and writes
without excluding the other then loses one request's step; the atomic update (tracing/stores.py) lets the
second read only after the first has written (files: a lock, so the first read waits out READ_WAIT alone), or
runs the second again on what the first wrote (Redis: WATCH/MULTI)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import redis
import requests
from cachelib import FileSystemCache

from tracing import recorder

READ_WAIT = 3.0  # long enough for the other request to reach its read on a busy machine


@contextmanager
def reads_meet(cls: type, method: str, is_trace: Callable[[object], bool]) -> Iterator[list[str]]:
    """While inside, `cls.method` (a store's read) of a trace record reads, then waits for a second such read
    to have read too: both hold what they read before either goes on to write."""
    barrier = threading.Barrier(2)
    original = getattr(cls, method)
    met: list[str] = []

    def meeting(self, key, *args, **kwargs):
        value = original(self, key, *args, **kwargs)
        if is_trace(key):
            try:
                barrier.wait(READ_WAIT)
                met.append("together")
            except threading.BrokenBarrierError:
                met.append("alone")  # the other read waits for this request's write (or came long before)
        return value

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cls, method, meeting)
        yield met


def two_userinfo_calls_at_once(stack, http: requests.Session, csrf: str) -> None:
    """The signed-in browser `http` calls userInfo twice at the same moment (two threads, its cookies)."""
    answers: list[int] = []

    def call() -> None:
        with requests.Session() as tab:
            tab.cookies.update(http.cookies)
            answer = tab.post(stack.url + "/userinfo", data={"csrf_token": csrf}, allow_redirects=False)
            answers.append(answer.status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [302, 302]


def userinfo_steps(stack, http) -> int:
    record = stack.app.extensions["trace_store"].load(http.cookies.get(recorder.TRACE_COOKIE))
    return [s["name"] for s in record["steps"]].count("userinfo")


def test_two_requests_ending_together_both_keep_their_steps_in_the_file_store(stack, http):
    stack.login(http)
    csrf = stack.form_csrf(http, "/dashboard")  # before: the dashboard's own probes are steps of the trace too
    with reads_meet(FileSystemCache, "get", lambda key: str(key).startswith("t:")) as met:
        two_userinfo_calls_at_once(stack, http, csrf)
    assert userinfo_steps(stack, http) == 2
    assert met == ["alone", "alone"]  # each read the trace only after the other's write


def test_two_requests_ending_together_both_keep_their_steps_in_redis(make_stack, http, redis_url):
    stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": redis_url})
    stack.login(http)
    is_trace = lambda key: str(key).startswith("flowlab-trace:t:")  # noqa: E731
    csrf = stack.form_csrf(http, "/dashboard")  # before: the dashboard's own probes are steps of the trace too
    with reads_meet(redis.Redis, "get", is_trace) as met:
        two_userinfo_calls_at_once(stack, http, csrf)
    assert userinfo_steps(stack, http) == 2
    assert met[:2] == ["together", "together"]  # both read at once; the second's write ran again on the first's
