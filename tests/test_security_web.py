"""Issue 11, the web-layer findings: each attack replayed over real HTTP against a live app.

Items: 1 (anonymous machine tokens), 2 (anonymous storage growth, eviction, rate limits),
4 (logout by GET/HEAD), 5 (trace carried across users), 7 (anonymous doctor calls the provider),
8 (planted trace ids), 9 (anti-forgery token kept across login), 12 (code and verifier in the
trace), 14 (token chips from markers found in text).
"""

from __future__ import annotations

import json
import re
import time
import types

import pytest
import redis
import requests

import app as app_module
from config import load_settings
from tests.support import csrf_of
from tests.support.pages import FORM_CSRF
from tracing import recorder


def trace_record(stack, http) -> dict:
    return stack.app.extensions["trace_store"].load(http.cookies.get(recorder.TRACE_COOKIE))


# --- 1. the machine page ---


def test_1_anonymous_visitors_get_no_machine_token(stack):
    with requests.Session() as stranger:  # the attack: GET /machine, take its token, POST for a token
        page = stranger.get(stack.url + "/machine", allow_redirects=False)
        found = FORM_CSRF.search(page.text)
        # (the page has no form now; a valid anti-forgery token of this browser comes from another page)
        token = found.group(1) if found else stack.form_csrf(stranger, "/logout")
        response = stranger.post(stack.url + "/machine", data={"csrf_token": token, "scope": "flowlab-api/write"})
    assert response.status_code == 401 and "Sign in first" in response.text
    assert page.status_code == 302 and "login_required" in page.headers["Location"]
    assert "<textarea" not in response.text
    assert stack.steps("client_credentials") == []


def test_1_a_signed_in_user_still_gets_one(stack, http):
    stack.login(http)
    response = http.post(
        stack.url + "/machine",
        data={"csrf_token": stack.form_csrf(http, "/machine"), "scope": "flowlab-api/read"},
    )
    assert response.status_code == 200 and 'id="machine-result"' in response.text


def test_1_with_a_real_provider_the_page_is_off_unless_machine_page_on(tmp_path):
    env = {
        "INSTANCE_PATH": str(tmp_path),
        "OAUTH_ISSUER": "https://id.example.com",
        "OAUTH_CLIENT_ID": "c",
        "SECRET_KEY": "k",
    }
    assert load_settings(env).machine_page is False
    assert load_settings({**env, "MACHINE_PAGE": "on"}).machine_page is True
    local = {"INSTANCE_PATH": str(tmp_path), "LOCAL_COGNITO_FILE": str(tmp_path / "none.json"), "SECRET_KEY": "k"}
    assert load_settings(local).machine_page is True


def test_1_machine_page_off_answers_404_even_when_signed_in(make_stack, http):
    stack = make_stack(machine_page=False)
    stack.login(http)
    response = http.get(stack.url + "/machine")
    assert response.status_code == 404 and "MACHINE_PAGE=on" in response.text
    assert 'href="/machine"' not in http.get(stack.url + "/dashboard").text
    assert stack.steps("client_credentials") == []


# --- 2. anonymous requests store nothing; caps; eviction; rate limits ---


ANONYMOUS_PAGES = [
    "/",
    "/machine",
    "/trace",
    "/implicit/callback",
    "/callback?state=x&code=y",
    "/callback?error=access_denied",
    "/doctor",
    "/logout",
    "/compare",
    "/signed-out",
]


def test_2_anonymous_gets_store_nothing_server_side(stack):
    for _ in range(5):
        for path in ANONYMOUS_PAGES:
            response = requests.get(stack.url + path, allow_redirects=False)
            assert response.status_code < 500, path
            cookies = {c.split("=")[0] for c in response.raw.headers.getlist("Set-Cookie")}
            assert stack.app.config["SESSION_COOKIE_NAME"] not in cookies, path
            assert recorder.TRACE_COOKIE not in cookies, path
    assert stack.stored_files() == []


def test_2_a_sign_in_start_may_store_but_only_that(stack):
    requests.get(stack.url + "/login", allow_redirects=False)
    assert len(stack.stored_files("sessions-pending")) == 1 and stack.stored_files("sessions") == []


