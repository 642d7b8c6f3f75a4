"""The token inspector, page and CLI, with every kind of token and bad input, over real HTTP."""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import time
import uuid

import pytest
import requests
from jose import jws

FIVE_PART_JWE_HEADER = base64.urlsafe_b64encode(
    json.dumps({"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}).encode()
).rstrip(b"=")


def inspect(stack, http, token: str):
    return http.post(stack.url + "/inspect", data={"token": token, "csrf_token": stack.form_csrf(http, "/inspect")})


def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def code_flow_tokens(stack) -> dict:
    """The confidential client's tokens as the provider sent them (a code-flow sign-in over HTTP)."""
    captured: dict = {}

    def keep(body: dict) -> dict:
        captured.update(body)
        return body

    stack.rewriter.rewrite = keep
    with requests.Session() as other:
        assert stack.login(other).status_code == 302
    stack.rewriter.rewrite = None
    return captured


def test_id_token(stack, http):
    tokens = code_flow_tokens(stack)
    response = inspect(stack, http, tokens["id_token"])
    assert response.status_code == 200
    page = text_of(response)
    assert 'data-kind="id"' in response.text and 'data-verdict="valid"' in response.text
    assert "A Cognito ID token" in page
    assert "this app's confidential client (OAUTH_CLIENT_ID" in page
    for check in ("signature", "iss", "aud", "token_use", "exp", "iat"):
        assert f'data-check="{check}" data-status="pass"' in response.text, check
    for check in ("nonce", "at_hash"):
        assert f'data-check="{check}" data-status="skipped"' in response.text, check
    assert "skipped on purpose" in page
    assert 'id="inspect-api" data-status="401"' in response.text
    assert "an ID token is never accepted here" in page
    assert "no sign of clock skew" in page and "Expires in 60 min" in page
    # three colour-coded segments
    for part in ("header", "payload", "signature"):
        assert f'class="seg seg-{part}"' in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_access_tokens_of_each_client(stack, http):
    tokens = code_flow_tokens(stack)
    response = inspect(stack, http, "Bearer " + tokens["access_token"])
    page = text_of(response)
    assert 'data-kind="access"' in response.text and 'data-verdict="valid"' in response.text
    assert "A Cognito access token" in page
    assert 'id="inspect-api" data-status="200"' in response.text
    assert "|" + "7b1c4e52-0d7e-4a8e-9f55-3f1f2a9c0de1" in page  # the principal /api/me would answer

    spa_tokens, _ = stack.spa_tokens(http)
    page = text_of(inspect(stack, http, spa_tokens["access_token"]))
    assert "this app's public client (OAUTH_PUBLIC_CLIENT_ID" in page

    machine = stack.client.client_credentials()
    response = inspect(stack, http, machine["access_token"])
    page = text_of(response)
    assert "this app's machine client (M2M_CLIENT_ID" in page
    assert "It carries no user" in page
    assert 'id="inspect-api" data-status="200"' in response.text
    # no user in it: sub is the client, and nobody "signed in" (a review pass found the user's wording here)
    assert "Subject: with client credentials there is no user, so it is the machine client's own id." in page
    assert "The machine client authenticated" in page and "The user signed in" not in page


def test_refresh_tokens_are_recognised_and_never_shown(stack, http):
    tokens = code_flow_tokens(stack)
    refresh = tokens["refresh_token"]
    response = inspect(stack, http, refresh)
    assert response.status_code == 200
    page = text_of(response)
    assert 'data-kind="refresh"' in response.text
    assert "A Cognito refresh token (encrypted JWE)" in page
    assert "no client can read what is inside" in page
    assert refresh not in response.text and refresh.split(".", 1)[1] not in response.text
    # the five-part compact JWE that real Cognito issues
    jwe = ".".join([FIVE_PART_JWE_HEADER.decode(), "a" * 342, "b" * 22, "c" * 1200, "d" * 22])
    response = inspect(stack, http, jwe)
    assert "A Cognito refresh token (encrypted JWE)" in text_of(response)
    assert "c" * 1200 not in response.text
    # a damaged copy (found by tests/test_fuzz_beyond.py): its header no longer decodes, so it reads as
    # opaque, and a long opaque paste is shown shortened, never echoed whole
    damaged = inspect(stack, http, "0" + refresh)
    assert damaged.status_code == 200 and "Not a JWT" in text_of(damaged)
    assert refresh not in damaged.text and f"({len(refresh) + 1} characters)" in text_of(damaged)


def test_tokens_from_another_issuer(stack, http):
    tokens = code_flow_tokens(stack)
    other_pool = stack.resign(
        tokens["id_token"], lambda c: c.update(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")
    )
    response = inspect(stack, http, other_pool)
    page = text_of(response)
    assert 'data-kind="foreign"' in response.text and 'data-verdict="invalid"' in response.text
    assert "another Amazon Cognito user pool, eu-west-1_Other in eu-west-1" in page
    assert 'data-check="iss" data-status="fail"' in response.text
    google = jws.sign(
        {"iss": "https://accounts.google.com", "aud": "x.apps.googleusercontent.com", "sub": "1", "exp": 2e9},
        "not-our-key",
        algorithm="HS256",
    )
    page = text_of(inspect(stack, http, google))
    assert "Issued by Google (https://accounts.google.com)" in page
    assert "does not fetch another issuer's keys" in page


def test_expired_and_future_tokens_show_the_clock(stack, http):
    tokens = code_flow_tokens(stack)
    now = int(time.time())
    expired = stack.resign(tokens["access_token"], lambda c: c.update(iat=now - 7200, exp=now - 3600), "access")
    response = inspect(stack, http, expired)
    page = text_of(response)
    assert 'data-verdict="invalid"' in response.text and 'data-check="exp" data-status="fail"' in response.text
    assert "Expired 60 min ago" in page
    assert "exp check failed" in page  # what /api/me would say
    future = stack.resign(tokens["access_token"], lambda c: c.update(iat=now + 600, exp=now + 4200), "access")
    page = text_of(inspect(stack, http, future))
    assert "Issued 600 s in the future" in page or "Issued 599 s in the future" in page
    assert "beyond the 60 s leeway" in page


def test_non_jwts(stack, http):
    code = str(uuid.uuid4())
    response = inspect(stack, http, code)
    assert response.status_code == 200
    page = text_of(response)
    assert "Not a JWT" in page and "the shape of a Cognito authorization code" in page
    assert 'id="inspect-api" data-status="401"' in response.text
    page = text_of(inspect(stack, http, "ya29.opaque-token_value"))
    assert "An opaque token" in page


@pytest.mark.parametrize(
    "paste,status,message",
    [
        ("", 400, "The paste is empty"),
        ("   \n ", 400, "The paste is empty"),
        ("hello world, this is not a token", 400, "contains characters no token has"),
        ("<script>alert(1)</script>", 400, "contains characters no token has"),
        ("eyJhbGciOi.eyJzdWIi.c2ln", 400, "three parts of a JWT"),
        ("a" * 20_000, 413, "tokens are at most"),
    ],
)
def test_garbage_gets_a_clear_4xx(stack, http, paste, status, message):
    response = inspect(stack, http, paste)
    assert response.status_code == status
    assert message in text_of(response)
    assert "<script>alert" not in response.text


def test_huge_body_and_missing_anti_forgery_token(stack, http):
    token = stack.form_csrf(http, "/inspect")
    response = http.post(stack.url + "/inspect", data={"token": "a" * 400_000, "csrf_token": token})
    assert response.status_code == 413
    response = http.post(stack.url + "/inspect", data={"token": "abc"})
    assert response.status_code == 403
    response = http.post(
        stack.url + "/inspect", data={"token": "abc", "csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_pasted_tokens_are_never_stored_traced_or_logged(stack, http, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = code_flow_tokens(stack)
    for token in (tokens["id_token"], tokens["access_token"], tokens["refresh_token"]):
        assert inspect(stack, http, token).status_code == 200
    markdown = http.get(stack.url + "/trace.md").text
    trace = markdown + http.get(stack.url + "/trace").text
    session_json = json.dumps(stack.session_json(http))
    for token in (tokens["id_token"], tokens["access_token"], tokens["refresh_token"]):
        signature = token.rsplit(".", 1)[1]
        assert signature not in trace
        assert signature not in caplog.text
        assert signature not in session_json
    assert "/inspect" not in markdown  # not even as a step


def test_cli(stack, http):
    tokens = code_flow_tokens(stack)
    runner = stack.app.test_cli_runner()
    result = runner.invoke(args=["inspect", "-"], input=tokens["id_token"] + "\n")
    assert result.exit_code == 0, result.output
    assert "A Cognito ID token" in result.output
    assert "SKIP nonce: skipped on purpose" in result.output
    assert "GET /api/me would answer 401 invalid_token" in result.output
    assert "Verdict: valid" in result.output
    result = runner.invoke(args=["inspect", tokens["access_token"]])
    assert result.exit_code == 0 and "GET /api/me would answer 200" in result.output
    expired = stack.resign(tokens["access_token"], lambda c: c.update(exp=int(time.time()) - 3600), "access")
    result = runner.invoke(args=["inspect"], input=expired)
    assert result.exit_code == 1 and "FAIL exp" in result.output
    result = runner.invoke(args=["inspect", "-"], input=tokens["refresh_token"])
    assert result.exit_code == 0 and "refresh token" in result.output
    assert tokens["refresh_token"] not in result.output
    result = runner.invoke(args=["inspect", "-"], input="not a token at all")
    assert result.exit_code == 2 and "contains characters no token has" in result.output


def test_provider_down_is_a_502(make_stack, http):
    stack = make_stack(issuer="http://127.0.0.1:1/us-east-1_Nowhere")

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    rsa_like = ".".join(  # an RS256 token of the configured issuer: checking it needs the JWKS
        [
            part(b'{"alg":"RS256","kid":"x"}'),
            part(json.dumps({"iss": stack.settings.client.issuer}).encode()),
            part(b"s" * 256),
        ]
    )
    response = inspect(stack, http, rsa_like)
    assert response.status_code == 502


def test_inspector_is_rate_limited(make_stack, http):
    stack = make_stack({"RATE_LIMIT_INSPECT": "2 per minute"})
    token = stack.form_csrf(http, "/inspect")
    answers = [http.post(stack.url + "/inspect", data={"token": "abc", "csrf_token": token}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0 and "Too many requests" in answers[-1].text
    assert http.get(stack.url + "/inspect").status_code == 200  # the form itself is not limited


def test_head_is_never_an_inspection(stack, http):
    """HEAD /inspect with a form body fell into the POST branch (the view tested for GET only),
    past the anti-forgery check and the rate limit (both only for POST). It answers as the GET page does."""
    token = stack.login_tokens(http)["access_token"]
    blank = http.get(stack.url + "/inspect")
    answer = http.head(stack.url + "/inspect", data={"token": token})
    assert answer.status_code == 200
    # HEAD answers with the headers of the page it would send: the blank form, not an inspection of the token
    assert answer.headers["Content-Length"] == blank.headers["Content-Length"]
