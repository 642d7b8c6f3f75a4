"""The attack lab's runner (attacks/) against a real stack over HTTP, without a browser: each attack is
refused by the check it demonstrates, and with that check switched off in-process (monkeypatched in this
app or in the local provider) the attack gets through or another check catches it, so the Chromium tests
of tests/test_attack_lab_browser.py fail whenever a check is switched off. Also: what a run leaves behind,
what it records, and the page's limits."""

from __future__ import annotations

import html
import re
import time

import pytest

from attacks import scripts
from attacks.model import Target
from attacks.runner import Lab, advance
from local_cognito.pool import Pool
from oauth import tokens, transactions
from oauth.client import OAuthClient
from oauth.http import ProviderError
from tests.support import build_stack
from tests.support.pages import read_screen
from tracing.redact import JWT_RE

EXPECTED = {
    1: "pkce",
    2: "state",
    3: "pkce",
    4: "nonce",
    5: "at_hash",
    6: "aud",
    7: "callback_iss",
    8: "signature",
    9: "rotation",
    10: "redirect_uri",
}


def run(stack, number: int) -> Lab:
    target = Target.of(
        stack.settings.client,
        stack.client.metadata(),
        demo_users=stack.settings.demo_users,
        public_rotation_grace=stack.settings.public_refresh_grace_seconds,
    )
    assert scripts.unavailable(number, target, signed_in=False) == ""
    lab = Lab(target, number)
    assert advance(lab, scripts.moves(number, target), presenting=False) is None
    for trace_id in lab.clean_up():  # as views/attacks.py does: the traces the app kept for the scripted browsers
        stack.app.extensions["trace_store"].delete(trace_id)
    return lab


def checks(lab: Lab) -> list[str | None]:
    """The check that refused each attacker request (None: accepted)."""
    return [e.refusal.check if e.refusal else None for e in lab.entries if e.kind == "attack"]


# -- switching a check off: in this app (oauth/) or in the provider (local_cognito/) ------------------------
def no_pkce(monkeypatch):
    """The provider forgets the code_challenge: codes are no longer bound to a verifier."""
    issue = Pool.issue_code
    monkeypatch.setattr(
        Pool, "issue_code", lambda self, c, s, args, ses: issue(self, c, s, {**args, "code_challenge": None}, ses)
    )


def no_state(monkeypatch):
    """The callback takes this browser's newest pending sign-in, whatever state came back."""
    take = transactions.take

    def any_state(store, state, flow, now=None, *, key):
        pending = [s for s, data in (store.get(key) or {}).items() if data.get("flow") == flow]
        return take(store, pending[-1] if pending else state, flow, now, key=key)

    monkeypatch.setattr(transactions, "take", any_state)


def passes(name):
    return lambda *args, **kwargs: (name, True, "switched off by the test")


def no_nonce(monkeypatch):
    monkeypatch.setattr(tokens, "check_nonce", passes(tokens.CheckName.NONCE))


def no_at_hash(monkeypatch):
    monkeypatch.setattr(tokens, "check_at_hash", passes(tokens.CheckName.AT_HASH))


def no_aud(monkeypatch):
    monkeypatch.setattr(tokens, "check_aud", passes(tokens.CheckName.AUD))


def no_callback_iss(monkeypatch):
    monkeypatch.setattr(OAuthClient, "check_callback_issuer", lambda self, iss: None)


def no_signature(monkeypatch):
    monkeypatch.setattr(tokens, "check_signature", lambda *a: ((tokens.CheckName.SIGNATURE, True, "off"), None))


def no_alg(monkeypatch):
    monkeypatch.setattr(tokens, "check_alg", passes(tokens.CheckName.ALG))


def no_rotation(monkeypatch):
    """A rotated-out refresh token stays usable (as if rotation never retired it)."""
    usable = Pool._usable_refresh_token

    def lenient(self, token, client):
        grant = self.refresh_tokens.get(token)
        if grant is not None:
            grant.retired_until, grant.revoked = None, False
        return usable(self, token, client)

    monkeypatch.setattr(Pool, "_usable_refresh_token", lenient)


