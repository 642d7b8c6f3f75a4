"""What a live demo does over HTTP (issue 23): the other loopback name, the start-up banner, reloads
and replays of the callback, a code that expired on a presenter pause."""

from __future__ import annotations

import html
import re
import time
import types
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import extract, launch_app, wait_until_healthy


@pytest.mark.parametrize("path", ["/login?next=/machine", "/implicit", "/authorize-request", "/spa"])
def test_a_sign_in_started_at_the_other_loopback_name_moves_to_app_url_first(stack, path):
    port = urlsplit(stack.url).port
    response = requests.get(stack.url + path, headers={"Host": f"localhost:{port}"}, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"] == stack.url + path  # the same request, on APP_URL's host
    assert stack.stored_files() == []  # no transaction was made on the wrong host
    assert "Set-Cookie" not in response.headers


def test_pages_that_start_no_sign_in_stay_where_they_are(stack):
    port = urlsplit(stack.url).port
    home = requests.get(stack.url + "/", headers={"Host": f"localhost:{port}"}, allow_redirects=False, timeout=10)
    assert home.status_code == 200


def test_the_banners_last_line_is_the_url_to_open(tmp_path):
    """`make run` (python app.py): after the banner nothing prints another URL (Flask's "Running on
    http://127.0.0.1:..." used to come last, and that host breaks the sign-in)."""
    proc, out, env = launch_app(tmp_path)
    try:
        wait_until_healthy(env["PORT"])
        lines = [line.strip() for line in out.read_text().splitlines() if line.strip()]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    port = env["PORT"]
    with_urls = [line for line in lines if "http://" in line and "GET /api/health" not in line]
    assert with_urls[-1] == f"Open this URL: http://localhost:{port}", lines


def continue_form(page: str) -> tuple[str, dict]:
    """The presenter screen's Continue form: its action and hidden fields."""
    action = html.unescape(extract(r'<form method="post" action="([^"]+)"', page))
    fields = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)}
    return action, fields


def paused_callback(stack, http) -> str:
    """Presenter mode on, signed in at the provider: the callback URL that pauses before the exchange."""
    http.get(stack.url + "/presenter", params={"on": "1"})
    first = http.get(stack.url + "/login").text
    authorize = html.unescape(extract(r'id="continue" href="([^"]+)"', first))
    return stack.sign_in_at_provider(http, authorize)


def test_reloading_the_paused_exchange_shows_the_pause_again(stack, http):
    """The pause before the code exchange is a page at /callback?code=...; a reload showed "Unknown or
    already used state" although nothing was sent yet."""
    back = paused_callback(stack, http)
    first = http.get(back)
    assert "Exchange the code for tokens" in first.text
    again = http.get(back)
    assert again.status_code == 200 and "Exchange the code for tokens" in again.text
    action, fields = continue_form(again.text)
    done = http.post(stack.url + action, data=fields)
    assert "What came back from the token endpoint" in done.text
    assert stack.session_json(http)["authenticated"] is True


def test_a_callback_opened_again_after_the_sign_in_says_it_completed(stack, http):
    back = stack.sign_in_at_provider(http, stack.start_login(http, "/login?next=/machine"))
    assert http.get(back, allow_redirects=False).headers["Location"] == "/machine"
    again = http.get(back)
    assert again.status_code == 200
    text = html.unescape(again.text)
    assert "This page was opened again (a reload, or Back): the sign-in it completed is done" in text
    assert re.search(r'<a class="button primary" id="completed-result" href="/machine">', again.text)
    assert "Unknown or already used state" not in text
    assert len(stack.steps("token")) == 1  # the code was not sent again


def test_another_browser_replaying_the_callback_is_still_refused(stack, http):
    back = stack.sign_in_at_provider(http, stack.start_login(http))
    http.get(back)
    with requests.Session() as stranger:
        replay = stranger.get(back)
    assert replay.status_code == 400 and "Unknown or already used state" in html.unescape(replay.text)


def test_the_paused_exchange_shows_the_codes_remaining_life(stack, http):
    page = http.get(paused_callback(stack, http)).text
    clock = re.search(r'<strong class="code-clock" id="code-clock" data-expires-at="(\d+)">(.*?)</strong>', page, re.S)
    assert clock, page
    left = int(clock.group(1)) / 1000 - time.time()
    assert 290 < left <= 300  # Cognito: "The authorization code is valid for five minutes"
    assert re.search(r"The code expires in [45]:\d\d", clock.group(2))


def test_a_code_that_expired_on_the_pause_says_so_and_offers_sign_in_again(stack, http, monkeypatch):
    """Six minutes on the pause: the provider refuses the code (invalid_grant). One sentence says the code
    expired while paused, and "Sign in again" starts a new sign-in, still in presenter mode."""
    back = paused_callback(stack, http)
    action, fields = continue_form(http.get(back).text)
    real = time.time
    monkeypatch.setattr("flows.context.time", types.SimpleNamespace(time=lambda: real() + 360))
    provider = stack.pool.clock
    stack.pool.clock = lambda: provider() + 360
    refused = http.post(stack.url + action, data=fields)
    assert refused.status_code == 400
    text = html.unescape(refused.text)
    assert "The code expired while the sign-in was paused" in text
    assert re.search(r"Codes live 5 minutes, and this one waited 6 min \d+ s before Continue", text)
    again = html.unescape(extract(r'<a class="button primary" href="([^"]+)">Sign in again</a>', refused.text))
    assert again == "/login"
    restart = http.get(stack.url + again)
    assert "Send the browser to the authorize endpoint" in restart.text  # presenter mode is still on
    assert stack.session_json(http)["authenticated"] is False
