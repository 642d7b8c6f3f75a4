"""A provider whose response header names are all lowercase on the wire (an HTTP/2 gateway, Envoy):
HTTP field names are case-insensitive (RFC 9110 §5.1), so every call works as with canonical names."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import pytest

from tests.support import LowercaseHeaders


@pytest.fixture
def lower(make_stack):
    return make_stack(provider_handler=LowercaseHeaders)


def raw_header_names(url: str) -> list[str]:
    """The response header names exactly as the server wrote them (requests would hide their case)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n")[0].decode().split("\r\n")[1:]
    return [line.split(":", 1)[0] for line in head]


def test_the_provider_really_sends_lowercase_names(lower):
    names = raw_header_names(lower.client.config.issuer + "/.well-known/openid-configuration")
    assert "content-type" in names and "date" in names
    assert all(name == name.lower() for name in names), names


def test_discovery_jwks_token_userinfo_and_revoke_work_with_lowercase_names(lower, http):
    """Discovery and JWKS (read at the callback), the token endpoint (code exchange, refresh), userInfo
    and revoke: each answer is read by its lowercase content-type; the refusals after the revoke come
    from the lowercase www-authenticate header and the JSON error body."""
    callback = lower.login(http)
    assert callback.status_code == 302, callback.text
    assert callback.headers["Location"].endswith("/dashboard")
    dashboard = http.get(lower.url + "/dashboard")
    assert dashboard.status_code == 200 and 'class="check bad"' not in dashboard.text
    assert lower.post(http, "/refresh").status_code == 302
    assert lower.post(http, "/userinfo").status_code == 302
    assert "demo@example.com" in http.get(lower.url + "/dashboard").text
    revoked = lower.post(http, "/revoke")
    assert revoked.headers["Location"].endswith("/revocation")
    lab = http.get(lower.url + "/revocation").text
    assert re.search(r'data-attempt="refresh">.*?refused: HTTP 400 <code>invalid_grant</code>', lab, re.S)
    assert re.search(r'data-attempt="userInfo">.*?refused: HTTP 401 <code>invalid_token</code>', lab, re.S)


def test_the_trace_reads_lowercase_names(lower, http):
    """The trace's likely cause comes from the provider's lowercase www-authenticate; HAR takes the
    mime type from its lowercase content-type."""
    lower.login(http)
    lower.post(http, "/revoke")
    http.get(lower.url + "/revocation")
    har = http.get(lower.url + "/trace.har").json()
    token_entries = [e for e in har["log"]["entries"] if e["request"]["url"].endswith("/oauth2/token")]
    assert token_entries and all(e["response"]["content"]["mimeType"] == "application/json" for e in token_entries)
    page = http.get(lower.url + "/trace").text
    assert "invalid_token: " in page
