"""Settings: defaults, Cognito shorthand, and clear errors for bad values."""

from __future__ import annotations

import json

import pytest

from config import ConfigError, cognito_issuer, load_settings


@pytest.fixture
def env(tmp_path) -> dict:
    return {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"}


def test_pool_id_gives_cognito_issuer_and_region(env):
    s = load_settings({**env, "COGNITO_USER_POOL_ID": "eu-west-1_AbC123", "OAUTH_CLIENT_ID": "c"})
    assert s.client.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert s.client.is_cognito and not s.client.local_provider
    s = load_settings(
        {
            **env,
            "COGNITO_USER_POOL_ID": "eu-west-1_AbC123",
            "COGNITO_REGION": "us-east-2",
            "OAUTH_CLIENT_ID": "c",
        }
    )
    assert s.client.issuer.startswith("https://cognito-idp.us-east-2.amazonaws.com/")


def test_defaults(env):
    s = load_settings({**env, "OAUTH_ISSUER": "https://id.example.com", "OAUTH_CLIENT_ID": "c"})
    assert s.client.scopes == ("openid", "email", "profile")
    assert s.client.client_auth == "client_secret_basic"
    assert s.client.app_url == "http://localhost:5000"
    assert s.client.redirect_uri == "http://localhost:5000/callback"
    assert s.client.implicit_redirect_uri == "http://localhost:5000/implicit/callback"
    assert s.session_backend == "cachelib"
    assert not s.client.is_cognito and not s.secure_cookies
    assert s.client.jwks_max_age == 600
    assert s.trusted_hosts == ["localhost", "127.0.0.1"]


def test_port_alone_or_a_loopback_app_url_alone_say_where_the_app_is(env):
    """`PORT=5001 make run` without APP_URL gave redirect URIs and a banner on port 5000 (found by a docs pass);
    APP_URL=http://localhost:5100 alone listened on 5000. Each now follows the other; a proxy's APP_URL does not."""
    only_port = load_settings({**env, "PORT": "5001"})
    assert only_port.port == 5001 and only_port.client.app_url == "http://localhost:5001"
    assert only_port.client.redirect_uri == "http://localhost:5001/callback"
    only_url = load_settings({**env, "APP_URL": "http://localhost:5100"})
    assert only_url.port == 5100 and only_url.client.app_url == "http://localhost:5100"
    both = load_settings({**env, "APP_URL": "http://localhost:5100", "PORT": "5200"})  # behind a local proxy
    assert both.port == 5200 and both.client.app_url == "http://localhost:5100"
    proxied = load_settings({**env, "APP_URL": "https://lab.example.com"})
    assert proxied.port == 5000 and proxied.client.app_url == "https://lab.example.com"


def test_jwks_max_age_and_trusted_hosts(env):
    base = {**env, "OAUTH_ISSUER": "https://id.example.com", "OAUTH_CLIENT_ID": "c"}
    assert load_settings({**base, "JWKS_MAX_AGE": "60"}).client.jwks_max_age == 60
    public = load_settings({**base, "APP_URL": "https://lab.example.com"})
    assert public.trusted_hosts == ["lab.example.com"]


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({"COGNITO_USER_POOL_ID": "AbC123"}, "COGNITO_USER_POOL_ID"),
        ({"COGNITO_USER_POOL_ID": "_AbC123"}, "COGNITO_USER_POOL_ID"),
        ({"OAUTH_ISSUER": "not a url"}, "OAUTH_ISSUER"),
        ({"OAUTH_ISSUER": "http://id.example.com"}, "OAUTH_ISSUER"),
        ({"OAUTH_ISSUER": "https://id.example.com?x=1"}, "OAUTH_ISSUER"),
        ({"OAUTH_ISSUER": "https://id.example.com", "APP_URL": "ftp://x"}, "APP_URL"),
        ({"OAUTH_ISSUER": "https://id.example.com", "APP_URL": "http://localhost:5000/app"}, "APP_URL"),
        (
            {"OAUTH_ISSUER": "https://id.example.com", "OAUTH_CLIENT_AUTH": "private_key_jwt"},
            "OAUTH_CLIENT_AUTH",
        ),
        ({"OAUTH_ISSUER": "https://id.example.com", "SESSION_BACKEND": "filesystem"}, "SESSION_BACKEND"),
        ({"OAUTH_ISSUER": "https://id.example.com", "PORT": "http"}, "PORT"),
        (
            {"OAUTH_ISSUER": "https://id.example.com", "COGNITO_DOMAIN": "http://auth.example.com"},
            "COGNITO_DOMAIN",
        ),
        ({"OAUTH_ISSUER": "https://id.example.com", "OAUTH_CLIENT_ID": ""}, "OAUTH_CLIENT_ID"),
        ({"OAUTH_ISSUER": "https://id.example.com", "JWKS_MAX_AGE": "0"}, "JWKS_MAX_AGE"),
        ({"OAUTH_ISSUER": "https://id.example.com", "JWKS_MAX_AGE": "10m"}, "JWKS_MAX_AGE"),
        ({"OAUTH_ISSUER": "https://id.example.com", "APP_URL": "http://[::1]:5000"}, "APP_URL.*IPv6"),
    ],
)
def test_bad_values_name_the_setting(env, extra, names):
    values = {**env, "OAUTH_CLIENT_ID": "c", **extra}
    with pytest.raises(ConfigError, match=names):
        load_settings(values)


def test_http_issuer_allowed_on_loopback(env):
    for host in ("localhost", "127.0.0.1"):
        s = load_settings({**env, "OAUTH_ISSUER": f"http://{host}:9000/pool", "OAUTH_CLIENT_ID": "c"})
        assert s.client.issuer == f"http://{host}:9000/pool"


