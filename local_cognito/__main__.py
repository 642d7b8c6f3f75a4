"""Run the local provider alone: `python -m local_cognito [--port N] [--app-url URL]`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import local_defaults

from . import PoolFileError, create_provider_app, ensure_pool_file, lifetimes


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Cognito-compatible provider")
    parser.add_argument("--port", type=int, default=local_defaults.port(os.environ))
    parser.add_argument("--app-url", default=local_defaults.app_url(os.environ))
    parser.add_argument("--instance", default=os.environ.get("INSTANCE_PATH", "instance"))
    args = parser.parse_args()
    instance = Path(args.instance)
    pool_file = local_defaults.pool_file(os.environ, instance)  # the file the app reads (LOCAL_COGNITO_FILE)
    try:
        minutes = lifetimes.minutes_from_env(os.environ)  # LOCAL_TOKEN_MINUTES: expiry in minutes for a demo
    except lifetimes.LifetimeSettingError as exc:
        raise SystemExit(f"Configuration error: {exc}") from None
    try:
        pool = ensure_pool_file(pool_file, args.app_url.rstrip("/"), args.port)
        lifetimes.apply_minutes(pool, minutes)  # for this run only: the file keeps its own
        app = create_provider_app(pool, instance / "local_cognito_keys", f"http://127.0.0.1:{args.port}", pool_file)
    except PoolFileError as exc:
        raise SystemExit(f"The pool file {pool_file} cannot be used: {exc}") from None
    print(f"Local Cognito-compatible provider: issuer {pool['issuer']}")
    print(f"Users and app clients: {pool_file}")
    print(f"Tokens: {lifetimes.banner_line(pool, minutes)}")
    app.run(host="127.0.0.1", port=args.port, use_reloader=False)


if __name__ == "__main__":
    main()
