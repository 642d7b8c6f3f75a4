"""Fuzz the app over real HTTP: random and mutated tokens, headers, callback parameters and bodies.

Every answer must be below 500, and a signed-in session must survive whatever is thrown at it.
Bounded by example counts (derandomized under CI, so a failure there reproduces).
"""

from __future__ import annotations

import json

import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from jose import jws

from tests.support.fuzz import (
    FUZZ,
    assert_survived,
    b64chars,
    claims,
    headers,
    hostile_text,
    json_values,
    mutate,
    unsigned,
)


def test_fuzz_api_bearer_tokens(stack, http, signed_in):
    real = signed_in["access_token"]
    key = stack.pool.keys.access_key

    @FUZZ
    @given(data=st.data())
    def run(data):
        kind = data.draw(st.sampled_from(["mutated", "unsigned", "signed", "header"]))
        if kind == "mutated":
            value = "Bearer " + mutate(real, data)
        elif kind == "unsigned":
            value = "Bearer " + unsigned(data.draw(headers), data.draw(claims), data.draw(b64chars))
        elif kind == "signed":  # a valid signature over hostile claims
            payload = {"iss": stack.settings.client.issuer, "token_use": "access", **data.draw(claims)}
            body = json.dumps(payload, allow_nan=True)
            value = "Bearer " + jws.sign(body.encode(), key.signer(), headers={"kid": key.kid}, algorithm="RS256")
        else:
            value = data.draw(hostile_text)
        try:
            response = requests.get(stack.url + "/api/me", headers={"Authorization": value}, timeout=10)
        except (requests.exceptions.InvalidHeader, ValueError, UnicodeError):
            return  # requests itself refused to send it
        assert response.status_code < 500, (value[:200], response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")

    run()


def test_fuzz_callback_parameters(stack, http, signed_in):
    @FUZZ
    @given(
        params=st.dictionaries(
            st.sampled_from(["code", "state", "error", "error_description", "iss", "session_state", "x"]),
            hostile_text,
            max_size=5,
        )
    )
    def run(params):
        response = http.get(stack.url + "/callback", params=params, allow_redirects=False, timeout=10)
        assert response.status_code < 500, (params, response.text[:300])
        assert "Traceback" not in response.text

    run()
    assert_survived(stack, http)


def test_fuzz_signed_id_tokens_through_the_callback(stack, http):
    key = stack.pool.keys.id_key

    @settings(FUZZ, max_examples=40)
    @given(extra=claims)
    def run(extra):
        def rewrite(body):
            base = json.loads(jws.get_unverified_claims(body["id_token"]))
            payload = json.dumps({**base, **extra}, allow_nan=True)
            body["id_token"] = jws.sign(payload.encode(), key.signer(), headers={"kid": key.kid}, algorithm="RS256")
            return body

        stack.rewriter.rewrite = rewrite
        with requests.Session() as browser:
            response = stack.login(browser)
            assert response.status_code < 500, (extra, response.text[:300])
            if response.status_code == 400:
                assert browser.get(stack.url + "/api/session").json()["authenticated"] is False
            if response.status_code == 302:  # accepted: the dashboard must render whatever the claims are
                assert browser.get(stack.url + "/dashboard").status_code == 200

    run()


def test_fuzz_implicit_verify_bodies(stack, http, signed_in):
    csrf = stack.csrf(http)

    @FUZZ
    @given(body=json_values | st.dictionaries(st.sampled_from(["id_token", "access_token", "state"]), json_values))
    def run(body):
        response = http.post(
            stack.url + "/api/implicit/verify",
            data=json.dumps(body, allow_nan=True),
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
            timeout=10,
        )
        assert 400 <= response.status_code < 500, (body, response.text[:300])
        assert response.json()["valid"] is False

    run()
    assert_survived(stack, http)


def test_fuzz_cookies_headers_and_paths(stack, http, signed_in):
    name = stack.app.config["SESSION_COOKIE_NAME"]

    @FUZZ
    @given(
        cookie=hostile_text,
        path=st.sampled_from(
            [
                "/",
                "/dashboard",
                "/trace",
                "/compare",
                "/doctor",
                "/api/session",
                "/login",
                "/machine",
                "/presenter",
                "/revocation",
                "/signed-out",
                "/trace/token/1/0",
                "/nope",
                "/static/x",
            ]
        ),
        query=st.dictionaries(
            st.sampled_from(["next", "on", "prompt", "expired", "signed_out"]), hostile_text, max_size=3
        ),
        host=st.sampled_from(["evil.example", "127.0.0.1", "", "a" * 300]),
    )
    def run(cookie, path, query, host):
        try:
            response = requests.get(
                stack.url + path,
                params=query,
                cookies={name: cookie, "flowlab_trace": cookie},
                headers={"X-Forwarded-Host": host},
                allow_redirects=False,
                timeout=10,
            )
        except (requests.exceptions.InvalidHeader, ValueError, UnicodeError):
            return
        assert response.status_code < 500, (path, query, response.text[:300])
        location = response.headers.get("Location", "")
        assert not location.startswith(("//", "http://evil", "https://evil", "javascript:"))

    run()
    assert_survived(stack, http)


def test_fuzz_machine_doctor_and_logout_with_every_method(stack, http, signed_in):
    """Issue 11: every method on /machine, /doctor and /logout, signed in or not, with or without the
    anti-forgery token and with hostile form fields, answers below 500 (and a HEAD or GET never signs out)."""
    token = stack.form_csrf(http, "/dashboard")
    stranger = requests.Session()
    stranger_token = stack.form_csrf(stranger, "/logout")

    @settings(FUZZ, max_examples=80)
    @given(
        path=st.sampled_from(["/machine", "/doctor", "/logout", "/switch-user"]),
        method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]),
        who=st.sampled_from(["signed_in", "anonymous"]),
        with_token=st.booleans(),
        form=st.dictionaries(st.sampled_from(["scope", "confirmed", "csrf_token", "x"]), hostile_text, max_size=3),
    )
    def run(path, method, who, with_token, form):
        browser, valid = (http, token) if who == "signed_in" else (stranger, stranger_token)
        if with_token and not (who == "signed_in" and path in ("/logout", "/switch-user")):
            form = {**form, "csrf_token": valid}  # (the signed-in browser must stay signed in)
        elif who == "signed_in" and path in ("/logout", "/switch-user"):
            form.pop("csrf_token", None)
        try:
            response = browser.request(method, stack.url + path, data=form, allow_redirects=False, timeout=10)
        except (requests.exceptions.InvalidHeader, ValueError, UnicodeError):
            return
        assert response.status_code < 500, (method, path, who, response.text[:300])
        assert "Traceback" not in response.text

    run()
    stranger.close()
    assert_survived(stack, http)


