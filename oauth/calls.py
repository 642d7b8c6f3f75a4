"""A call prepared before it is sent: the object the presenter shows is the one sent.

Back-channel POSTs (token, revocation) carry a form; the setup doctor's probes are prepared GETs
(discovery, an authorize request read without following it, a sign-in page), sent the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from .http import Http, Reply, header

Endpoint = Literal["token", "revocation", "discovery", "authorize", "page"]


@dataclass(frozen=True)
class PreparedCall:
    """One server-to-server request, complete with client authentication, not yet sent.

    `step` names it in the trace (`token`, `refresh`, `revoke`, `client_credentials`, `doctor`); `endpoint`
    says how its reply is read (a token response, revocation's empty 200, or a probe's answer, read by
    oauth/probes.py). `form` and `headers` are ordered pairs, in the order they go on the wire (a GET
    has no form: its parameters are in the URL).
    """

    step: str
    endpoint: Endpoint
    method: str
    url: str
    form: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]

    def body(self) -> str:
        """The form, urlencoded, byte for byte what the provider receives."""
        return urlencode(self.form)

    def canonical(self) -> bytes:
        """Everything the call would put on the wire, as one unambiguous byte string (secrets included:
        keep it server-side, or MAC it)."""
        return json.dumps([self.step, self.method, self.url, self.form, self.headers]).encode()

    def header(self, name: str) -> str | None:
        """One header's value (names compare case-insensitively), or None."""
        return header(self.headers, name)


def prepare_get(step: str, endpoint: Endpoint, url: str, headers: tuple[tuple[str, str], ...] = ()) -> PreparedCall:
    """A GET of `url` (its query already in it), not yet sent."""
    return PreparedCall(step, endpoint, "GET", url, (), headers)


def send(http: Http, call: PreparedCall) -> Reply:
    """Put the prepared call on the wire as it is; the caller reads the reply."""
    if call.method == "GET":
        return http.request(call.step, "GET", call.url, headers=dict(call.headers))
    return http.request(call.step, call.method, call.url, data=call.body(), headers=dict(call.headers))
