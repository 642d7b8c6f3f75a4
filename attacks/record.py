"""What a run records, redacted the moment it is recorded, as the trace redacts (tracing/redact.py).

An attacker's request becomes a trace `Step` (placeholders for secrets, codes and refresh tokens, tagged
markers for tokens) plus the shortened form of each of its tokens: the full tokens are dropped there and
then. A cookie header is recorded as a placeholder, a sign-in's password never (setup steps keep a label
and a status only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lab.display import shorten
from oauth.http import Reply
from tracing.exports import curl
from tracing.markers import placeholder_for
from tracing.model import Exchange, Step
from tracing.redact import Redactor

from .model import Prepared, Refusal, Target

REQUEST_HEADERS = ("authorization", "content-type", "origin")
RESPONSE_HEADERS = ("location", "content-type", "www-authenticate", "x-oauth-error")


def redactor(target: Target, refresh_tokens: list[str]) -> Redactor:
    """The trace's redactor for this app, plus the refresh tokens the run holds (victim's and attacker's)."""
    return Redactor(
        target.client_id,
        secrets=[target.client_secret, target.m2m_client_secret],
        refresh_tokens=refresh_tokens,
    )


def attack_step(target: Target, refresh_tokens: list[str], prepared: Prepared, reply: Reply) -> tuple[Step, list[str]]:
    """The request as it went on the wire (the prepared request's headers and body, the jar's cookies as a
    placeholder) and its answer, redacted; with the shortened forms of the tokens its markers stand for."""
    red = redactor(target, refresh_tokens)
    headers = {k: v for k, v in prepared.headers if k.lower() in REQUEST_HEADERS}
    if any(k.lower() == "cookie" for k in reply.request_headers):
        headers["Cookie"] = f"${prepared.via.upper()}_COOKIES"
    answer = {}
    for name, value in reply.headers.items():
        if name.lower() in RESPONSE_HEADERS:
            answer[name] = red.url(value) if name.lower() == "location" else value
    json_answer = "json" in (reply.headers.get("Content-Type") or "")
    exchange = Exchange(
        name="attack",
        method=prepared.method,
        url=prepared.url,
        request_headers=headers,
        request_body=prepared.body,
        status=reply.status,
        response_headers=answer,
        response_body=reply.body if json_answer else b"",
        duration_ms=reply.elapsed_ms,
    )
    step = Step.from_exchange(red, exchange)
    step = replace(step, title=prepared.title, source=prepared.via, target=prepared.target)
    return step, [shorten(token) for token in red.vault]


def shown(step: Step, shorts: list[str], text: str) -> str:
    """A recorded text with each token marker replaced by that token's shortened form."""

    def short(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return shorts[index] if index < len(shorts) else placeholder_for(text, match.start())

    return step.marker_re().sub(short, text or "")


def curl_of(step: Step) -> str:
    """The step as a curl command, every token a placeholder ($ID_TOKEN, $ACCESS_TOKEN) as in the trace."""

    def placeholders(text: str) -> str:
        return step.marker_re().sub(lambda m: placeholder_for(text, m.start()), text or "")

    return curl(
        replace(
            step,
            url=placeholders(step.url),
            request_headers={k: placeholders(v) for k, v in step.request_headers.items()},
            request_body=placeholders(step.request_body),
        )
    )


@dataclass
class Entry:
    """One arrow of the run's diagram, and for the attacker's requests the request itself.

    `kind`: "attack" (a request the attacker sent or made the victim's browser send), "setup" (the users'
    own sign-ins and page loads; label and status only) or "derived" (a call this app made, as its answer
    reported it)."""

    kind: str
    source: str
    target: str
    label: str
    status: str = ""
    step: Step | None = None
    shorts: list[str] | None = None
    refusal: Refusal | None = None
    accepted: str = ""  # what an accepted attacker request won (the attack succeeded)
    note: str = ""

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "label": self.label,
            "status": self.status,
            "step": self.step.to_dict() if self.step else None,
            "shorts": list(self.shorts or []),
            "refusal": vars(self.refusal) if self.refusal else None,
            "accepted": self.accepted,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        refusal = data.get("refusal")
        return cls(
            kind=str(data.get("kind", "setup")),
            source=str(data.get("source", "")),
            target=str(data.get("target", "")),
            label=str(data.get("label", "")),
            status=str(data.get("status", "")),
            step=Step.from_dict(data["step"]) if data.get("step") else None,
            shorts=[str(s) for s in data.get("shorts") or []],
            refusal=Refusal(**refusal) if isinstance(refusal, dict) else None,
            accepted=str(data.get("accepted", "")),
            note=str(data.get("note", "")),
        )