def no_exact_redirect(monkeypatch):
    """The provider accepts any redirect_uri once the client is known (a loose match)."""
    validate = Pool.validate_authorize

    def loose(self, args):
        client = self.client(args.get("client_id"))
        registered = client["callback_urls"][0] if client else args.get("redirect_uri")
        return validate(self, {**args, "redirect_uri": registered})

    monkeypatch.setattr(Pool, "validate_authorize", loose)


@pytest.mark.parametrize(
    ("number", "switch_off", "then"),
    [
        (1, [no_pkce], [None, None]),  # both stolen codes redeemed: the attacker holds the tokens
        (2, [no_state], ["pkce"]),  # PKCE catches it next (attack 3)
        (2, [no_state, no_pkce], ["nonce"]),  # ... then the nonce
        (2, [no_state, no_pkce, no_nonce], [None]),  # signed in as alice
        (3, [no_pkce], ["nonce"]),
        (3, [no_pkce, no_nonce], [None]),
        (4, [no_nonce], [None]),
        (5, [no_at_hash], [None]),
        (6, [no_aud], ["client_id", "token_use"]),  # the access token's client_id, the machine token's token_use
        (7, [no_callback_iss], ["code"]),  # the code went to the provider, which never issued it
        (8, [no_signature], [None, "alg", None]),
        (8, [no_signature, no_alg], [None, None, None]),
        (9, [no_rotation], [None]),
        (10, [no_exact_redirect], [None, None, None]),
    ],
)
def test_with_its_check_switched_off_the_attack_is_not_refused_by_it(stack, monkeypatch, number, switch_off, then):
    assert checks(run(stack, number))[0] == EXPECTED[number]  # on: refused by the check it demonstrates
    for switch in switch_off:
        switch(monkeypatch)
    lab = run(stack, number)
    assert checks(lab)[: len(then)] == then
    assert EXPECTED[number] not in checks(lab)
    if None in then:
        assert lab.verdict().outcome == "succeeded" and lab.verdict().detail


def test_the_expired_token_is_replayed_once_it_has_expired(stack, monkeypatch):
    """Attack 8's fourth request: the attacker's token kept from a run, sent once its exp has passed."""
    lab = run(stack, 8)
    assert checks(lab) == ["signature", "alg", "signature"]
    assert any("Expired token: not sent yet" in note for note in lab.notes)
    stack.pool.clock = lambda: time.time() - 7200  # tokens minted now expired an hour ago
    lab = run(stack, 8)
    assert checks(lab) == ["signature", "alg", "signature", "exp"]
    monkeypatch.setattr(tokens, "check_exp", passes(tokens.CheckName.EXP))
    stack.pool.clock = lambda: time.time() - 7300
    assert checks(run(stack, 8))[3] is None  # without exp the API answers the expired token


def test_a_run_leaves_nothing_behind_at_the_app_or_the_provider(stack):
    """The scripted browsers are signed out of both, their traces deleted, the refresh tokens revoked."""
    for number in (3, 6, 9):
        run(stack, number)
    assert stack.stored_files() == []
    assert stack.pool.sessions == {}
    assert all(
        grant.revoked or grant.origin_jti in stack.pool.revoked_origins for grant in stack.pool.refresh_tokens.values()
    )


def test_what_a_run_records_is_redacted(stack):
    """No code, verifier, refresh token, password, cookie or full token in what a run keeps."""
    for number in (1, 4, 9):
        lab = run(stack, number)
        recorded = str([e.to_dict() for e in lab.entries])
        for secret in (
            stack.settings.client.client_secret,
            stack.settings.client.m2m_client_secret,
            "FlowLab-demo-1",
            "FlowLab-alice-1",
            *stack.pool.refresh_tokens,
        ):
            assert secret not in recorded
        assert not JWT_RE.search(re.sub(r"\[\[token:\d+:[0-9a-f]{16}\]\]", "", recorded))
        assert "code_verifier=$CODE_VERIFIER" in recorded or number != 1
        assert "flowlab_session=" not in recorded and "cognito=" not in recorded


# -- the page over HTTP: who may run what, how often, and what Continue sends -----------------------------------
def post_run(stack, http, number: int, **form: str):
    return stack.post(http, f"/attacks/{number}/run", **form)


