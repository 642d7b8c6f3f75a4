"""Pure logic, tested in-process: no servers, no browser, milliseconds each.

Token rules (every check required or skipped on purpose), claim diffs, compare rows, doctor
findings and exports are plain functions over plain data; the HTTP tests cover their wiring.
"""

from __future__ import annotations

import json
import time

import pytest
from jose import jws

from config import load_settings
from flows import keys as session_keys
from flows.keys import KEPT_ACROSS_LOGIN, SCREEN, SIGN_IN
from flows.state import Screen, SignIn, is_signed_in
from lab import doctor
from lab.compare import code_run_record, compare_rows, implicit_run_record, spa_run_record
from lab.lifecycle import NOTES, claim_diff, diff_summary, duration_words, shorten
from local_cognito.keys import KeyRing, SigningKey
from oauth.client import OAuthClient, check_issuer, check_subject, is_jwt
from oauth.config import ClientConfig
from oauth.discovery import JwksCache
from oauth.errors import (
    ClientError,
    IdentityMismatch,
    IssuerMismatch,
    ProviderRefused,
    SubjectMismatch,
    TokenRejected,
)
from oauth.http import ProviderError
from oauth.kept import KeptVerification
from oauth.presets import Presets
from oauth.tokens import (
    IF_PRESENT,
    REQUIRED,
    SKIP,
    AccessTokenRules,
    CheckName,
    IdTokenRules,
    check_at_hash,
    check_aud,
    check_client_id,
    check_exp,
    check_iat,
    check_nonce,
    check_token_use,
)
from tracing import exports
from tracing.model import Step

NOW = 1_800_000_000.0


# -- token rules ----------------------------------------------------------------------------------
def id_rules(**changes) -> IdTokenRules:
    values = {
        "issuer": "https://issuer.example",
        "client_ids": frozenset(["c"]),
        "nonce": "n",
        "access_token": None,
        "at_hash": IF_PRESENT,
        "token_use": REQUIRED,
        "max_age": SKIP,
    }
    return IdTokenRules(**{**values, **changes})


@pytest.mark.parametrize(
    "changes",
    [{"nonce": None}, {"at_hash": None}, {"at_hash": SKIP}, {"token_use": False}, {"max_age": None}],
)
def test_an_id_token_check_is_never_switched_off_by_a_missing_value(changes):
    with pytest.raises(TypeError):
        id_rules(**changes)


def test_the_client_id_is_mandatory_for_both_kinds():
    with pytest.raises(TypeError):
        AccessTokenRules("https://issuer.example")
    with pytest.raises(TypeError):
        id_rules(client_ids="c")
    unconfigured = AccessTokenRules("https://issuer.example", frozenset())
    assert check_client_id({"client_id": "c"}, unconfigured.client_ids)[1] is False


def test_access_token_use_is_required_unless_relaxed_on_purpose():
    assert AccessTokenRules("https://issuer.example", frozenset(["c"])).token_use is REQUIRED
    with pytest.raises(TypeError):
        AccessTokenRules("https://issuer.example", frozenset(["c"]), token_use=SKIP)


def test_rules_without_every_choice_stated_cannot_be_built():
    with pytest.raises(TypeError):
        IdTokenRules(issuer="https://issuer.example", client_ids=frozenset(["c"]))


def test_check_functions_decide_and_explain_lazily():
    name, passed, detail = check_exp({"exp": NOW - 61}, NOW, 60)
    assert name is CheckName.EXP and not passed and callable(detail) and "expired" in detail()
    assert check_exp({"exp": NOW - 59}, NOW, 60)[1]
    assert check_iat({"iat": NOW - 700}, NOW, 60, 600)[1] is False
    assert check_iat({"iat": NOW - 700}, NOW, 60, SKIP)[1] is True
    assert check_token_use({"token_use": "id"}, "access")[1] is False
    assert check_aud({"aud": ["c", "other"], "azp": "c"}, frozenset(["c"]))[1] is True
    assert check_aud({"aud": ["c", "other"]}, frozenset(["c"]))[1] is False
    assert check_nonce({"nonce": "n"}, "n")[1] and not check_nonce({"nonce": "m"}, "n")[1]
    assert check_at_hash({}, None, IF_PRESENT)[1] and not check_at_hash({}, None, REQUIRED)[1]


