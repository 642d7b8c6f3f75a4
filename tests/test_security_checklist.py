"""The relying party's negative-case checklist (RFC 9700, OpenID Connect Core §3.1.3.7, RFC 6750),
case by case, against the app over real HTTP; the numbers below are the checklist's cases.

Cases tested elsewhere (same standard: real HTTP against the running app):
 1-3, 5, 10, 49  test_login.py (state missing/forged/replayed, bad codes, authorize params, two tabs)
 4               test_login.py::test_provider_error_is_shown_escaped
 6-8             test_login.py (invalid_grant, PKCE mismatch, no id_token), test_provider_faults.py
 9               test_login.py::test_code_exchange_sends_verifier_redirect_uri_and_basic_auth
 31-33           test_login.py (rotation), test_key_rotation.py (removed keys, JWKS_MAX_AGE),
                 test_provider_faults.py (JWKS, discovery issuer)
 35-36           test_implicit.py (bad and missing at_hash)
 37-38           test_lifecycle.py (userinfo sub mismatch, Bearer header)
 40-42, 47       test_login.py (session id, planted sid, logout replay, cookie attributes)
 44-46           test_lifecycle.py (logout revokes, idle and absolute timeouts)
 52-57, 59-60    test_api.py
 61-65           test_implicit_browser.py, test_implicit.py
Issue 11's protocol findings (deep JSON, PKCE challenge, base64url, Host, file modes) are in
test_attacks_protocol.py.
This file covers the ID-token cases 11-30 and 34 through the callback, plus 39, 43, 48, 50, 51,
58, 66, 67 and 68.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pickle
import re
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from jose import jws

from config import ConfigError, load_settings
from deps import DependencyError, check_dependencies
from local_cognito.keys import SigningKey
from tests.support import answer, csrf_of

OTHER_KEY = SigningKey.generate()


def b64(data: bytes | dict) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    return json.loads(jws.get_unverified_claims(token))


def sign(stack, claims: dict, key: SigningKey | None = None, **header) -> str:
    key = key or stack.pool.keys.id_key
    headers = {"kid": stack.pool.keys.id_key.kid, **header}
    return jws.sign(claims, key.signer(), headers=headers, algorithm="RS256")


def hs256(stack, claims: dict, secret: bytes) -> str:
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': stack.pool.keys.id_key.kid})}.{b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def public_forms(stack) -> dict[str, bytes]:
    key = serialization.load_pem_private_key(stack.pool.keys.id_key.pem, None).public_key()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return {
        "pem": key.public_bytes(serialization.Encoding.PEM, spki),
        "der": key.public_bytes(serialization.Encoding.DER, spki),
        "jwk": json.dumps(stack.pool.keys.id_key.public_jwk).encode(),
        "secret": stack.settings.client.client_secret.encode(),
    }


def later(seconds: int):
    return lambda c: c.update(iat=int(time.time()) + seconds)


CLAIM_CASES = {
    "11 wrong iss": (lambda c: c.update(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil"), "iss"),
    "12 no iss": (lambda c: c.pop("iss"), "iss"),
    "13 wrong aud": (lambda c: c.update(aud="another-client"), "aud"),
    "14 no aud": (lambda c: c.pop("aud"), "aud"),
    "15 aud list without azp": (lambda c: c.update(aud=[c["aud"], "other"]), "aud"),
    "15 aud list wrong azp": (lambda c: c.update(aud=[c["aud"], "other"], azp="other"), "aud"),
    "16 no sub": (lambda c: c.pop("sub"), "sub"),
    "17 no iat": (lambda c: c.pop("iat"), "iat"),
    "18 iat in the future": (later(3600), "iat"),
    "18 iat too old": (later(-3000), "iat"),
    "19 exp in the past": (lambda c: c.update(exp=int(time.time()) - 300), "exp"),
    "20 nbf in the future": (lambda c: c.update(nbf=int(time.time()) + 3600), "nbf"),
    "21 wrong nonce": (lambda c: c.update(nonce="not-ours"), "nonce"),
    "22 no nonce": (lambda c: c.pop("nonce"), "nonce"),
    "token_use access": (lambda c: c.update(token_use="access"), "token_use"),
}


def refused(stack, http, check: str) -> None:
    response = stack.login(http)
    assert response.status_code == 400, response.text[:500]
    assert f"Check &#39;{check}&#39; failed" in response.text
    assert stack.session_json(http)["authenticated"] is False


@pytest.mark.parametrize("case", list(CLAIM_CASES))
def test_id_token_claim_cases(stack, http, case):
    change, check = CLAIM_CASES[case]

    def rewrite(body):
        c = claims_of(body["id_token"])
        change(c)
        body["id_token"] = sign(stack, c)
        return body

    stack.rewriter.rewrite = rewrite
    refused(stack, http, check)


def test_23_tampered_signature(stack, http):
    def rewrite(body):
        head, payload, sig = body["id_token"].split(".")
        flipped = "B" if sig[100] == "A" else "A"  # still canonical base64url, so the signature check is reached
        body["id_token"] = f"{head}.{payload}.{sig[:100]}{flipped}{sig[101:]}"
        return body

    stack.rewriter.rewrite = rewrite
    refused(stack, http, "signature")


def test_24_unknown_rsa_key(stack, http):
    stack.rewriter.rewrite = lambda b: {**b, "id_token": sign(stack, claims_of(b["id_token"]), OTHER_KEY)}
    refused(stack, http, "signature")


def test_25_alg_none(stack, http):
    def rewrite(body):
        c = claims_of(body["id_token"])
        body["id_token"] = f"{b64({'alg': 'none', 'kid': stack.pool.keys.id_key.kid})}.{b64(c)}."
        return body

    stack.rewriter.rewrite = rewrite
    refused(stack, http, "alg")


@pytest.mark.parametrize("form", ["pem", "der", "jwk", "secret"])
def test_26_hs256_key_confusion(stack, http, form):
    secret = public_forms(stack)[form]
    stack.rewriter.rewrite = lambda b: {**b, "id_token": hs256(stack, claims_of(b["id_token"]), secret)}
    refused(stack, http, "alg")


@pytest.mark.parametrize("alg", ["RS384", "ES256", "PS256"])
def test_27_other_algorithms(stack, http, alg):
    def rewrite(body):
        c = claims_of(body["id_token"])
        if alg == "RS384":
            key = stack.pool.keys.id_key
            token = jws.sign(c, key.signer().to_pem().decode(), headers={"kid": key.kid}, algorithm="RS384")
        else:
            token = f"{b64({'alg': alg, 'kid': stack.pool.keys.id_key.kid})}.{b64(c)}.{b64(b'x' * 64)}"
        body["id_token"] = token
        return body

    stack.rewriter.rewrite = rewrite
    refused(stack, http, "alg")


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk"])
def test_28_embedded_key_references_are_ignored(stack, http, header):
    value = OTHER_KEY.public_jwk if header == "jwk" else "http://127.0.0.1:1/attacker.json"
    stack.rewriter.rewrite = lambda b: {
        **b,
        "id_token": sign(stack, claims_of(b["id_token"]), OTHER_KEY, **{header: value}),
    }
    refused(stack, http, "signature")


def _without_kid(stack):
    def rewrite(body):
        key = stack.pool.keys.id_key
        body["id_token"] = jws.sign(claims_of(body["id_token"]), key.signer(), algorithm="RS256")
        return body

    return rewrite


def test_29_no_kid_and_a_single_key_is_accepted(stack, http):
    single = {"keys": [stack.pool.keys.id_key.public_jwk]}
    stack.rewriter.faults["/us-east-1_LocalDemo/.well-known/jwks.json"] = answer(json.dumps(single))
    stack.rewriter.rewrite = _without_kid(stack)
    assert stack.login(http).headers["Location"] == "/dashboard"


def test_30_no_kid_and_several_keys_is_refused(stack, http):
    stack.rewriter.rewrite = _without_kid(stack)
    refused(stack, http, "signature")


def test_34_at_hash_needs_the_matching_access_token(stack, http):
    stack.rewriter.rewrite = lambda b: {**b, "access_token": sign(stack, {"a": 1}, stack.pool.keys.access_key)}
    refused(stack, http, "at_hash")


@pytest.mark.parametrize(
    ("fault", "status", "text"),
    [
        (answer("", status=401), 400, "invalid_token"),
        (answer("<html>nope</html>", mimetype="text/html"), 502, "not JSON"),
        (answer('{"email": "x@example.com"}'), 400, "different user"),
    ],
)
def test_39_bad_userinfo_answers_are_rejected(stack, http, fault, status, text):
    stack.login(http)
    stack.rewriter.faults["/oauth2/userInfo"] = fault
    response = http.post(stack.url + "/userinfo", data={"csrf_token": stack.csrf(http)})
    assert response.status_code == status and text in response.text
    assert 'id="userinfo"' not in http.get(stack.url + "/dashboard").text


def test_43_47_https_cookie_is_host_prefixed_secure_and_expired_with_matching_attributes(make_stack):
    stack = make_stack(app_url="https://lab.example.com")
    host = {"Host": "lab.example.com"}  # TRUSTED_HOSTS: only APP_URL's host is served
    login = requests.get(stack.url + "/login", headers=host, allow_redirects=False)
    cookies = login.raw.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} == {"__Host-flowlab", "__Host-flowlab_trace"}
    for cookie in cookies:
        for part in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert part in cookie
        assert "Domain" not in cookie
    cookie = next(c for c in cookies if c.startswith("__Host-flowlab="))
    assert login.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    name, sid = cookie.split(";")[0].split("=", 1)
    # logout is a POST with the anti-forgery token (issue 11, item 4); the GET only asks, and sets
    # the token's signed cookie with the same attributes
    confirm = requests.get(stack.url + "/logout", headers=host, cookies={name: sid}, allow_redirects=False)
    (csrf_cookie,) = [c for c in confirm.raw.headers.getlist("Set-Cookie") if c.startswith("__Host-flowlab_csrf=")]
    assert "Domain" not in csrf_cookie
    assert all(p in csrf_cookie for p in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
    csrf_name, csrf_value = csrf_cookie.split(";")[0].split("=", 1)
    token = csrf_of(confirm.text)
    logout = requests.post(
        stack.url + "/logout",
        data={"csrf_token": token},
        headers=host,
        cookies={name: sid, csrf_name: csrf_value},
        allow_redirects=False,
    )
    expiring = [c for c in logout.raw.headers.getlist("Set-Cookie") if c.startswith("__Host-flowlab=;")]
    assert any(all(p in c for p in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Expires=")) for c in expiring)


def test_48_no_raw_token_or_secret_in_the_dashboard(stack, http):
    seen = {}
    stack.rewriter.rewrite = lambda b: seen.update(b) or b
    stack.login(http)
    http.post(stack.url + "/call-api", data={"csrf_token": stack.csrf(http), "token": "access"})
    page = http.get(stack.url + "/dashboard").text
    for value in (seen["access_token"], seen["id_token"], seen["refresh_token"], stack.settings.client.client_secret):
        assert value not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)


def test_50_sessions_are_not_evicted_by_a_small_threshold(stack, http):
    assert stack.app.config["SESSION_CACHELIB"]._threshold >= 100_000


def test_51_session_holds_only_plain_values(stack, http):
    stack.login(http)
    http.post(stack.url + "/refresh", data={"csrf_token": stack.csrf(http)})
    directory = Path(stack.settings.instance_path) / "sessions"
    for path in directory.iterdir():
        raw = path.read_bytes()[4:]  # cachelib: 4-byte expiry, then the pickled value
        json.dumps(pickle.loads(raw))


def test_58_hs256_confused_access_token_is_refused_by_the_api(stack, http):
    seen = {}
    stack.rewriter.rewrite = lambda b: seen.update(b) or b
    stack.login(http)
    forged = hs256(stack, claims_of(seen["access_token"]), public_forms(stack)["der"])
    response = requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and "alg" in response.json()["error_description"]


@pytest.mark.parametrize(
    "path", ["/refresh", "/revoke", "/userinfo", "/call-api", "/logout", "/switch-user", "/trace/clear"]
)
def test_66_state_changing_endpoints_refuse_cross_site_requests(stack, http, path):
    stack.login(http)
    token = stack.csrf(http)
    cross = http.post(stack.url + path, data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    origin = http.post(stack.url + path, data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert origin.status_code == 403
    no_token = http.post(stack.url + path, data={})
    assert no_token.status_code == 403
    assert stack.session_json(http)["authenticated"] is True


def test_67_plain_http_outside_loopback_does_not_start(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "OAUTH_ISSUER": "https://id.example.com", "OAUTH_CLIENT_ID": "c"}
    with pytest.raises(ConfigError, match="APP_URL"):
        load_settings({**env, "APP_URL": "http://lab.example.com"})


def test_68_old_dependencies_refuse_to_start():
    versions = {"python-jose": "3.3.0", "flask": "3.1.3", "flask-session": "0.8.0"}
    with pytest.raises(DependencyError, match=r"python-jose 3\.3\.0 is too old"):
        check_dependencies(versions.get)
    with pytest.raises(DependencyError, match=r"flask 3\.1\.2"):
        check_dependencies({**versions, "python-jose": "3.5.0", "flask": "3.1.2"}.get)
    check_dependencies({**versions, "python-jose": "3.5.0"}.get)
