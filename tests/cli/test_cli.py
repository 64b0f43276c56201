"""The operator CLI: its offline commands (migrate, token) and what its commands print."""

import sqlite3
import sys
from pathlib import Path

import jwt
import pytest
from rich.console import Console
from typer.testing import CliRunner

from gateway.settings import GatewaySettings
from huoli.cli import app, huoli_command, tier_policy_report, wau_line

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


def _printed(lines: list[object]) -> str:
    console = Console(width=200, record=True)
    for line in lines:
        console.print(line)
    return console.export_text()


def test_tier_policy_prints_names_beside_ids_and_says_what_already_ran() -> None:
    names = {"mbr_0a1b2c3d4e5f6a7b8c9d": "小林", "tier_gold": "金卡", "tier_silver": "银卡"}
    plan = {
        "moves": [
            {
                "member_id": "mbr_0a1b2c3d4e5f6a7b8c9d",
                "from_tier_id": "tier_silver",
                "to_tier_id": "tier_gold",
                "reason": "promoted",
                "score": 42.0,
            }
        ],
        "purged": [],
        "already_ran": [],
    }
    shown = _printed(tier_policy_report(plan, names, applied=False))
    assert "小林 (mbr_0a1b2c3d4e5f6a7b8c9d)" in shown  # the whole id, never cut short
    assert "银卡 (tier_silver)" in shown and "金卡 (tier_gold)" in shown
    assert "already ran" not in shown

    again = _printed(
        tier_policy_report(
            {"moves": [], "purged": [], "already_ran": ["promote", "demote"]}, names, applied=True
        )
    )
    assert "no moves" in again
    assert "already ran this period: promote, demote" in again


def test_health_says_the_wau_figures() -> None:
    report = {"wau": 59, "previous_wau": 40, "wau_change": 0.475}
    assert wau_line(report) == "WAU 59 (last week 40, change +48%)"
    assert wau_line({"wau": 3, "previous_wau": 0, "wau_change": None}).endswith("change n/a)")


def test_printed_hints_name_a_command_that_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sys, "argv", [".venv/bin/huoli", "seed"])
    assert huoli_command() == ".venv/bin/huoli"
    monkeypatch.setattr(sys, "argv", ["/somewhere/python", "-m", "huoli"])
    assert huoli_command() == ".venv/bin/huoli"
    bin_dir = Path(sys.executable).parent
    if (bin_dir / "huoli").exists():
        monkeypatch.setenv("PATH", str(bin_dir))
        assert huoli_command() == "huoli"
