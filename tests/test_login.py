"""The authorization-code flow end to end, over real HTTP against the local provider."""

from __future__ import annotations

import html
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from oauth.transactions import pkce_challenge
from tests.support import csrf_of, extract


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_full_login_lands_on_verified_dashboard(stack, http):
    response = stack.login(http)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"

    page = http.get(stack.url + "/dashboard")
    assert page.status_code == 200
    assert "Signed in as" in page.text and "demo" in page.text
    for check in ("signature", "iss", "aud", "client_id", "token_use", "exp", "iat", "nonce", "at_hash"):
        assert f'data-check="{check}"' in page.text
    assert 'class="check bad"' not in page.text
    assert "expires" in page.text and "(in 60 min)" in page.text
    assert "present (kept server-side, never shown)" in page.text

    info = stack.session_json(http)
    assert info["authenticated"] is True
    assert info["id_token_claims"]["cognito:username"] == "demo"
    assert info["access_token_claims"]["token_use"] == "access"
    assert info["refresh_token"] == "present"


def test_secret_and_refresh_token_never_reach_pages(stack, http):
    stack.login(http)
    refresh = None
    for grant in stack.pool.refresh_tokens:
        refresh = grant
    assert refresh
    for path in ("/", "/dashboard", "/api/session"):
        body = http.get(stack.url + path).text
        assert stack.settings.client.client_secret not in body
        assert refresh not in body


def test_authorize_request_carries_state_nonce_and_pkce(stack, http):
    url = stack.start_login(http)
    assert url.startswith(stack.provider_url + "/oauth2/authorize?")
    q = _query(url)
    assert q["response_type"] == "code"
    assert q["client_id"] == stack.settings.client.client_id
    assert q["redirect_uri"] == stack.url + "/callback"
    assert q["scope"] == "openid email profile"
    assert q["code_challenge_method"] == "S256"
    assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32
    second = _query(stack.start_login(http))
    assert second["state"] != q["state"] and second["nonce"] != q["nonce"]
    assert second["code_challenge"] != q["code_challenge"]


def test_code_exchange_sends_verifier_redirect_uri_and_basic_auth(stack, http):
    stack.login(http)
    (token_call,) = stack.steps("token")
    body = _query("?" + token_call.request_body)
    assert body["grant_type"] == "authorization_code"
    assert body["redirect_uri"] == stack.url + "/callback"
    assert "client_secret" not in body
    assert token_call.request_headers["Authorization"].startswith("Basic ")
    # the verifier matches the challenge the provider was given (PKCE really ran)
    assert len(body["code_verifier"]) >= 43


def test_client_secret_post_is_used_when_configured(make_stack, http):
    stack = make_stack({"OAUTH_CLIENT_AUTH": "client_secret_post"})
    assert stack.login(http).headers["Location"] == "/dashboard"
    (token_call,) = stack.steps("token")
    assert "Authorization" not in token_call.request_headers
    assert "client_secret=" in token_call.request_body


def test_two_tabs_do_not_clobber_each_other(stack, http):
    first = stack.start_login(http)
    second = stack.start_login(http)
    back_second = stack.sign_in_at_provider(http, second)
    back_first = stack.sign_in_at_provider(http, first)
    assert http.get(back_second, allow_redirects=False).headers["Location"] == "/dashboard"
    assert http.get(back_first, allow_redirects=False).headers["Location"] == "/dashboard"


def test_next_accepts_local_paths_only(stack, http):
    assert stack.login(http, path="/login?next=/api/session").headers["Location"] == "/api/session"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        http.cookies.clear()
        response = stack.login(http, path="/login?next=" + quote(hostile, safe=""))
        assert response.headers["Location"] == "/dashboard", hostile


def test_missing_state_is_refused_without_a_token_call(stack, http):
    params = stack.callback_params(http)
    response = http.get(stack.url + "/callback", params={"code": params["code"]})
    assert response.status_code == 400
    assert "Unknown or already used state" in response.text
    assert stack.steps("token") == []
    assert stack.session_json(http)["authenticated"] is False


def test_mismatched_state_is_refused(stack, http):
    params = stack.callback_params(http)
    response = http.get(stack.url + "/callback", params={"code": params["code"], "state": "forged"})
    assert response.status_code == 400
    assert stack.steps("token") == []
    # the real transaction is still usable: a forged callback destroyed nothing
    ok = http.get(stack.url + "/callback", params=params, allow_redirects=False)
    assert ok.headers["Location"] == "/dashboard"


