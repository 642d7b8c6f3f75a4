"""Fuzz the pages of issue 14 over real HTTP: the browser-only verify, the token inspector, the
authorize panel and Reveal. Every answer must be below 500; a signed-in session survives."""

from __future__ import annotations

import json
import re

import requests
from hypothesis import given
from hypothesis import strategies as st

from tests.support import csrf_of
from tests.support.fuzz import FUZZ, assert_survived, hostile_text, json_values, mutate


def test_fuzz_spa_verify_bodies(stack, http, signed_in):
    csrf = stack.spa_csrf(http)
    keys = st.sampled_from(["id_token", "access_token", "state", "nonce", "received", "refresh_token"])

    @FUZZ
    @given(body=json_values | st.dictionaries(keys, json_values))
    def run(body):
        response = http.post(
            stack.url + "/api/spa/verify",
            data=json.dumps(body, allow_nan=True),
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
            timeout=10,
        )
        assert 400 <= response.status_code < 500, (body, response.text[:300])
        assert response.json()["valid"] is False

    run()
    assert_survived(stack, http)


def test_fuzz_inspector_pastes(make_stack, http):
    stack = make_stack({"RATE_LIMIT_INSPECT": "10000 per minute"})
    tokens: dict = {}
    stack.rewriter.rewrite = lambda body: tokens.update(body) or body
    stack.login(http)
    stack.rewriter.rewrite = None
    csrf = stack.form_csrf(http, "/inspect")
    real = [tokens["id_token"], tokens["access_token"], tokens["refresh_token"]]

    @FUZZ
    @given(data=st.data())
    def run(data):
        use_real = data.draw(st.booleans())
        paste = mutate(data.draw(st.sampled_from(real)), data) if use_real else data.draw(hostile_text)
        response = http.post(stack.url + "/inspect", data={"token": paste, "csrf_token": csrf}, timeout=10)
        assert response.status_code in (200, 400, 413), (paste[:200], response.status_code, response.text[:300])
        assert "Traceback" not in response.text
        assert tokens["refresh_token"] not in response.text

    run()
    assert_survived(stack, http)


def test_fuzz_authorize_panel_forms(stack, http, signed_in):
    names = ["response_type", "scope", "prompt", "lang", "identity_provider", "idp_identifier", "login_hint", "x"]

    @FUZZ
    @given(fields=st.dictionaries(st.sampled_from(names), hostile_text | st.lists(hostile_text, max_size=3)))
    def run(fields):
        page = http.get(stack.url + "/authorize-request").text
        csrf = csrf_of(page)
        state = re.search(r'name="state" value="([^"]+)"', page).group(1)
        data = {**fields, "csrf_token": csrf, "state": state}
        try:
            response = http.post(stack.url + "/authorize-request", data=data, allow_redirects=False, timeout=10)
        except (ValueError, UnicodeError):
            return
        assert response.status_code in (303, 400), (fields, response.status_code, response.text[:300])
        if response.status_code == 303:
            assert response.headers["Location"].startswith(stack.provider_url + "/oauth2/authorize?")

    run()
    assert_survived(stack, http)


def test_fuzz_reveal_and_pages(stack, http, signed_in):
    csrf = stack.spa_csrf(http)

    @FUZZ
    @given(body=json_values, path=st.sampled_from(["/spa", "/spa/callback", "/inspect", "/authorize-request"]))
    def run(body, path):
        response = http.post(
            stack.url + "/api/tokens/reveal",
            data=json.dumps(body, allow_nan=True),
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code in (200, 400), (body, response.text[:300])
        if response.status_code == 200:
            assert response.json()["token"] in (signed_in["id_token"], signed_in["access_token"])
        assert requests.get(stack.url + path, timeout=10).status_code == 200

    run()
    assert_survived(stack, http)
