"""The trace: what it records, redaction everywhere, curl that works, HAR and Postman exports."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import requests

from tracing import recorder

SCHEMA = Path(__file__).with_name("postman-collection-v2.1.0.schema.json")


def trace_record(stack, http) -> dict:
    return stack.app.extensions["trace_store"].load(http.cookies.get(recorder.TRACE_COOKIE))


def full_session(stack, http) -> list[str]:
    """Sign in and use every lifecycle action; return the refresh tokens that existed."""
    stack.pool_config["clients"][0]["RefreshTokenRotation"] = {"Feature": "ENABLED"}
    stack.login(http)
    stack.post(http, "/refresh")
    stack.post(http, "/userinfo")
    stack.post(http, "/call-api", token="access")
    http.post(stack.url + "/machine", data={"csrf_token": stack.csrf(http), "scope": "flowlab-api/read"})
    return list(stack.pool.refresh_tokens)


def test_trace_records_every_exchange_in_order(stack, http):
    full_session(stack, http)
    names = [s["name"] for s in trace_record(stack, http)["steps"]]
    assert names[:5] == ["discovery", "authorize", "callback", "token", "jwks"]
    for name in ("refresh", "userinfo", "api", "client_credentials"):
        assert name in names
    step = next(s for s in trace_record(stack, http)["steps"] if s["name"] == "token")
    assert step["method"] == "POST" and step["status"] == 200 and step["duration_ms"] > 0
    assert step["request_headers"]["Authorization"] == "Basic base64($CLIENT_ID:$CLIENT_SECRET)"
    assert "grant_type=authorization_code" in step["request_body"]
    page = http.get(stack.url + "/trace").text
    assert page.count('class="step ') == len(names)
    assert "Exchange the code for tokens (back channel)" in page and 'class="seq"' in page
    assert "PKCE: the secret behind code_challenge" in page  # parameters are explained


def test_no_secret_or_refresh_token_anywhere(stack, http, caplog):
    caplog.set_level(logging.DEBUG)
    refresh_tokens = full_session(stack, http)
    secrets = [stack.settings.client.client_secret, stack.settings.client.m2m_client_secret, *refresh_tokens]
    bodies = {
        path: http.get(stack.url + path).text
        for path in (
            "/trace",
            "/trace.har",
            "/trace.md",
            "/postman.json",
            "/dashboard",
            "/api/session",
            "/",
            "/compare",
            "/doctor",
        )
    }
    stack.post(http, "/logout")
    bodies["/trace after logout"] = http.get(stack.url + "/trace").text
    bodies["store"] = json.dumps(trace_record(stack, http))
    for where, body in bodies.items():
        for secret in secrets:
            assert secret not in body, f"a secret leaked into {where}"
    for secret in secrets:
        assert secret not in caplog.text
    assert "$CLIENT_SECRET" in bodies["/trace"] and "$REFRESH_TOKEN" in bodies["/trace"]


def test_tokens_are_shortened_and_revealed_to_the_owner_only(stack, http):
    seen = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)
    page = http.get(stack.url + "/trace").text
    assert seen["access_token"] not in page and seen["id_token"] not in page
    assert seen["access_token"][:12] + "…" in page
    key = re.search(r'<button type="button" class="reveal" data-token="(\d+)\.(\d+)">', page)
    revealed = http.get(f"{stack.url}/trace/token/{key.group(1)}/{key.group(2)}").json()["value"]
    assert revealed in (seen["access_token"], seen["id_token"])
    stranger = requests.get(f"{stack.url}/trace/token/{key.group(1)}/{key.group(2)}")
    assert stranger.status_code == 403
    stack.post(http, "/logout")
    assert http.get(f"{stack.url}/trace/token/{key.group(1)}/{key.group(2)}").status_code == 403
    assert trace_record(stack, http)["vault"] == {}  # logout drops the full tokens
    assert "logout" in [s["name"] for s in trace_record(stack, http)["steps"]]


def test_trace_is_bounded_and_can_be_cleared(stack, http, monkeypatch):
    monkeypatch.setattr(recorder, "MAX_STEPS", 6)
    stack.login(http)
    for _ in range(4):
        stack.post(http, "/refresh")
    steps = trace_record(stack, http)["steps"]
    assert len(steps) == 6 and steps[0]["id"] > 1  # the oldest dropped first
    assert all(k.split(".")[0] in {str(s["id"]) for s in steps} for k in trace_record(stack, http)["vault"])
    stack.post(http, "/trace/clear")
    assert trace_record(stack, http)["steps"] == []
    assert "No exchanges yet" in http.get(stack.url + "/trace").text


@pytest.mark.live  # curl, a process of its own, calls the app and the provider
def test_copied_curl_really_works(stack, http):
    stack.login(http)
    stack.post(http, "/refresh")
    page = http.get(stack.url + "/trace").text
    step_id = next(s["id"] for s in trace_record(stack, http)["steps"] if s["name"] == "refresh")
    command = re.search(rf'<pre class="json curl" id="curl-{step_id}">(.*?)</pre>', page, re.S).group(1)
    command = command.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    assert "$CLIENT_SECRET" in command and "$REFRESH_TOKEN" in command
    (refresh_token,) = list(stack.pool.refresh_tokens)
    env = {
        **os.environ,
        "CLIENT_ID": stack.settings.client.client_id,
        "CLIENT_SECRET": stack.settings.client.client_secret,
        "REFRESH_TOKEN": refresh_token,
    }
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["token_type"] == "Bearer" and body["access_token"].count(".") == 2


def test_postman_collection_validates_against_the_v2_1_schema(stack, http):
    stack.login(http)
    collection = http.get(stack.url + "/postman.json").json()
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(collection)
    auth = {entry["key"]: entry["value"] for entry in collection["auth"]["oauth2"]}
    assert auth["authUrl"] == stack.provider_url + "/oauth2/authorize"
    assert auth["accessTokenUrl"] == stack.provider_url + "/oauth2/token"
    assert auth["clientSecret"] == "{{client_secret}}" and auth["challengeAlgorithm"] == "S256"
    assert auth["redirect_uri"] == stack.url + "/callback" and auth["client_authentication"] == "header"
    names = [item["name"] for item in collection["item"]]
    assert {"Discovery", "JWKS", "Token: authorization code", "Token: refresh", "userInfo"} <= set(names)
    secret_var = next(v for v in collection["variable"] if v["key"] == "client_secret")
    assert secret_var["value"] == ""


def test_har_has_the_structure_har_1_2_requires(stack, http):
    stack.login(http)
    har = http.get(stack.url + "/trace.har").json()
    log = har["log"]
    assert log["version"] == "1.2" and log["creator"]["name"]
    assert len(log["entries"]) >= 5
    for entry in log["entries"]:
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", entry["startedDateTime"])
        req, res = entry["request"], entry["response"]
        assert {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"} <= set(
            req
        )
        assert {
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        } <= set(res)
        assert {"size", "mimeType"} <= set(res["content"])
        assert {"send", "wait", "receive"} <= set(entry["timings"])
        assert all({"name", "value"} == set(h) for h in req["headers"] + res["headers"])


def test_markdown_export(stack, http):
    stack.login(http)
    md = http.get(stack.url + "/trace.md")
    assert md.headers["Content-Disposition"].startswith("attachment")
    assert md.text.startswith("# OAuth trace")
    assert "## 4. Exchange the code for tokens (back channel)" in md.text
    assert "```sh\ncurl -sS -X POST" in md.text


@pytest.mark.parametrize("path", ["/trace.har", "/trace.md", "/trace"])
def test_exports_of_an_empty_trace(stack, path):
    assert requests.get(stack.url + path).status_code == 200


def test_failed_steps_show_the_likely_cause(stack, http):
    stack.login(http)
    stack.post(http, "/revoke")
    stack.post(http, "/refresh")  # refused: invalid_grant
    page = http.get(stack.url + "/trace").text
    assert "Likely cause: invalid_grant: The refresh token was refused" in page  # a refresh's own reading


def test_a_planted_trace_id_sees_nothing_after_login_and_reveals_nothing(stack, http):
    attacker = requests.Session()
    attacker.get(stack.url + "/login", allow_redirects=False)  # the attacker gets a trace id
    planted = attacker.cookies.get(recorder.TRACE_COOKIE)
    http.cookies.set(recorder.TRACE_COOKIE, planted, domain="127.0.0.1")  # and plants it in the victim's browser
    seen = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)
    stack.rewriter.rewrite = None
    victim_access = seen["access_token"]
    assert http.cookies.get(recorder.TRACE_COOKIE) != planted  # a new id at login
    steps = [s["name"] for s in trace_record(stack, http)["steps"]]
    assert "token" in steps
    planted_view = requests.get(stack.url + "/trace", cookies={recorder.TRACE_COOKIE: planted}).text
    assert "Exchange the code for tokens" not in planted_view and "No exchanges yet" in planted_view
    # the attacker, signed in as someone else, cannot read or reveal the victim's trace even with its id:
    # a signed-in browser sees only the trace its own session records (issue 19.5b), never a cookie's
    victim_trace = http.cookies.get(recorder.TRACE_COOKIE)
    stack.login(attacker, "alice", "FlowLab-alice-1")
    attacker.cookies.set(recorder.TRACE_COOKIE, victim_trace, domain="127.0.0.1")
    page = attacker.get(stack.url + "/trace").text
    assert victim_access not in page and "Exchange the code for tokens" in page  # the attacker's own sign-in
    keys = [k for k, v in trace_record(stack, http)["vault"].items() if v == victim_access]
    step_id, index = keys[0].split(".")
    revealed = attacker.get(f"{stack.url}/trace/token/{step_id}/{index}")
    assert revealed.status_code == 404 or revealed.json()["value"] != victim_access  # at most their own
    assert http.get(f"{stack.url}/trace/token/{step_id}/{index}").json()["value"] == victim_access


def test_an_odd_stored_trace_shows_what_it_can_and_never_fails(stack, http):
    stack.login(http)
    stack.post(http, "/userinfo")
    trace_id = http.cookies.get(recorder.TRACE_COOKIE)
    record = trace_record(stack, http)
    good = next(s for s in record["steps"] if s["name"] == "userinfo")
    odd = {**good, "id": 999, "from": "mars", "status": "500", "request_headers": {"X": 1}, "response_body": None}
    record["steps"] = [good, {**good, "id": "7"}, "junk", odd]
    record["vault"] = {**record["vault"], "999.0": 5}
    stack.app.extensions["trace_store"].cache.set(f"t:{trace_id}", record)  # as written by an older or odd writer
    page = http.get(stack.url + "/trace")
    assert page.status_code == 200 and page.text.count('class="step ') == 2
    for path in ("/trace.har", "/trace.md", "/trace/token/999/0"):
        assert http.get(stack.url + path).status_code in (200, 404), path
    assert len(http.get(stack.url + "/trace.har").json()["log"]["entries"]) == 2
    stack.post(http, "/userinfo")  # the next request rewrites the record in its plain, readable form
    names = [s["name"] for s in trace_record(stack, http)["steps"]]
    assert names == ["userinfo", "userinfo", "userinfo"]
