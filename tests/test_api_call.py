"""Issue 23, item 18: /call sends the access token to a URL the operator listed (API_CALL_ALLOWLIST), and
nowhere else. Every rule attacked over real HTTP against a small API on loopback (what it received is
recorded), through the app; DNS answers (which need a resolver this machine does not have for public
names) through the resolver the rules are given."""

from __future__ import annotations

import gzip
import html
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from playwright.sync_api import expect
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from config import ConfigError, load_settings
from oauth import outbound
from oauth.outbound import CallFailed, CallRefused, addresses, check, parse_allowlist
from tests.support import LiveServer, extract, free_port
from tests.support.browser import sign_in
from tests.support.servers import self_signed_certificate
from tests.test_a11y_browser import audit
from tracing.mermaid import sequence_diagram
from tracing.model import Trace

EVIL = "<script>alert('x')</script>"


class Api:
    """A small API on loopback: it records every request it gets, and answers by path."""

    unlisted: Api

    def __init__(self, other: str = "") -> None:
        self.seen: list[dict] = []
        self.other = other  # where /api/redirect points
        self.server = LiveServer(self.app)
        self.url = self.server.url

    def app(self, environ, start_response):
        request = Request(environ)
        self.seen.append(
            {
                "method": request.method,
                "path": environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path,
                "host": request.host,
                "authorization": request.headers.get("Authorization", ""),
                "content_type": request.headers.get("Content-Type", ""),
                "body": request.get_data(as_text=True),
                "headers": sorted(k.lower() for k, _ in request.headers.items()),
            }
        )
        path = request.path
        if path == "/api/redirect":
            response = Response("", status=302, headers={"Location": self.other + "/stolen"})
        elif path == "/api/huge":
            response = Response((b"x" * 65536 for _ in range(160)), mimetype="text/plain")
        elif path == "/api/drip":
            response = Response(_drip(), mimetype="text/plain")
        elif path == "/api/gzip":
            response = Response(gzip.compress(b'{"a": 1}'), headers={"Content-Encoding": "gzip"})
        else:
            body = {"you_sent": request.headers.get("Authorization", ""), "note": EVIL, "method": request.method}
            response = Response(json.dumps(body), mimetype="application/json", headers={"X-Api": EVIL})
        return response(environ, start_response)

    def stop(self) -> None:
        self.server.stop()


def _drip() -> Iterator[bytes]:
    """An answer that never ends: a byte now and then (the client gives up, then the write fails)."""
    for _ in range(600):
        yield b"."
        time.sleep(0.2)


@pytest.fixture
def api() -> Iterator[Api]:
    other = Api()
    server = Api(other=other.url)
    server.unlisted = other
    yield server
    server.stop()
    other.stop()


@pytest.fixture
def listed(make_stack, api, http):
    """The app with API_CALL_ALLOWLIST = the small API's /api/ prefix, signed in."""
    stack = make_stack({"API_CALL_ALLOWLIST": f"{api.url}/api/"})
    stack.login(http)
    return stack


def call(stack, http, url: str, method: str = "GET", **extra: str) -> requests.Response:
    return http.post(
        stack.url + "/call",
        data={"csrf_token": stack.form_csrf(http, "/call"), "url": url, "method": method, **extra},
        allow_redirects=False,
    )


def shown(stack, http) -> str:
    return html.unescape(
        extract(r'<section class="card result" id="result">(.*?)</section>', http.get(stack.url + "/call").text, re.S)
    )


def api_steps(stack, http) -> list[dict]:
    """The trace's calls to another API, as the HAR export has them."""
    har = http.get(stack.url + "/trace.har").json()["log"]["entries"]
    return [e for e in har if e["comment"] == "Call another API with the access token"]


# -- off unless listed ------------------------------------------------------------------------------------


def test_off_by_default(stack, http, api):
    stack.login(http)
    page = http.get(stack.url + "/call")
    assert page.status_code == 200 and 'id="api-call-off"' in page.text and "API_CALL_ALLOWLIST" in page.text
    assert 'id="call-another-api"' not in http.get(stack.url + "/dashboard").text
    refused = call(stack, http, api.url + "/api/echo")
    assert refused.status_code == 403 and "Calling other APIs is off" in html.unescape(refused.text)
    assert api.seen == []


