"""Issue 19, the third attack pass: each attack replayed over real HTTP against a live app and
provider (the presenter leak on /spa is in test_attacks_third_pass_browser.py).

Items: 2 (anonymous token storage and replays at /api/spa/verify), 3 (pickles in Redis), 4 (inspector
500s and amplification), 5 (cookies from another port: the provider's sign-in form, a planted trace
id), 6 (provider calls of a signed-in user without a limit), 7 (no lockout after wrong passwords),
8 (a presenter approval accepted by another screen).
"""

from __future__ import annotations

import base64
import html
import json
import os
import pickle
import re
from pathlib import Path

import redis
import requests

from config import ConfigError, load_settings
from tests.support import start_redis, stop
from tests.support.pages import extract, read_screen
from tracing import recorder

# -- 8. the presenter's approval is bound to the screen it was shown on -------------------------------


def presenter_sign_in(stack, http) -> None:
    """Sign in with presenter mode on, through its screens."""
    http.get(stack.url + "/presenter", params={"on": "1"})
    first = http.get(stack.url + "/login").text
    authorize = html.unescape(extract(r'id="continue" href="([^"]+)"', first))
    exchange = read_screen(http.get(stack.sign_in_at_provider(http, authorize)).text)
    http.post(stack.url + exchange.action, data=exchange.fields)


def test_8_a_revoke_screens_approval_does_not_sign_out(stack, http):
    presenter_sign_in(stack, http)
    shown = read_screen(stack.post(http, "/revoke").text)  # the dashboard's Revoke: its screen
    assert shown.title == "Revoke the refresh token" and shown.action == "/revoke"
    # the attack: the same approval (the same revocation call) posted to sign-out
    answered = http.post(stack.url + "/logout", data=shown.fields)
    assert "Not sent:" in answered.text and "Revoke the refresh token" in answered.text
    assert not stack.steps("revoke")
    assert "Signed in as" in http.get(stack.url + "/dashboard").text
    # and the other way round: sign-out's approval does not revoke from the dashboard
    logout_screen = read_screen(stack.post(http, "/logout").text)
    assert logout_screen.action == "/logout"
    answered = http.post(stack.url + "/revoke", data=logout_screen.fields)
    assert "Not sent:" in answered.text and not stack.steps("revoke")
    # each screen's own approval still works
    http.post(stack.url + shown.action, data=read_screen(stack.post(http, "/revoke").text).fields)
    assert len(stack.steps("revoke")) == 1


# -- 6. provider calls of a signed-in user are rate-limited -------------------------------------------


