"""A step's token markers (`[[token:N:TAG]]`, see redact.py), made readable.

Exports replace them with a shortened token (`shorten_markers`); the trace page cuts a text into
segments (`segments`) that the `marks` macro in templates/_trace.html renders, a shortened token
with a reveal button when it is one of the viewer's own. Which markers count comes from the step
(its tag), never from the text alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from lab.display import shorten
from lab.steps import explain_params

from .model import Step


@dataclass(frozen=True)
class Segment:
    """A piece of a redacted text: plain `text`, or a token (`key` "step.index" into the vault, its
    `short` form, and whether the viewer may reveal it: one of their own current tokens)."""

    text: str = ""
    key: str = ""
    short: str = ""
    revealable: bool = False


def placeholder_for(text: str, start: int) -> str:
    """The placeholder of a token whose full value is gone: $ID_TOKEN after an id_token key or
    id_token_hint, else $ACCESS_TOKEN (the same set as the curl commands)."""
    return "$ID_TOKEN" if "id_token" in text[max(0, start - 30) : start] else "$ACCESS_TOKEN"


def _short(text: str, match: re.Match[str], vault: Mapping[str, str], step: Step) -> tuple[str, str, str]:
    """(key, full token or "", short form) of one marker."""
    key = f"{step.id}.{match.group(1)}"
    full = vault.get(key, "")
    return key, full, shorten(full) if full else placeholder_for(text, match.start())


def shorten_markers(text: str, vault: Mapping[str, str], step: Step) -> str:
    """Replace the step's token markers with a shortened token (for exports and plain views)."""
    text = text or ""
    return step.marker_re().sub(lambda match: _short(text, match, vault, step)[2], text)


def segments(text: str, step: Step, vault: Mapping[str, str], own: Collection[str]) -> list[Segment]:
    """`text` cut at the step's token markers: plain text, and each token shortened, revealable
    when its full value is one of `own` (the viewer's current tokens)."""
    text = text or ""
    out, last = [], 0
    for match in step.marker_re().finditer(text):
        if match.start() > last:
            out.append(Segment(text=text[last : match.start()]))
        key, full, short = _short(text, match, vault, step)
        out.append(Segment(key=key, short=short, revealable=bool(full) and full in own))
        last = match.end()
    if last < len(text):
        out.append(Segment(text=text[last:]))
    return out


@dataclass(frozen=True)
class MarkedStep:
    """Every text of a step the trace page shows, as segments: the URL, each header value, the
    bodies, and each request parameter (name, value, meaning)."""

    url: list[Segment]
    request_headers: list[tuple[str, list[Segment]]]
    request_body: list[Segment]
    response_headers: list[tuple[str, list[Segment]]]
    response_body: list[Segment]
    params: list[tuple[str, list[Segment], str]]


def marked(step: Step, vault: Mapping[str, str], own: Collection[str]) -> MarkedStep:
    """The step's texts cut into segments for the `marks` macro (see `segments`)."""

    def cut(text: str) -> list[Segment]:
        return segments(text, step, vault, own)

    return MarkedStep(
        url=cut(step.url),
        request_headers=[(k, cut(v)) for k, v in step.request_headers.items()],
        request_body=cut(step.request_body),
        response_headers=[(k, cut(v)) for k, v in step.response_headers.items()],
        response_body=cut(step.response_body),
        params=[(name, cut(value), meaning) for name, value, meaning in explain_params(step.url, step.request_body)],
    )