def test_check_names_read_as_the_strings_the_pages_show():
    assert CheckName.TOKEN_USE == "token_use" and f"{CheckName.AT_HASH}" == "at_hash"
    assert json.dumps({"check": CheckName.NONCE}) == '{"check": "nonce"}'


# -- claim diffs ----------------------------------------------------------------------------------
def test_claim_diff_marks_each_claim():
    rows = {r["name"]: r for r in claim_diff({"iat": 1, "jti": "a", "gone": 1}, {"iat": 2, "jti": "a", "new": 1})}
    assert rows["iat"]["status"] == "changed" and rows["iat"]["note"] == NOTES["iat"]
    assert rows["jti"]["status"] == "same"
    assert rows["gone"]["status"] == "removed" and rows["gone"]["after"] == ""
    assert rows["new"]["status"] == "added" and rows["new"]["before"] == ""
    assert list(rows) == ["gone", "new", "iat", "jti"]  # reading order (23.10): other claims, times, technical ids


def test_a_refresh_diff_says_times_in_words_next_to_their_epochs():
    iat = 1765120000  # 15:06:40 UTC
    before = {"iat": iat - 300, "exp": iat + 3300, "auth_time": iat - 900, "jti": "a", "nonce": "n", "sub": "s"}
    after = {"iat": iat, "exp": iat + 3600, "auth_time": iat - 900, "jti": "b", "sub": "s"}
    rows = {r["name"]: r for r in claim_diff(before, after)}
    assert rows["iat"]["after"] == "1765120000" and rows["iat"]["after_note"] == "15:06:40 UTC"
    assert rows["exp"]["after_note"] == "16:06:40 UTC, iat + 1 h"
    assert rows["exp"]["moved"] == "moved 5 min later" and rows["sub"]["moved"] == ""
    assert rows["auth_time"]["before_note"] == "14:51:40 UTC, 10 min before iat"
    assert rows["auth_time"]["after_note"] == "14:51:40 UTC, 15 min before iat"
    assert rows["sub"]["before_note"] == rows["jti"]["after_note"] == ""  # not times
    assert diff_summary(list(rows.values())) == (
        "Nothing but exp and iat moved (this token's own jti is new; the nonce is gone): "
        "who you are, your scopes and your sign-in (auth_time) stay the same."
    )
    changed = claim_diff({**before, "email": "a@example.com"}, {**after, "email": "b@example.com"})
    assert diff_summary(changed) == "Not only the times moved: email changed too."
    same_second = claim_diff({**before, "iat": iat, "exp": iat + 3600}, after)  # refreshed in the sign-in's second
    assert diff_summary(same_second) == (
        "The times did not move (both tokens were minted in the same second); this token's own jti is new; "
        "the nonce is gone: who you are, your scopes and your sign-in (auth_time) stay the same."
    )


def test_durations_read_as_people_say_them():
    assert [duration_words(s) for s in (0, 45, 300, 252, 3600, 5400, 86400, 30 * 86400 + 7200)] == [
        "0 s",
        "45 s",
        "5 min",
        "4 min 12 s",
        "1 h",
        "1 h 30 min",
        "1 day",
        "30 days 2 h",
    ]


def test_shorten_never_shows_a_usable_token():
    token = "eyJ" + "x" * 200 + "tail"
    assert shorten(token) == token[:12] + "…tail"
    assert shorten("short") == "shor…"


# -- compare rows ---------------------------------------------------------------------------------
def test_compare_rows_say_what_was_not_run():
    rows = compare_rows(None, None)
    assert all(r.code == r.implicit == "not run yet in this session" for r in rows)


