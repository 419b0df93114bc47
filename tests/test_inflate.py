"""Gzip inflates to the same lines and the same errors with python-isal and with zlib.

The gzip thread uses ISA-L's inflater when python-isal is installed (the
`fast` extra) and zlib otherwise (or with `WEBHOOK_CONTRACTS_ISAL=0`); drift
reports must not tell which ran. Each stream below, good or broken, is
inflated both ways and compared chunk by chunk, error included, and the CLI's
report on each is compared as bytes.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from webhook_contracts.cli import main
from webhook_contracts.drift import inflate
from webhook_contracts.drift.inflate import ENV, GZIP_ERRORS, inflater_module, inflating
from webhook_contracts.drift.sources import build_sources

isal_zlib = pytest.importorskip("isal.isal_zlib", reason="python-isal (the `fast` extra) is not installed")

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-log" / "production.ndjson"
ROOT = Path(__file__).resolve().parent.parent


def _lines(count: int) -> bytes:
    return b"".join(b'{"type": "no.such.event", "data": {"n": %d}}\n' % i for i in range(count))


def _whole() -> bytes:
    return gzip.compress(SAMPLE.read_bytes(), mtime=0)


def _truncated() -> bytes:
    whole = gzip.compress(_lines(20_000), mtime=0)
    return whole[: len(whole) // 2]


def _corrupt() -> bytes:
    whole = bytearray(gzip.compress(_lines(2_000), mtime=0))
    middle = len(whole) // 2
    whole[middle : middle + 64] = bytes(64)
    return bytes(whole)


def _bad_crc() -> bytes:
    whole = bytearray(gzip.compress(_lines(20_000), mtime=0))
    whole[-8:-4] = bytes(4)
    return bytes(whole)


def _members() -> bytes:
    """Two gzip members one after the other, then zero padding (as `cat a.gz b.gz` and tape blocks give)."""
    return gzip.compress(_lines(3_000), mtime=0) + gzip.compress(SAMPLE.read_bytes(), mtime=0) + bytes(512)


def _no_trailer() -> bytes:
    return gzip.compress(_lines(5_000), mtime=0)[:-8]


STREAMS: dict[str, Callable[[], bytes]] = {
    "whole": _whole,
    "truncated": _truncated,
    "corrupt": _corrupt,
    "bad-crc": _bad_crc,
    "members": _members,
    "no-trailer": _no_trailer,
}


def _inflated(path: Path) -> tuple[bytes, str | None]:
    """Everything the gzip thread hands out, and the error it ends with (None: none)."""
    (source,) = build_sources([path.as_posix()])
    out = []
    with inflating(source, None) as chunks:
        try:
            for chunk in chunks:
                out.append(chunk)
        except GZIP_ERRORS as exc:
            return b"".join(out), f"{type(exc).__name__}: {exc}"
    return b"".join(out), None


def test_isal_is_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert inflater_module() is isal_zlib
    monkeypatch.setenv(ENV, "0")
    assert inflater_module() is zlib


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_same_bytes_and_error_with_either_inflater(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "input.ndjson.gz"
    path.write_bytes(STREAMS[name]())
    monkeypatch.setenv(ENV, "0")
    with_zlib = _inflated(path)
    monkeypatch.setenv(ENV, "1")
    with_isal = _inflated(path)
    assert with_isal == with_zlib
    broken = name not in ("whole", "members")
    assert (with_zlib[1] is not None) == broken


def test_small_steps_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps smaller than a deflate block: every hand-over between input reads and output steps is exercised."""
    monkeypatch.setattr(inflate, "_INFLATE_STEP", 4096)
    path = tmp_path / "input.ndjson.gz"
    path.write_bytes(_members())
    monkeypatch.setenv(ENV, "0")
    with_zlib = _inflated(path)
    monkeypatch.setenv(ENV, "1")
    assert _inflated(path) == with_zlib
    assert with_zlib[0] == _lines(3_000) + SAMPLE.read_bytes()


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_drift_report_is_the_same_with_either_inflater(name: str, tmp_path: Path) -> None:
    path = tmp_path / "input.ndjson.gz"
    path.write_bytes(STREAMS[name]())
    args = ["--root", str(ROOT), "drift", "--format", "json", "--fail-on", "never", "--no-progress"]
    args += ["--payload-field", "body", path.as_posix()]
    outputs = []
    for value in ("0", "1"):
        result = CliRunner().invoke(main, args, env={ENV: value})
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert '"payloads"' in outputs[0]
