"""A trace step as a value (`Step`), one browser's trace (`Trace`), and an exchange before redaction
(`Exchange`).

What is stored stays a plain dict (msgpack- and JSON-safe: files or Redis), so traces written
before this module existed still load. Reading a stored record is lenient: a field of the wrong
type gets its default, and a step without an integer id or a name is dropped, so an odd record
shows a shorter trace instead of an error page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lab.steps import LANES, STEP_TITLES
from oauth.http import header

from .redact import Redactor

TAG_RE = re.compile(r"[0-9a-f]{16}")
NO_MATCH = re.compile(r"(?!)")
PARTIES = ("browser", "app", "provider", "api")
KINDS = ("browser", "server")


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange as it happened, before redaction (full tokens and secrets included).

    `started`: when it began (epoch seconds); None means "now", when it is turned into a step."""

    name: str
    method: str
    url: str
    request_headers: Mapping[str, object] = field(default_factory=dict)
    request_body: str | bytes = ""
    status: int = 0
    response_headers: Mapping[str, object] = field(default_factory=dict)
    response_body: str | bytes = ""
    duration_ms: float = 0.0
    started: float | None = None


@dataclass
class Step:
    """One redacted exchange of a trace, as stored (see `to_dict`) and shown.

    `source`/`target` are the stored `from`/`to` lanes (browser, app, provider). `tag` is the
    random value of the redaction that wrote the step's token markers; `id` and `req` (which
    request recorded it) are given when the step is stored."""

    name: str
    method: str
    url: str
    title: str = ""
    kind: str = "server"
    source: str = "app"
    target: str = "provider"
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    duration_ms: float = 0.0
    tag: str = ""
    at: str = ""
    started: float | None = None
    probe: bool = False
    id: int = 0
    req: str = ""

    @classmethod
    def from_exchange(cls, redactor: Redactor, exchange: Exchange) -> Step:
        """A redacted step; full tokens land in `redactor.vault`."""
        revoke = exchange.name == "revoke"
        req_type = header(exchange.request_headers, "Content-Type") or ""
        res_type = header(exchange.response_headers, "Content-Type") or ""
        source, target = LANES.get(exchange.name, ("app", "provider"))
        started = exchange.started
        return cls(
            name=exchange.name,
            title=STEP_TITLES.get(exchange.name, exchange.name),
            kind="browser" if source == "browser" else "server",
            source=source,
            target=target,
            method=exchange.method,
            url=redactor.url(exchange.url),
            request_headers=redactor.headers(exchange.request_headers),
            request_body=redactor.body(exchange.request_body, req_type, revoke=revoke),
            status=int(exchange.status),
            response_headers=redactor.headers(exchange.response_headers),
            response_body=redactor.body(exchange.response_body, res_type),
            duration_ms=round(float(exchange.duration_ms), 1),
            tag=redactor.tag,
            at=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)) + "Z",
            started=round(started if started is not None else time.time(), 3),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form (the same keys, in the same order, as traces have always had)."""
        stored: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "from": self.source,
            "to": self.target,
            "method": self.method,
            "url": self.url,
            "request_headers": dict(self.request_headers),
            "request_body": self.request_body,
            "status": self.status,
            "response_headers": dict(self.response_headers),
            "response_body": self.response_body,
            "duration_ms": self.duration_ms,
            "tag": self.tag,
            "at": self.at,
            "started": self.started,
        }
        if self.probe:
            stored["probe"] = True
        stored["id"] = self.id
        stored["req"] = self.req
        return stored

    @classmethod
    def from_dict(cls, stored: object) -> Step | None:
        """A stored step, or None when it is not one (no integer id or no name). Fields of the wrong
        type get their defaults; lanes and kind outside the known ones come from the step's name."""
        if not isinstance(stored, Mapping):
            return None
        step_id, name = stored.get("id", 0), stored.get("name")
        if not isinstance(step_id, int) or isinstance(step_id, bool) or not isinstance(name, str) or not name:
            return None
        lanes = LANES.get(name, ("app", "provider"))
        source, target = _text(stored, "from"), _text(stored, "to")
        if source not in PARTIES or target not in PARTIES:
            source, target = lanes
        kind = _text(stored, "kind")
        status = stored.get("status")
        return cls(
            name=name,
            title=_text(stored, "title") or STEP_TITLES.get(name, name),
            kind=kind if kind in KINDS else ("browser" if source == "browser" else "server"),
            source=source,
            target=target,
            method=_text(stored, "method") or "GET",
            url=_text(stored, "url"),
            request_headers=_headers(stored.get("request_headers")),
            request_body=_text(stored, "request_body"),
            status=status if isinstance(status, int) and not isinstance(status, bool) else 0,
            response_headers=_headers(stored.get("response_headers")),
            response_body=_text(stored, "response_body"),
            duration_ms=_number(stored.get("duration_ms")) or 0.0,
            tag=_text(stored, "tag"),
            at=_text(stored, "at") or "1970-01-01T00:00:00Z",
            started=_number(stored.get("started")),
            probe=stored.get("probe") is True,
            id=step_id,
            req=_text(stored, "req"),
        )

    def marker_re(self) -> re.Pattern[str]:
        """The markers this step's own redaction wrote (matching its tag); nothing else is a token."""
        if not TAG_RE.fullmatch(self.tag):
            return NO_MATCH
        return re.compile(r"\[\[token:(\d+):" + self.tag + r"\]\]")


@dataclass
class Trace:
    """One browser's trace: the steps, the next step id, and the vault ("step.index": full token)."""

    next: int = 1
    steps: list[Step] = field(default_factory=list)
    vault: dict[str, str] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {"next": self.next, "steps": [s.to_dict() for s in self.steps], "vault": dict(self.vault)}

    @classmethod
    def from_record(cls, record: object) -> Trace:
        """A stored record ({"next", "steps", "vault"}); anything unreadable in it is left out."""
        if not isinstance(record, Mapping):
            return cls()
        raw_steps, raw_vault, following = record.get("steps"), record.get("vault"), record.get("next")
        steps = [s for s in map(Step.from_dict, raw_steps if isinstance(raw_steps, list) else []) if s is not None]
        vault = {k: v for k, v in (raw_vault.items() if isinstance(raw_vault, Mapping) else ()) if _strings(k, v)}
        highest = max((s.id for s in steps), default=0)
        following = following if isinstance(following, int) and not isinstance(following, bool) else 1
        return cls(next=max(following, highest + 1), steps=steps, vault=vault)

    def step(self, step_id: int) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


def _strings(*values: object) -> bool:
    return all(isinstance(v, str) for v in values)


def _text(stored: Mapping[str, Any], key: str) -> str:
    value = stored.get(key)
    return value if isinstance(value, str) else ""


def _number(value: object) -> float | None:
    """A stored number as it was (an int stays an int: the page shows it as stored), else None."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _headers(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if _strings(k, v)}
