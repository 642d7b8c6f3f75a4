"""Turn HTTP exchanges into trace steps, redacted before anything is stored.

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
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lab.display import shorten
from lab.steps import LANES, STEP_TITLES

from .safejson import loads

JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?![A-Za-z0-9_.-])")
MARKER_RE = re.compile(r"\[\[token:(\d+):([0-9a-f]{16})\]\]")  # the shape; which count: marker_re(step)
NO_MATCH = re.compile(r"(?!)")
REFRESH_KEYS = {"refresh_token"}
SECRET_KEYS = {"client_secret"}
CODE_PLACEHOLDERS = {"code": "$CODE", "code_verifier": "$CODE_VERIFIER"}  # as in the curl exports
MAX_BODY = 16 * 1024
BASIC_PLACEHOLDER = "Basic base64($CLIENT_ID:$CLIENT_SECRET)"


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

    def _values(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "$CLIENT_SECRET")
        for token in self.refresh_tokens:
            text = text.replace(token, "$REFRESH_TOKEN")
        return text

    def _jwts(self, text: str) -> str:
        def mark(match: re.Match) -> str:
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

        def walk(value):
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

    def headers(self, headers: dict) -> dict:
        out = {}
        for name, value in (headers or {}).items():
            value = str(value)
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


def make_step(
    redactor: Redactor,
    *,
    name: str,
    method: str,
    url: str,
    request_headers: dict | None = None,
    request_body: str | bytes = "",
    status: int = 0,
    response_headers: dict | None = None,
    response_body: str | bytes = "",
    duration_ms: float = 0.0,
    started: float | None = None,
) -> dict:
    """A redacted, msgpack-safe step; full tokens land in `redactor.vault`.

    `started`: when the exchange began (epoch seconds); now when not given."""
    revoke = name == "revoke"
    req_type = str((request_headers or {}).get("Content-Type", ""))
    res_type = str((response_headers or {}).get("Content-Type", ""))
    source, target = LANES.get(name, ("app", "provider"))
    return {
        "name": name,
        "title": STEP_TITLES.get(name, name),
        "kind": "browser" if source == "browser" else "server",
        "from": source,
        "to": target,
        "method": method,
        "url": redactor.url(url),
        "request_headers": redactor.headers(request_headers or {}),
        "request_body": redactor.body(request_body, req_type, revoke=revoke),
        "status": int(status),
        "response_headers": redactor.headers(response_headers or {}),
        "response_body": redactor.body(response_body, res_type),
        "duration_ms": round(float(duration_ms), 1),
        "tag": redactor.tag,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)) + "Z",
        "started": round(started if started is not None else time.time(), 3),
    }


def marker_re(step: dict) -> re.Pattern:
    """The markers the step's own redaction wrote (matching its tag); nothing else is a token."""
    tag = step.get("tag")
    if not isinstance(tag, str) or not re.fullmatch(r"[0-9a-f]{16}", tag):
        return NO_MATCH
    return re.compile(r"\[\[token:(\d+):" + tag + r"\]\]")


def shorten_markers(text: str, vault: dict[str, str], step: dict) -> str:
    """Replace the step's token markers with a shortened token (for exports and plain views)."""

    def short(match: re.Match) -> str:
        full = vault.get(f"{step['id']}.{match.group(1)}")
        if full:
            return shorten(full)
        return "$ID_TOKEN" if "id_token" in text[max(0, match.start() - 30) : match.start()] else "$ACCESS_TOKEN"

    return marker_re(step).sub(short, text or "")
