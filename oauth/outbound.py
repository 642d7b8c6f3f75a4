"""Calling another API with the user's access token, only where the operator allows it (API_CALL_ALLOWLIST).

The app then sends a bearer token to a URL a user typed, so every step is a refusal first:

- the URL must fall under an allowlist entry: an exact origin (`https://api.example.com`) or a URL prefix
  that ends at a path segment (`https://api.example.com/v1` covers `/v1` and `/v1/...`, never `/v1admin`);
  scheme, host and port compare exactly, so `127.0.0.1` does not cover `localhost` or `2130706433`;
- no user name or password in it, printable ASCII only (no CR, LF or spaces: nothing can reach a header
  line), no dot segments or encoded slashes in the path (a server that resolves them would leave the
  listed prefix behind);
- never the provider's token, revocation or userInfo endpoints, nor anything under `/oauth2/` on their
  hosts, even when listed;
- the host name is resolved once, every address it resolves to must be public (global), and the app
  connects to those very addresses (so a second DNS answer cannot move it: no DNS rebinding); a private,
  loopback or link-local address is reached only when the entry names it as a literal IP or as `localhost`;
- no redirect is followed, the answer is read up to MAX_ANSWER bytes and for DEADLINE seconds at most, and
  it is asked for uncompressed (a compressed one is shown as such, never inflated);
- GET, or POST with a body of at most MAX_BODY bytes in one of a few content types; no header the user picks.

No Flask, no trace: the views record the exchange; tests/test_api_call.py attacks each rule over real HTTP.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.response import BaseHTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

MAX_URL = 2048
MAX_BODY = 4096
MAX_ANSWER = 64 * 1024
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
DEADLINE = 10.0
METHODS = ("GET", "POST")
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "CognitoFlowLab (call another API)"

Resolver = Callable[[str, int], Sequence[str]]


class CallRefused(ValueError):
    """Not sent: the request breaks a rule (the message says which, in one sentence)."""


class CallFailed(Exception):
    """Sent (or tried) but no usable answer: the host did not resolve, refused, timed out, bad TLS."""


@dataclass(frozen=True)
class Entry:
    """One allowlist entry: an origin, and the path prefix under it ("/" for the whole origin)."""

    scheme: str
    host: str
    port: int
    path: str = "/"

    @property
    def text(self) -> str:
        return _origin(self.scheme, self.host, self.port) + (self.path if self.path != "/" else "")

    def covers(self, scheme: str, host: str, port: int, path: str) -> bool:
        if (scheme, host, port) != (self.scheme, self.host, self.port):
            return False
        if self.path == "/" or path == self.path:
            return True
        prefix = self.path if self.path.endswith("/") else self.path + "/"
        return path.startswith(prefix)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to send as the request line and Host header."""

    url: str
    scheme: str
    host: str
    port: int
    path_query: str
    entry: Entry

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"


