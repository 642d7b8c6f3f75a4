"""A local, Cognito-compatible OAuth 2.0 / OIDC provider for offline demos and tests.

It is its own Flask app on its own port. The client never imports it: they talk
over HTTP through the discovery document, as the client does with real Cognito.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from .errors import PoolFileError
from .keys import KeyRing
from .lockout import Lockouts
from .pool import OAuthError, Pool
from .settings import DEFAULT_PORT, ensure_pool_file

__all__ = [
    "DEFAULT_PORT",
    "OAuthError",
    "Pool",
    "PoolFileError",
    "create_provider_app",
    "ensure_pool_file",
    "serve_in_thread",
]


def create_provider_app(
    config: dict, keys_dir: Path | None, base_url: str = "", pool_file: Path | None = None
) -> Flask:
    """Build the provider app for one user pool (`config`, see settings.default_pool); `pool_file` is
    the file it was read from, which the sign-in page names."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["POOL_FILE"] = str(pool_file) if pool_file else ""
    pool = Pool(config, KeyRing(keys_dir), base_url)
    app.extensions["local_cognito"] = pool
    app.extensions["local_cognito_lockout"] = Lockouts()  # wrong passwords per user name (lockout.py)

    from . import provenance_view, stepup_view
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(stepup_view.bp)  # the authenticator-code step of acr_values (stepup.py)
    app.register_blueprint(provenance_view.bp)  # the lab's own endpoint: what customization changed

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Content-Security-Policy",
            # no form-action: the login form's redirect goes to the client's callback URL
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        return response

    return app


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """Serve `app` from a daemon thread; the pool's base URL follows the bound port."""
    server = make_server(host, port, app, threaded=True)
    app.extensions["local_cognito"].base_url = f"http://{host}:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True, name="local-cognito").start()
    return server
