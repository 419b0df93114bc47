"""`run_drift`, the one drift entry point: a request in, a Report out, baseline applied, nothing printed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import BinaryIO

import pytest
from drift_support import REPO, envelope, example

from webhook_contracts.drift.baseline import unaccepted
from webhook_contracts.drift.run import DriftRequest, run_drift
from webhook_contracts.drift.scanner import DriftOptions
from webhook_contracts.errors import InputError, UsageError

EVENT = "customer.rewarded.loyalty_points"
SCHEMAS = REPO / "schemas"


def _drifting_log(path: Path) -> Path:
    data = example(EVENT)
    data["order"]["amount"] = "1"
    path.write_text(json.dumps(envelope(EVENT, data)) + "\n" + json.dumps(example(EVENT)) + "\n", "utf-8")
    return path


class _Display:
    """A progress display that remembers what it was told."""

    def __init__(self, total: int) -> None:
        self.total, self.read, self.closed = total, 0, 0

    def __call__(self, nbytes: int) -> None:
        self.read += nbytes

    def close(self) -> None:
        self.closed += 1


def test_a_written_baseline_accepts_the_run_and_is_read_back(tmp_path: Path) -> None:
    log = _drifting_log(tmp_path / "a.ndjson")
    accepted = tmp_path / "known.json"
    written = run_drift(DriftRequest((str(log),), SCHEMAS, write_baseline=accepted))
    assert written.findings and all(f.extra.get("baselined") for f in written.findings)
    assert written.summary["baseline_file"] == accepted.as_posix()
    assert unaccepted(written).findings == ()
    again = run_drift(DriftRequest((str(log),), SCHEMAS, baseline=accepted, baseline_name="known.json"))
    assert [f.fingerprint for f in again.findings] == [f.fingerprint for f in written.findings]
    assert again.summary["baseline_file"] == "known.json" and again.summary["baselined"] == len(again.findings)
    assert unaccepted(again).findings == ()
    plain = run_drift(DriftRequest((str(log),), SCHEMAS))
    assert "baselined" not in plain.summary and unaccepted(plain).findings == plain.findings


def test_the_progress_display_is_told_every_byte_and_closed(tmp_path: Path) -> None:
    log = _drifting_log(tmp_path / "a.ndjson")
    displays: list[_Display] = []

    def open_display(total: int) -> _Display:
        displays.append(_Display(total))
        return displays[-1]

    run_drift(DriftRequest((str(log),), SCHEMAS), progress=open_display)
    [display] = displays
    assert display.total == display.read == log.stat().st_size and display.closed == 1


def test_the_progress_display_is_closed_when_the_run_fails(tmp_path: Path) -> None:
    log = _drifting_log(tmp_path / "a.ndjson")
    displays: list[_Display] = []

    def open_display(total: int) -> _Display:
        displays.append(_Display(total))
        return displays[-1]

    request = DriftRequest((str(log),), SCHEMAS, options=DriftOptions(api_version="v1999-01-01"))
    with pytest.raises(UsageError, match="v1999-01-01"):
        run_drift(request, progress=open_display)
    assert [d.closed for d in displays] == [1]


def test_stdin_is_opened_only_when_it_is_an_input(tmp_path: Path) -> None:
    log = _drifting_log(tmp_path / "a.ndjson")
    opened: list[BinaryIO] = []

    def stdin() -> BinaryIO:
        opened.append(io.BytesIO(log.read_bytes()))
        return opened[-1]

    from_file = run_drift(DriftRequest((str(log),), SCHEMAS), stdin=stdin)
    assert opened == []
    from_stdin = run_drift(DriftRequest(("-",), SCHEMAS), stdin=stdin)
    assert len(opened) == 1
    assert [f.fingerprint for f in from_stdin.findings] == [f.fingerprint for f in from_file.findings]
    with pytest.raises(InputError, match="no standard input to read"):
        run_drift(DriftRequest(("-",), SCHEMAS))
