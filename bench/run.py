"""`make bench` (`python -m bench.run` from the project root): one table of ratios, each measured
within this run (the machines are noisy).

1. Token verification cost against the floor: a raw `cryptography` RS256 verify.
2. /api/me against /api/health under gunicorn (2 workers) with wrk, with the verified-token cache
   on and off.
3. Provider calls per login: first login and warm login.
4. JWKS fetches under a flood of tokens with random unknown kids.
5. Session store cost per request: cachelib files, Redis, and Flask's signed cookie.

Everything listens on loopback and is started and stopped here.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jose import jwk, jws, jwt
from jose.utils import base64url_decode

import local_defaults
from local_cognito.keys import KeyRing, SigningKey
from local_cognito.pool import Grant, Pool
from local_cognito.settings import default_pool
from oauth.config import ClientConfig
from oauth.discovery import JwksCache
from oauth.presets import Presets
from oauth.tokens import verify_access_token, verify_id_token
from tests.support import build_stack, free_port, start_redis, stop

ROOT = Path(__file__).resolve().parent.parent

ROWS: list[tuple[str, str, str, str, str, str]] = []


def row(name: str, values: list[float], unit: str, ratio: str = "", target: str = "", met: str = "") -> None:
    med = statistics.median(values)
    ROWS.append((name, f"{med:,.1f} {unit}", f"{min(values):,.1f}–{max(values):,.1f}", ratio, target, met))


def paired_us(baseline, candidate, calls: int = 300, rounds: int = 21) -> tuple[list[float], list[float], list[float]]:
    """Time two functions back to back, round after round; the per-round ratios cancel CPU drift."""
    base, cand, ratios = [], [], []
    for _ in range(rounds):
        b = per_call_us(baseline, calls, 1)[0]
        c = per_call_us(candidate, calls, 1)[0]
        base.append(b)
        cand.append(c)
        ratios.append(c / b)
    return base, cand, ratios


def per_call_us(fn, calls: int, repeats: int = 7) -> list[float]:
    results = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        results.append((time.perf_counter() - started) / calls * 1e6)
    return results


# -- 1. verification cost -------------------------------------------------------------------------
def bench_verification() -> None:
    keys = KeyRing(None)
    config = default_pool("http://127.0.0.1:5000")
    pool = Pool(config, keys, "http://127.0.0.1:1")
    client = config["clients"][0]
    grant = Grant(client["client_id"], "demo", ["openid", "email"], int(time.time()), "o", "e", nonce="n")
    access = pool.access_token(client, grant)
    id_token = pool.id_token(client, grant, access)
    cache = JwksCache(keys.jwks)
    cache.key_for(keys.access_key.kid)  # keys built once per kid; no verified-token cache here

    def floor(token: str, key: SigningKey):
        public = key.signer().prepared_key.public_key()
        head, payload, sig = token.split(".")
        signature = base64url_decode(sig.encode())
        signing_input = f"{head}.{payload}".encode()
        return lambda: public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())

    cid = client["client_id"]
    app_client = ClientConfig(pool.issuer, cid, "", is_cognito=True, api_allowed_client_ids=(cid,))
    presets = Presets(app_client, cache)  # the rules the app builds: /api/me's, and a sign-in's
    access_rules = presets.api.access_token
    assert presets.sign_in.id_token is not None and access_rules is not None
    id_rules = presets.sign_in.id_token.rules(nonce="n", access_token=access)
    for label, token, key, kind, verify in (
        ("access token", access, keys.access_key, "access", lambda: verify_access_token(access, cache, access_rules)),
        ("ID token", id_token, keys.id_key, "id", lambda: verify_id_token(id_token, cache, id_rules)),
    ):
        assert verify().ok and len(verify().checks) == (9 if kind == "access" else 11), verify().checks
        target = 1.6 if kind == "access" else 2.0
        base, ours, ratios = paired_us(floor(token, key), verify)
        ratio = statistics.median(ratios)
        row(f"1. floor: cryptography RS256 verify ({label})", base, "µs")
        row(
            f"1. verify_{kind}_token, every check, keys built per kid",
            ours,
            "µs",
            f"{ratio:.2f}× floor (paired, {min(ratios):.2f}–{max(ratios):.2f})",
            f"≤ {target}×",
            "yes" if ratio <= target else "NO",
        )
        if kind == "access":
            naive_key = keys.access_key.public_jwk
            naive = per_call_us(
                lambda token=token, naive_key=naive_key: jwt.decode(
                    token, jwk.construct(naive_key, "RS256"), algorithms=["RS256"], options={"verify_aud": False}
                ),
                1000,
                5,
            )
            row(
                "1. (for contrast) jwt.decode + jwk.construct per call",
                naive,
                "µs",
                f"{statistics.median(naive) / statistics.median(base):.2f}× floor",
            )


# -- 2. /api/me under gunicorn ------------------------------------------------------------------
def wrk(url: str, token: str | None, seconds: int) -> tuple[float, float, float]:
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if token:
        at = args.index("wrk") + 1
        args[at:at] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout

    def found(pattern: str) -> re.Match[str]:
        match = re.search(pattern, out, re.M)
        if match is None:
            raise SystemExit(f"wrk printed no {pattern!r}:\n{out}")
        return match

    def latency(pct: str) -> float:
        value, unit = found(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)").groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(found(r"Requests/sec:\s+([\d.]+)").group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} non-2xx answers at {url}:\n{out}")
    return rps, latency("50"), latency("99")


def gunicorn(port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    stop(proc)
    raise SystemExit("gunicorn did not start")


def bench_api(work: Path, seconds: int = 3, rounds: int = 5) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    stack = build_stack(work / "api", KEYS)
    pool_file = work / "api" / local_defaults.POOL_FILE
    pool, client = stack.pool, stack.pool_config["clients"][0]
    grant = Grant(client["client_id"], "demo", ["openid"], int(time.time()), "o", "e")
    token = pool.access_token(client, grant)
    env = {**os.environ, "APP_URL": stack.url, "LOCAL_COGNITO_FILE": str(pool_file), "SECRET_KEY": "bench"}
    results: dict[str, list[tuple[float, float, float]]] = {
        "health": [],
        "health, no header": [],
        "cache on": [],
        "cache off": [],
    }
    servers = {}
    for name, size in (("cache on", "10000"), ("cache off", "0")):
        port = free_port()
        servers[name] = (port, gunicorn(port, {**env, "API_TOKEN_CACHE_SIZE": size, "INSTANCE_PATH": str(work / name)}))
    try:
        for port, _ in servers.values():  # warm-up: each worker fetches discovery + JWKS once
            wrk(f"http://127.0.0.1:{port}/api/me", token, 1)
        for _ in range(rounds):
            port = servers["cache on"][0]
            # the same request headers on both routes, so the ratio is the cost of authentication
            results["health"].append(wrk(f"http://127.0.0.1:{port}/api/health", token, seconds))
            results["health, no header"].append(wrk(f"http://127.0.0.1:{port}/api/health", None, seconds))
            for name, (port, _) in servers.items():
                results[name].append(wrk(f"http://127.0.0.1:{port}/api/me", token, seconds))
    finally:
        for _, proc in servers.values():
            stop(proc)
        stack.app_server.stop()
        stack.provider_server.stop()
    base = [r[0] for r in results["health"]]
    row(
        "2. /api/health (no auth), gunicorn 2 workers",
        base,
        "req/s",
        f"p50 {statistics.median(r[1] for r in results['health']):.2f} ms, "
        f"p99 {statistics.median(r[2] for r in results['health']):.2f} ms",
    )
    bare = [r[0] for r in results["health, no header"]]
    row(
        "2. /api/health without the 1 KB Authorization header",
        bare,
        "req/s",
        f"{statistics.median(b / a for a, b in zip(bare, base, strict=True)):.2f}× (what the header costs)",
    )
    for name in ("cache on", "cache off"):
        rps = [r[0] for r in results[name]]
        ratios = [a / b for a, b in zip(rps, base, strict=True)]
        target = "≥ 0.95×" if name == "cache on" else "(reported)"
        met = ("yes" if statistics.median(ratios) >= 0.95 else "NO") if name == "cache on" else ""
        row(
            f"2. /api/me, verified-token cache {name}",
            rps,
            "req/s",
            f"{statistics.median(ratios):.2f}× (p50 {statistics.median(r[1] for r in results[name]):.2f} ms, "
            f"p99 {statistics.median(r[2] for r in results[name]):.2f} ms)",
            target,
            met,
        )


# -- 3. provider calls per login ----------------------------------------------------------------
def bench_login_cost(work: Path) -> None:
    stack = build_stack(work / "login", KEYS)
    try:
        counts = []
        for _ in range(2):
            before = len(stack.exchanges)
            with requests.Session() as http:
                assert stack.login(http).headers["Location"] == "/dashboard"
            counts.append(Counter(r.step for r in stack.exchanges[before:]))
    finally:
        stack.app_server.stop()
        stack.provider_server.stop()
    for label, c in (("first login", counts[0]), ("warm login", counts[1])):
        text = f"discovery {c['discovery']}, JWKS {c['jwks']}, token {c['token']}"
        total = [float(sum(c.values()))]
        ok = label == "first login" or (c["token"] == 1 and sum(c.values()) == 1)
        row(
            f"3. provider calls, {label}",
            total,
            "calls",
            text,
            "exactly 1 token call" if label == "warm login" else "",
            ("yes" if ok else "NO") if label == "warm login" else "",
        )


# -- 4. JWKS flood ------------------------------------------------------------------------------
def bench_jwks_flood(work: Path, seconds: int = 30) -> None:
    stack = build_stack(work / "flood", KEYS)
    attacker = SigningKey.generate()
    statuses: Counter = Counter()
    deadline = time.monotonic() + seconds

    def flood() -> None:
        with requests.Session() as http:
            while time.monotonic() < deadline:
                token = jws.sign(
                    {"sub": "x", "token_use": "access"},
                    attacker.signer(),
                    headers={"kid": secrets.token_hex(8)},
                    algorithm="RS256",
                )
                statuses[http.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"}).status_code] += 1

    threads = [threading.Thread(target=flood) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        fetches = len(stack.steps("jwks"))
    finally:
        stack.app_server.stop()
        stack.provider_server.stop()
    per10 = fetches / (seconds / 10)
    served = sum(statuses.values())
    bad = sum(n for s, n in statuses.items() if s >= 500)
    row(
        f"4. JWKS fetches, {served:,} random-kid tokens in {seconds} s",
        [float(fetches)],
        "fetches",
        f"{per10:.2f} per 10 s; answers {dict(statuses)}",
        "≤ 1 per 10 s, no 5xx",
        "yes" if per10 <= 1.0 + 1e-9 + 10 / seconds and bad == 0 else "NO",
    )


# -- 5. session stores --------------------------------------------------------------------------
def bench_sessions(work: Path) -> None:
    import redis
    from cachelib import FileSystemCache
    from flask import Flask, session
    from flask_session import Session

    redis_proc, redis_url = start_redis(work)

    def make(kind: str) -> Flask:
        app = Flask(f"bench_{kind}")
        app.config.update(SECRET_KEY="bench", SESSION_PERMANENT=True)
        if kind == "cachelib":
            app.config.update(
                SESSION_TYPE="cachelib",
                SESSION_CACHELIB=FileSystemCache(str(work / "sessions"), threshold=100_000, mode=0o600),
            )
            Session(app)
        elif kind == "redis":
            app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(redis_url))
            Session(app)

        @app.get("/touch")
        def touch() -> str:
            session["n"] = session.get("n", 0) + 1
            return str(session["n"])

        return app

    try:
        results = {}
        for kind in ("cookie", "cachelib", "redis"):
            client = make(kind).test_client()
            client.get("/touch")
            results[kind] = per_call_us(lambda client=client: client.get("/touch"), 500, 5)
    finally:
        stop(redis_proc)
    base = statistics.median(results["cookie"])
    labels = {"cookie": "Flask signed cookie", "cachelib": "cachelib files", "redis": "Redis"}
    for kind, values in results.items():
        row(
            f"5. session read+write per request: {labels[kind]}",
            values,
            "µs",
            f"{statistics.median(values) / base:.2f}× cookie",
        )


def main(argv: list[str] | None = None) -> None:
    global KEYS
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="The benchmark table (all rows).")
    parser.add_argument(
        "--rows",
        default="1,2,3,4,5",
        help="comma-separated row numbers to run, e.g. --rows 1 while tuning verification (default: all)",
    )
    wanted = {part.strip() for part in parser.parse_args(argv).rows.split(",") if part.strip()}
    unknown = wanted - {"1", "2", "3", "4", "5"}
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; rows are 1 to 5")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        KEYS = work / "keys"
        KeyRing(KEYS)
        for number, bench in (
            ("1", lambda: bench_verification()),
            ("2", lambda: bench_api(work)),
            ("3", lambda: bench_login_cost(work)),
            ("4", lambda: bench_jwks_flood(work)),
            ("5", lambda: bench_sessions(work)),
        ):
            if number in wanted:
                bench()
    widths = [
        max(len(r[i]) for r in [("measure", "median", "min–max", "ratio", "target", "met"), *ROWS]) for i in range(6)
    ]
    header = ("measure", "median", "min–max", "ratio", "target", "met")
    print()
    for line in (header, tuple("-" * w for w in widths), *ROWS):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    print(f"\n{time.strftime('%Y-%m-%d')} · {cpu()} · {os.cpu_count()} cores · {time.monotonic() - started:.0f} s")


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


KEYS: Path
if __name__ == "__main__":
    main()