def test_compare_rows_come_from_the_runs():
    code = code_run_record(
        {"id_token": "i", "access_token": "a", "refresh_token": "r"}, "client_secret_basic", True, []
    )
    implicit = implicit_run_record("i", "a", False, "nonce check failed")
    rows = {r.topic: r for r in compare_rows(code, implicit)}
    assert rows["Tokens returned"].code == "access_token, id_token, refresh_token"
    assert rows["Tokens returned"].implicit == "access_token, id_token (no refresh token)"
    assert rows["Client secret used"].code == "yes, client_secret_basic"
    assert (
        rows["Server-side verification"].implicit
        == "ID token verified by the server after the page posted it: failed: nonce check failed"
    )
    public = code_run_record({"access_token": "a"}, "client_secret_basic", False, [])
    assert {r.topic: r for r in compare_rows(public, None)}["Client secret used"].code == "no (public client)"


def test_compare_says_what_a_copied_refresh_token_can_do_in_each_flow():
    code = code_run_record(
        {"id_token": "i", "access_token": "a", "refresh_token": "r"}, "client_secret_basic", True, []
    )
    spa = spa_run_record(["access_token", "id_token", "refresh_token"], True)
    row = {r.topic: r for r in compare_rows(code, implicit_run_record("i", "a", True), spa, "on, grace 5 s")}[
        "If the refresh token is copied"
    ]
    assert "never leaves the server-side session" in row.code and "rotation is on, grace 5 s" in row.code
    assert row.implicit == "there is no refresh token: the implicit flow never returns one"
    assert "RFC 9700 §4.14.2 requires public clients to rotate refresh tokens" in row.spa
    with_rotation = compare_rows(code, None, spa, "on, grace 5 s", "on for the public client, grace 0 s")
    said = {r.topic: r for r in with_rotation}["If the refresh token is copied"].spa
    assert said.endswith("; rotation is on for the public client, grace 0 s")  # the browser-only client's own
    without = code_run_record({"access_token": "a"}, "client_secret_basic", True, [])
    assert "none to copy" in {r.topic: r for r in compare_rows(without, None)}["If the refresh token is copied"].code


# -- doctor findings ------------------------------------------------------------------------------
@pytest.fixture
def settings(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "APP_URL": "http://localhost:5000"}
    return load_settings({**env, "OAUTH_ISSUER": "https://id.example.com", "OAUTH_CLIENT_ID": "c"}).client


def test_doctor_cookie_trap(settings):
    assert doctor.cookie_trap(settings, None).status == "info"
    assert doctor.cookie_trap(settings, "localhost:5000").status == "pass"
    trap = doctor.cookie_trap(settings, "127.0.0.1:5000")
    assert trap.status == "fail" and "http://localhost:5000" in trap.fix


def test_doctor_offline_lists_the_uris_to_register(settings):
    findings = doctor.offline(settings)
    assert [f.name for f in findings] == ["uris", "cookie_host"]
    assert settings.redirect_uri in findings[0].message and "/signed-out" in findings[0].message


@pytest.mark.parametrize(("skew", "status"), [(0, "pass"), (45, "warn"), (-400, "fail")])
def test_doctor_clock_skew(skew, status):
    out: list[doctor.Finding] = []
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(NOW - skew))
    doctor._clock({"Date": date}, out, NOW)
    assert out[0].status == status


