"""The conformance corpus (tests/fixtures/cognito/): what real Cognito sends, from AWS's documents.

Two kinds of test:
- the local provider answers the same shapes, key by key and type by type (a difference is
  either fixed or listed as deliberate in the corpus README);
- the app's client accepts every corpus shape it should (tokens re-signed with test keys), and
  gives the documented clear error for each error body.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests
from jose import jws
from jose.utils import calculate_at_hash

from lab import doctor
from lab.causes import likely_cause
from oauth import grants
from oauth.discovery import parse_metadata
from oauth.errors import ProviderRefused
from oauth.http import Reply
from oauth.tokens import REQUIRED, CheckName, check_at_hash
from tests.support import answer

CORPUS = Path(__file__).parent / "fixtures" / "cognito"
DISCOVERY_PATH = "/us-east-1_LocalDemo/.well-known/openid-configuration"


def corpus(name: str) -> dict:
    return json.loads((CORPUS / name).read_text())


def kind(value: object) -> str:
    """A JSON type name; lists carry their element types."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array<" + "|".join(sorted({kind(v) for v in value})) + ">" if value else "array"
    return "null"


def same_kind(expected: object, got: object) -> bool:
    a, b = kind(expected), kind(got)
    return a == b or (a.startswith("array") and b.startswith("array") and "array" in (a, b))


def differences(expected: dict, got: dict, optional=(), deliberate=()) -> list[str]:
    """Keys missing, extra, or of another JSON type (ignoring optional keys and deliberate differences)."""
    out = []
    for key, value in expected.items():
        if key in deliberate:
            continue
        if key not in got:
            if key not in optional:
                out.append(f"missing {key}")
        elif not same_kind(value, got[key]):
            out.append(f"{key}: {kind(got[key])}, Cognito sends {kind(value)}")
    out += [f"extra {key}" for key in got if key not in expected and key not in deliberate and key not in optional]
    return out


def deliberate_in_readme(entries: dict) -> dict:
    """The corpus README's deliberate differences for one shape, checked to be written down."""
    readme = (CORPUS / "README.md").read_text()
    for key in entries:
        assert f"`{key}`" in readme, f"deliberate difference {key} is not explained in the corpus README"
    return entries


def claims_of(token: str) -> dict:
    return json.loads(jws.get_unverified_claims(token))


def header_of(token: str) -> dict:
    return jws.get_unverified_header(token)


# -- driving the local provider over HTTP ------------------------------------------------------


def web_client(stack) -> dict:
    return stack.pool_config["clients"][0]


def machine(stack) -> dict:
    return next(c for c in stack.pool_config["clients"] if c["allowed_flows"] == ["client_credentials"])


def basic(client: dict) -> dict:
    return {"Authorization": grants.basic_auth(client["client_id"], client["client_secret"])}


def authorize(stack, http, response_type: str, **extra) -> str:
    client = web_client(stack)
    callback = "/callback" if response_type == "code" else "/implicit/callback"
    params = {
        "response_type": response_type,
        "client_id": client["client_id"],
        "redirect_uri": stack.url + callback,
        "scope": "openid email profile",
        "state": "corpus-state",
        "nonce": "corpus-nonce",
        **extra,
    }
    return stack.sign_in_at_provider(http, stack.provider_url + "/oauth2/authorize?" + urlencode(params))


