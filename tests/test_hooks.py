"""The app's request hooks and template globals come from one ordered list (views/hooks.py), and what a
request carries between them is one typed object in `g` (views/request_state.py)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.support import offline_app, script_csrf_of
from views import hooks, request_state

ROOT = Path(__file__).resolve().parent.parent
APP = "http://localhost:5000"
OUR_CODE = ("app.py", "cli.py", "signing.py", "views", "tracing", "lab", "oauth", "aws_setup")


@pytest.fixture
def app(tmp_path):
    """The app with a local pool file but no provider running: only pages that never call it are used."""
    return offline_app(tmp_path, APP)


def sources() -> dict[str, str]:
    files: list[Path] = []
    for name in OUR_CODE:
        path = ROOT / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return {str(p.relative_to(ROOT)): p.read_text() for p in files}


def test_the_app_runs_its_hooks_in_the_stated_order(app):
    before = app.before_request_funcs[None]
    assert before[: len(hooks.BEFORE_REQUEST)] == list(hooks.BEFORE_REQUEST)
    # then only Flask-Limiter's own check (installed after the blueprints it wraps)
    assert [type(getattr(f, "__self__", None)).__name__ for f in before[len(hooks.BEFORE_REQUEST) :]] == ["Limiter"]
    after = app.after_request_funcs[None]
    ours = [f for f in after if f in hooks.AFTER_REQUEST]
    assert list(reversed(ours)) == list(hooks.AFTER_REQUEST)  # Flask runs them last-registered first
    assert len(after) == len(ours) + 1  # and Flask-Limiter's header hook


def test_the_order_is_the_one_the_docstring_states():
    """The module's docstring lists the hooks; the tuples are that list."""
    doc = hooks.__doc__ or ""
    named = re.findall(r"^\s+\d\. (\w+)\.(\w+)", doc, re.M)
    listed = [(f.__module__.rsplit(".", 1)[-1], f.__name__) for f in (*hooks.BEFORE_REQUEST, *hooks.AFTER_REQUEST)]
    assert named == listed


def test_no_other_module_registers_app_wide_hooks_or_template_globals():
    """Blueprint hooks (`@bp.after_request`) concern their own routes; app-wide ones are only in views/hooks.py."""
    pattern = re.compile(
        r"app\.(before_request|after_request|context_processor|template_global|template_filter)\b"
        r"|before_request_funcs|after_request_funcs|jinja_env\.(globals|filters)|app_template_(filter|global)"
        r"|app_context_processor|@bp\.record"
    )
    found = {path for path, text in sources().items() if pattern.search(text)}
    assert found == {"views/hooks.py"}


def test_per_request_values_live_in_the_typed_state_only():
    """No loose `g.name` attributes: every per-request value is a field of RequestState."""
    loose = re.compile(r"\bg\.(?!state\b|get\(\"state\"\))\w+|\"\w+\" (not )?in g\b")
    found = {path for path, text in sources().items() if loose.search(text)}
    assert found == set()


def test_every_page_sees_the_template_globals(app):
    page = app.test_client().get("/implicit/callback", base_url=APP).get_data(as_text=True)
    assert script_csrf_of(page)  # csrf_token() rendered into the page's data-csrf
    with app.test_request_context("/", base_url=APP):
        env = app.jinja_env
        assert {"settings", "csrf_token", "presenting", "why"} <= set(env.globals)
        assert {"soft_breaks", "pretty_json"} <= set(env.filters)
        values = {}
        for processor in app.template_context_processors[None]:
            values.update(processor())
        assert values["signed_in"] is False and values["auto_refresh"] is False


def test_the_request_state_is_one_object_per_request(app):
    with app.test_request_context("/"):
        state = request_state.current()
        assert request_state.current() is state and request_state.trace() is state.trace
        assert state.user is None and state.csrf_seed is None and state.connect_src == () and not state.store_down
    with app.test_request_context("/"):
        assert request_state.current() is not state


def test_templates_get_only_the_settings_they_show(app):
    """Issue 20.3: the template global `settings` is the pages' view of the settings, with no secret in reach:
    not the client secrets, SECRET_KEY or REDIS_URL (which may carry a password)."""
    shown = app.jinja_env.globals["settings"]
    assert isinstance(shown, hooks.PageSettings)
    settings = app.extensions["settings"]
    client = settings.client
    secrets = {client.client_secret, client.m2m_client_secret, settings.secret_key, settings.redis_url}
    values = [str(v) for v in dataclasses.asdict(shown).values()]
    assert not any(secret and secret in value for secret in secrets for value in values)
    for name in ("client_secret", "m2m_client_secret", "secret_key", "redis_url", "client"):
        assert not hasattr(shown, name), name
    # a page renders with it as before: the home page's configuration card
    page = app.test_client().get("/").text
    assert settings.client.client_id in page and settings.client.redirect_uri in page


def test_every_setting_a_template_reads_is_one_the_pages_are_given():
    """Jinja reads a missing attribute as empty, silently: a template naming `settings.x` that PageSettings does
    not have would hide its part of the page (the dashboard's /call link did, once)."""
    fields = {f.name for f in dataclasses.fields(hooks.PageSettings)}
    templates = Path(__file__).resolve().parent.parent / "templates"
    read = {
        (path.name, name)
        for path in templates.glob("*.html")
        for name in re.findall(r"\bsettings\.([a-z0-9_]+)", path.read_text(encoding="utf-8"))
    }
    assert read and {(page, name) for page, name in read if name not in fields} == set()