def test_signed_out_or_cross_site_nothing_is_sent(make_stack, api, http):
    stack = make_stack({"API_CALL_ALLOWLIST": f"{api.url}/api/"})
    assert http.get(stack.url + "/call", allow_redirects=False).headers["Location"].startswith("/?login_required=1")
    token = stack.csrf(http)
    signed_out = http.post(stack.url + "/call", data={"csrf_token": token, "url": api.url + "/api/echo"})
    assert signed_out.url.startswith(stack.url + "/?login_required=1")
    stack.login(http)
    forged = http.post(stack.url + "/call", data={"url": api.url + "/api/echo"}, allow_redirects=False)
    assert forged.status_code == 403  # no anti-forgery token: refused before the view
    assert api.seen == []


# -- a listed URL: the token goes there, the answer comes back shown and traced -----------------------------


def test_a_listed_url_gets_the_access_token_and_the_answer_is_shown_escaped(listed, api, http):
    access = listed.session_json(http)["access_token_claims"]
    sent = call(listed, http, api.url + "/api/echo?x=1")
    assert sent.status_code == 303 and sent.headers["Location"] == "/call#result"
    (got,) = api.seen
    token = got["authorization"].removeprefix("Bearer ")
    assert listed.client.presets.sign_in.verify_access(token).claims["jti"] == access["jti"]  # this session's token
    assert got["host"] == api.url.removeprefix("http://") and got["path"] == "/api/echo?x=1"
    page = http.get(listed.url + "/call").text
    assert EVIL not in page and html.escape(EVIL, quote=False) in page.replace("&#39;", "'")  # escaped text
    assert token not in page  # the token is shortened, in the request and in the echoed answer
    result = shown(listed, http)
    assert "HTTP 200" in result and "X-Api: " + EVIL in result
    assert f"GET {api.url}/api/echo?x=1\nHost: " in result and "Authorization: Bearer eyJ" in result
    assert '"you_sent": "Bearer eyJ' in result and "…" in result

    assert f'name="url" value="{api.url}/api/echo?x=1"' in page  # the form keeps the call, to send it again
    (step,) = api_steps(listed, http)
    assert step["request"]["url"] == api.url + "/api/echo?x=1" and step["response"]["status"] == 200
    auth = next(h["value"] for h in step["request"]["headers"] if h["name"] == "Authorization")
    assert auth.startswith("Bearer eyJ") and token not in json.dumps(step)  # a marker, shortened in exports
    diagram = http.get(listed.url + "/trace.mmd").text
    assert "    App->>API: call another API#58; GET /api/echo → 200" in diagram
    assert 'id="call-another-api"' in http.get(listed.url + "/dashboard").text


def test_a_post_with_a_small_body(listed, api, http):
    ok = call(listed, http, api.url + "/api/echo", "POST", body='{"n": 1}', content_type="application/json")
    assert ok.status_code == 303
    assert (api.seen[0]["method"], api.seen[0]["body"], api.seen[0]["content_type"]) == (
        "POST",
        '{"n": 1}',
        "application/json",
    )
    for extra, says in [
        ({"method": "POST", "body": "x" * 4097, "content_type": "text/plain"}, "The body is 4097 bytes; at most 4096"),
        ({"method": "POST", "body": "x", "content_type": "text/html"}, "A POST body is sent as one of"),
        ({"method": "GET", "body": "x"}, "A GET carries no body"),
        ({"method": "PUT"}, "Only GET and POST are sent from here, not 'PUT'"),
        ({"method": "GET\r\nX-Evil: 1"}, "Only GET and POST are sent from here"),
    ]:
        refused = call(listed, http, api.url + "/api/echo", **extra)
        assert refused.status_code == 400 and says in html.unescape(refused.text), extra
        assert 'id="api-call-refused"' in refused.text
    assert len(api.seen) == 1


