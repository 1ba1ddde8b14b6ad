"""`kb keygen`, `kb publish`, `kb release`, `kb status` and `sync` through `mobile_app.cli.main`
in-process, with exit codes 0 / 1 / 2; the deployment settings come from the environment
(`BONEMETS_TRUSTED_KEYS`, `BONEMETS_DATA_DIR`) or the options that override them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mobile_app.cli import main
from mobile_app.knowledge.loader import MANIFEST
from tests.sync.conftest import BOLUS, Env, base_files, v3_files, write_tree


def run(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        return int(exc.code or 0)


@pytest.fixture(autouse=True)
def _no_deployment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BONEMETS_DATA_DIR", "FLET_APP_STORAGE_DATA", "BONEMETS_TRUSTED_KEYS",
                 "BONEMETS_UPDATE_URL", "BONEMETS_TIMEOUT", "BONEMETS_SYNC_DEADLINE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def keyfile(env: Env) -> Path:
    path = env.tmp / "trusted.json"
    path.write_text(json.dumps(env.keys.to_json()))
    return path


def test_keygen_publish_sync_status_round_trip(
    env: Env, keyfile: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
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
    # the deployment's own root, as the app and every command read it
    monkeypatch.setenv("BONEMETS_TRUSTED_KEYS", str(trusted))
    assert run("kb", "publish", str(src), "--key", key, "--out", str(env.out),
               "--version", "2", "--note", "*=initial release") == 0
    out = capsys.readouterr().out
    assert "pending release 2" in out
    assert "publisher: 1 of 1 signature(s)" in out  # this one key holds both roles of root 1
    assert not (env.out / MANIFEST).exists()  # nothing is live before kb release
    assert run("kb", "release", str(env.out)) == 0
    assert "released version 2" in capsys.readouterr().out

    data = str(env.tmp / "appdata")
    assert run("sync", env.server.url, "--data-dir", data) == 0
    assert "installed version 2" in capsys.readouterr().out
    assert run("sync", env.server.url, "--data-dir", data) == 0
    assert "up to date (version 2)" in capsys.readouterr().out

    src3 = write_tree(env.tmp / "src3", v3_files())
    changelog = env.tmp / "changes.json"
    changelog.write_text(json.dumps({"hypocalcemia": "Calcium gluconate bolus now 20 mL."}))
    assert run("kb", "publish", str(src3), "--key", key, "--out", str(env.out),
               "--changelog", str(changelog)) == 0
    assert run("kb", "release", str(env.out)) == 0
    capsys.readouterr()
    monkeypatch.setenv("BONEMETS_DATA_DIR", data)
    assert run("sync", env.server.url, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["state"] == "installed" and result["version"] == 3
    assert result["requests"] == 3  # manifest, root/2.json (none), the changed card
    assert result["changes"] == [{"id": "hypocalcemia", "path": "cards/hypocalcemia.json",
                                  "kind": "changed",
                                  "note": "Calcium gluconate bolus now 20 mL."}]

    assert run("kb", "status") == 0
    out = capsys.readouterr().out
    assert "version:      3" in out and "source:       installed" in out
    assert f"signed by publisher {entry['keyid']} and clinical reviewer {entry['keyid']}" in out
    # card and search show what the app shows from that data directory
    def bolus(argv: tuple[str, ...]) -> str:
        assert run("card", "hypocalcemia", "--json", *argv) == 0
        card = json.loads(capsys.readouterr().out)
        return next(d["amount"] for s in card["sections"] for d in s.get("doses", [])
                    if d["drug"] == BOLUS)

    assert bolus(()) == "20"  # BONEMETS_DATA_DIR: the installed v3
    assert bolus(("--data-dir", data)) == "20"
    assert bolus(("--data-dir", str(env.tmp / "empty"))) != "20"  # nothing installed there
    assert run("kb", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["version"] == 3 and status["pointer"]["previous"] == 2
    assert status["changes"] == {"hypocalcemia": "Calcium gluconate bolus now 20 mL."}

    # the built-in root does not trust this test key: the installed pack is not served
    monkeypatch.delenv("BONEMETS_TRUSTED_KEYS")
    assert run("kb", "status", "--data-dir", data) == 1
    assert "problem:" in capsys.readouterr().out


def test_sync_rejection_exits_1(at_v2: Env, keyfile: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    data = str(at_v2.data)
    (at_v2.out / MANIFEST).write_text("{}")
    assert run("sync", at_v2.server.url, "--data-dir", data, "--trusted-keys", str(keyfile)) == 1
    assert capsys.readouterr().out.startswith("Update rejected:")


def test_data_dir_defaults_to_the_environment(at_v2: Env, keyfile: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BONEMETS_DATA_DIR", str(at_v2.data))
    assert run("kb", "status", "--trusted-keys", str(keyfile)) == 0
    assert "version:      2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ("sync", "ftp://example.org/"),
        ("sync", "http://127.0.0.1:1/", "--timeout", "0"),
        ("sync",),
        ("kb", "publish", "nowhere", "--key", "k", "--out", "o"),
        ("kb", "publish", ".", "--key", "k", "--out", "o", "--note", "no-equals-sign"),
        ("kb", "status", "--trusted-keys", "/nonexistent/keys.json"),
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
