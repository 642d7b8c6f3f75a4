"""Redaction: what a trace step may hold, decided before anything is stored.

- The client secret becomes `$CLIENT_SECRET`, and a Basic header becomes
  `Basic base64($CLIENT_ID:$CLIENT_SECRET)`.
- Refresh tokens become `$REFRESH_TOKEN`, wherever they appear.
- Access and ID tokens become `[[token:N:TAG]]` markers, where TAG is a random value made for
  this redaction and kept in the step's `tag` field. The full value goes to a vault that only
  the signed-in owner can read, and views and exports show a shortened form. Only markers with
  the step's own tag count: text that merely looks like a marker (`[[token:0]]` in a claim)
  stays text.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from oauth.safejson import loads

JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?![A-Za-z0-9_.-])")
REFRESH_KEYS = {"refresh_token"}
SECRET_KEYS = {"client_secret"}
CODE_PLACEHOLDERS = {"code": "$CODE", "code_verifier": "$CODE_VERIFIER"}  # as in the curl exports
MAX_BODY = 16 * 1024
BASIC_PLACEHOLDER = "Basic base64($CLIENT_ID:$CLIENT_SECRET)"


class AppSecrets(Protocol):
    """What the redactor needs to know of the app's settings (config.Settings or oauth's ClientConfig)."""

    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def m2m_client_secret(self) -> str: ...


@dataclass
class Redactor:
    """Knows the secrets to hide; collects full tokens into `vault` as it shortens them."""

    client_id: str
    secrets: Iterable[str] = ()
    refresh_tokens: Iterable[str] = ()
    vault: list[str] = field(default_factory=list)
    tag: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self) -> None:
        self.secrets = [s for s in self.secrets if s]
        self.refresh_tokens = [t for t in self.refresh_tokens if t]

    @classmethod
    def for_app(cls, app: AppSecrets, refresh_token: str = "") -> Redactor:
        """The one way the app builds its redactor (the trace and the presenter): its client id, both
        client secrets (the app's and the machine client's) and, when known, the user's refresh token."""
        return cls(app.client_id, secrets=[app.client_secret, app.m2m_client_secret], refresh_tokens=[refresh_token])

    def _values(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "$CLIENT_SECRET")
        for token in self.refresh_tokens:
            text = text.replace(token, "$REFRESH_TOKEN")
        return text

    def _jwts(self, text: str) -> str:
        def mark(match: re.Match[str]) -> str:
            value = match.group(0)
            if value not in self.vault:
                self.vault.append(value)
            return f"[[token:{self.vault.index(value)}:{self.tag}]]"

        return JWT_RE.sub(mark, text)

    def text(self, text: str) -> str:
        return self._jwts(self._values(text or ""))

    def form(self, body: str, revoke: bool = False) -> str:
        pairs = []
        for key, value in parse_qsl(body or "", keep_blank_values=True):
            if key in SECRET_KEYS:
                value = "$CLIENT_SECRET"
            elif key in CODE_PLACEHOLDERS:
                value = CODE_PLACEHOLDERS[key]
            elif key in REFRESH_KEYS or (revoke and key == "token"):
                value = "$REFRESH_TOKEN"
            pairs.append((key, value))
        # keep $PLACEHOLDERS and [[token:N]] markers readable
        return self.text(urlencode(pairs, safe="$[]:/"))

    def json_body(self, body: str) -> str:
        try:
            data = loads(body)  # bounded nesting: the walk below recurses
        except ValueError:
            return self.text(body)

        def walk(value: Any) -> Any:
            if isinstance(value, dict):
                return {
                    k: "$REFRESH_TOKEN"
                    if k in REFRESH_KEYS and isinstance(v, str)
                    else "$CLIENT_SECRET"
                    if k in SECRET_KEYS
                    else walk(v)
                    for k, v in value.items()
                }
            if isinstance(value, list):
                return [walk(v) for v in value]
            return value

        return self.text(json.dumps(walk(data), indent=2, ensure_ascii=False))

    def url(self, url: str) -> str:
        parts = urlsplit(url or "")
        query = self.form(parts.query) if parts.query else ""
        fragment = self.form(parts.fragment) if "=" in parts.fragment else self.text(parts.fragment)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment))

    def headers(self, headers: Mapping[str, object] | None) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, raw in (headers or {}).items():
            value = str(raw)
            if name.lower() == "authorization" and value.lower().startswith("basic "):
                value = BASIC_PLACEHOLDER
            out[str(name)] = self.text(value)
        return out

    def body(self, body: str | bytes, content_type: str = "", revoke: bool = False) -> str:
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        body = (body or "")[:MAX_BODY]
        if "json" in content_type or body.lstrip().startswith(("{", "[")):
            return self.json_body(body)
        if "x-www-form-urlencoded" in content_type or (body and "=" in body and " " not in body):
            return self.form(body, revoke=revoke)
        return self.text(body)