def test_cognito_domain_gets_https(env):
    s = load_settings(
        {
            **env,
            "COGNITO_USER_POOL_ID": "eu-west-1_A1",
            "OAUTH_CLIENT_ID": "c",
            "COGNITO_DOMAIN": "x.auth.eu-west-1.amazoncognito.com",
        }
    )
    assert s.client.cognito_domain == "https://x.auth.eu-west-1.amazoncognito.com"


def test_local_provider_when_nothing_is_configured(env, tmp_path):
    not_started = load_settings(env)  # the local provider has not written its file yet
    assert not_started.client.local_provider and not_started.client.client_id == ""
    assert not_started.client.issuer == "http://127.0.0.1:5055/us-east-1_LocalDemo"
    (tmp_path / "local_cognito.json").write_text(
        json.dumps(
            {
                "issuer": "http://127.0.0.1:5055/us-east-1_LocalDemo",
                "clients": [{"client_id": "abc", "client_secret": "shh"}],
                "users": [{"username": "demo", "password": "pw"}],
            }
        )
    )
    s = load_settings(env)
    assert s.client.local_provider and s.client.is_cognito
    assert (s.client.issuer, s.client.client_id, s.client.client_secret) == (
        "http://127.0.0.1:5055/us-east-1_LocalDemo",
        "abc",
        "shh",
    )
    assert "shh" not in repr(s)


def test_secret_key_is_generated_and_kept(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "OAUTH_ISSUER": "https://id.example.com", "OAUTH_CLIENT_ID": "c"}
    first = load_settings(env).secret_key
    assert len(first) > 40
    assert load_settings(env).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_https_app_url_means_secure_cookies(env):
    s = load_settings(
        {
            **env,
            "OAUTH_ISSUER": "https://id.example.com",
            "OAUTH_CLIENT_ID": "c",
            "APP_URL": "https://lab.example.com",
        }
    )
    assert s.secure_cookies


def test_cognito_issuer_helper():
    assert cognito_issuer("us-east-1_X") == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X"
    with pytest.raises(ConfigError):
        cognito_issuer("nope")


def test_before_the_local_provider_starts_its_issuer_follows_local_cognito_port(env):
    assert (
        load_settings({**env, "LOCAL_COGNITO_PORT": "6123"}).client.issuer
        == "http://127.0.0.1:6123/us-east-1_LocalDemo"
    )


def test_the_local_provider_writes_the_pool_file_the_app_reads(tmp_path):
    """`python -m local_cognito` (make serve starts it so) honours LOCAL_COGNITO_FILE, as config.py does."""
    import subprocess
    import sys
    import time

    from tests.support import free_port

    pool_file = tmp_path / "elsewhere" / "pool.json"
    pool_file.parent.mkdir()
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path / "instance"), "LOCAL_COGNITO_FILE": str(pool_file)}
    process = subprocess.Popen(
        [sys.executable, "-m", "local_cognito", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not pool_file.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert pool_file.exists(), "the provider did not write LOCAL_COGNITO_FILE"
        assert not (tmp_path / "instance" / "local_cognito.json").exists()
        assert json.loads(pool_file.read_text())["issuer"] == f"http://127.0.0.1:{port}/us-east-1_LocalDemo"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


# -- issue 21: issuer forms and emulator endpoints -------------------------------------------------

POOL = {"COGNITO_USER_POOL_ID": "eu-west-1_AbC123", "OAUTH_CLIENT_ID": "abc"}


def test_the_updated_issuer_form(env):
    settings = load_settings({**env, **POOL, "COGNITO_ISSUER_TYPE": "UPDATED"})
    assert settings.client.issuer == "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert settings.client.discovery_url == settings.client.issuer + "/.well-known/openid-configuration"
    assert (
        load_settings({**env, **POOL}).client.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    )


def test_oauth_issuer_of_the_other_form_says_which_setting_to_change(env):
    updated = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    with pytest.raises(ConfigError) as refused:
        load_settings({**env, **POOL, "OAUTH_ISSUER": updated})
    assert "set COGNITO_ISSUER_TYPE=UPDATED instead" in str(refused.value)
    both = load_settings({**env, **POOL, "OAUTH_ISSUER": updated, "COGNITO_ISSUER_TYPE": "updated"})
    assert both.client.issuer == updated
    with pytest.raises(ConfigError, match="must be ORIGINAL or UPDATED"):
        load_settings({**env, **POOL, "COGNITO_ISSUER_TYPE": "NEW"})


@pytest.mark.parametrize(
    "variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDP", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"]
)
def test_discovery_comes_from_an_endpoint_override_only_on_loopback(env, variable):
    """An emulator (MiniStack) serves the AWS-form issuer from http://127.0.0.1:PORT/{pool}."""
    settings = load_settings({**env, **POOL, variable: "http://127.0.0.1:4566/"})
    assert settings.client.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"  # what tokens carry
    assert settings.client.discovery_url == "http://127.0.0.1:4566/eu-west-1_AbC123/.well-known/openid-configuration"
    # an override elsewhere is AWS itself (a VPC or FIPS endpoint for boto3): discovery stays at the issuer
    remote = load_settings({**env, **POOL, variable: "https://cognito-idp-fips.eu-west-1.amazonaws.com"})
    assert remote.client.discovery_url == remote.client.issuer + "/.well-known/openid-configuration"
    # and without a pool id the override means nothing to the app
    plain = load_settings(
        {**env, "OAUTH_ISSUER": "https://login.example.com", "OAUTH_CLIENT_ID": "x", variable: "http://127.0.0.1:4566"}
    )
    assert plain.client.discovery_url == "https://login.example.com/.well-known/openid-configuration"