# -- exports --------------------------------------------------------------------------------------
def step(**changes) -> Step:
    values = {
        "id": 1,
        "name": "token",
        "title": "Token request",
        "kind": "server",
        "method": "POST",
        "url": "https://auth.example/oauth2/token",
        "request_headers": {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic $BASIC"},
        "request_body": "grant_type=authorization_code&code=abc&client_id=c&code_verifier=v",
        "status": 200,
        "response_headers": {"Content-Type": "application/json"},
        "response_body": '{"token_type": "Bearer"}',
        "duration_ms": 12.5,
        "at": "2026-11-26T12:00:00Z",
    }
    return Step(**{**values, **changes})


def test_curl_uses_placeholders_for_what_must_not_be_pasted():
    text = exports.curl(step())
    assert "$CODE" in text and "$CODE_VERIFIER" in text and "$CLIENT_ID" in text
    assert "abc" not in text and "code_verifier=v" not in text


def test_har_and_markdown_from_the_same_steps():
    log = exports.har([step()], {})["log"]
    entry = log["entries"][0]
    assert log["version"] == "1.2" and entry["request"]["method"] == "POST" and entry["time"] == 12.5
    assert entry["response"]["content"]["text"] == '{"token_type": "Bearer"}'
    text = exports.markdown([step()], {})
    assert "## 1. Token request" in text and "```sh\ncurl" in text


# -- the sign-in kept in the session (views/signin.py) ---------------------------------------------
TOKENS = {
    "access_token": "a.b.c",
    "id_token": "i.d.t",
    "refresh_token": "r",
    "expires_in": 3600,
    "token_type": "Bearer",
}
KEPT = KeptVerification(
    ((CheckName.SIGNATURE, True, "RS256, verified"), (CheckName.NONCE, False, "nonce 'm' is not the one sent"))
)


def signed_in(tokens: dict, claims: dict, now: int = 1) -> SignIn:
    return SignIn.from_tokens(tokens, claims, id_checks=KEPT, access_checks=KEPT, flow="code", now=now)


def test_a_sign_in_is_stored_as_a_plain_dict_and_read_back():
    """The sign-in keeps tokens and identity; what the dashboard shows (the token response, the latest action)
    is the screen state under its own key (issue 20.9: a dashboard click no longer rewrites the tokens)."""
    user = signed_in(TOKENS, {"sub": "u-1"}, now=1000)
    session: dict = {}
    user.save(session)
    Screen.for_tokens(TOKENS).save(session, "refresh")
    stored, screen = session[SIGN_IN], session[SCREEN]
    assert type(stored) is dict and json.loads(json.dumps(stored)) == stored  # what Flask-Session serialises
    assert type(screen) is dict and json.loads(json.dumps(screen)) == screen
    assert stored["access_token"] == "a.b.c" and stored["sub"] == "u-1" and screen["last_action"] == "refresh"
    assert screen["token_response"]["refresh_token"] != "r"  # shortened for display: never the refresh token
    assert not {"last_action", "token_response", "last_refresh", "userinfo", "api_call"} & set(stored)
    assert stored["id_checks"][1] == {"name": "nonce", "passed": False, "detail": "nonce 'm' is not the one sent"}
    assert SignIn.from_session(session) == user and is_signed_in(session)
    assert (
        Screen.load(session).last_action == "refresh"
        and Screen.load(session).token_response == screen["token_response"]
    )
    assert "a.b.c" not in repr(user) and "'r'" not in repr(user)  # tokens stay out of logs


def test_a_sign_in_from_an_older_layout_takes_the_defaults():
    user = SignIn.from_session({SIGN_IN: {"flow": "code", "access_token": "t", "future_key": 1}})
    assert user is not None and user.login_at == 0 and not user.refresh_revoked
    assert Screen.load({SCREEN: {"future_key": 1}}).last_refresh is None


@pytest.mark.parametrize(
    "stored",
    [None, "a string", ["last_action"], {"last_refresh": "ok"}, {"last_action": 5}, {"token_response": "x"}],
)
def test_a_malformed_screen_state_reads_as_a_blank_screen(stored):
    assert Screen.load({SCREEN: stored}) == Screen()


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {},
        "a string",
        ["flow", "code"],
        {"flow": "code"},
        {"flow": "code", "access_token": ""},
        {"flow": "code", "access_token": 5},
        {"access_token": "t"},
        {"flow": "code", "access_token": "t", "login_at": "yesterday"},
        {"flow": "code", "access_token": "t", "login_at": True},
        {"flow": "code", "access_token": "t", "refresh_token": ["r"]},
        {"flow": "code", "access_token": "t", "refresh_revoked": "yes"},
        {"flow": "code", "access_token": "t", "expires_in": False},
        {"flow": "code", "access_token": "t", "access_checks": "passed"},
        {"flow": "code", "access_token": "t", "access_checks": []},
        {"flow": "code", "access_token": "t", "access_checks": [{"name": "exp", "passed": "yes", "detail": ""}]},
        {"flow": "code", "access_token": "t", "access_checks": [{"name": "made-up", "passed": True, "detail": ""}]},
        {"flow": "code", "access_token": "t", "access_checks": [["exp", True, "expires soon"]]},
    ],
)
def test_a_malformed_stored_sign_in_reads_as_signed_out(stored):
    assert SignIn.from_session({SIGN_IN: stored}) is None
    assert not is_signed_in({SIGN_IN: stored})