@dataclass
class Answer:
    """What came back, bounded: `truncated` when it was cut at MAX_ANSWER bytes or at the deadline."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    elapsed_ms: float
    address: str
    truncated: str = ""  # "" or why the body was cut: "size" or "time"
    request_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _origin(scheme: str, host: str, port: int) -> str:
    name = f"[{host}]" if ":" in host else host
    return f"{scheme}://{name}" + ("" if port == DEFAULT_PORTS[scheme] else f":{port}")


def _printable_ascii(text: str) -> bool:
    return all(0x21 <= ord(ch) <= 0x7E for ch in text)


def _split(url: str) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, path, query) of an absolute http(s) URL, or ValueError saying what is wrong."""
    if not url or len(url) > MAX_URL:
        raise ValueError(f"a URL of 1 to {MAX_URL} characters is needed")
    if not _printable_ascii(url):
        raise ValueError("it may hold only printable ASCII, without spaces or line breaks (percent-encode the rest)")
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        raise ValueError("it must be an absolute http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError("it must not carry a user name or password (user@host)")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("its port is not a number from 1 to 65535") from None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise ValueError("it has no host")
    return parts.scheme, host, port, parts.path or "/", parts.query


def parse_allowlist(raw: str) -> tuple[Entry, ...]:
    """API_CALL_ALLOWLIST: origins or URL prefixes, separated by spaces or commas; ValueError names the bad one."""
    entries = []
    for item in raw.replace(",", " ").split():
        try:
            scheme, host, port, path, query = _split(item)
        except ValueError as exc:
            raise ValueError(f"{item[:100]!r}: {exc}") from None
        if query or "#" in item:
            raise ValueError(f"{item[:100]!r} must not carry a query or a fragment: list an origin or a path prefix")
        address = _ip(host)
        if address is not None and (address.is_unspecified or address.is_multicast):
            raise ValueError(f"{item[:100]!r}: {host} is not an address to call")
        if scheme == "http" and host != "localhost" and not (address is not None and address.is_loopback):
            raise ValueError(
                f"{item[:100]!r} uses http:// on a host that is not this machine: the access token would travel "
                "in the clear; use https://"
            )
        if _unsafe_path(path):
            raise ValueError(f"{item[:100]!r}: its path must not have dot segments or encoded slashes")
        entries.append(Entry(scheme, host, port, path))
    return tuple(dict.fromkeys(entries))


def _unsafe_path(path: str) -> bool:
    """Dot segments (raw or percent-encoded), backslashes or encoded slashes: a server may resolve them
    and leave the listed prefix behind."""
    lowered = path.lower()
    if "\\" in path or "%2f" in lowered or "%5c" in lowered:
        return True
    return any(unquote(segment) in (".", "..") for segment in path.split("/"))


def forbidden_endpoints(urls: Iterable[str | None]) -> tuple[tuple[str, str, int, str], ...]:
    """The provider's token, revocation and userInfo endpoints as (scheme, host, port, path), and the
    `/oauth2/` area of each of their hosts (Cognito's endpoints live there)."""
    out: list[tuple[str, str, int, str]] = []
    for url in urls:
        if not url:
            continue
        try:
            scheme, host, port, path, _ = _split(url)
        except ValueError:
            continue
        out += [(scheme, host, port, path.rstrip("/").lower()), (scheme, host, port, "/oauth2/")]
    return tuple(dict.fromkeys(out))


def check(url: str, allowlist: Sequence[Entry], forbidden: Sequence[tuple[str, str, int, str]] = ()) -> Target:
    """The URL as a Target, or CallRefused saying which rule it breaks. Nothing is resolved or sent."""
    if not allowlist:
        raise CallRefused("Calling other APIs is off: the operator lists the URLs it may call in API_CALL_ALLOWLIST.")
    url = url.split("#", 1)[0]  # a fragment never reaches a server
    try:
        scheme, host, port, path, query = _split(url)
    except ValueError as exc:
        raise CallRefused(f"This URL cannot be called: {exc}.") from None
    if _unsafe_path(path):
        raise CallRefused(
            "This URL cannot be called: its path has a dot segment (. or ..) or an encoded slash, which a server "
            "may resolve to a path outside the listed prefix."
        )
    lowered = path.rstrip("/").lower()
    for f_scheme, f_host, f_port, f_path in forbidden:
        if (scheme, host, port) == (f_scheme, f_host, f_port) and (
            lowered == f_path or (f_path.endswith("/") and (lowered + "/").startswith(f_path))
        ):
            raise CallRefused(
                "This URL is one of the provider's own endpoints (token, revocation, userInfo, or /oauth2/ on their "
                "host): the app never sends the access token there from this page, even when it is listed."
            )
    entry = next((e for e in allowlist if e.covers(scheme, host, port, path)), None)
    if entry is None:
        raise CallRefused(
            f"{_origin(scheme, host, port)}{path} is not under any URL the operator listed in API_CALL_ALLOWLIST "
            f"({', '.join(e.text for e in allowlist)})."
        )
    return Target(url, scheme, host, port, path + (f"?{query}" if query else ""), entry)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system's resolver, once)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def addresses(target: Target, resolver: Resolver = system_resolver) -> list[str]:
    """The addresses to connect to, resolved once and checked (CallRefused for a non-public one that the
    entry does not name; CallFailed when the name does not resolve)."""
    literal = _ip(target.host)
    if literal is not None:
        return [str(literal)]
    try:
        found = list(resolver(target.host, target.port))
    except (OSError, UnicodeError) as exc:
        raise CallFailed(f"{target.host} could not be resolved ({exc.__class__.__name__}).") from None
    if not found:
        raise CallFailed(f"{target.host} resolved to no address.")
    parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if target.host == "localhost":
        loopback = [str(a) for a in parsed if a.is_loopback]
        if not loopback:
            raise CallRefused("localhost resolved to no loopback address here; list the address itself.")
        return loopback
    private = [str(a) for a in parsed if not a.is_global or a.is_multicast]
    if private:
        raise CallRefused(
            f"{target.host} resolves to a non-public address ({private[0]}); the app calls a private, loopback or "
            "link-local address only when API_CALL_ALLOWLIST names it by address (or as localhost)."
        )
    return [str(a) for a in parsed]


def _connection(target: Target, address: str, ca_certs: str | None) -> HTTPConnection:
    timeout = CONNECT_TIMEOUT
    if target.scheme == "https":  # connect to the checked address; verify the certificate for the name
        return HTTPSConnection(
            address,
            target.port,
            timeout=timeout,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs,  # None: the system's trust store
        )
    return HTTPConnection(address, target.port, timeout=timeout)


def _read(response: BaseHTTPResponse, deadline: float) -> tuple[bytes, str]:
    """The body, up to MAX_ANSWER bytes and until `deadline` (monotonic): (bytes, why it was cut or "")."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() >= deadline:
            return b"".join(chunks), "time"
        try:
            chunk = response.read1(8192, decode_content=False)  # what has come so far: never waits for more
        except (OSError, Urllib3Error, http.client.HTTPException):
            if time.monotonic() >= deadline:
                return b"".join(chunks), "time"
            raise
        if not chunk:  # the end, or the watchdog shut the socket at the deadline
            return b"".join(chunks), "time" if time.monotonic() >= deadline else ""
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER:
            return b"".join(chunks)[:MAX_ANSWER], "size"


def send(
    target: Target,
    to: Sequence[str],
    method: str,
    token: str,
    body: str = "",
    content_type: str = "",
    *,
    ca_certs: str | None = None,
    deadline_seconds: float = DEADLINE,
) -> Answer:
    """Send the request with `Authorization: Bearer token` to the first of `to` (checked addresses) that
    answers. No redirect is followed; the answer is bounded in size and time."""
    if method not in METHODS:
        raise CallRefused(f"Only {' and '.join(METHODS)} are sent from here, not {method[:20]!r}.")
    headers = {
        "Host": target.host_header,
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, */*;q=0.5",
        "Accept-Encoding": "identity",
        "User-Agent": USER_AGENT,
    }
    payload = None
    if method == "POST":
        if content_type not in CONTENT_TYPES:
            raise CallRefused(f"A POST body is sent as one of {', '.join(CONTENT_TYPES)}.")
        payload = body.encode()
        if len(payload) > MAX_BODY:
            raise CallRefused(f"The body is {len(payload)} bytes; at most {MAX_BODY} are sent from here.")
        headers["Content-Type"] = content_type
    elif body:
        raise CallRefused("A GET carries no body; choose POST to send one.")
    began = time.monotonic()
    deadline = began + deadline_seconds
    failure = ""
    for address in to:
        conn = _connection(target, address, ca_certs)
        watchdog: threading.Timer | None = None
        try:
            conn.connect()
            sock = conn.sock  # kept: once the answer is being read, the connection hands it to the response
            if sock is not None:
                sock.settimeout(READ_TIMEOUT)
            # a server that answers a byte at a time is cut at the deadline: the socket is shut from here
            watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shut, (sock,))
            watchdog.daemon = True
            watchdog.start()
            conn.request(method, target.path_query, body=payload, headers=headers, preload_content=False)
            response = conn.getresponse()
            data, cut = _read(response, deadline)
            return Answer(
                status=response.status,
                reason=response.reason or "",
                headers=[(str(k), str(v)) for k, v in response.headers.items()],
                body=data,
                elapsed_ms=round((time.monotonic() - began) * 1000, 1),
                address=address,
                truncated=cut,
                request_headers=headers,
            )
        except (OSError, Urllib3Error, CertificateError, http.client.HTTPException) as exc:
            late = time.monotonic() >= deadline
            failure = f"no answer within {deadline_seconds:g} s" if late else _why(exc)
            if late:
                break
        finally:
            if watchdog is not None:
                watchdog.cancel()
            conn.close()
    raise CallFailed(f"{target.host}:{target.port} ({', '.join(to)}): {failure}.")


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):  # closed already
            sock.shutdown(socket.SHUT_RDWR)


def _why(exc: BaseException) -> str:
    """A failed connection in a few words (urllib3 wraps the socket's error; its cause says what happened)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in text.lower():
        return "connection refused"
    if any(isinstance(e, CertificateError) for e in chain) or "certificate" in text.lower():
        return "its TLS certificate was not valid for this name"
    if any(isinstance(e, TimeoutError) for e in chain) or "timed out" in text.lower():
        return "timed out"
    if any(isinstance(e, http.client.HTTPException) for e in chain):
        return f"the answer was not HTTP this client reads ({exc.__class__.__name__})"
    return (str(exc) or exc.__class__.__name__)[:200]