def test_fuzz_implicit_verify_nesting_and_sizes(stack, http, signed_in):
    """Deep nesting (parser and trace walk) and big bodies (the 64 KiB cap): always a clear 4xx."""
    csrf = stack.csrf(http)

    @settings(FUZZ, max_examples=60)
    @given(
        depth=st.integers(min_value=1, max_value=3000),
        shape=st.sampled_from(["array", "object", "mixed", "in-a-field", "unclosed"]),
        padding=st.sampled_from([0, 1000, 60_000, 66_000, 300_000]),
    )
    def run(depth, shape, padding):
        leaf = json.dumps("x" * padding)
        if shape == "array":
            body = "[" * depth + leaf + "]" * depth
        elif shape == "object":
            body = '{"a":' * depth + leaf + "}" * depth
        elif shape == "mixed":
            body = '[{"a":' * depth + leaf + "}]" * depth
        elif shape == "in-a-field":
            body = '{"id_token":"x","access_token":"y","state":"z","n":' + "[" * depth + leaf + "]" * depth + "}"
        else:
            body = "[" * depth + leaf
        response = http.post(
            stack.url + "/api/implicit/verify",
            data=body,
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
            timeout=10,
        )
        expected = 413 if len(body) > 64 * 1024 else 400
        assert response.status_code == expected, (shape, depth, padding, response.text[:300])
        assert response.json()["valid"] is False

    run()
    assert_survived(stack, http)
    assert http.get(stack.url + "/trace").status_code == 200
