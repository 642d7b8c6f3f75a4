"""Security headers on every response, and redirect URIs that no request header can change."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        {"Forwarded": "host=evil.example;proto=https"},
    ],
)
def test_request_headers_never_change_redirect_uris(stack, headers):
    for path, key in (("/login", "redirect_uri"), ("/implicit", "redirect_uri")):
        response = requests.get(stack.url + path, headers=headers, allow_redirects=False)
        if "Host" in headers:  # a Host outside TRUSTED_HOSTS is refused before anything is built
            assert response.status_code == 400 and "Location" not in response.headers
            continue
        q = parse_qs(urlsplit(response.headers["Location"]).query)
        assert q[key][0].startswith(stack.url + "/"), q[key]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/dashboard",
        "/callback",
        "/nope",
        "/api/me",
        "/api/session",
        "/static/style.css",
        "/trace",
        "/doctor",
        "/compare",
        "/implicit/callback",
        "/postman.json",
    ],
)
def test_every_response_carries_the_security_headers(stack, path):
    response = requests.get(stack.url + path, allow_redirects=False)
    assert response.status_code < 500
    csp = response.headers["Content-Security-Policy"]
    for part in (
        "default-src 'none'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert "Strict-Transport-Security" not in response.headers  # plain http on loopback


def test_method_not_allowed_and_oversized_bodies_are_clear_4xx(stack):
    assert requests.delete(stack.url + "/dashboard").status_code == 405
    big = requests.post(
        stack.url + "/api/implicit/verify", data="x" * (300 * 1024), headers={"Content-Type": "application/json"}
    )
    assert big.status_code in (403, 413)
