"""`pathways route`: the offline CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main

from .helpers import body

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "referral.json"


def test_route_prints_the_referral_response(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", str(EXAMPLE), "--as-of", "2026-11-26"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["risk_level"] == "high"
    assert out["enhanced"] is True
    assert out["marac"]["due"] is True and out["marac"]["criterion"] == "score"
    # Reported on Saturday 21 November: 2 and 1 working days later.
    assert out["deadlines"] == {"refer_by": "2026-11-24", "first_update_by": "2026-11-23"}
    plan = out["plan"]
    assert plan["lead"] == "idva-cambridgeshire"
    for h in plan["handovers"]:
        assert {"service_id", "from", "needs", "mode", "explanation", "status"} <= set(h)
    assert plan["unmet"] == []


def test_route_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    main(["route", str(EXAMPLE), "--as-of", "2026-11-26"])
    first = capsys.readouterr().out
    main(["route", str(EXAMPLE), "--as-of", "2026-11-26"])
    assert capsys.readouterr().out == first


def test_bad_input_names_the_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = body(assessment={"dash_score": 30, "needs": {}})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    assert main(["route", str(path), "--as-of", "2026-11-26"]) == 2
    err = capsys.readouterr().err
    assert "assessment.dash_score" in err


@pytest.mark.parametrize("content", ["{not json", "[]"])
def test_unreadable_referrals_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["route", str(path)]) == 2
    assert capsys.readouterr().err.startswith("pathways route:")


def test_missing_file_and_bad_directory_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["route", str(tmp_path / "nope.json")]) == 2
    bad_dir = tmp_path / "dir.json"
    bad_dir.write_text(json.dumps({"version": "1", "services": [{"id": "x"}], "pathways": []}))
    assert main(["route", str(EXAMPLE), "--directory", str(bad_dir)]) == 2
    assert "services[0].provider_id" in capsys.readouterr().err


def test_bad_as_of_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", str(EXAMPLE), "--as-of", "tomorrow"]) == 2