def test_callback_from_another_issuer_is_refused_and_its_state_spent(stack, http):
    params = stack.callback_params(http)
    response = http.get(stack.url + "/callback", params={**params, "iss": "https://attacker.example"})
    assert response.status_code == 400
    assert "The callback came from another issuer" in response.text
    assert "&#39;https://attacker.example&#39;, not the configured issuer" in response.text
    assert response.headers["X-OAuth-Error"] == "invalid_issuer"
    assert stack.steps("token") == [] and stack.session_json(http)["authenticated"] is False
    again = http.get(stack.url + "/callback", params=params)  # RFC 9207: the mixed-up response is spent
    assert again.status_code == 400 and "Unknown or already used state" in again.text


def test_callback_with_the_configured_issuer_signs_in(stack, http):
    params = {**stack.callback_params(http), "iss": stack.settings.client.issuer}
    assert http.get(stack.url + "/callback", params=params, allow_redirects=False).headers["Location"] == "/dashboard"


def test_replayed_callback_is_refused(stack, http):
    params = stack.callback_params(http)
    assert http.get(stack.url + "/callback", params=params, allow_redirects=False).status_code == 302
    replay = http.get(stack.url + "/callback", params=params, allow_redirects=False)
    # the same browser, still signed in: a reload, said as such (issue 23 item 5); the code is never sent
    # again, and another browser's replay is a 400 (tests/test_live_demo.py)
    assert replay.status_code == 200 and "This sign-in already completed" in replay.text
    assert len(stack.steps("token")) == 1
    stack.post(http, "/logout")
    signed_out = http.get(stack.url + "/callback", params=params, allow_redirects=False)
    assert signed_out.status_code == 400
    assert len(stack.steps("token")) == 1


def test_provider_error_is_shown_escaped(stack, http):
    stack.start_login(http)
    response = http.get(
        stack.url + "/callback",
        params={"error": "access_denied", "error_description": "<script>alert(1)</script>", "state": "x"},
    )
    assert response.status_code == 400
    assert "access_denied" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text
    assert "declined" in response.text  # the likely cause is explained


def test_bad_code_values_never_reach_the_token_endpoint(stack, http):
    for code in ("", "x" * 2049):
        params = stack.callback_params(http)
        params["code"] = code
        response = http.get(stack.url + "/callback", params=params)
        assert response.status_code == 400
    assert stack.steps("token") == []


def test_invalid_grant_stores_nothing(stack, http):
    params = stack.callback_params(http)
    stack.pool.codes.clear()  # the code is no longer valid at the provider
    response = http.get(stack.url + "/callback", params=params)
    assert response.status_code == 400
    assert "invalid_grant" in response.text and "already used" in response.text
    assert stack.session_json(http)["authenticated"] is False


def test_wrong_client_secret_explains_invalid_client(make_stack, http):
    stack = make_stack({"OAUTH_CLIENT_SECRET": "wrong"})
    response = stack.login(http)
    assert response.status_code == 400
    assert "invalid_client" in response.text and "OAUTH_CLIENT_SECRET" in response.text
    assert stack.session_json(http)["authenticated"] is False


def test_pkce_mismatch_is_refused(stack, http):
    params = stack.callback_params(http)
    (grant,) = stack.pool.codes.values()
    grant.code_challenge = pkce_challenge("a-different-verifier-" + "x" * 30)
    response = http.get(stack.url + "/callback", params=params)
    assert response.status_code == 400 and "invalid_grant" in response.text
    assert stack.session_json(http)["authenticated"] is False


def _resign_id_token(stack, change):
    def rewrite(body):
        body["id_token"] = stack.resign(body["id_token"], change)
        return body

    stack.rewriter.rewrite = rewrite


def _assert_refused(stack, http, check):
    response = stack.login(http)
    assert response.status_code == 400, response.text
    assert "The ID token failed verification" in response.text
    assert f"Check &#39;{check}&#39; failed" in response.text
    assert stack.session_json(http)["authenticated"] is False


def test_tampered_id_token_is_refused(stack, http):
    def tamper(body):
        head, payload, sig = body["id_token"].split(".")
        body["id_token"] = f"{head}.{payload}.{sig[:-6]}AAAAAA"
        return body

    stack.rewriter.rewrite = tamper
    _assert_refused(stack, http, "signature")


def test_wrong_audience_is_refused(stack, http):
    _resign_id_token(stack, lambda c: c.update(aud="another-app-client"))
    _assert_refused(stack, http, "aud")


def test_wrong_nonce_is_refused(stack, http):
    _resign_id_token(stack, lambda c: c.update(nonce="not-the-nonce-we-sent"))
    _assert_refused(stack, http, "nonce")


def test_wrong_issuer_is_refused(stack, http):
    _resign_id_token(stack, lambda c: c.update(iss="https://cognito-idp.us-east-1.amazonaws.com/other"))
    _assert_refused(stack, http, "iss")


def test_access_token_swapped_in_fails_at_hash(stack, http):
    def swap(body):
        body["access_token"] = body["access_token"][:-4] + "abcd"
        return body

    stack.rewriter.rewrite = swap
    _assert_refused(stack, http, "at_hash")


