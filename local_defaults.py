"""The local provider's defaults, in one place: its port, its pool file and its pool id, and whether a
real provider is configured (if not, the app runs against the local provider).

Shared by config.py, the launchers (app.py, scripts/serve.py) and local_cognito/; it imports nothing
of either side, so the client and the local provider still never import each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

PORT = 5055
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
