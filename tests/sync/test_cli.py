"""`kb keygen`, `kb publish`, `kb status` and `sync` through `register()` on a fresh parser
(the same wiring mobile_app.cli uses), with exit codes 0 / 1 / 2."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.cli import register
from tests.sync.conftest import Env, base_files, v3_files, write_tree


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="mobile-app")
    top = parser.add_subparsers(dest="command", required=True)
    kb = top.add_parser("kb")
    register(top, kb.add_subparsers(dest="kb_command", required=True))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    code: int = args.func(args)
    return code


@pytest.fixture
def keyfile(env: Env) -> Path:
    path = env.tmp / "trusted.json"
    path.write_text(json.dumps(env.keys.to_json()))
    return path


def test_keygen_publish_sync_status_round_trip(
    env: Env, keyfile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keydir = env.tmp / "keys"
    assert run("kb", "keygen", "--out", str(keydir)) == 0
    out = capsys.readouterr().out
    entry = json.loads(out.strip().splitlines()[-1])
    assert entry["keyid"] in out
    assert run("kb", "keygen", "--out", str(keydir)) == 1  # never overwrites
    capsys.readouterr()

    trusted = env.tmp / "trusted-cli.json"
    trusted.write_text(json.dumps({"keys": [entry]}))
    src = write_tree(env.tmp / "src1", base_files())
    key = str(keydir / "publisher_ed25519.pem")
    assert run("kb", "publish", str(src), "--key", key, "--out", str(env.out),
               "--version", "2", "--note", "*=initial release") == 0
    assert "published version 2" in capsys.readouterr().out

    data = str(env.tmp / "appdata")
    assert run("sync", env.server.url, "--data-dir", data, "--keys", str(trusted)) == 0
    assert "installed version 2" in capsys.readouterr().out
    assert run("sync", env.server.url, "--data-dir", data, "--keys", str(trusted)) == 0
    assert "up to date (version 2)" in capsys.readouterr().out

    src3 = write_tree(env.tmp / "src3", v3_files())
    changelog = env.tmp / "changes.json"
    changelog.write_text(json.dumps({"hypocalcemia": "Calcium gluconate bolus now 20 mL."}))
    assert run("kb", "publish", str(src3), "--key", key, "--out", str(env.out),
               "--changelog", str(changelog)) == 0
    capsys.readouterr()
    assert run("sync", env.server.url, "--data-dir", data, "--keys", str(trusted), "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["state"] == "installed" and result["version"] == 3
    assert result["requests"] == 2
    assert result["changes"] == [{"id": "hypocalcemia", "path": "cards/hypocalcemia.json",
                                  "kind": "changed",
                                  "note": "Calcium gluconate bolus now 20 mL."}]

    assert run("kb", "status", "--data-dir", data, "--keys", str(trusted)) == 0
    out = capsys.readouterr().out
    assert "version:      3" in out and "source:       installed" in out
    assert "signature by trusted key" in out
    assert run("kb", "status", "--data-dir", data, "--keys", str(trusted), "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["version"] == 3 and status["pointer"]["previous"] == 2
    assert status["changes"] == {"hypocalcemia": "Calcium gluconate bolus now 20 mL."}

    # the built-in keys do not trust this test key: the installed pack is not served
    assert run("kb", "status", "--data-dir", data) == 1
    assert "problem:" in capsys.readouterr().out


def test_sync_rejection_exits_1(at_v2: Env, keyfile: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    data = str(at_v2.data)
    (at_v2.out / MANIFEST).write_text("{}")
    assert run("sync", at_v2.server.url, "--data-dir", data, "--keys", str(keyfile)) == 1
    assert capsys.readouterr().out.startswith("Update rejected:")


def test_data_dir_defaults_to_the_environment(at_v2: Env, keyfile: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BONEMETS_DATA_DIR", str(at_v2.data))
    assert run("kb", "status", "--keys", str(keyfile)) == 0
    assert "version:      2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ("sync", "ftp://example.org/"),
        ("sync", "http://127.0.0.1:1/", "--timeout", "0"),
        ("sync",),
        ("kb", "publish", "nowhere", "--key", "k", "--out", "o"),
        ("kb", "publish", ".", "--key", "k", "--out", "o", "--note", "no-equals-sign"),
        ("kb", "status", "--keys", "/nonexistent/keys.json"),
    ],
)
def test_usage_errors_exit_2(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*argv) == 2
    assert capsys.readouterr().err


def test_publish_refusal_exits_1(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    keydir = env.tmp / "keys"
    run("kb", "keygen", "--out", str(keydir))
    src = write_tree(env.tmp / "src", base_files())
    key = str(keydir / "publisher_ed25519.pem")
    assert run("kb", "publish", str(src), "--key", key, "--out", str(env.out)) == 1
    assert "refused: changed without a changelog entry" in capsys.readouterr().err