# -- SSRF: only what is listed, exactly --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("{api}/other", "is not under any URL the operator listed"),
        ("{api}/apix", "is not under any URL the operator listed"),
        ("{api}/api/../admin", "dot segment"),
        ("{api}/api/%2e%2e/admin", "dot segment"),
        ("{api}/api/x%2F..%2Fadmin", "encoded slash"),
        ("{api}/api\\..\\admin", "encoded slash"),
        ("{other}/api/echo", "is not under any URL the operator listed"),
        ("http://localhost:{port}/api/echo", "is not under any URL the operator listed"),
        ("http://2130706433:{port}/api/echo", "is not under any URL the operator listed"),
        ("http://0x7f.1:{port}/api/echo", "is not under any URL the operator listed"),
        ("https://127.0.0.1:{port}/api/echo", "is not under any URL the operator listed"),
        ("http://127.0.0.1:{port}@evil.example/api/echo", "user name or password"),
        ("http://evil.example@127.0.0.1:{port}/api/echo", "user name or password"),
        ("ftp://127.0.0.1:{port}/api/echo", "absolute http:// or https:// URL"),
        ("/api/echo", "absolute http:// or https:// URL"),
        ("{api}/api/echo\r\nX-Injected: yes", "printable ASCII"),
        ("{api}/api/ echo", "printable ASCII"),
        ("{api}/api/é", "printable ASCII"),
        ("{api}/api/" + "x" * 2100, "a URL of 1 to 2048 characters"),
        ("", "a URL of 1 to 2048 characters"),
        ("http://127.0.0.1:99999/api/", "port"),
    ],
)
def test_unlisted_or_malformed_urls_are_refused_and_nothing_is_sent(listed, api, http, url, says):
    target = url.format(api=api.url, other=api.unlisted.url, port=api.url.rsplit(":", 1)[1])
    refused = call(listed, http, target)
    assert refused.status_code == 400, refused.text
    assert says in html.unescape(extract(r'<p class="detail">(.*?)</p>', refused.text, re.S))
    assert api.seen == [] and api.unlisted.seen == []
    assert api_steps(listed, http) == []  # nothing went over the wire, so nothing is traced


def test_an_encoded_line_break_stays_in_the_path_never_a_header(listed, api, http):
    call(listed, http, api.url + "/api/echo%0D%0AX-Injected:%20yes")
    (got,) = api.seen
    assert got["path"] == "/api/echo%0D%0AX-Injected:%20yes" and "x-injected" not in got["headers"]


@pytest.mark.live  # /call connects to the address it checked, by socket: the provider must listen on its port
def test_the_providers_own_endpoints_are_refused_even_when_listed(listed, api, http):
    listed.app.extensions["settings"] = replace(
        listed.settings, api_call_allowlist=parse_allowlist(listed.provider_url)
    )
    for path in ("/oauth2/token", "/oauth2/userInfo", "/oauth2/userinfo/", "/OAuth2/Revoke", "/oauth2/anything"):
        refused = call(listed, http, listed.provider_url + path)
        assert refused.status_code == 400
        assert "one of the provider's own endpoints" in html.unescape(refused.text), path
    discovery = call(listed, http, listed.provider_url + "/us-east-1_LocalDemo/.well-known/openid-configuration")
    assert discovery.status_code == 303 and "HTTP 200" in shown(listed, http)  # listed and not an endpoint
    assert [s["request"]["url"] for s in api_steps(listed, http)] == [
        listed.provider_url + "/us-east-1_LocalDemo/.well-known/openid-configuration"
    ]


# -- what comes back is bounded: redirects, size, time, compression ------------------------------------------


def test_a_redirect_is_shown_never_followed(listed, api, http):
    call(listed, http, api.url + "/api/redirect")
    result = shown(listed, http)
    assert "HTTP 302" in result and f"Location: {api.unlisted.url}/stolen" in result
    assert "Not followed: the app follows no redirect" in result
    assert len(api.seen) == 1 and api.unlisted.seen == []


def test_a_huge_answer_is_cut_and_a_compressed_one_is_not_inflated(listed, api, http):
    call(listed, http, api.url + "/api/huge")
    result = shown(listed, http)
    assert "Cut at 64 KB: the rest of the answer was not read." in result
    assert "Shown up to 4000 characters" in result
    (step,) = api_steps(listed, http)
    assert len(step["response"]["content"]["text"]) <= 16 * 1024 + 100  # the trace's own cut
    call(listed, http, api.url + "/api/gzip")
    assert "Compressed (gzip) although the app asked for none: shown as it came, not inflated." in shown(listed, http)


def test_a_dripping_answer_is_cut_at_the_deadline(api):
    """An answer that never ends is read until the deadline, then cut (the server keeps dripping)."""
    target = check(api.url + "/api/drip", parse_allowlist(api.url + "/api/"))
    answer = outbound.send(target, addresses(target), "GET", "token", deadline_seconds=2.0)
    assert answer.status == 200 and answer.truncated == "time" and answer.body.startswith(b".")