def test_expired_id_token_is_refused(stack, http):
    real = stack.pool.clock
    stack.pool.clock = lambda: real() - 3 * 3600
    _assert_refused(stack, http, "exp")


def test_response_without_id_token_is_a_provider_failure(stack, http):
    def drop(body):
        body.pop("id_token")
        return body

    stack.rewriter.rewrite = drop
    response = stack.login(http)
    assert response.status_code == 502
    assert "without an id_token" in response.text
    assert stack.session_json(http)["authenticated"] is False


def test_unknown_kid_after_rotation_refetches_jwks_once(stack, http):
    stack.login(http)
    assert stack.client.jwks.fetches == 1
    stack.pool.keys.rotate(keep_old=False)
    http.cookies.clear()
    assert stack.login(http).headers["Location"] == "/dashboard"
    assert stack.client.jwks.fetches == 2
    assert len(stack.steps("jwks")) == 2


def test_session_id_changes_at_login_and_old_one_is_empty(stack, http):
    name = stack.app.config["SESSION_COOKIE_NAME"]
    authorize = stack.start_login(http)
    before = http.cookies.get(name)
    assert before
    back = stack.sign_in_at_provider(http, authorize)
    http.get(back, allow_redirects=False)
    after = http.cookies.get(name)
    assert after and after != before
    stale = requests.get(stack.url + "/api/session", cookies={name: before}).json()
    assert stale == {"authenticated": False}


def test_planted_session_id_is_not_adopted(stack, http):
    name = stack.app.config["SESSION_COOKIE_NAME"]
    http.cookies.set(name, "attacker-chosen-session-id", domain="127.0.0.1")
    stack.login(http)
    assert http.cookies.get(name) != "attacker-chosen-session-id"


def test_logout_empties_the_session_and_expires_the_cookie(stack, http):
    stack.login(http)
    name = stack.app.config["SESSION_COOKIE_NAME"]
    old = http.cookies.get(name)
    confirm = http.get(stack.url + "/logout", allow_redirects=False)  # a GET only asks (issue 11, item 4)
    assert confirm.status_code == 200 and "Sign out?" in confirm.text
    assert stack.session_json(http)["authenticated"] is True
    token = csrf_of(confirm.text)
    response = http.post(stack.url + "/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302
    cookies = response.raw.headers.getlist("Set-Cookie")
    expiring = [c for c in cookies if c.startswith(name + "=") and "Expires=Thu, 01 Jan 1970" in c]
    assert any("HttpOnly" in c and "SameSite=Lax" in c and "Path=/" in c for c in expiring)
    assert stack.session_json(http)["authenticated"] is False
    assert requests.get(stack.url + "/api/session", cookies={name: old}).json() == {"authenticated": False}
    assert "signed out" in http.get(stack.url + "/?signed_out=1").text


def test_dashboard_requires_sign_in(stack, http):
    response = http.get(stack.url + "/dashboard", allow_redirects=False)
    assert response.status_code == 302 and "login_required" in response.headers["Location"]


def test_security_headers_on_pages(stack, http):
    for path in ("/", "/callback?state=x&code=y", "/api/session"):
        response = http.get(stack.url + path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        expected = "no-referrer" if path.startswith("/callback") else "same-origin"
        assert response.headers["Referrer-Policy"] == expected
        assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_attributes(stack, http):
    response = http.get(stack.url + "/login", allow_redirects=False)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_transactions_expire_after_ten_minutes(stack, http, monkeypatch):
    params = stack.callback_params(http)
    real_time = time.time
    monkeypatch.setattr("oauth.transactions.time.time", lambda: real_time() + 601)
    response = http.get(stack.url + "/callback", params=params)
    assert response.status_code == 400
    assert "older than 10 minutes" in response.text


@pytest.mark.parametrize(
    ("path", "name"),
    [("/machine", "the machine-to-machine page"), ("/revocation", "the revocation lab")],
)
def test_a_signed_out_page_is_named_and_reached_after_sign_in(stack, http, path, name):
    """Signed out, /machine and /revocation name themselves on the home page, and the sign-in that
    starts there lands on them, not on the dashboard."""
    asked = http.get(stack.url + path, allow_redirects=False)
    assert asked.status_code == 302
    home = http.get(stack.url + asked.headers["Location"])
    assert f"Sign in first to open {name} ({path})." in home.text
    link = html.unescape(extract(r'id="signin-code" href="([^"]+)"', home.text))
    assert parse_qs(urlsplit(link).query)["next"] == [path]
    callback = stack.login(http, path=link)
    assert callback.headers["Location"] == path
    assert http.get(stack.url + path).status_code == 200


def test_the_dashboard_still_asks_plainly(stack, http):
    home = http.get(stack.url + "/dashboard")
    assert "Sign in first to see the dashboard." in home.text