def test_2_a_trace_has_a_byte_cap_and_long_urls_are_cut(stack, http):
    stack.login(http)
    huge = "x" * 60_000
    for _ in range(20):
        assert http.get(stack.url + "/callback", params={"error": huge}).status_code == 400
    record = trace_record(stack, http)
    assert len(json.dumps(record, ensure_ascii=False).encode()) <= 256 * 1024
    callbacks = [s for s in record["steps"] if s["name"] == "callback"]
    assert callbacks and all(len(s["url"]) <= 2100 for s in callbacks)
    assert max(p.stat().st_size for p in stack.stored_files("traces")) < 300 * 1024


def test_2_an_anonymous_flood_cannot_sign_anyone_out(make_stack, http, monkeypatch):
    monkeypatch.setattr(app_module, "SESSION_THRESHOLD", 50)
    stack = make_stack({"RATE_LIMIT_SIGN_IN": "1000 per minute"})
    stack.login(http)
    for index in range(300):
        path = "/login" if index % 2 else ANONYMOUS_PAGES[index % len(ANONYMOUS_PAGES)]
        assert requests.get(stack.url + path, allow_redirects=False).status_code < 500
    assert stack.session_json(http)["authenticated"] is True
    assert http.get(stack.url + "/dashboard").status_code == 200


def test_2_sign_in_routes_are_rate_limited_with_retry_after(make_stack):
    stack = make_stack({"RATE_LIMIT_SIGN_IN": "3 per minute"})
    answers = [requests.get(stack.url + "/login", allow_redirects=False) for _ in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    limited = answers[-1]
    assert limited.headers["Content-Type"].startswith("text/html") and "Too many requests" in limited.text
    assert 0 < int(limited.headers["Retry-After"]) <= 61
    for _ in range(3):
        requests.get(stack.url + "/callback", params={"state": "x", "code": "y"})
    assert requests.get(stack.url + "/callback", params={"state": "x", "code": "y"}).status_code == 429
    with requests.Session() as browser:
        token = stack.form_csrf(browser, "/logout")
        verify = [
            browser.post(stack.url + "/api/implicit/verify", json={}, headers={"X-CSRF-Token": token}) for _ in range(4)
        ]
    assert [v.status_code for v in verify] == [400, 400, 400, 429]
    assert verify[-1].json()["error"] == "rate_limited" and int(verify[-1].headers["Retry-After"]) > 0
    assert requests.get(stack.url + "/implicit", allow_redirects=False).status_code == 302  # its own count


def test_2_with_redis_every_key_has_a_ttl(make_stack, http, redis_url):
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()  # only what this test's app writes (this worker's Redis; its tests run one at a time)
    stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": redis_url})
    stack.login(http)
    http.post(stack.url + "/userinfo", data={"csrf_token": stack.form_csrf(http, "/dashboard")})
    requests.get(stack.url + "/login", allow_redirects=False)
    requests.get(stack.url + "/callback", params={"state": "x", "code": "y"})
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(count=1000))
        assert any(b"flowlab-limits" in k for k in keys), keys
        assert any(k.startswith(b"flowlab-trace:") for k in keys)
        assert [k for k in keys if client.ttl(k) < 0] == []


def test_2_bad_rate_limit_settings_stop_start_up(tmp_path):
    from config import ConfigError

    env = {"INSTANCE_PATH": str(tmp_path), "LOCAL_COGNITO_FILE": str(tmp_path / "x.json"), "SECRET_KEY": "k"}
    with pytest.raises(ConfigError, match="RATE_LIMIT_SIGN_IN"):
        load_settings({**env, "RATE_LIMIT_SIGN_IN": "lots"})
    with pytest.raises(ConfigError, match="MACHINE_PAGE"):
        load_settings({**env, "MACHINE_PAGE": "maybe"})


# --- 4. logout only on POST with the token ---


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("fetch_site", [None, "cross-site", "same-origin"])
def test_4_get_and_head_of_logout_never_sign_out(stack, http, method, fetch_site):
    stack.login(http)
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    response = http.request(method, stack.url + "/logout", headers=headers, allow_redirects=False)
    assert response.status_code == 200
    if method == "GET":
        assert "Sign out?" in response.text
    assert stack.session_json(http)["authenticated"] is True
    assert stack.steps("revoke") == []