def test_6_provider_calls_of_a_signed_in_user_are_limited(make_stack, http):
    stack = make_stack({"RATE_LIMIT_PROVIDER_CALLS": "4 per minute"})
    stack.login(http)
    csrf = stack.form_csrf(http, "/machine")
    answers = [http.post(stack.url + "/machine", data={"csrf_token": csrf, "scope": ""}) for _ in range(3)]
    answers += [stack.post(http, "/userinfo"), stack.post(http, "/refresh")]
    assert [a.status_code for a in answers[:4]] == [200, 200, 200, 302]
    refused = answers[4]
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert len(stack.steps("client_credentials")) == 3 and not stack.steps("refresh")  # nothing more was sent
    for path in ("/revoke", "/userinfo"):  # one budget for every route that calls the provider
        assert stack.post(http, path).status_code == 429, path
    assert http.get(stack.url + "/revocation").status_code == 429
    assert http.get(stack.url + "/dashboard").status_code == 200  # pages that call nothing stay open
    token = stack.form_csrf(http, "/dashboard")
    # signing out is never refused: its one revocation ends the session
    assert http.post(stack.url + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302


# -- 4. the inspector: one JSON guard, finite times, a compact echo, the CLI's one line ---------------


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def inspect(stack, http, token: str) -> requests.Response:
    return http.post(stack.url + "/inspect", data={"token": token, "csrf_token": stack.form_csrf(http, "/inspect")})


def test_4_a_deeply_nested_jwe_header_is_a_clear_400(stack, http):
    header = '{"alg":"RSA-OAEP","enc":"A256GCM","x":' + "[" * 5000 + "]" * 5000 + "}"
    token = b64(header) + ".a.b.c.d"
    assert len(token) < 16 * 1024
    response = inspect(stack, http, token)
    assert response.status_code == 400 and "nested" in response.text
    result = stack.app.test_cli_runner().invoke(args=["inspect", "-"], input=token)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0 and "nested" in result.output  # one line


def unsigned(header: dict, payload: str) -> str:
    return f"{b64(json.dumps(header))}.{b64(payload)}.{b64(b'sig')}"


def test_4_non_finite_times_are_invalid_times_not_500s(stack, http):
    header = {"alg": "RS256", "kid": "k"}
    for claim in ("exp", "iat", "auth_time"):
        for value in ("NaN", "1e400", "-Infinity"):  # JSON parsers read these; 1e400 becomes infinity
            claims = {"iss": stack.settings.client.issuer, "sub": "s", "token_use": "id", "aud": "a"}
            claims |= {"exp": 2000000000, "iat": 1000, claim: "TIME"}
            token = unsigned(header, json.dumps(claims).replace('"TIME"', value))
            response = inspect(stack, http, token)
            assert response.status_code == 200, (claim, value, response.text[-500:])
            assert f"{claim} is not a valid time" in html.unescape(response.text), (claim, value)
            result = stack.app.test_cli_runner().invoke(args=["inspect", "-"], input=token)
            assert result.exit_code == 1 and "Traceback" not in result.output, (claim, value, result.output)
            assert f"{claim} is not a valid time" in result.output


def test_4_a_14_kb_paste_renders_a_page_of_its_own_size(stack, http):
    nested = "[" * 29 + "]" * 29
    header = '{"alg":"RS256","kid":"k","x":[' + ",".join([nested] * 180) + "]}"
    token = f"{b64(header)}.{b64(json.dumps({'iss': 'x', 'exp': 1}))}.{b64(b'sig')}"
    assert 12 * 1024 < len(token) < 16 * 1024
    response = inspect(stack, http, token)
    assert response.status_code == 200
    assert len(response.content) < 60 * 1024, len(response.content)  # the empty page is ~10 KB, the paste 14
    jwe = b64(header.replace('"alg":"RS256"', '"enc":"A256GCM"')) + ".a.b.c.d"
    response = inspect(stack, http, jwe)
    assert response.status_code == 200 and len(response.content) < 60 * 1024, len(response.content)


# -- 7. the local provider locks a user out after repeated wrong passwords ----------------------------


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def login_form(stack, http) -> tuple[str, dict]:
    """The provider's sign-in form of a fresh code-flow sign-in: its URL and hidden fields."""
    authorize = stack.start_login(http)
    page = http.get(http.get(authorize, allow_redirects=False).headers["Location"])
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return page.url.split("?")[0], {k: html.unescape(v) for k, v in fields.items()}


def attempt(stack, http, password: str, username: str = "demo") -> requests.Response:
    url, fields = login_form(stack, http)
    return http.post(url, data={**fields, "username": username, "password": password}, allow_redirects=False)


def test_7_five_wrong_passwords_lock_the_user_out_with_doubling_times(stack, http):
    clock = Clock(1_000_000.0)
    stack.provider_app.extensions["local_cognito_lockout"].clock = clock
    for _ in range(5):
        answer = attempt(stack, http, "wrong")
        assert answer.status_code == 400 and "Incorrect username or password." in answer.text
    locked = attempt(stack, http, "FlowLab-demo-1")  # the right password, during the 1 s lockout
    assert locked.status_code == 400 and "Password attempts exceeded" in locked.text
    clock.now += 1.5
    assert "Incorrect username or password." in attempt(stack, http, "wrong").text  # the 6th failure: 2 s
    clock.now += 1.0
    assert "Password attempts exceeded" in attempt(stack, http, "FlowLab-demo-1").text  # (not counted)
    clock.now += 1.5
    signed_in = attempt(stack, http, "FlowLab-demo-1")
    assert signed_in.status_code == 302 and "code=" in signed_in.headers["Location"]  # and the count is reset
    http.cookies.clear()
    for _ in range(5):
        assert "Incorrect username or password." in attempt(stack, http, "wrong").text
    assert "Password attempts exceeded" in attempt(stack, http, "wrong").text


def test_7_lockouts_grow_to_about_15_minutes_and_reset_after_15_quiet_minutes(stack, http):
    clock = Clock(2_000_000.0)
    stack.provider_app.extensions["local_cognito_lockout"].clock = clock
    for failures in range(1, 20):
        assert "Incorrect username or password." in attempt(stack, http, "wrong").text
        lock = min(2 ** (failures - 5), 900) if failures >= 5 else 0
        if lock:
            clock.now += lock - 0.5
            assert "Password attempts exceeded" in attempt(stack, http, "wrong").text, failures
        clock.now += 1 if lock else 0.1
    # 15 quiet minutes after a lockout: back to five free attempts
    clock.now += 15 * 60
    for _ in range(5):
        assert "Incorrect username or password." in attempt(stack, http, "wrong").text
    # an unknown user name is locked out the same way, so the lockout reveals no user's existence
    for _ in range(5):
        assert "Incorrect username or password." in attempt(stack, http, "wrong", "nobody").text
    assert "Password attempts exceeded" in attempt(stack, http, "wrong", "nobody").text


# -- 5(a). the provider's sign-in form takes only a same-origin POST ----------------------------------


def test_5a_a_sign_in_posted_from_another_port_is_refused(stack, http):
    url, fields = login_form(stack, http)
    other_port = "http://127.0.0.1:1"  # a page on another port of the same host
    planted = {**fields, "_csrf": "planted", "username": "alice", "password": "FlowLab-alice-1"}
    for headers in (
        {"Origin": other_port, "Sec-Fetch-Site": "same-site"},
        {"Origin": other_port},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    ):
        victim = requests.Session()
        victim.cookies.set("XSRF-TOKEN", "planted", domain="127.0.0.1")  # set by that page: cookies ignore ports
        answer = victim.post(url, data=planted, headers=headers, allow_redirects=False)
        assert answer.status_code == 403, (headers, answer.status_code)
        assert "another page" in answer.text
        assert "cognito" not in victim.cookies  # no provider session for the attacker's account
    own = {"Origin": stack.provider_url, "Sec-Fetch-Site": "same-origin"}
    form = {**fields, "username": "demo", "password": "FlowLab-demo-1"}
    answer = http.post(url, data=form, headers=own, allow_redirects=False)
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]  # the form's own POST signs in