def test_no_answer_is_a_502_that_says_so_and_the_attempt_is_traced(make_stack, http):
    port = free_port()  # nothing listens there
    stack = make_stack({"API_CALL_ALLOWLIST": f"http://127.0.0.1:{port}/"})
    stack.login(http)
    failed = call(stack, http, f"http://127.0.0.1:{port}/x")
    assert failed.status_code == 502
    assert "The API gave no answer" in failed.text and "connection refused" in failed.text
    (step,) = api_steps(stack, http)
    assert step["response"]["status"] == 0


@pytest.fixture
def raw_server() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server on loopback that answers each connection with the next of the bytes it is given."""
    answers: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answers.pop(0) if answers else b"")

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", answers
    listener.close()


@pytest.mark.parametrize(
    "answer",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"y" * 70000 + b"\r\n\r\n",
        b"",
    ],
    ids=["not-http", "too-many-headers", "header-too-long", "hang-up"],
)
def test_an_answer_that_is_not_http_is_no_answer_never_an_error_page(make_stack, http, raw_server, answer):
    url, answers = raw_server
    answers.append(answer)
    stack = make_stack({"API_CALL_ALLOWLIST": url})
    stack.login(http)
    failed = call(stack, http, url + "/x")
    assert failed.status_code == 502 and "The API gave no answer" in failed.text


def test_rate_limited_with_the_other_outbound_calls(make_stack, api, http):
    stack = make_stack({"API_CALL_ALLOWLIST": f"{api.url}/api/", "RATE_LIMIT_PROVIDER_CALLS": "2 per minute"})
    stack.login(http)
    assert [call(stack, http, api.url + "/api/echo").status_code for _ in range(3)] == [303, 303, 429]
    assert len(api.seen) == 2


# -- DNS: resolved once, public addresses only unless listed by address ---------------------------------------


class ScriptedResolver:
    """A resolver giving each answer in turn (a rebinding DNS server changes its answer between lookups)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


@pytest.mark.parametrize(
    "answer",
    [["10.0.0.5"], ["93.184.216.34", "127.0.0.1"], ["169.254.169.254"], ["::1"], ["::ffff:127.0.0.1"], ["fd00::1"],
     ["100.64.0.1"], ["0.0.0.0"], ["224.0.0.1"]],
)  # fmt: skip
def test_a_name_that_resolves_to_a_non_public_address_is_refused(answer):
    target = check("https://api.example.test/v1/x", parse_allowlist("https://api.example.test/v1"))
    with pytest.raises(CallRefused, match="resolves to a non-public address"):
        addresses(target, ScriptedResolver(answer))


def test_the_name_is_resolved_once_and_the_checked_addresses_are_the_ones_used():
    rebinding = ScriptedResolver(["93.184.216.34"], ["127.0.0.1"])
    target = check("https://api.example.test/v1/x", parse_allowlist("https://api.example.test/v1"))
    assert addresses(target, rebinding) == ["93.184.216.34"]
    assert rebinding.calls == ["api.example.test"]
    assert target.host_header == "api.example.test"  # the name goes in Host (and TLS), the address in connect


