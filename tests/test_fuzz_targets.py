"""Every fuzz target of `tools/fuzz.py`, on a small fixed set of inputs (select them with `pytest -m fuzz`).

The inputs are derandomised, so a red run replays exactly; `python tools/fuzz.py TARGET --seconds N` fuzzes
longer. The last tests show that the targets catch what they are there to catch.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import pytest
from conftest import REPO
from drift_support import envelope, example

from webhook_contracts.drift import scanner as scan
from webhook_contracts.drift.fastpath import DriftGate, Pass

pytestmark = pytest.mark.fuzz
sys.path.insert(0, str(REPO / "tools"))

import fuzz_targets  # noqa: E402 - lives in tools/, put on the path above
from fuzz_inputs import CANARY, Line  # noqa: E402

#: Inputs per target: about two seconds of work each (the engine targets compile gates and fork workers).
EXAMPLES = {"logread": 40, "docpage": 40, "fastpath": 25, "native": 25, "jobs": 8, "gzip": 20, "documents": 25}
EVENT = "customer.rewarded.loyalty_points"


def _fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz", REPO / "tools" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_target_runs_in_ci() -> None:
    fuzz = _fuzz()
    assert set(EXAMPLES) == {*fuzz.SEEDS, *fuzz.GENERATED}


@pytest.mark.parametrize("target", sorted(EXAMPLES))
def test_target_on_fixed_inputs(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _fuzz().main([target, "--examples", str(EXAMPLES[target])]) == 0
    assert f"{target}: no crash in {EXAMPLES[target]} inputs" in capsys.readouterr().out


def _drifting() -> dict[str, Any]:
    data = example(EVENT)
    data["customer"]["object"] = "client"
    return data


def _line(value: Any, secret: str | None = None) -> Line:
    return Line(json.dumps(value).encode(), frozenset({secret} if secret else ()))


def test_the_fastpath_target_catches_a_gate_that_lets_drift_through(monkeypatch: pytest.MonkeyPatch) -> None:
    case = fuzz_targets.Case((_line(envelope(EVENT, example(EVENT))), _line(envelope(EVENT, _drifting()))))
    fuzz_targets.fastpath(case)
    monkeypatch.setattr(DriftGate, "check", lambda self, line: Pass(EVENT, 0, "webhook"))
    with pytest.raises(AssertionError, match="the gate let through a line with findings"):
        fuzz_targets.fastpath(case)


def test_the_jobs_target_catches_ranges_merged_without_their_line_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [_line(envelope(EVENT, _drifting())) for _ in range(6)]
    case = fuzz_targets.Case(tuple(lines))
    fuzz_targets.jobs(case)
    monkeypatch.setattr(scan, "shift", lambda where, lines: where)
    with pytest.raises(AssertionError, match="--jobs 1 and --jobs 2"):
        fuzz_targets.jobs(case)


def test_a_created_at_that_is_no_timestamp_never_reaches_a_report() -> None:
    """Found by the fastpath target: a location showed any text the envelope's `created_at` held."""
    drifting = envelope(EVENT, _drifting(), CANARY)
    bare = copy.deepcopy(_drifting())
    bare["created_at"] = CANARY
    fuzz_targets.fastpath(fuzz_targets.Case((_line(drifting, CANARY), _line(bare, CANARY))))
