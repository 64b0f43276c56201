"""The operator CLI's offline commands: migrate and token."""

import sqlite3
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from gateway.settings import GatewaySettings
from huoli.cli import app

runner = CliRunner()


def test_token_is_one_the_gateway_accepts() -> None:
    result = runner.invoke(app, ["token", "--sub", "alice", "--roles", "platform_admin"])
    assert result.exit_code == 0, result.output
    settings = GatewaySettings()
    claims = jwt.decode(
        result.output.strip(),
        settings.jwt_secret,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
    )
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["platform_admin"]


def test_token_refuses_a_subject_the_gateway_would_refuse() -> None:
    result = runner.invoke(app, ["token", "--sub", "张三"])
    assert result.exit_code == 2
    assert "not acceptable" in result.output


def test_migrate_one_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "members.db"
    monkeypatch.setenv("MEMBERS_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    result = runner.invoke(app, ["migrate", "--service", "members"])
    assert result.exit_code == 0, result.output
    assert "members: migrated" in result.output
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"community", "membership"} <= tables
    # A second run finds the schema at head and changes nothing.
    assert runner.invoke(app, ["migrate", "--service", "members"]).exit_code == 0


def test_migrate_names_an_unknown_service() -> None:
    result = runner.invoke(app, ["migrate", "--service", "billing"])
    assert result.exit_code == 2
    assert "billing" in result.output
