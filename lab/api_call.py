"""What the call-another-API page shows of a call (oauth/outbound.py sends it): the request as it went, the
answer shortened and with the user's own tokens shortened, and one note for each thing the app did not do
(follow a redirect, read past the size or time limit, inflate a compressed body). Plain data, no Flask."""

from __future__ import annotations

from collections.abc import Iterable

from oauth.outbound import DEADLINE, MAX_ANSWER, Answer, Target

from .display import shorten

SHOWN_BODY = 4000  # characters of the answer shown on the page (the trace keeps up to 16 KB)
SHOWN_HEADERS = 40
SHOWN_VALUE = 300


def _hide(text: str, tokens: Iterable[str]) -> str:
    """`text` with each of the user's own tokens shortened, as every other page shows them."""
    for token in tokens:
        if token:
            text = text.replace(token, shorten(token))
    return text


def request_lines(target: Target, method: str, headers: dict[str, str], body: str, tokens: Iterable[str]) -> str:
    """The request as sent, the access token shortened."""
    lines = [f"{method} {target.url.split('#', 1)[0]}"]
    lines += [f"{k}: {_hide(v, tokens)}" for k, v in headers.items()]
    return "\n".join(lines) + (f"\n\n{body}" if body else "")


def body_text(answer: Answer) -> tuple[str, bool]:
    """The body as text for the page (decoded as UTF-8, or a line saying it is binary) and whether it was
    cut to SHOWN_BODY characters."""
    if not answer.body:
        return "", False
    try:
        text = answer.body.decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(answer.body)} bytes that are not UTF-8 text: not shown)", False
    return (text[:SHOWN_BODY], True) if len(text) > SHOWN_BODY else (text, False)


def notes(answer: Answer, shortened: bool) -> list[str]:
    """One sentence for each limit the answer met."""
    out = []
    if 300 <= answer.status < 400 and answer.header("Location"):
        out.append(
            f"Not followed: the app follows no redirect (it could lead to a URL nobody listed). "
            f"Location: {answer.header('Location')[:SHOWN_VALUE]}"
        )
    if answer.truncated == "size":
        out.append(f"Cut at {MAX_ANSWER // 1024} KB: the rest of the answer was not read.")
    if answer.truncated == "time":
        out.append(f"Cut after {DEADLINE:g} s: the answer was still coming, and was not waited for.")
    encoding = answer.header("Content-Encoding")
    if encoding and encoding.lower() != "identity":
        out.append(f"Compressed ({encoding[:40]}) although the app asked for none: shown as it came, not inflated.")
    if shortened:
        out.append(f"Shown up to {SHOWN_BODY} characters; the trace keeps more.")
    return out


def result(target: Target, method: str, body: str, answer: Answer, own_tokens: Iterable[str]) -> dict:
    """The page's record of a call that got an answer (kept in the session: strings and numbers only)."""
    tokens = [t for t in own_tokens if t]
    text, shortened = body_text(answer)
    headers = [(k, _hide(v[:SHOWN_VALUE], tokens)) for k, v in answer.headers[:SHOWN_HEADERS]]
    return {
        "ok": True,
        "request": request_lines(target, method, answer.request_headers, body, tokens),
        "address": answer.address,
        "status": answer.status,
        "reason": answer.reason[:100],
        "headers": [list(pair) for pair in headers],
        "body": _hide(text, tokens),
        "notes": notes(answer, shortened),
        "elapsed_ms": answer.elapsed_ms,
    }