def test_a_sign_in_in_progress_and_the_compare_runs_survive_the_login():
    assert set(KEPT_ACROSS_LOGIN) == {"tx", "implicit_run", "spa_run"}


def test_a_sign_in_keeps_its_verified_issuer_and_the_checks_made_on_its_tokens():
    user = signed_in(TOKENS, {"sub": "u-1", "iss": "https://issuer.example"})
    assert user.iss == "https://issuer.example" and user.id_checks == KEPT and user.access_checks == KEPT
    assert signed_in(TOKENS, {"sub": "u-1", "iss": 5}).iss is None
    session: dict = {}
    user.save(session)  # what the sign-in verified is kept as it was said, a failed check included
    assert SignIn.from_session(session) == user and "nonce" not in session[SIGN_IN]
    for token in ("id_checks", "access_checks"):  # a token stored without its checks is never shown unverified
        session[SIGN_IN] = {**user.to_dict(), token: None}
        assert SignIn.from_session(session) is None


@pytest.mark.parametrize("nonce", [None, "n"])
def test_a_sign_in_stored_before_checks_were_kept_is_signed_out_unless_it_has_nothing_to_check(nonce):
    legacy = {"flow": "code", "access_token": "a.b.c", "id_token": "i.d.t", "nonce": nonce, "id_token_refreshed": False}
    assert SignIn.from_session({SIGN_IN: legacy}) is None
    user = SignIn.from_session({SIGN_IN: {"flow": "code", "access_token": "opaque", "nonce": nonce}})
    assert user is not None and user.id_checks is user.access_checks is None and user.iss is None


def test_every_session_key_is_named_once_and_read_by_type():
    keys = [v for v in vars(session_keys).values() if isinstance(v, session_keys.Key)]
    names = [k.name for k in keys] + [session_keys.SIGN_IN, session_keys.SCREEN, session_keys.TX]
    assert len(names) == len(set(names)) and SIGN_IN == session_keys.SIGN_IN == "auth"
    store: dict = {}
    session_keys.AUTO_REFRESH.set(True, store)
    assert store == {"auto_refresh": True} and session_keys.AUTO_REFRESH.get(store) is True
    store["machine_token"] = ["not", "a", "string"]  # a stored value of another type reads as absent
    assert session_keys.MACHINE_TOKEN.get(store) is None and session_keys.MACHINE_TOKEN.pop(store) is None
    assert "machine_token" not in store and session_keys.AFTER_LOGOUT.pop(store) is None


def test_a_provider_value_of_the_wrong_type_is_not_stored_as_if_typed():
    user = SignIn.from_tokens(
        {"access_token": "t", "expires_in": "3600"}, {"sub": 7}, id_checks=None, access_checks=None, flow="code", now=1
    )
    assert user.expires_in is None and user.sub is None and user.id_token is None
    assert user.revealable() == {"t"}


# -- the client's OIDC rules (oauth/client.py), each a ClientError ---------------------------------
ISSUER = "https://issuer.example"


def test_every_client_error_shares_one_base():
    for error in (ProviderError, ProviderRefused, TokenRejected, IdentityMismatch, SubjectMismatch, IssuerMismatch):
        assert issubclass(error, ClientError)
    assert issubclass(SubjectMismatch, IdentityMismatch) and issubclass(IssuerMismatch, IdentityMismatch)


def test_is_jwt_is_the_compact_serialisation_shape():
    assert is_jwt("eyJh.eyJi.c2ln") and is_jwt("..")
    assert not is_jwt("opaque-token") and not is_jwt("a.b") and not is_jwt("a.b.c.d")