def test_a_run_over_http_answers_the_page_and_stores_nothing(stack, http):
    response = post_run(stack, http, 7)
    assert response.status_code == 200
    assert 'data-outcome="refused"' in response.text and 'data-check="callback_iss"' in response.text
    assert stack.stored_files() == []  # an anonymous run keeps nothing: no session, no trace
    assert http.get(stack.url + "/attacks/7/run").status_code == 405
    assert post_run(stack, http, 11).status_code == 404
    no_token = http.post(stack.url + "/attacks/7/run", allow_redirects=False)
    assert no_token.status_code == 403  # the anti-forgery token is required
    assert stack.post(http, "/attacks/continue").status_code == 400  # nothing paused


def test_runs_are_rate_limited(make_stack, http):
    stack = make_stack({"RATE_LIMIT_ATTACKS": "1 per minute"})
    assert post_run(stack, http, 10).status_code == 200
    refused = post_run(stack, http, 10)
    assert refused.status_code == 429 and refused.headers["Retry-After"]


def test_continue_sends_only_the_request_its_screen_showed(stack, http):
    """Presenter mode: a Continue whose MAC is not the shown request's sends nothing and shows it again."""
    http.get(stack.url + "/presenter?on=1")
    screen = read_screen(post_run(stack, http, 7).text)
    assert screen.title.startswith("Attacker:") and screen.action == "/attacks/continue"
    assert dict(screen.rows)["code"] == "$CODE" and "iss" in dict(screen.rows)
    forged = stack.post(http, "/attacks/continue", shown_request="0" * 64)
    assert 'id="call-changed"' in forged.text and "<h1>Attacker:" in forged.text
    assert 'id="result"' not in forged.text
    again = read_screen(forged.text)
    done = stack.post(http, "/attacks/continue", **again.fields)
    assert 'data-outcome="refused"' in done.text and 'data-check="callback_iss"' in done.text
    assert stack.post(http, "/attacks/continue").status_code == 400  # the run is over: nothing paused


def test_attack_9_says_when_rotation_is_off_and_how_to_turn_it_on(tmp_path, key_dir, http):
    def rotation_off(pool: dict) -> None:
        for client in pool["clients"]:
            client["RefreshTokenRotation"] = {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}

    stack = build_stack(tmp_path, key_dir, edit_pool=rotation_off)
    try:
        page = http.get(stack.url + "/attacks").text
        card = page[page.index('id="attack-9"') :]
        card = card[: card.index("</li>")]
        assert "rotation is off" in card and '"Feature": "ENABLED"' in html.unescape(card)
        assert 'id="run-9"' not in card
        refused = post_run(stack, http, 9)
        assert refused.status_code == 400 and "rotation is off" in refused.text
    finally:
        stack.app_server.stop()
        stack.provider_server.stop()


def test_codes_never_redeemed_do_not_pile_up_at_the_local_provider(stack):
    """Attack 2 leaves the attacker's code unredeemed (the app refuses the callback before any exchange): the
    provider drops such codes once expired, when it issues the next one."""
    run(stack, 2)
    left = set(stack.pool.codes)
    assert len(left) == 1
    stack.pool.clock = lambda: time.time() + 301  # five minutes on: expired
    run(stack, 2)
    assert left.isdisjoint(stack.pool.codes) and len(stack.pool.codes) == 1


def test_a_run_past_its_deadline_sends_nothing_more(stack):
    """A slow app or provider must not hold a worker: after the run's deadline the scripted browsers send
    nothing, and the run ends with a ClientError the page reports (cleanup still runs)."""
    target = Target.of(
        stack.settings.client,
        stack.client.metadata(),
        demo_users=stack.settings.demo_users,
        public_rotation_grace=stack.settings.public_refresh_grace_seconds,
    )
    lab = Lab(target, 7)
    for browser in lab.browsers.values():
        browser.deadline = 0.0  # long past
    with pytest.raises(ProviderError, match="took too long"):
        advance(lab, scripts.moves(7, target), presenting=False)
    assert lab.clean_up() == [] and [e for e in lab.entries if e.kind == "attack"] == []
