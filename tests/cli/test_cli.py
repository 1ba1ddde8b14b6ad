"""The mobile-app CLI: exit codes and streams, through ``main(argv)`` in this process (one test
runs the real ``python -m mobile_app`` entry point as a subprocess).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from mobile_app.cli import main

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def test_the_installed_entry_point_runs() -> None:
    p = subprocess.run([sys.executable, "-m", "mobile_app", "calc", "vitamin_d_plan",
                        "--input", '{"level": 12}', "--format", "text"], capture_output=True,
                       text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "50,000 IU once weekly for 8 weeks" in p.stdout


def test_calc_prints_the_result_as_json() -> None:
    p = cli("calc", "crcl_zoledronic", "--input",
            '{"age_years": 70, "weight_kg": 60, "sex": "female", "creatinine": 110, '
            '"creatinine_unit": "umol/L"}')
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    expected = (140 - 70) * 60 / (72 * (110 / 88.4)) * 0.85
    assert out["crcl_ml_min"] == pytest.approx(expected, rel=1e-12)
    assert expected < 40 and out["zoledronic_acid_dose_mg"] == 3.0  # 39.85 mL/min
    assert out["refs"]


def test_invalid_input_exits_2_with_one_line_naming_field_value_and_range() -> None:
    p = cli("calc", "crcl_zoledronic", "--input",
            '{"age_years": 70, "weight_kg": 60, "sex": "female", "creatinine": 183}')
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: creatinine:")
    assert "183" in lines[0] and "0.1–20 mg/dL" in lines[0] and "µmol/L" in lines[0]


@pytest.mark.parametrize("args", [
    ("calc", "nope", "--input", "{}"),
    ("calc", "sins", "--input", "{not json"),
    ("calc", "sins"),
    ("card", "nope"),
])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    p = cli(*args)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1


def test_calc_list_has_every_calculator_with_its_schema(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(["calc", "--list"]) == 0
    items = json.loads(capsys.readouterr().out)
    ids = {i["id"] for i in items}
    assert ids == {"sins", "mirels", "corrected_calcium", "crcl_zoledronic", "vitamin_d_plan",
                   "calcium_dosing", "bed_eqd2"}
    crcl = next(i for i in items if i["id"] == "crcl_zoledronic")
    props = crcl["input_schema"]["properties"]
    assert props["age_years"]["minimum"] == 18 and props["age_years"]["maximum"] == 120
    sins = next(i for i in items if i["id"] == "sins")
    assert "level" in sins["input_schema"]["properties"]


def test_cards_card_and_search(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cards"]) == 0
    listing = capsys.readouterr().out
    assert "hypocalcemia" in listing and "radiotherapy" in listing
    assert main(["card", "bone_targeted_agents"]) == 0
    text = capsys.readouterr().out
    assert "Sources:" in text and "Content v" in text and "last reviewed" in text
    assert main(["search", "zometa", "--json"]) == 0
    top3 = [h["id"] for h in json.loads(capsys.readouterr().out)][:3]
    assert "bone_targeted_agents" in top3 and "crcl_zoledronic" in top3


def test_kb_validate_bundled_and_a_broken_copy(tmp_path: Path) -> None:
    ok = cli("kb", "validate")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: content v")
    broken = tmp_path / "kb"
    shutil.copytree(ROOT / "mobile_app" / "knowledge" / "data", broken)
    target = broken / "cards" / "dexamethasone.json"
    target.write_bytes(target.read_bytes().replace(b"16", b"61", 1))
    bad = cli("kb", "validate", str(broken))
    assert bad.returncode == 1
    assert "dexamethasone.json: sha256/length differ from the manifest" in bad.stderr
