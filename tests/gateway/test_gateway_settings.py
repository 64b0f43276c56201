"""Gateway settings from the environment, the production secret check, and the token CLI."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from gateway.identity.auth import InvalidCredentials, TokenVerifier
from gateway.identity.tokens import issue_token, main
from gateway.settings import DEVELOPMENT_JWT_SECRET, GatewaySettings
from services.common.settings import DEVELOPMENT_INTERNAL_SECRET
from services.members.settings import MembersSettings
from tests.gateway.fakes import SECRET

ROOT = Path(__file__).resolve().parents[2]
STRONG = "3b8c0f6e9d2a4c71b5e8f0a1d3c6e9b2"
SHARED_SECRET = "HUOLI_INTERNAL_SECRET"
STRONG_INTERNAL = "9a1f5c3e7b2d4f6a8c0e1b3d5f7a9c2e"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_") or name in {"JWT_SECRET", "HUOLI_ENV", SHARED_SECRET}:
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    "secret",
    ["", "changethis", "secret", "CHANGETHIS", "short-but-random-9f3a", DEVELOPMENT_JWT_SECRET],
)
def test_production_refuses_a_weak_secret(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("HUOLI_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", secret)
    monkeypatch.setenv("HUOLI_INTERNAL_SECRET", STRONG_INTERNAL)
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        GatewaySettings()


@pytest.mark.parametrize(
    "secret", ["", "changeme", "too-short-9f3a1c", DEVELOPMENT_INTERNAL_SECRET, STRONG]
)
def test_production_refuses_a_weak_or_reused_internal_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("HUOLI_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", STRONG)
    monkeypatch.setenv("HUOLI_INTERNAL_SECRET", secret)
    with pytest.raises(ValidationError, match="HUOLI_INTERNAL_SECRET"):
        GatewaySettings()
    if secret != STRONG:  # the services hold no JWT secret to compare with
        with pytest.raises(ValidationError, match="HUOLI_INTERNAL_SECRET"):
            MembersSettings()


def test_production_accepts_strong_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUOLI_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", STRONG)
    monkeypatch.setenv("HUOLI_INTERNAL_SECRET", STRONG_INTERNAL)
    settings = GatewaySettings()
    assert settings.jwt_secret == STRONG
    assert settings.internal_secret == STRONG_INTERNAL
    assert not settings.uses_development_secret
    assert MembersSettings().internal_secret == STRONG_INTERNAL


def test_development_falls_back_to_the_fixed_secrets() -> None:
    settings = GatewaySettings()
    assert settings.environment == "development"
    assert settings.jwt_secret == DEVELOPMENT_JWT_SECRET
    assert settings.internal_secret == DEVELOPMENT_INTERNAL_SECRET
    assert settings.uses_development_secret
    assert MembersSettings().internal_secret == DEVELOPMENT_INTERNAL_SECRET


def test_settings_come_from_prefixed_and_shared_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_MEMBERS_URL", "http://members:8001/")
    monkeypatch.setenv("GATEWAY_HTTP_TRANSPORT", "httpx")
    monkeypatch.setenv("GATEWAY_READ_TIMEOUT_SECONDS", "3.5")
    monkeypatch.setenv("JWT_SECRET", "from-the-environment")
    monkeypatch.setenv("MAX_BODY_BYTES", "4096")
    settings = GatewaySettings()
    assert settings.upstream_urls() == {
        "members": "http://members:8001",
        "content": "http://127.0.0.1:8002",
        "events": "http://127.0.0.1:8003",
        "scoring": "http://127.0.0.1:8004",
    }
    assert settings.http_transport == "httpx"
    assert settings.read_timeout_seconds == 3.5
    assert settings.connect_timeout_seconds == 2.0
    assert (settings.max_connections, settings.max_keepalive_connections) == (200, 100)
    assert settings.jwt_secret == "from-the-environment"
    assert settings.max_body_bytes == 4096


def test_an_unknown_transport_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_HTTP_TRANSPORT", "urllib")
    with pytest.raises(ValidationError, match="http_transport"):
        GatewaySettings()


def test_issued_tokens_verify_with_roles_and_expiry() -> None:
    token = issue_token("alice", secret=SECRET, roles=["platform_admin"], ttl_seconds=60)
    identity = TokenVerifier(secret=SECRET).identify({"authorization": f"Bearer {token}"})
    assert identity.subject == "alice"
    assert identity.roles == ("platform_admin",)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert 55 <= claims["exp"] - time.time() <= 60


def claims_printed_by(command: list[str]) -> dict[str, Any]:
    """Run a command that prints a token signed with SECRET; the token's claims."""
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "JWT_SECRET": SECRET},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    claims: dict[str, Any] = jwt.decode(completed.stdout.strip(), SECRET, algorithms=["HS256"])
    return claims


def test_the_token_cli_signs_with_jwt_secret() -> None:
    cli = [sys.executable, "-m", "gateway.identity.tokens"]
    claims = claims_printed_by(
        [*cli, "--sub", "alice", "--roles", "platform_admin,auditor", "--ttl", "120"]
    )
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["platform_admin", "auditor"]
    assert 110 <= claims["exp"] - time.time() <= 120


def test_the_token_cli_falls_back_to_the_development_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--sub", "bob"]) == 0
    token = capsys.readouterr().out.strip()
    assert jwt.decode(token, DEVELOPMENT_JWT_SECRET, algorithms=["HS256"])["sub"] == "bob"
    assert "roles" not in jwt.decode(token, DEVELOPMENT_JWT_SECRET, algorithms=["HS256"])


def test_the_token_cli_refuses_a_weak_production_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUOLI_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "changethis")
    assert main(["--sub", "bob"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "JWT_SECRET" in captured.err


def test_make_token_passes_the_user_and_roles_on() -> None:
    # -o: the installed environment is taken as up to date; this test checks the recipe only.
    claims = claims_printed_by(
        ["make", "-s", "-o", ".venv/.installed", "token", "SUB=bob", "ROLES=platform_admin,auditor"]
    )
    assert (claims["sub"], claims["roles"]) == ("bob", ["platform_admin", "auditor"])


# The gateway passes the user id and roles on in HTTP headers and refuses tokens naming any
# other (401): the CLI refuses to print such a token, saying why, rather than one that fails.
@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--sub", "josé"], "printable ASCII"),
        (["--sub", "小明"], "printable ASCII"),
        (["--sub", "a b"], "printable ASCII"),
        (["--sub", "x" * 129], "printable ASCII"),
        (["--sub", "bob", "--roles", "admin,bad role"], "'bad role'"),
        (["--sub", "bob", "--roles", ",".join(f"r{i}" for i in range(33))], "at most 32"),
    ],
)
def test_the_token_cli_refuses_what_the_gateway_would_refuse(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert reason in captured.err


def test_issue_token_refuses_a_subject_the_gateway_would_refuse() -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        issue_token("josé", secret=SECRET)
    # Signed some other way, the gateway refuses it: the two agree.
    signed = jwt.encode({"sub": "josé", "exp": time.time() + 60}, SECRET)
    with pytest.raises(InvalidCredentials, match="sub"):
        TokenVerifier(secret=SECRET).identify({"authorization": f"Bearer {signed}"})