# -- 3. Redis holds no pickles: sessions and traces are data, never code --------------------------------


class Payload:
    """A pickle that runs code when loaded: it creates a directory."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_3_a_pickle_written_under_a_session_or_trace_key_is_never_run(make_stack, http, redis_url, tmp_path):
    stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": redis_url})  # the user's own Redis
    stack.login(http)
    sid = http.cookies.get(stack.app.config["SESSION_COOKIE_NAME"])
    trace_id = http.cookies.get(recorder.TRACE_COOKIE)
    assert sid and trace_id
    store = redis.Redis.from_url(redis_url)
    session_key = f"flowlab:{sid}"
    trace_key = next(k.decode() for k in store.keys("flowlab-trace:*") if trace_id in k.decode())
    assert store.get(session_key)[:1] != b"\x80" and store.get(trace_key)[:1] == b"{"  # msgpack and JSON
    for key, prefix in ((session_key, b""), (trace_key, b""), (trace_key, b"!")):  # "!": cachelib's pickles
        marker = tmp_path / f"ran-{len(prefix)}-{key[:12]}"
        store.set(key, prefix + pickle.dumps(Payload(marker)))
        for path in ("/dashboard", "/trace", "/api/session"):
            response = http.get(stack.url + path, allow_redirects=False)
            assert response.status_code in (200, 302), (key, path, response.status_code)
            assert "Traceback" not in response.text
        assert not marker.exists(), f"the pickle under {key} ran"
    assert stack.session_json(http)["authenticated"] is False  # the garbage session reads as no session
    assert "No exchanges yet" in http.get(stack.url + "/trace").text  # the garbage trace as an empty one
    store.delete(session_key, trace_key)  # planted with no expiry: not left for the tests after this one


LIMITS = "LIMITS:LIMITER/flowlab-limits/*"  # Flask-Limiter's counters (views/limits.py)


def test_3_make_serve_runs_its_own_redis_behind_a_0700_socket_and_a_password(make_stack, http, tmp_path):
    from scripts import serve

    instance = tmp_path / "inst"
    proc, url = serve.own_redis(instance)
    assert proc is not None
    try:
        folder = instance / "redis"
        assert folder.stat().st_mode & 0o777 == 0o700
        assert (folder / "password").stat().st_mode & 0o777 == 0o600
        password = (folder / "password").read_text().strip()
        assert len(password) >= 32 and password in url
        assert password.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()  # never on a command line
        sock = folder / "redis.sock"
        with redis.Redis(unix_socket_path=str(sock)) as anonymous:  # no password: refused
            try:
                anonymous.get("flowlab:x")
                raise AssertionError("the Redis answered without its password")
            except redis.AuthenticationError:
                pass
        assert serve.own_redis(instance) == (None, url)  # a second `make serve` shares it
        stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": url, "RATE_LIMIT_SIGN_IN": "50 per minute"})
        assert stack.login(http).headers["Location"] == "/dashboard"
        assert stack.session_json(http)["authenticated"] is True
        with redis.Redis.from_url(url) as client:
            assert client.keys("flowlab:*") and client.keys(
                "LIMITS:LIMITER/flowlab-limits/*"
            )  # sessions and rate counts
    finally:
        stop(proc)


def test_3_rediss_and_a_password_in_redis_url(make_stack, http, tmp_path):
    proc, url = start_redis(tmp_path, password="s3cret-pw", tls=True)
    try:
        assert url.startswith("rediss://:s3cret-pw@")
        stack = make_stack({"SESSION_BACKEND": "redis", "REDIS_URL": url, "RATE_LIMIT_SIGN_IN": "50 per minute"})
        assert stack.login(http).headers["Location"] == "/dashboard"
        assert "Signed in as" in http.get(stack.url + "/dashboard").text
        assert "Exchange the code for tokens" in http.get(stack.url + "/trace").text
        with redis.Redis.from_url(url) as client:
            assert (
                client.keys("flowlab:*")
                and client.keys("flowlab-trace:*")
                and client.keys("LIMITS:LIMITER/flowlab-limits/*")
            )
        plain = url.replace("rediss://", "redis://").split("?")[0]
        with redis.Redis.from_url(plain, socket_timeout=2) as client:  # the server speaks TLS only
            try:
                client.ping()
                raise AssertionError("the TLS port answered plain text")
            except redis.ConnectionError:
                pass
    finally:
        stop(proc)


def test_3_a_malformed_redis_url_stops_start_up_without_repeating_its_password(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "SESSION_BACKEND": "redis"}
    for url in ("http://:hunter2@cache:6379", "127.0.0.1:6379", "redis+sentinel://:hunter2@x"):
        try:
            load_settings({**env, "REDIS_URL": url})
            raise AssertionError(url)
        except ConfigError as exc:
            assert "REDIS_URL" in str(exc) and "hunter2" not in str(exc)
    for url in ("redis://:pw@h:6379/0", "rediss://u:pw@h:6380/1", "unix://:pw@/run/redis.sock?db=0"):
        assert load_settings({**env, "REDIS_URL": url}).redis_url == url


# -- 5(b). a trace id planted from another port is never adopted --------------------------------------


def test_5b_a_planted_trace_id_never_receives_the_victims_steps(stack, http):
    attacker = requests.Session()
    attacker.get(stack.url + "/login", allow_redirects=False)  # a trace id the server signed for the attacker
    planted = attacker.cookies.get(recorder.TRACE_COOKIE)
    assert planted
    http.cookies.set(recorder.TRACE_COOKIE, planted, domain="127.0.0.1")  # set from another port of this host
    fragment = stack.implicit_fragment(http)  # the victim signs in with the implicit page
    sub = json.loads(base64.urlsafe_b64decode(fragment["id_token"].split(".")[1] + "==").decode())["sub"]
    body = {"id_token": fragment["id_token"], "access_token": fragment["access_token"], "state": fragment["state"]}
    assert stack.verify_implicit(http, body).json()["valid"] is True
    assert sub in http.get(stack.url + "/trace").text  # the victim's own trace has it
    seen = attacker.get(stack.url + "/trace").text
    assert sub not in seen and "demo@example.com" not in seen
    assert "implicit" not in seen.lower() or "Browser goes to the authorize endpoint (implicit)" not in seen


# -- 2. /api/spa/verify keeps no token and answers each sign-in once ---------------------------------


def spa_verify(stack, http, body: dict) -> requests.Response:
    return http.post(stack.url + "/api/spa/verify", json=body, headers={"X-CSRF-Token": stack.spa_csrf(http)})


def test_2_verify_records_token_names_only(stack, http):
    tokens, state = stack.spa_tokens(http)
    body = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    assert spa_verify(stack, http, {**body, "received": sorted(tokens)}).json()["valid"] is True
    record = stack.app.extensions["trace_store"].load(http.cookies.get(recorder.TRACE_COOKIE))
    assert record["vault"] == {}  # nothing to reveal: the server never keeps these tokens
    stored = json.dumps(record)
    assert tokens["id_token"] not in stored and tokens["access_token"] not in stored
    assert tokens["id_token"][:40] not in stored
    markdown = http.get(stack.url + "/trace.md").text
    assert "$ID_TOKEN" in markdown and "$ACCESS_TOKEN" in markdown and "eyJ" not in markdown
    for file in stack.stored_files():  # nor does any stored session or trace, in any form
        assert tokens["id_token"].encode() not in file.read_bytes()
    compare = http.get(stack.url + "/compare").text  # the run still shows, by token names
    assert "from the browser: a cross-origin POST" in compare and "refresh token in JavaScript" in compare


def test_2_verify_answers_each_sign_in_once_and_stores_nothing_for_replays(stack, http):
    tokens, state = stack.spa_tokens(http)
    body = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    assert spa_verify(stack, http, body).json()["valid"] is True
    stored = sorted(stack.stored_files())
    assert len(stored) == 2  # this browser's session and its one trace
    for _ in range(20):  # the same tokens again, from the same browser: refused, nothing new kept
        again = spa_verify(stack, http, body)
        assert again.status_code == 400 and "state" in again.json()["error"]
    for _ in range(20):  # and from browsers that never began a sign-in here
        with requests.Session() as replayer:
            answer = spa_verify(stack, replayer, body)
            assert answer.status_code == 400 and answer.json()["valid"] is False
            assert stack.app.config["SESSION_COOKIE_NAME"] not in replayer.cookies
            assert recorder.TRACE_COOKIE not in replayer.cookies
    assert sorted(stack.stored_files()) == stored


def test_5b_a_planted_trace_id_misses_a_browser_only_sign_in_too(stack, http):
    attacker = requests.Session()
    attacker.get(stack.url + "/login", allow_redirects=False)
    planted = attacker.cookies.get(recorder.TRACE_COOKIE)
    http.cookies.set(recorder.TRACE_COOKIE, planted, domain="127.0.0.1")
    tokens, state = stack.spa_tokens(http)
    body = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    claims = spa_verify(stack, http, body).json()["claims"]
    assert http.cookies.get(recorder.TRACE_COOKIE) != planted  # a new trace at a browser-only verify
    assert claims["sub"] in http.get(stack.url + "/trace").text
    seen = attacker.get(stack.url + "/trace").text
    assert claims["sub"] not in seen and claims["email"] not in seen