def test_4_logout_and_switch_user_need_the_token(stack, http):
    stack.login(http)
    for path in ("/logout", "/switch-user"):
        assert http.post(stack.url + path, allow_redirects=False).status_code == 403
        assert stack.session_json(http)["authenticated"] is True
    token = stack.form_csrf(http, "/logout")
    assert http.post(stack.url + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302
    assert stack.session_json(http)["authenticated"] is False


# --- 5. the trace does not outlive a sign-out or pass to the next user ---


def test_5_nothing_of_the_signed_out_user_is_readable_after_logout(stack, http):
    stack.login(http)
    http.post(stack.url + "/userinfo", data={"csrf_token": stack.form_csrf(http, "/dashboard")})
    http.post(stack.url + "/call-api", data={"csrf_token": stack.form_csrf(http, "/dashboard"), "token": "id"})
    assert "demo@example.com" in http.get(stack.url + "/trace").text
    http.post(stack.url + "/logout", data={"csrf_token": stack.form_csrf(http, "/dashboard")})
    after = [http.get(stack.url + p).text for p in ("/trace", "/trace.har", "/trace.md")]
    assert not any("demo@example.com" in text or "Demo User" in text for text in after)
    assert trace_record(stack, http)["vault"] == {}
    # the next user at this browser starts from a trace with only her own sign-in
    stack.login(http, "alice", "FlowLab-alice-1")
    page = http.get(stack.url + "/trace").text
    assert "demo@example.com" not in page and "Demo User" not in page
    names = [s["name"] for s in trace_record(stack, http)["steps"]]
    assert names[:3] == ["authorize", "callback", "token"] and "logout" not in names and "revoke" not in names


def test_5_a_timed_out_sign_in_leaves_nothing_readable_either(make_stack, http, monkeypatch):
    now = [time.time()]
    monkeypatch.setattr("views.guards.time", types.SimpleNamespace(time=lambda: now[0]))
    stack = make_stack({"SESSION_IDLE_MINUTES": "5"})
    stack.login(http)
    http.post(stack.url + "/userinfo", data={"csrf_token": stack.form_csrf(http, "/dashboard")})
    assert "demo@example.com" in http.get(stack.url + "/trace").text
    now[0] += 6 * 60
    assert http.get(stack.url + "/dashboard", allow_redirects=False).headers["Location"] == "/?expired=idle"
    assert "demo@example.com" not in http.get(stack.url + "/trace").text
    assert "demo@example.com" not in http.get(stack.url + "/trace.md").text


def test_5_a_sign_in_keeps_only_its_own_redirect_steps(stack, http):
    http.get(stack.url + "/login", allow_redirects=False)  # an abandoned sign-in
    stack.login(http)
    steps = trace_record(stack, http)["steps"]
    authorize = [s for s in steps if s["name"] == "authorize"]
    assert len(authorize) == 1
    assert [s["name"] for s in steps if s["name"] in ("authorize", "callback")] == ["authorize", "callback"]


# --- 7. the doctor makes no provider call for anonymous GETs ---


def test_7_anonymous_doctor_makes_no_provider_call(stack):
    with requests.Session() as stranger:
        page = stranger.get(stack.url + "/doctor")
        assert page.status_code == 200 and 'data-finding="uris"' in page.text
        assert 'data-finding="discovery"' not in page.text and 'data-finding="client_secret"' not in page.text
        assert stack.exchanges == []
        assert stranger.post(stack.url + "/doctor").status_code == 403  # the button needs the token
        token = csrf_of(page.text)
        live = stranger.post(stack.url + "/doctor", data={"csrf_token": token})
        assert live.status_code == 200 and 'data-finding="client_secret" data-status="pass"' in live.text
        calls = len(stack.exchanges)
        assert calls >= 3
        again = stranger.post(stack.url + "/doctor", data={"csrf_token": token})
        assert again.status_code == 200 and 'data-finding="discovery"' in again.text
        assert len(stack.exchanges) == calls  # reused for a minute
    assert stack.settings.client.client_secret not in live.text


def test_7_live_doctor_checks_are_rate_limited(make_stack):
    stack = make_stack({"RATE_LIMIT_DOCTOR": "2 per minute"})
    with requests.Session() as browser:
        token = stack.form_csrf(browser, "/doctor")
        answers = [browser.post(stack.url + "/doctor", data={"csrf_token": token}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429] and "Retry-After" in answers[-1].headers
        assert browser.get(stack.url + "/doctor").status_code == 200  # the offline page is not limited


# --- 8. only server-issued trace ids ---


def test_8_a_planted_trace_id_is_replaced(stack, http):
    planted = "A" * 43
    http.cookies.set(recorder.TRACE_COOKIE, planted, domain="127.0.0.1")
    response = http.get(stack.url + "/login", allow_redirects=False)
    issued = response.cookies.get(recorder.TRACE_COOKIE)
    assert issued and issued != planted
    store = stack.app.extensions["trace_store"]
    assert store.load(planted)["steps"] == [] and store.load(issued)["steps"]
    viewer = requests.get(stack.url + "/trace", cookies={recorder.TRACE_COOKIE: planted}).text
    assert "No exchanges yet" in viewer


def test_8_a_tampered_signed_id_is_refused(stack, http):
    http.get(stack.url + "/login", allow_redirects=False)
    issued = http.cookies.get(recorder.TRACE_COOKIE)
    value, _, signature = issued.rpartition(".")
    forged = value[:-1] + ("B" if value[-1] != "B" else "C") + "." + signature
    page = requests.get(stack.url + "/trace", cookies={recorder.TRACE_COOKIE: forged}).text
    assert "No exchanges yet" in page
    # the trace is read through the session that records it (issue 19.5b): the browser sees it, the id
    # alone (a copy of the cookie without the session) shows nothing
    assert "Browser goes to the authorize endpoint" in http.get(stack.url + "/trace").text
    assert "No exchanges yet" in requests.get(stack.url + "/trace", cookies={recorder.TRACE_COOKIE: issued}).text


# --- 9. a new anti-forgery token at sign-in ---


def test_9_the_pre_login_token_is_useless_after_login(stack, http):
    before = stack.csrf(http)  # the token a planted pre-login session would know
    stack.login(http)
    after = stack.form_csrf(http, "/dashboard")
    assert after != before
    assert http.post(stack.url + "/userinfo", data={"csrf_token": before}).status_code == 403
    assert http.post(stack.url + "/userinfo", data={"csrf_token": after}, allow_redirects=False).status_code == 302


def test_9_a_cookie_the_server_did_not_sign_is_refused(stack, http):
    stack.login(http)
    name = "flowlab_csrf"
    http.cookies.set(name, "attacker-seed.0000", domain="127.0.0.1")
    assert http.post(stack.url + "/userinfo", data={"csrf_token": "anything"}).status_code == 403
    assert stack.session_json(http)["authenticated"] is True


# --- 12. code and code_verifier are placeholders in the trace and its exports ---


def test_12_code_and_verifier_are_placeholders(stack, http):
    stack.login(http)
    (token_call,) = stack.steps("token")
    sent = dict(p.split("=", 1) for p in token_call.request_body.split("&"))
    code, verifier = sent["code"], sent["code_verifier"]
    for path in ("/trace", "/trace.har", "/trace.md"):
        body = http.get(stack.url + path).text
        assert code not in body and verifier not in body, path
        assert "$CODE" in body and "$CODE_VERIFIER" in body, path


# --- 14. token chips come from the step's own data, not from text that looks like a marker ---


def test_14_a_claim_that_looks_like_a_marker_stays_text(stack, http):
    stack.pool_config["users"][0]["attributes"]["name"] = "[[token:0]] [[token:1]]"
    stack.login(http)
    http.post(stack.url + "/userinfo", data={"csrf_token": stack.form_csrf(http, "/dashboard")})
    page = http.get(stack.url + "/trace").text
    userinfo = re.search(r'<li class="step server"[^>]*data-step="userinfo">(.*?)</li>', page, re.S).group(1)
    assert "[[token:0]] [[token:1]]" in userinfo
    assert 'class="tok"' not in userinfo.split("<h4>Response</h4>")[1]
    assert 'class="tok"' in page  # real tokens still show as chips
    md = http.get(stack.url + "/trace.md").text
    assert "[[token:0]] [[token:1]]" in md


def test_2_presenter_mode_is_a_cookie_not_a_session(stack, http):
    response = http.get(stack.url + "/presenter", params={"on": "1", "next": "/trace"}, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == "/trace"
    assert stack.stored_files() == [] and stack.app.config["SESSION_COOKIE_NAME"] not in http.cookies
    assert "Presenter mode: on" in http.get(stack.url + "/").text
    screen = http.get(stack.url + "/login")
    assert "Send the browser to the authorize endpoint" in screen.text  # the pause before the redirect
    http.get(stack.url + "/presenter", params={"on": "0"})
    assert "Presenter mode: off" in http.get(stack.url + "/").text
