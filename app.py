"""Cognito Flow Lab: an OAuth 2.0 / OpenID Connect client for Amazon Cognito.

`create_app()` builds the Flask app; `python app.py` runs the dev server and,
when no provider is configured, the local Cognito-compatible provider too.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import timedelta
from pathlib import Path
from types import CodeType

import redis
from cachelib import FileSystemCache
from flask import Flask
from flask_session import Session
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.serving import make_server

import local_defaults
from cli import cognito_cli, doctor_command, inspect_command, token_cli
from config import ConfigError, Settings, load_settings
from deps import check_dependencies
from flows.state import is_signed_in
from oauth.client import OAuthClient
from oauth.resource_server import ResourceServer
from oauth.verified_cache import VerifiedTokenCache
from signing import Signer
from tracing import recorder
from views import hooks, limits, request_state, session_guard, signin
from views.api import bp as api_bp
from views.api_call import bp as api_call_bp
from views.attacks import bp as attacks_bp
from views.auth import bp as auth_bp
from views.authorize_panel import bp as authorize_panel_bp
from views.compare import bp as compare_bp
from views.context import TraceIdSlot
from views.dashboard import bp as dashboard_bp
from views.doctor import bp as doctor_bp
from views.glossary import bp as glossary_bp
from views.implicit import bp as implicit_bp
from views.inspect import bp as inspect_bp
from views.lifecycle import bp as lifecycle_bp
from views.machine import bp as machine_bp
from views.presenter import bp as presenter_bp
from views.raw_tokens import bp as raw_tokens_bp
from views.spa import bp as spa_bp
from views.trace import bp as trace_bp

SESSION_THRESHOLD = 100_000


class SplitSessionCache:
    """Signed-in sessions and the rest (a sign-in in progress) in two cachelib stores.

    Each store has its own threshold, so a flood of half-started sign-ins can only evict other
    half-started sign-ins, never a signed-in user's session.
    """

    def __init__(self, users: FileSystemCache, others: FileSystemCache):
        self.users, self.others = users, others
        self._threshold = users._threshold

    def get(self, key: str):
        value = self.users.get(key)
        return value if value is not None else self.others.get(key)

    def set(self, key: str, value: dict, timeout: int | None = None) -> bool:
        signed_in = isinstance(value, dict) and is_signed_in(value)
        target, other = (self.users, self.others) if signed_in else (self.others, self.users)
        other.delete(key)
        return target.set(key, value, timeout=timeout)

    def delete(self, key: str) -> bool:
        return bool(self.users.delete(key) | self.others.delete(key))


def _configure_sessions(app: Flask, settings: Settings) -> None:
    secure = settings.secure_cookies
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        # Store a session only when a request changed it. Re-storing every request (Flask-Session's
        # default) lets a concurrent request (a stylesheet, the favicon) write back the copy it read
        # and undo another request's write, e.g. the implicit page's verified run. seen_at is written
        # at most once a minute (below), which also renews the store's expiry.
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_KEY_PREFIX="flowlab:",
        SESSION_COOKIE_NAME="__Host-flowlab" if secure else "flowlab_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_PATH="/",
    )
    if settings.session_backend == "redis":
        app.config["SESSION_TYPE"] = "redis"
        app.config["SESSION_REDIS"] = redis.Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
    else:
        stores = []
        for name in ("sessions", "sessions-pending"):
            directory = Path(settings.instance_path) / name
            directory.mkdir(parents=True, exist_ok=True)
            stores.append(FileSystemCache(str(directory), threshold=SESSION_THRESHOLD, mode=0o600))
        app.config["SESSION_TYPE"] = "cachelib"
        app.config["SESSION_CACHELIB"] = SplitSessionCache(*stores)
    Session(app)
    session_guard.install(app)


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept in memory for every app this process creates (the tests create hundreds; a
    server one): a template is parsed and compiled once per process, and again only when its source changes
    (Jinja checks each bucket's checksum of the source)."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self._codes.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._codes[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._codes.clear()


TEMPLATE_CODE = SharedTemplateCode()


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from `settings` (default: the environment and `.env`)."""
    check_dependencies()
    if settings is None:
        try:
            settings = load_settings()
        except ConfigError as exc:
            # `flask --app app <command>` builds the app first: a bad .env is a message, not a traceback
            sys.exit(f"Configuration error: {exc}")
    app = Flask(__name__, instance_path=str(Path(settings.instance_path).resolve()))
    app.jinja_options = {**app.jinja_options, "bytecode_cache": TEMPLATE_CODE}  # before jinja_env is first used
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    app.config["TRUSTED_HOSTS"] = settings.trusted_hosts  # other Host headers get a 400
    app.extensions["settings"] = settings
    app.extensions["oauth_client"] = OAuthClient(settings.client)
    app.extensions["verified_tokens"] = verified = VerifiedTokenCache[str](settings.api_token_cache_size)
    app.extensions["oauth_client"].jwks.on_removed.append(verified.drop_kids)  # rotated-out keys
    app.extensions["resource_server"] = ResourceServer(
        app.extensions["oauth_client"], verified, settings.client.api_required_scope
    )
    app.extensions["signer"] = signer = Signer(settings.secret_key)
    _configure_sessions(app, settings)
    _install_tracing(app, settings, signer)
    hooks.install(app, settings)  # every app-wide request hook and template global, in their order
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(implicit_bp)
    app.register_blueprint(compare_bp)
    app.register_blueprint(lifecycle_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(machine_bp)
    app.register_blueprint(trace_bp)
    app.register_blueprint(presenter_bp)
    app.register_blueprint(doctor_bp)
    app.register_blueprint(spa_bp)
    app.register_blueprint(inspect_bp)
    app.register_blueprint(authorize_panel_bp)
    app.register_blueprint(raw_tokens_bp)
    app.register_blueprint(attacks_bp)
    app.register_blueprint(api_call_bp)
    app.register_blueprint(glossary_bp)
    limits.install(app, settings)  # after the blueprints: it wraps their views (its hooks come last)
    app.cli.add_command(token_cli)
    app.cli.add_command(doctor_command)
    app.cli.add_command(inspect_command)
    app.cli.add_command(cognito_cli)
    return app


def _install_tracing(app: Flask, settings: Settings, signer: Signer) -> None:
    """The trace recorder, handed what it needs of the views (tracing/ imports nothing above it)."""
    client: OAuthClient = app.extensions["oauth_client"]
    wiring = recorder.Wiring(
        signer=signer,
        trace_id=TraceIdSlot(),
        refresh_token=signin.refresh_token,
        state=request_state.trace,
        secrets=settings.client,
        app_url=settings.client.app_url,
        secure_cookies=settings.secure_cookies,
    )
    cache = recorder.trace_cache(settings.instance_path, app.config.get("SESSION_REDIS"))
    recorder.install(app, wiring, cache, client.http)


def _banner(
    settings: Settings, provider_url: str | None, demo: list[tuple[str, str]] | None, lifetimes: str = ""
) -> str:
    lines = [
        "",
        "  Cognito Flow Lab",
        f"  App:       {settings.client.app_url}",
    ]
    if provider_url:
        lines += [
            f"  Provider:  {provider_url}  (local Cognito-compatible provider)",
            f"  Issuer:    {settings.client.issuer}",
        ]
        for index, (username, password) in enumerate(demo or []):
            label = "Demo users:" if index == 0 else ""
            lines.append(f"  {label:<12}{username}  password: {password}")
        if lifetimes:
            lines.append(f"  Tokens:    {lifetimes}")
        lines.append(
            "  Real Cognito: .venv/bin/flask --app app cognito setup --region <region> --domain-prefix <prefix> "
            "(see docs/cognito-pool.md)."
        )
    else:
        lines.append(f"  Provider:  {settings.client.issuer}")
    lines += [
        "",
        "  Sign-in cookies belong to this host name (localhost and 127.0.0.1 differ), so use exactly:",
        f"  Open this URL: {settings.client.app_url}",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the dev server, starting the local provider first when nothing is configured."""
    import os

    from dotenv import load_dotenv

    load_dotenv(Path(__file__).with_name(".env"), override=False)
    env = dict(os.environ)
    provider_url = None
    demo = None
    lifetimes = ""
    if not local_defaults.provider_configured(env):
        import local_cognito
        from local_cognito import lifetimes as token_lifetimes

        try:
            minutes = token_lifetimes.minutes_from_env(env)  # LOCAL_TOKEN_MINUTES: expiry in minutes for a demo
        except token_lifetimes.LifetimeSettingError as exc:
            sys.exit(f"Configuration error: {exc}")
        instance = Path(env.get("INSTANCE_PATH") or Path(__file__).with_name("instance"))
        app_url = local_defaults.app_url(env)
        port = local_defaults.port(env)
        pool_file = local_defaults.pool_file(env, instance)
        try:
            pool = local_cognito.ensure_pool_file(pool_file, app_url, port)
            token_lifetimes.apply_minutes(pool, minutes)  # for this run only: the file keeps its own
            provider = local_cognito.create_provider_app(pool, instance / "local_cognito_keys", pool_file=pool_file)
        except local_cognito.PoolFileError as exc:
            sys.exit(f"The local provider's pool file {pool_file} cannot be used: {exc}")
        try:
            local_cognito.serve_in_thread(provider, "127.0.0.1", port)
        except OSError as exc:
            sys.exit(f"Cannot start the local provider on 127.0.0.1:{port}: {exc}. Set LOCAL_COGNITO_PORT.")
        provider_url = f"http://127.0.0.1:{port}"
        demo = [(u["username"], u["password"]) for u in pool["users"]]
        lifetimes = token_lifetimes.banner_line(pool, minutes)
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.exit(f"Configuration error: {exc}")
    app = create_app(settings)
    # make_server rather than app.run: app.run logs "Running on http://127.0.0.1:..." after the banner,
    # and a presenter who opens that URL instead of APP_URL's host name is at the wrong host
    try:
        server = make_server(settings.host, settings.port, app, threaded=True)
    except OSError as exc:
        sys.exit(f"Cannot start the app on {settings.host}:{settings.port}: {exc}. Set PORT.")
    print(_banner(settings, provider_url, demo, lifetimes), flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the demo without a traceback
        server.serve_forever()


if __name__ == "__main__":
    main()
