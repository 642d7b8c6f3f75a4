"""`make serve`: the app under gunicorn with Redis sessions (production style).

- With no provider configured, it also starts the local provider (`python -m local_cognito`).
- With REDIS_URL unset, it runs its own redis-server, reachable only by this user: on a unix
  socket in `instance/redis/` (a folder of mode 0700, no TCP port), with a generated password
  (`instance/redis/password`, mode 0600 from the first byte). Its configuration goes to
  redis-server on standard input, so the password is never on a command line. Another
  `make serve` of the same instance folder finds it and shares it. In production, point
  REDIS_URL at your own Redis (`redis://:password@host:6379/0`, or `rediss://` for TLS).
- WORKERS (default 2), HOST and PORT set the gunicorn bind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import redis
from dotenv import load_dotenv

import local_defaults
from config import create_private

ROOT = Path(__file__).resolve().parent.parent
MAX_SOCKET_PATH = 100  # a unix socket's path must fit in 108 bytes (sun_path)


def _listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _wait(host: str, port: int, what: str) -> None:
    for _ in range(100):
        if _listening(host, port):
            return
        time.sleep(0.1)
    sys.exit(f"{what} did not start on {host}:{port}")


def _redis_password(folder: Path) -> str:
    path = folder / "password"
    if not path.exists():
        create_private(path, secrets.token_urlsafe(32).encode())  # 0600 from the first byte
    return path.read_text().strip()


def _answers(url: str) -> bool:
    try:
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def own_redis(instance: Path) -> tuple[subprocess.Popen | None, str]:
    """The Redis `make serve` runs when REDIS_URL is unset: (the process it started, or None when
    one of this instance folder already runs; its URL, password included)."""
    folder = instance.resolve() / "redis"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)  # (an older folder may have been made with the umask's mode)
    sock = folder / "redis.sock"
    if len(str(sock)) > MAX_SOCKET_PATH:
        sys.exit(
            f"The Redis socket path {sock} is too long for a unix socket: set REDIS_URL, or a shorter INSTANCE_PATH."
        )
    password = _redis_password(folder)
    url = f"unix://:{quote(password, safe='')}@{sock}?db=0"
    if sock.exists() and _answers(url):
        return None, url
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("SESSION_BACKEND=redis needs Redis: set REDIS_URL, or install redis-server.")
    sock.unlink(missing_ok=True)
    config = "\n".join(
        [
            "port 0",  # no TCP at all: only the socket, in a folder only this user can enter
            f'unixsocket "{sock}"',
            "unixsocketperm 700",
            f"requirepass {password}",
            'save ""',
            "appendonly no",
            f'dir "{folder}"',
        ]
    )
    proc = subprocess.Popen([binary, "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=folder)
    assert proc.stdin is not None
    proc.stdin.write(config.encode() + b"\n")
    proc.stdin.close()
    for _ in range(100):
        if _answers(url):
            return proc, url
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.terminate()
    sys.exit(f"redis-server did not start on {sock}")


def main() -> None:
    load_dotenv(ROOT / ".env", override=False)
    env = dict(os.environ)
    env.setdefault("SESSION_BACKEND", "redis")
    children: list[subprocess.Popen] = []
    python = str(ROOT / ".venv" / "bin" / "python")
    if not local_defaults.provider_configured(env):
        port = local_defaults.port(env)
        if not _listening("127.0.0.1", port):
            children.append(subprocess.Popen([python, "-m", "local_cognito", "--port", str(port)], cwd=ROOT, env=env))
            _wait("127.0.0.1", port, "The local provider")
    if env["SESSION_BACKEND"] == "redis" and not env.get("REDIS_URL"):
        proc, env["REDIS_URL"] = own_redis(Path(env.get("INSTANCE_PATH") or ROOT / "instance"))
        if proc is not None:
            children.append(proc)
    bind = f"{env.get('HOST') or '127.0.0.1'}:{env.get('PORT') or local_defaults.app_port(env)}"
    gunicorn = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers",
        env.get("WORKERS", "2"),
        "--bind",
        bind,
        "--access-logfile",
        "-",
        "app:create_app()",
    ]
    print(f"gunicorn on http://{bind} with SESSION_BACKEND={env['SESSION_BACKEND']}", flush=True)
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
    finally:
        for child in children:
            child.terminate()
            child.wait(timeout=10)


if __name__ == "__main__":
    main()
