"""The sign-in kept in the session (views/signin.py), through the app in-process: a stored value the
app did not write reads as signed out on every page that asks, and never gives a 500."""

from __future__ import annotations

import time

import pytest

from flows.keys import SCREEN, SIGN_IN
from flows.state import SignIn
from tests.support import offline_app, script_csrf_of

APP = "http://localhost:5000"
MALFORMED = [
    "a string",
    ["a", "list"],
    {"flow": "code"},  # no access token
    {"flow": "code", "access_token": 42},
    {"flow": "code", "access_token": "t", "login_at": "yesterday"},
    {"flow": "code", "access_token": "t", "refresh_revoked": "yes"},  # (last_refresh is screen state now: SCREEN)
]


@pytest.fixture
def app(tmp_path):
    """The app with a local pool file but no provider running: only pages that never call it are used."""
    return offline_app(tmp_path, APP)


def browser(app, stored: object):
    """A test client whose session holds `stored` as its sign-in, and its anti-forgery token."""
    client = app.test_client()
    page = client.get("/implicit/callback", base_url=APP)
    with client.session_transaction(base_url=APP) as session:
        session[SIGN_IN] = stored
    return client, script_csrf_of(page.get_data(as_text=True))


@pytest.mark.parametrize("stored", MALFORMED)
def test_a_malformed_sign_in_is_signed_out_everywhere(app, stored):
    client, csrf = browser(app, stored)
    home = client.get("/", base_url=APP)
    assert home.status_code == 200
    assert "Open the dashboard" not in home.get_data(as_text=True)
    assert 'action="/logout"' not in home.get_data(as_text=True)  # the navigation shows no sign-out
    login_first = "/?login_required=1"
    assert client.get("/dashboard", base_url=APP).headers["Location"] == login_first
    assert client.get("/revocation", base_url=APP).headers["Location"] == login_first + "&next=/revocation"
    for path in ("/refresh", "/userinfo", "/revoke", "/call-api", "/auto-refresh"):
        answer = client.post(path, base_url=APP, data={"csrf_token": csrf})
        assert answer.status_code == 302 and answer.headers["Location"] == login_first, path
    assert client.get("/machine", base_url=APP).headers["Location"] == login_first + "&next=/machine"
    machine = client.post("/machine", base_url=APP, data={"csrf_token": csrf})
    assert machine.status_code == 401 and "Sign in first" in machine.get_data(as_text=True)
    assert client.get("/api/session", base_url=APP).get_json() == {"authenticated": False}
    reveal = client.post("/api/tokens/reveal", base_url=APP, json={"which": "id"}, headers={"X-CSRF-Token": csrf})
    assert reveal.status_code == 404 and reveal.get_json() == {"error": "this session holds no id token"}
    assert client.get("/trace/token/1/0", base_url=APP).status_code == 403
    assert "(reveal shows yours)" not in client.get("/trace", base_url=APP).get_data(as_text=True)


def test_a_stored_sign_in_is_read_by_every_page_that_asks(app):
    user = SignIn(flow="code", access_token="not-a-jwt", login_at=int(time.time()), sub="u-1", refresh_token="r")
    client, csrf = browser(app, user.to_dict())
    assert "Open the dashboard" in client.get("/", base_url=APP).get_data(as_text=True)
    summary = client.get("/api/session", base_url=APP).get_json()
    assert summary["authenticated"] is True and summary["sub"] == "u-1" and summary["refresh_token"] == "present"
    reveal = client.post("/api/tokens/reveal", base_url=APP, json={"which": "access"}, headers={"X-CSRF-Token": csrf})
    assert reveal.get_json() == {"token": "not-a-jwt"}
    assert "(reveal shows yours)" in client.get("/trace", base_url=APP).get_data(as_text=True)


@pytest.mark.parametrize("screen", ["a string", {"last_refresh": "ok"}, {"last_action": "refresh", "last_refresh": 5}])
def test_a_malformed_screen_state_shows_a_plain_dashboard(app, screen):
    """The dashboard's screen state (issue 20.9: its own key) is read as a blank screen when it is not the
    app's layout: the dashboard shows the sign-in, no result, and no 500."""
    user = SignIn(flow="code", access_token="not-a-jwt", login_at=int(time.time()), sub="u-1", refresh_token="r")
    client, _ = browser(app, user.to_dict())
    with client.session_transaction(base_url=APP) as session:
        session[SCREEN] = screen
    page = client.get("/dashboard", base_url=APP)
    assert page.status_code == 200 and "Token lifecycle" in page.get_data(as_text=True)
    assert 'id="last-refresh"' not in page.get_data(as_text=True)


def test_the_session_maximum_age_counts_from_the_stored_login(app):
    client, _ = browser(app, SignIn(flow="code", access_token="t", login_at=1).to_dict())
    assert client.get("/dashboard", base_url=APP).headers["Location"] == "/?expired=max"
    assert client.get("/api/session", base_url=APP).get_json() == {"authenticated": False}