def code_flow(stack, http, scope: str = "openid email profile") -> dict:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    back = authorize(stack, http, "code", code_challenge=challenge, code_challenge_method="S256", scope=scope)
    code = parse_qs(urlsplit(back).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": stack.url + "/callback"}
    reply = requests.post(
        stack.provider_url + "/oauth2/token", data={**form, "code_verifier": verifier}, headers=basic(web_client(stack))
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def token_call(stack, form: dict, client: dict | None = None) -> requests.Response:
    return requests.post(stack.provider_url + "/oauth2/token", data=form, headers=basic(client or web_client(stack)))


# -- 1. the local provider matches the corpus --------------------------------------------------


def test_local_discovery_matches(stack):
    doc = corpus("discovery.json")
    local = requests.get(stack.settings.client.issuer + "/.well-known/openid-configuration").json()
    assert deliberate_in_readme(doc["local_differences"]) == {}
    assert differences(doc["value"], local, doc["optional_keys"]) == []  # revocation and auth methods included
    # captured live documents advertise exactly code and token (issue 21 item 14: no "token id_token")
    assert local["response_types_supported"] == doc["value"]["response_types_supported"] == ["code", "token"]
    assert local["token_endpoint_auth_methods_supported"] == doc["value"]["token_endpoint_auth_methods_supported"]
    assert urlsplit(local["userinfo_endpoint"]).path == "/oauth2/userInfo"  # capital I
    assert urlsplit(local["end_session_endpoint"]).path == "/logout"


def test_local_jwks_matches(stack):
    doc = corpus("jwks.json")["value"]
    local = requests.get(stack.settings.client.issuer + "/.well-known/jwks.json").json()
    assert list(local) == ["keys"] and len(local["keys"]) == len(doc["keys"]) == 2
    for key in local["keys"]:
        assert differences(doc["keys"][0], key) == []
        assert key["alg"] == "RS256" and key["kty"] == "RSA" and key["use"] == "sig"
    assert len({k["kid"] for k in local["keys"]}) == 2  # ID and access tokens use different keys


def check_token(stack, token: str, name: str) -> None:
    entry = corpus("tokens.json")["value"][name]
    assert differences(entry["header"], header_of(token), entry.get("optional_header", ())) == [], name
    deliberate = deliberate_in_readme(corpus_local_differences().get(name, {}))
    problems = differences(entry["claims"], claims_of(token), entry["optional"], deliberate)
    assert problems == [], f"{name}: {problems}"


def corpus_local_differences() -> dict:
    return corpus("tokens.json").get("local_differences", {})


def test_local_code_flow_tokens_match(stack, http):
    tokens = code_flow(stack, http)
    expected = corpus("token-responses.json")["value"]["authorization_code"]
    assert differences(expected, tokens) == []
    check_token(stack, tokens["id_token"], "code_id")
    check_token(stack, tokens["access_token"], "code_access")
    assert claims_of(tokens["id_token"])["nonce"] == "corpus-nonce"


def test_local_implicit_tokens_match(stack, http):
    back = authorize(stack, http, "token")
    fragment = dict(parse_qsl(urlsplit(back).fragment))
    expected = corpus("token-responses.json")["value"]["implicit_fragment"]
    assert differences(expected, fragment) == []
    assert "refresh_token" not in fragment  # implicit never returns one
    check_token(stack, fragment["id_token"], "implicit_id")
    check_token(stack, fragment["access_token"], "implicit_access")


def test_local_refresh_tokens_match(stack, http):
    tokens = code_flow(stack, http)
    reply = token_call(stack, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert reply.status_code == 200
    doc = corpus("token-responses.json")
    assert differences(doc["value"]["refresh_token"], reply.json(), doc["optional_keys"]["refresh_token"]) == []
    assert "refresh_token" not in reply.json()  # rotation is off by default
    check_token(stack, reply.json()["id_token"], "refresh_id")
    check_token(stack, reply.json()["access_token"], "refresh_access")
    refreshed, first = claims_of(reply.json()["id_token"]), claims_of(tokens["id_token"])
    assert refreshed["auth_time"] == first["auth_time"]  # the original authentication time is kept


def test_local_client_credentials_token_matches(stack):
    reply = token_call(stack, {"grant_type": "client_credentials"}, machine(stack))
    assert reply.status_code == 200
    assert differences(corpus("token-responses.json")["value"]["client_credentials"], reply.json()) == []
    check_token(stack, reply.json()["access_token"], "client_credentials_access")


def provoke_token_error(stack, http, how: str) -> requests.Response:
    client = web_client(stack)
    if how == "missing_code":
        return token_call(stack, {"grant_type": "authorization_code", "redirect_uri": stack.url + "/callback"})
    if how == "wrong_secret":
        return token_call(
            stack, {"grant_type": "refresh_token", "refresh_token": "x"}, {**client, "client_secret": "no"}
        )
    if how == "unknown_code":
        form = {"grant_type": "authorization_code", "code": "no-such-code", "redirect_uri": stack.url + "/callback"}
        return token_call(stack, form)
    if how == "other_redirect_uri":
        back = authorize(stack, http, "code")
        code = parse_qs(urlsplit(back).query)["code"][0]
        return token_call(stack, {"grant_type": "authorization_code", "code": code, "redirect_uri": stack.url + "/x"})
    if how == "password_grant":
        return token_call(stack, {"grant_type": "password", "username": "u", "password": "p"})
    raise AssertionError(how)


@pytest.mark.parametrize("entry", corpus("token-errors.json")["value"], ids=lambda e: e["error"])
def test_local_token_errors_match(stack, http, entry):
    reply = provoke_token_error(stack, http, entry["provoke"])
    assert reply.status_code == entry["status"], reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json()
    assert body["error"] == entry["error"]
    deliberate = deliberate_in_readme({"error_description": "a teaching aid"})
    assert differences(entry["body"], body, deliberate=deliberate) == []
    assert isinstance(body.get("error_description", ""), str)
    if "error_description" in entry["body"]:
        assert body["error_description"] == entry["body"]["error_description"]


def test_local_userinfo_matches(stack, http):
    tokens = code_flow(stack, http)
    reply = requests.get(
        stack.provider_url + "/oauth2/userInfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert reply.status_code == 200
    doc = corpus("userinfo.json")
    assert differences(doc["value"], reply.json(), doc["optional_keys"]) == []
    assert reply.json()["email_verified"] in ("true", "false")  # a string, unlike the ID token's boolean


@pytest.mark.parametrize(
    ("scope", "present", "absent"),
    [
        ("openid", {"sub", "username", "email", "email_verified", "name", "given_name"}, set()),
        ("openid email", {"sub", "username", "email", "email_verified"}, {"name", "given_name"}),
        ("openid profile", {"sub", "username", "name", "given_name"}, {"email", "email_verified"}),
    ],
)
def test_local_userinfo_follows_the_access_tokens_scopes(stack, http, scope, present, absent):
    """AWS's userInfo page: openid alone returns every attribute the app client can read; openid email adds
    email and email_verified; openid profile the profile attributes (corpus: userinfo.json `by_scope`).
    The ID token of an openid-alone sign-in carries every readable attribute too (AWS CDK's OAuthScope.OPENID:
    "Returns all user attributes in the ID token that are readable by the client")."""
    tokens = code_flow(stack, http, scope)
    reply = requests.get(
        stack.provider_url + "/oauth2/userInfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert reply.status_code == 200
    assert present <= set(reply.json()) and not absent & set(reply.json()), reply.json()
    assert corpus("userinfo.json")["by_scope"][scope]  # written down in the corpus
    if scope == "openid":
        assert {"email", "name", "given_name"} <= set(claims_of(tokens["id_token"]))


@pytest.mark.parametrize("entry", corpus("userinfo.json")["errors"], ids=lambda e: e["error"])
def test_local_userinfo_errors_match(stack, entry):
    headers = {} if entry["provoke"] == "no_token" else {"Authorization": "Bearer not.a.token"}
    reply = requests.get(stack.provider_url + "/oauth2/userInfo", headers=headers)
    assert reply.status_code == entry["status"]
    assert reply.headers["WWW-Authenticate"] == entry["www_authenticate"]


def test_local_revoke_matches(stack, http):
    doc = corpus("revoke.json")["value"]
    tokens = code_flow(stack, http)
    url = stack.provider_url + "/oauth2/revoke"
    client = web_client(stack)
    for entry in doc["errors"]:
        form = {
            "no_token": {},
            "access_token": {"token": tokens["access_token"]},
            "wrong_secret": {"token": tokens["refresh_token"]},
        }[entry["provoke"]]
        creds = {**client, "client_secret": "wrong"} if entry["provoke"] == "wrong_secret" else client
        reply = requests.post(url, data=form, headers=basic(creds))
        assert (reply.status_code, reply.json()["error"]) == (entry["status"], entry["error"]), entry
        deliberate = deliberate_in_readme({"error_description": "a teaching aid"})
        assert differences(entry["body"], reply.json(), deliberate=deliberate) == []
    ok = requests.post(url, data={"token": tokens["refresh_token"]}, headers=basic(client))
    assert (ok.status_code, ok.text) == (doc["success"]["status"], doc["success"]["body"])
    again = requests.post(url, data={"token": tokens["refresh_token"]}, headers=basic(client))
    assert (again.status_code, again.text) == (200, "")  # already revoked: still 200


def test_local_logout_matches(stack, http):
    doc = corpus("logout.json")["value"]
    client = web_client(stack)
    authorize(stack, http, "code")  # a provider session exists
    query = {"client_id": client["client_id"], "logout_uri": stack.url + "/signed-out"}
    reply = http.get(stack.provider_url + "/logout?" + urlencode(query), allow_redirects=False)
    assert reply.status_code == doc["sign_out"]["status"] and reply.headers["Location"] == query["logout_uri"]
    again = {"client_id": client["client_id"], "response_type": "code", "redirect_uri": stack.url + "/callback"}
    reply = http.get(stack.provider_url + "/logout?" + urlencode({**again, "state": "s"}), allow_redirects=False)
    assert reply.status_code == doc["sign_in_again"]["status"]
    assert urlsplit(reply.headers["Location"]).path == doc["sign_in_again"]["location_path"]


# -- 2. the client accepts every corpus shape ---------------------------------------------------


def resign(stack, name: str, *, access_token: str | None = None, drop: tuple = ()) -> str:
    """The corpus claim set, made current for the test pool and signed with its (test) keys."""
    entry = corpus("tokens.json")["value"][name]
    claims = dict(entry["claims"])
    now = int(time.time())
    shift = now - claims["iat"]
    for key in ("exp", "iat", "auth_time"):
        claims[key] += shift
    claims["iss"] = stack.settings.client.issuer
    web_client = stack.settings.client.client_id
    client_id = machine(stack)["client_id"] if name.startswith("client_credentials") else web_client
    claims["aud" if name.endswith("_id") else "client_id"] = client_id
    if name.startswith("client_credentials"):
        claims["sub"] = client_id
    if "at_hash" in claims and access_token:
        claims["at_hash"] = calculate_at_hash(access_token, hashlib.sha256)
    for key in drop:
        claims.pop(key, None)
    key = stack.pool.keys.id_key if name.endswith("_id") else stack.pool.keys.access_key
    return jws.sign(claims, key.signer(), headers={**entry["header"], "kid": key.kid}, algorithm="RS256")


@pytest.mark.parametrize("flow", ["code", "implicit", "refresh"])
def test_the_client_accepts_the_corpus_tokens(stack, flow):
    presets = stack.client.presets
    preset = {"code": presets.sign_in, "implicit": presets.implicit, "refresh": presets.refresh}[flow]
    access = resign(stack, f"{flow}_access")
    id_token = resign(stack, f"{flow}_id", access_token=access)
    nonce = corpus("tokens.json")["value"][f"{flow}_id"]["claims"].get("nonce")  # a refreshed one has none
    result = preset.verify_id(id_token, nonce=nonce, access_token=access)
    assert result.ok, [c for c in result.checks if not c.passed]
    assert preset.verify_access(access).ok and presets.stored.verify_access(access).ok


def test_the_client_accepts_optional_claims_being_absent(stack):
    """Optional claims (groups, nonce where none was sent: a refresh, at_hash in the code flow) may be missing."""
    presets = stack.client.presets
    access = resign(stack, "code_access", drop=("cognito:groups",))
    id_token = resign(stack, "code_id", drop=("at_hash", "nonce", "cognito:groups"))
    assert presets.refresh.verify_id(id_token, access_token=access).ok
    with_nonce = resign(stack, "code_id", drop=("at_hash", "cognito:groups"))
    nonce = corpus("tokens.json")["value"]["code_id"]["claims"]["nonce"]
    assert presets.sign_in.verify_id(with_nonce, nonce=nonce, access_token=access).ok
    assert presets.sign_in.verify_access(access).ok


def test_an_implicit_id_token_without_at_hash_is_refused_clearly(stack):
    """Genuine implicit ID tokens carry at_hash (implicit-captured.json); the app requires it (OIDC Core 3.2.2.10)."""
    access = resign(stack, "implicit_access")
    id_token = resign(stack, "implicit_id", access_token=access, drop=("at_hash",))
    result = stack.client.presets.implicit.verify_id(id_token, nonce="abcdefg", access_token=access)
    assert not result.ok and result.failure.name is CheckName.AT_HASH and "missing" in result.failure.detail


def test_the_client_accepts_a_client_credentials_token(stack):
    token = resign(stack, "client_credentials_access")
    assert stack.settings.client.m2m_client_id == machine(stack)["client_id"]
    assert stack.client.presets.machine.verify_access(token).ok


def reply(status: int, body: object, headers: dict | None = None, step: str = "token") -> Reply:
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body != "" else b"")
    base = {"Content-Type": "application/json;charset=UTF-8"} if body != "" else {}
    return Reply(step, "POST", "https://example/oauth2/token", status, {**base, **(headers or {})}, raw, 1.0)


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token", "client_credentials"])
def test_the_client_reads_every_token_response(grant):
    body = corpus("token-responses.json")["value"][grant]
    assert grants.read_token_reply(reply(200, body)) == body


@pytest.mark.parametrize("entry", corpus("token-errors.json")["value"], ids=lambda e: e["error"])
def test_each_token_error_gives_the_documented_clear_error(entry):
    with pytest.raises(ProviderRefused) as refused:
        grants.read_token_reply(reply(entry["status"], entry["body"]))
    assert refused.value.error == entry["error"] and refused.value.status == entry["status"]
    assert likely_cause(refused.value.error), f"no explanation for {entry['error']}"
    assert refused.value.description == entry["body"].get("error_description", "")


@pytest.mark.parametrize("entry", corpus("token-errors.json")["value"], ids=lambda e: e["error"])
def test_each_token_error_reaches_the_user_as_a_clear_page(make_stack, http, entry):
    stack = make_stack()
    stack.rewriter.faults["/oauth2/token"] = answer(json.dumps(entry["body"]), status=entry["status"])
    response = stack.login(http)
    assert response.status_code == 400 and "The identity provider refused the request" in response.text
    assert entry["error"] in response.text
    assert refused_cause(entry["error"]) in response.text.replace("&#39;", "'")
    assert stack.session_json(http) == {"authenticated": False}  # never half-logged-in


def refused_cause(error: str) -> str:
    from lab.causes import likely_cause

    return likely_cause(error)[:40]


def test_the_client_reads_userinfo_with_string_booleans():
    body = corpus("userinfo.json")["value"]
    assert grants.read_userinfo_reply(reply(200, body, step="userinfo")) == body


@pytest.mark.parametrize("entry", corpus("userinfo.json")["errors"], ids=lambda e: e["error"])
def test_each_userinfo_error_is_read_from_the_header(entry):
    answered = reply(entry["status"], b"", {"WWW-Authenticate": entry["www_authenticate"]}, step="userinfo")
    with pytest.raises(ProviderRefused) as refused:
        grants.read_userinfo_reply(answered)
    assert refused.value.error == entry["error"] and refused.value.status == entry["status"]
    assert refused.value.description and refused.value.description in entry["www_authenticate"]


def test_the_client_reads_every_revoke_answer():
    doc = corpus("revoke.json")["value"]
    assert grants.read_revoke_reply(reply(doc["success"]["status"], doc["success"]["body"], step="revoke")) is None
    for entry in doc["errors"]:
        with pytest.raises(ProviderRefused) as refused:
            grants.read_revoke_reply(reply(entry["status"], entry["body"], step="revoke"))
        assert (refused.value.error, refused.value.status) == (entry["error"], entry["status"])
        assert likely_cause(refused.value.error)


def test_the_client_builds_cognitos_logout_url():
    doc = corpus("logout.json")["value"]["sign_out"]["query"]
    url = grants.logout_url(
        end_session_endpoint="https://example-lab.auth.eu-west-1.amazoncognito.com/logout",
        is_cognito=True,
        client_id=doc["client_id"],
        return_to=doc["logout_uri"],
        id_token="eyJ.id.token",
    )
    assert dict(parse_qsl(urlsplit(url).query)) == doc


def test_the_client_parses_both_discovery_documents(stack):
    doc = corpus("discovery.json")["value"]
    meta = parse_metadata(doc, doc["issuer"])
    assert meta.response_types == ("code", "token") and stack.client.implicit_response_type() == "token"
    assert meta.revocation_endpoint.endswith("/oauth2/revoke")
    assert meta.userinfo_endpoint.endswith("/oauth2/userInfo") and meta.end_session_endpoint.endswith("/logout")
    bare = corpus("discovery-without-domain.json")["value"]
    assert parse_metadata(bare, bare["issuer"]).authorization_endpoint.startswith("https://cognito-idp.")


def test_the_doctor_flags_the_discovery_document_without_a_domain(make_stack):
    stack = make_stack()
    doc = corpus("discovery-without-domain.json")["value"]
    text = json.dumps(doc).replace(doc["issuer"], stack.settings.client.issuer)
    # the endpoints stay on the cognito-idp host, as Cognito lists them without a domain
    authorize = json.dumps(stack.settings.client.issuer + "/authorize")
    text = text.replace(authorize, json.dumps(doc["authorization_endpoint"]))
    stack.rewriter.faults[DISCOVERY_PATH] = answer(text)
    found = {f.name: f for f in doctor.run(stack.settings.client, stack.client.http)}
    assert found["domain"].status == "fail" and "has no domain" in found["domain"].message


def test_cors_is_documented_for_the_token_endpoint_only(stack, http):
    """AWS documents Access-Control-Allow-Origin: * for /oauth2/token; its userInfo and revoke pages say the
    app calls them "directly and not through a browser". The corpus, docs/screens.md and the /spa page say which is
    which (issue 21 item 16)."""
    assert corpus("token-responses.json")["cors"].startswith("documented")
    for name in ("userinfo.json", "revoke.json"):
        assert corpus(name)["cors"].startswith("unconfirmed"), name
    screens = " ".join((Path(__file__).parents[1] / "docs" / "screens.md").read_text().split())  # "Three flows"
    assert "CORS on `/oauth2/userInfo` and `/oauth2/revoke` is unconfirmed at Cognito" in screens
    page = http.get(stack.url + "/spa/callback").text
    note = " ".join(re.search(r'<p class="hint" id="cors-unconfirmed">(.*?)</p>', page, re.S).group(1).split())
    assert "userInfo" in note and "revoke" in note and "unconfirmed" in note and "token-endpoint.html" in note


@pytest.mark.parametrize("capture", corpus("implicit-captured.json")["value"], ids=lambda c: c["captured"])
def test_genuine_implicit_id_tokens_carry_a_matching_at_hash(capture):
    """Issue 21 item 17: does Cognito put at_hash in the ID token of response_type=token? Three genuine
    implicit redirects (2021-2024, three pools) say yes, and bound to the access token beside it: the
    app's own at_hash check passes for each, so the implicit page's REQUIRED rule holds on real pools."""
    claims = capture["id_token_claims"]
    assert claims["token_use"] == "id" and claims["iss"].startswith("https://cognito-idp.")
    access = claims_of(capture["access_token"])
    assert access["token_use"] == "access" and access["client_id"] == claims["aud"] and access["iss"] == claims["iss"]
    _, ok, detail = check_at_hash(claims, capture["access_token"], REQUIRED)
    assert ok, detail
    _, tampered, _ = check_at_hash(claims, capture["access_token"] + "x", REQUIRED)
    assert not tampered  # a wrong at_hash is still refused