def test_subject_and_issuer_rules_say_what_differs():
    check_subject("userinfo", "u-1", {"sub": "u-1", "email": "x"})
    with pytest.raises(SubjectMismatch) as caught:
        check_subject("userinfo", "u-1", {"sub": "u-2"})
    assert (caught.value.step, caught.value.expected, caught.value.got, caught.value.claim) == (
        "userinfo",
        "u-1",
        "u-2",
        "sub",
    )
    with pytest.raises(SubjectMismatch):
        check_subject("userinfo", "u-1", {})  # no sub is not the same sub
    check_issuer("refresh", ISSUER, ISSUER)
    with pytest.raises(IssuerMismatch) as wrong:
        check_issuer("refresh", ISSUER, "https://other.example")
    assert wrong.value.got == "https://other.example" and wrong.value.expected == ISSUER


@pytest.fixture(scope="module")
def signing_key(key_dir) -> SigningKey:
    return KeyRing(key_dir).id_key  # the run's provider keys: generated once (conftest.py)


@pytest.fixture(scope="module")
def signer(signing_key):
    return signing_key.signer()  # loading an RSA key takes a while: once per module


@pytest.fixture
def client(signing_key) -> OAuthClient:
    """A client whose JWKS is the test's own key: the ID token rules run with no provider."""
    client = OAuthClient(ClientConfig(issuer=ISSUER, client_id="c", client_secret=""))
    client.jwks = JwksCache(lambda: {"keys": [signing_key.public_jwk]})
    client.presets = Presets(client.config, client.jwks)
    return client


def test_the_callback_iss_must_be_the_configured_issuer_when_sent(client):
    client.check_callback_issuer(None)  # RFC 9207 is optional: Cognito sends no iss
    client.check_callback_issuer(ISSUER)
    with pytest.raises(IssuerMismatch) as caught:
        client.check_callback_issuer("https://attacker.example")
    assert caught.value.step == "callback" and caught.value.got == "https://attacker.example"
    assert caught.value.expected == ISSUER


def refreshed_id_token(key: SigningKey, signer, **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "c", "sub": "u-1", "iat": now, "exp": now + 3600, "auth_time": now - 60}
    claims.update(changes)
    return jws.sign(claims, signer, headers={"kid": key.kid}, algorithm="RS256")


def test_a_refreshed_id_token_needs_no_nonce_and_the_same_user(client, signing_key, signer):
    result = client.verify_refreshed_id_token(
        refreshed_id_token(signing_key, signer), access_token=None, sub="u-1", iss=ISSUER
    )
    assert result.ok and result.claims["sub"] == "u-1"


@pytest.mark.parametrize(
    ("changes", "error", "claim"),
    [({"sub": "u-2"}, SubjectMismatch, "sub"), ({"iss": "https://other.example"}, TokenRejected, "iss")],
)
def test_a_refreshed_id_token_for_someone_else_is_refused(client, signing_key, signer, changes, error, claim):
    with pytest.raises(error) as caught:
        client.verify_refreshed_id_token(
            refreshed_id_token(signing_key, signer, **changes), access_token=None, sub="u-1", iss=ISSUER
        )
    assert caught.value.step == "refresh"
    if isinstance(caught.value, TokenRejected):  # another issuer fails the iss check before the match
        assert caught.value.check == claim


def test_a_refreshed_id_token_from_another_issuer_than_the_sign_in_s(client, signing_key, signer):
    with pytest.raises(IssuerMismatch) as caught:  # the sign-in's ID token had another (say, older) iss
        client.verify_refreshed_id_token(
            refreshed_id_token(signing_key, signer), access_token=None, sub="u-1", iss="https://before.example"
        )
    assert caught.value.expected == "https://before.example" and caught.value.got == ISSUER


def test_a_refreshed_id_token_failing_a_check_names_it(client, signing_key, signer):
    with pytest.raises(TokenRejected) as caught:
        client.verify_refreshed_id_token(
            refreshed_id_token(signing_key, signer, aud="another-client"), access_token=None, sub="u-1", iss=ISSUER
        )
    assert caught.value.check == CheckName.AUD and "another-client" in caught.value.detail
