"""The command line as users script against it: exit codes, `--json`, idempotent demo, import errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def ask_json(text: str, *, as_: str = "") -> tuple[int, dict]:
    code, out = run("ask", text, "--json", *(["--as", as_] if as_ else []))
    return code, json.loads(out)


@pytest.fixture
def demo(env_db: str) -> str:
    code, out = run("demo")
    assert code == 0, out
    return out


def test_demo_shows_a_digest_and_the_way_on_and_is_idempotent(demo: str) -> None:
    assert "Expansion digest — jakarta, 2026-11-24" in demo
    assert 'expansion-bot ask "prep Kopi Nusantara"' in demo
    _, before = ask_json("pipeline")
    code, again = run("demo")
    assert code == 0
    lines = [line for line in again.splitlines() if line.endswith("unchanged")]
    assert "catalog.yaml: unchanged" in lines
    assert len(lines) > 5 and all(" 0 added, 0 updated" in line for line in lines if ".csv" in line)
    assert ask_json("pipeline")[1] == before


def test_ask_json_is_the_contract(demo: str) -> None:
    code, reply = ask_json("expansion Kopi Nusantara")
    assert code == 0 and reply["ok"] is True and reply["command"] == "expansion"
    assert reply["account"] == {"id": "ID-001", "name": "Kopi Nusantara", "country": "ID"}
    best = reply["opportunities"][0]
    assert best["est_value"]["currency"] == "IDR" and best["est_value"]["amount"] > 0
    assert set(best["scores"]) == {"signal", "fit", "timing", "composite"}
    assert best["signals"] and all(s["evidence"] for s in best["signals"])
    assert reply["text"].startswith("Expansion — Kopi Nusantara")
    assert {b["action"] for b in reply["buttons"]} >= {"prep", "draft", "objection"}


def test_ask_draft_json_carries_the_draft_and_its_writer(demo: str) -> None:
    code, reply = ask_json("draft Kopi Nusantara whatsapp id")
    assert code == 0
    assert reply["writer"] == "offline" and reply["language"] == "id"
    assert reply["draft"]["channel"] == "whatsapp" and reply["draft"]["body"] in reply["text"]


def test_an_unknown_account_exits_1_with_suggestions(demo: str) -> None:
    code, reply = ask_json("prep Kopi")
    assert code == 1 and reply["ok"] is False
    assert "Kopi Nusantara" in reply["text"] and "Kedai Kopi Damai" in reply["text"]
    assert "Toko Roti Harum" not in reply["text"]  # shares letters with "Kopi", not the word
    code, out = run("ask", "prep Zzyzx Holdings")
    assert code == 1 and "Zzyzx" in out


def test_digest_json_for_a_team_and_day(demo: str) -> None:
    code, out = run("digest", "--team", "jakarta", "--date", "2026-11-24", "--json")
    assert code == 0
    digest = json.loads(out)
    assert digest["team"] == "jakarta" and digest["date"] == "2026-11-24"
    assert digest["items"] and all(i["owner"].endswith("@example.com") for i in digest["items"])
    assert run("digest", "--team", "atlantis")[0] == 1
    code, out = run("digest", "--date", "24/11/2026")
    assert code == 2 and "YYYY-MM-DD" in out


def test_a_bad_import_names_file_line_and_column_and_changes_nothing(demo: str, tmp_path: Path) -> None:
    before = ask_json("expansion Kopi Nusantara")[1]
    bad = tmp_path / "usage.csv"
    bad.write_text(
        "account_id,date,active_users,power_users,logins,actions,feature_adoption\n"
        "ID-001,2026-11-23,99,9,500,9000,0.9\n"
        "ID-001,2026-11-24,-3,1,1,1,0.5\n",
        encoding="utf-8",
    )
    code, out = run("import", str(bad))
    assert code == 1
    assert "usage.csv:3: active_users: must be a whole number ≥ 0" in out
    assert "nothing was changed" in out
    assert ask_json("expansion Kopi Nusantara")[1] == before  # the good row 2 was rolled back too


def test_a_configuration_error_is_one_clear_line(env_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    code, out = run("digest")
    assert code == 2
    assert "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not" in out


def test_the_example_env_file_works_as_it_is(demo: str, tmp_path: Path) -> None:
    """A new user copies .env.example to .env before filling anything in: it must not break a command."""
    example = Path(__file__).resolve().parents[1] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text("utf-8").replace("DATABASE_URL=", "#"), "utf-8")
    code, out = run("digest", "--team", "jakarta")
    assert code == 0, out
    assert "Expansion digest — jakarta" in out