def test_localhost_listed_reaches_loopback_only_and_a_failed_lookup_is_no_answer():
    target = check("http://localhost:8080/x", parse_allowlist("http://localhost:8080"))
    assert addresses(target, ScriptedResolver(["127.0.0.1", "::1"])) == ["127.0.0.1", "::1"]
    with pytest.raises(CallRefused, match="localhost resolved to no loopback address"):
        addresses(target, ScriptedResolver(["93.184.216.34"]))

    def broken(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    named = check("https://api.example.test/v1", parse_allowlist("https://api.example.test/v1"))
    with pytest.raises(CallFailed, match="could not be resolved"):
        addresses(named, broken)


def test_localhost_listed_over_real_http_sends_the_name_and_connects_to_loopback(make_stack, api, http):
    port = api.url.rsplit(":", 1)[1]
    stack = make_stack({"API_CALL_ALLOWLIST": f"http://localhost:{port}/api/"})
    stack.login(http)
    assert call(stack, http, f"http://localhost:{port}/api/echo").status_code == 303
    assert api.seen[0]["host"] == f"localhost:{port}"
    assert "from 127.0.0.1" in shown(stack, http) or "from ::1" in shown(stack, http)


@pytest.fixture
def tls_api(tmp_path) -> Iterator[tuple[str, str]]:
    """An HTTPS API on 127.0.0.1 whose certificate names `localhost` (a CA the test trusts)."""
    cert, key = self_signed_certificate(tmp_path, names=("localhost",), stem="api")
    server = make_server("127.0.0.1", 0, Api().app, threaded=True, ssl_context=(str(cert), str(key)))
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"https://localhost:{server.server_port}", str(cert)
    server.shutdown()
    server.server_close()


def test_https_connects_to_the_checked_address_and_verifies_the_certificate_for_the_name(tls_api):
    url, ca = tls_api
    target = check(url + "/api/echo", parse_allowlist(url))
    answer = outbound.send(target, ["127.0.0.1"], "GET", "tok", ca_certs=ca)
    assert answer.status == 200 and json.loads(answer.body)["you_sent"] == "Bearer tok"
    # the same server under a name its certificate does not carry: refused by TLS, nothing read
    other = replace(target, host="api.example.test")
    with pytest.raises(CallFailed, match="certificate was not valid"):
        outbound.send(other, ["127.0.0.1"], "GET", "tok", ca_certs=ca)


# -- the setting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("http://api.example.com", "uses http:// on a host that is not this machine"),
        ("https://api.example.com/v1?x=1", "must not carry a query or a fragment"),
        ("ftp://api.example.com", "absolute http:// or https:// URL"),
        ("https://user:pw@api.example.com", "user name or password"),
        ("http://0.0.0.0:8080", "is not an address to call"),
        ("https://api.example.com/v1/../admin", "dot segments"),
        ("api.example.com", "absolute http:// or https:// URL"),
    ],
)
def test_a_malformed_allowlist_stops_start_up_with_one_line(tmp_path, value, says):
    env = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "API_CALL_ALLOWLIST": value}
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    assert str(refused.value).startswith("API_CALL_ALLOWLIST: ") and says in str(refused.value)


def test_allowlist_entries_and_what_they_cover():
    entries = parse_allowlist(
        "https://API.example.com, https://api.example.com/v1/ http://127.0.0.1:8080/x http://[::1]:9"
    )
    assert [e.text for e in entries] == [
        "https://api.example.com",
        "https://api.example.com/v1/",
        "http://127.0.0.1:8080/x",
        "http://[::1]:9",
    ]
    prefix = parse_allowlist("https://api.example.com/v1")[0]
    assert prefix.covers("https", "api.example.com", 443, "/v1") and prefix.covers(
        "https", "api.example.com", 443, "/v1/a"
    )
    assert not prefix.covers("https", "api.example.com", 443, "/v1admin")
    assert not prefix.covers("https", "api.example.com", 8443, "/v1/a")
    assert check("https://api.example.com:443/v1/a#frag", [prefix]).path_query == "/v1/a"


def test_the_trace_draws_the_call_to_the_api_participant():
    trace = Trace.from_record(
        {
            "steps": [
                {
                    "id": 1,
                    "name": "api_call",
                    "from": "app",
                    "to": "api",
                    "method": "GET",
                    "url": "https://a/x",
                    "status": 200,
                }
            ]
        }
    )
    assert trace.steps[0].target == "api"
    assert "participant API" in sequence_diagram(trace.steps, {})


# -- in Chromium, at projector size --------------------------------------------------------------------------


@pytest.mark.browser
def test_on_a_projector_the_form_then_the_answer_with_the_trace(make_stack, api, browser):
    stack = make_stack({"API_CALL_ALLOWLIST": f"{api.url}/api/"})
    context = browser.new_context(viewport={"width": 1024, "height": 768}, device_scale_factor=1.5)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(stack.url + "/login")
        sign_in(page, stack)
        page.get_by_role("link", name="Call another API with the access token").click()
        send = page.locator("#api-send")
        box = send.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768, box  # the whole form on the first screen
        page.get_by_label("URL").fill(api.url + "/api/echo")
        send.click()
        expect(page.locator("#api-status")).to_have_text("200")
        expect(page.locator("#api-answer")).to_contain_text(EVIL)  # shown as text, never run
        expect(page.locator("#api-request")).to_contain_text("Authorization: Bearer eyJ")
        audit(page, "/call with an answer")
        page.get_by_role("link", name="See it in the trace").click()
        expect(page.locator('[data-step="api_call"]')).to_have_count(1)
    finally:
        context.close()
    assert errors == [] and len(api.seen) == 1
