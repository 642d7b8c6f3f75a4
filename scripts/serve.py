"""`make serve`: the app under gunicorn with Redis sessions (production style).

- With no provider configured, it also starts the local provider (`python -m local_cognito`).
- With REDIS_URL unset and nothing answering on 127.0.0.1:6379, it starts a loopback
  redis-server for you. In production, point REDIS_URL at your own Redis.
- WORKERS (default 2), HOST and PORT set the gunicorn bind.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from dotenv import load_dotenv

import local_defaults

ROOT = Path(__file__).resolve().parent.parent


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
    if env["SESSION_BACKEND"] == "redis" and not env.get("REDIS_URL") and not _listening("127.0.0.1", 6379):
        binary = shutil.which("redis-server")
        if not binary:
            sys.exit("SESSION_BACKEND=redis needs Redis: set REDIS_URL, or install redis-server.")
        children.append(
            subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no"])
        )
        _wait("127.0.0.1", 6379, "redis-server")
    bind = f"{env.get('HOST') or '127.0.0.1'}:{env.get('PORT') or 5000}"
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
