"""The local provider's defaults, in one place: its port, its pool file and its pool id, and whether a
real provider is configured (if not, the app runs against the local provider).

Shared by config.py, the launchers (app.py, scripts/serve.py) and local_cognito/; it imports nothing
of either side, so the client and the local provider still never import each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

PORT = 5055
APP_PORT = 5000  # the app's own port when neither PORT nor a loopback APP_URL names one
POOL_FILE = "local_cognito.json"
POOL_ID = "us-east-1_LocalDemo"


def provider_configured(env: Mapping[str, str]) -> bool:
    """A real provider is configured by OAUTH_ISSUER or COGNITO_USER_POOL_ID; otherwise the local one runs."""
    return bool(env.get("OAUTH_ISSUER", "").strip() or env.get("COGNITO_USER_POOL_ID", "").strip())


def port(env: Mapping[str, str]) -> int:
    """LOCAL_COGNITO_PORT, or the default."""
    return int(env.get("LOCAL_COGNITO_PORT") or PORT)


def pool_file(env: Mapping[str, str], instance: Path) -> Path:
    """LOCAL_COGNITO_FILE, or the pool file in the instance folder."""
    return Path(env.get("LOCAL_COGNITO_FILE") or instance / POOL_FILE)


def issuer(port: int = PORT) -> str:
    return f"http://127.0.0.1:{port}/{POOL_ID}"


def app_url(env: Mapping[str, str]) -> str:
    """APP_URL, or this machine at the app's port (PORT): `PORT=5001 make run` alone gives http://localhost:5001."""
    given = env.get("APP_URL", "").strip()
    if given:
        return given.rstrip("/")
    raw = env.get("PORT", "").strip()
    return f"http://localhost:{raw if raw.isdigit() else APP_PORT}"


def app_port(env: Mapping[str, str]) -> int:
    """The app's port when PORT is unset: a loopback APP_URL's own port (`APP_URL=http://localhost:5100` alone
    listens on 5100), else 5000 (an APP_URL elsewhere is a proxy in front of the app)."""
    try:
        parts = urlsplit(env.get("APP_URL", "").strip())
        url_port = parts.port
    except ValueError:
        return APP_PORT
    if parts.hostname in ("localhost", "127.0.0.1") and url_port:
        return url_port
    return APP_PORT
