"""Real servers for the tests and the bench: WSGI apps on loopback ports, a misbehaving provider,
and a real redis-server."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import redis
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class LowercaseHeaders(WSGIRequestHandler):
    """Writes every response header name in lowercase on the wire (`content-type`, `date`,
    `www-authenticate`), as a provider behind an HTTP/2 gateway or Envoy sends them."""

    def send_header(self, keyword: str, value: str) -> None:
        super().send_header(keyword.lower(), value)


class LiveServer:
    """A WSGI server on 127.0.0.1:0 in a thread; the app can be set after binding."""

    def __init__(self, app: Callable | None = None, handler: type[WSGIRequestHandler] | None = None):
        self.app = app
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True, request_handler=handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def _dispatch(self, environ, start_response):
        return _closing(self.app(environ, start_response))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _closing(body: Iterable[bytes]) -> Iterator[bytes]:
    """The response body, closed even when the client hangs up mid-body: werkzeug's server then skips
    close(), so a static file stayed open until garbage collection (a ResourceWarning, which fails
    the test that happens to be running). The generator's `finally` runs when the server drops it."""
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def answer(body: bytes | str, status: int = 200, mimetype: str = "application/json", delay: float = 0):
    """A tiny WSGI app that answers one fixed response (optionally slowly): a misbehaving provider."""

    def app(environ, start_response):
        if delay:
            time.sleep(delay)
        return Response(body, status=status, mimetype=mimetype)(environ, start_response)

    return app


class TokenRewriter:
    """WSGI middleware: lets a test rewrite the provider's token-endpoint JSON, or make any
    path misbehave (`faults[path]` is a WSGI app answering instead of the provider)."""

    def __init__(self, app):
        self.app = app
        self.rewrite: Callable[[dict], dict] | None = None
        self.faults: dict[str, Callable] = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path in self.faults:
            return self.faults[request.path](environ, start_response)
        if self.rewrite is None or request.path != "/oauth2/token":
            return self.app(environ, start_response)
        inner = Response.from_app(self.app, environ)
        body = json.loads(inner.get_data())
        if inner.status_code == 200:
            body = self.rewrite(body)
        out = Response(json.dumps(body), status=inner.status_code, mimetype="application/json")
        return out(environ, start_response)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_certificate(directory: Path, names: tuple[str, ...] = (), stem: str = "redis") -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and the host `names`) and its key (PEM files `{stem}-cert.pem` and
    `{stem}-key.pem` in `directory`), for a TLS server in a test."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "127.0.0.1")])
    alternatives = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), *(x509.DNSName(n) for n in names)]
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alternatives), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{stem}-cert.pem", directory / f"{stem}-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def start_redis(
    directory: Path, port: int | None = None, *, password: str = "", tls: bool = False
) -> tuple[subprocess.Popen, str]:
    """Start a real redis-server on loopback (no persistence) and wait until it answers.

    With `password`, it requires it (the URL carries it); with `tls`, it speaks only TLS (a
    `rediss://` URL trusting a certificate made for it). The configuration goes in on standard
    input, so no password is on a command line."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: `make test` installs it (scripts/system-deps.sh)"
    port = port or free_port()
    config = ["bind 127.0.0.1", 'save ""', "appendonly no", f'dir "{directory}"']
    config += [f"requirepass {password}"] if password else []
    auth = f":{password}@" if password else ""
    if tls:
        cert, key = self_signed_certificate(directory)
        config += ["port 0", f"tls-port {port}", f'tls-cert-file "{cert}"', f'tls-key-file "{key}"']
        config += [f'tls-ca-cert-file "{cert}"', "tls-auth-clients no"]
        url = f"rediss://{auth}127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    else:
        config += [f"port {port}"]
        url = f"redis://{auth}127.0.0.1:{port}/0"
    proc = subprocess.Popen([binary, "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    proc.stdin.write("\n".join(config).encode() + b"\n")
    proc.stdin.close()
    with redis.Redis.from_url(url) as client:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)


ROOT = Path(__file__).resolve().parents[2]


def launch_app(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen, Path, dict[str, str]]:
    """`python app.py` (what `make run` runs) with the local provider on free ports and its files in
    `tmp_path`, plus `extra` environment; its output goes to the returned file. (The process, that file,
    its environment.)"""
    port, provider_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "APP_URL": f"http://localhost:{port}",
        "LOCAL_COGNITO_PORT": str(provider_port),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "LOCAL_COGNITO_FILE": str(tmp_path / "instance" / "local_cognito.json"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    for name in ("COGNITO_USER_POOL_ID", "OAUTH_ISSUER", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"):
        env[name] = ""  # the local provider, whatever a .env says (set values win over .env)
    out = tmp_path / "out.txt"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    return proc, out, env


def wait_until_healthy(port: str | int) -> None:
    """Until the app launched on `port` answers /api/health (up to 20 s)."""
    for _ in range(200):
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
