"""One `requests.Session` for every call to the provider, with timeouts and size limits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import requests
from requests.structures import CaseInsensitiveDict

from .errors import ClientError
from .safejson import JsonRefused, loads

CONNECT_TIMEOUT = 3.05
MAX_BODY = 1024 * 1024


class ProviderError(ClientError):
    """The provider failed (down, slow, 5xx, not JSON, too big); shown as a 502 page."""

    def __init__(self, step: str, message: str):
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


def header(headers: Mapping[str, object] | Iterable[tuple[str, object]] | None, name: str) -> str | None:
    """The value of header `name` in any letter case (RFC 9110 §5.1: field names are case-insensitive;
    an HTTP/2 gateway or Envoy sends them all in lowercase), or None. Takes a mapping or (name, value)
    pairs: a Reply's headers, a stored trace step's, a prepared call's."""
    pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
    wanted = name.lower()
    return next((str(v) for k, v in pairs if str(k).lower() == wanted), None)


@dataclass
class Reply:
    """A provider response, read in full (bounded) so it can be shown and traced. `headers` is
    case-insensitive (`headers.get("Content-Type")` finds `content-type`), as HTTP says names are."""

    step: str
    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_ms: float
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""

    def __post_init__(self) -> None:
        self.headers = CaseInsensitiveDict(self.headers)

    def json(self) -> dict:
        """Parse the body as a JSON object, or raise ProviderError saying what came instead."""
        ctype = self.headers.get("Content-Type", "")
        if "json" not in ctype.lower():
            raise ProviderError(
                self.step, f"answered HTTP {self.status} with Content-Type {ctype or 'missing'}, not JSON"
            )
        try:
            data = loads(self.body)
        except JsonRefused as exc:
            raise ProviderError(self.step, f"answered HTTP {self.status} with JSON that is refused: {exc}") from None
        except ValueError:
            snippet = self.body[:80].decode("utf-8", "replace")
            raise ProviderError(
                self.step,
                f"answered HTTP {self.status} with a body that is not JSON "
                f"(Content-Type {ctype or 'missing'}): {snippet!r}",
            ) from None
        if not isinstance(data, dict):
            raise ProviderError(self.step, f"answered JSON that is not an object: {type(data).__name__}")
        return data


Observer = Callable[[Reply], None]


class Http:
    """Calls the provider; turns every transport failure into a ProviderError."""

    def __init__(self, timeout: float = 5.0, max_body: int = MAX_BODY):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "cognito-flow-lab/1.0"
        self.timeout = timeout
        self.max_body = max_body
        self.observers: list[Observer] = []

    def _notify(self, reply: Reply) -> None:
        for observer in self.observers:
            observer(reply)

    def request(self, step: str, method: str, url: str, **kwargs) -> Reply:
        """Send one request; observers see every attempt, failed ones with status 0."""
        started = time.monotonic()
        try:
            reply = self._send(step, method, url, started, **kwargs)
        except ProviderError as exc:
            self._notify(Reply(step, method, url, 0, {}, exc.message.encode(), (time.monotonic() - started) * 1000))
            raise
        self._notify(reply)
        return reply

    def _send(self, step: str, method: str, url: str, started: float, **kwargs) -> Reply:

        deadline = started + self.timeout + CONNECT_TIMEOUT
        try:
            response = self.session.request(
                method,
                url,
                timeout=(CONNECT_TIMEOUT, self.timeout),
                stream=True,
                allow_redirects=False,
                **kwargs,
            )
            with response:
                chunks, size = [], 0
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > self.max_body:
                        raise ProviderError(step, f"sent a body over {self.max_body // 1024} KiB")
                    if time.monotonic() > deadline:
                        raise ProviderError(step, f"took longer than {self.timeout:g} s to answer")
                    chunks.append(chunk)
        except requests.Timeout:
            raise ProviderError(step, f"did not answer within {self.timeout:g} s (timeout)") from None
        except requests.ConnectionError as exc:
            reason = type(exc).__name__
            raise ProviderError(step, f"could not be reached at {url} ({reason})") from None
        except requests.RequestException as exc:
            raise ProviderError(step, f"request failed: {type(exc).__name__}") from None
        prepared = response.request
        body = prepared.body if prepared is not None else ""
        reply = Reply(
            step=step,
            method=method,
            url=url,
            status=response.status_code,
            headers=response.headers,
            body=b"".join(chunks),
            elapsed_ms=(time.monotonic() - started) * 1000,
            request_headers=dict(prepared.headers) if prepared is not None else {},
            request_body=body.decode() if isinstance(body, bytes) else (body or ""),
        )
        return reply

    def get_json(self, step: str, url: str) -> dict:
        """GET a JSON document that must come back 200."""
        reply = self.request(step, "GET", url, headers={"Accept": "application/json"})
        if reply.status != 200:
            raise ProviderError(step, f"answered HTTP {reply.status} for {url}")
        return reply.json()
