"""Fuzz the readers of untrusted input for a bounded time.

    python tools/fuzz.py logread --seconds 300
    python tools/fuzz.py fastpath --seconds 300 --engine hypothesis
    python tools/fuzz.py jobs --examples 20     # the same 20 inputs every time, as CI runs them

Targets fed raw bytes:

- ``logread``: the bytes are a log (NDJSON, a JSON document, gzip, with or
  without a payload field) read by the log reader and scanned for drift
  against the project's contracts;
- ``docpage``: the bytes are a saved doc page.

Their law is the one the test suite states: the only exceptions that may
escape are the toolkit's own (:class:`WebhookContractsError`).

Targets fed generated logs of mutated real payloads (``fastpath``, ``native``,
``jobs``, ``gzip``, ``documents``; see `tools/fuzz_targets.py`) scan each log in
the ways that must agree (the fast path and the reference walker, the native
and Python engines, one job and several, plain and gzipped, in chunks of any
size) and assert identical
reports, no exception at all, every record accounted for and no payload value
in any report format.

A broken law is a crash: it is printed with the input that caused it (atheris
also writes a `crash-*` file) and the exit code is 1.

Engines: ``atheris`` (coverage-guided, libFuzzer; `pip install atheris`) is
used when it is installed, else ``hypothesis`` (random and shrinking, no
coverage feedback). Seeds come from `tests/data` and `docs` (sample logs,
payloads, doc pages); atheris keeps its corpus in a temporary folder and drives
the generated targets through hypothesis (`fuzz_one_input`).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = {
    "logread": [
        ROOT / "tests/data/sample-log/production.ndjson",
        *sorted((ROOT / "tests/data/payloads").glob("*.json")),
    ],
    "docpage": sorted((ROOT / "docs").rglob("*.txt")) + sorted((ROOT / "tests/data/cases/docpage").rglob("page.txt")),
}


def _generated() -> dict[str, Any]:
    """The targets of `fuzz_targets.py` (beside this file), by name."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    from fuzz_targets import TARGETS

    return dict(TARGETS)


GENERATED = ("documents", "fastpath", "gzip", "jobs", "native")


def _targets() -> dict[str, Callable[[bytes], None]]:
    from webhook_contracts.contracts.registry import load_registry
    from webhook_contracts.drift.records import iter_records
    from webhook_contracts.drift.scanner import DriftOptions, DriftScanner
    from webhook_contracts.errors import WebhookContractsError
    from webhook_contracts.providers.voucherify.pages import parse_doc_page

    registry = load_registry(ROOT / "schemas")

    def logread(data: bytes) -> None:
        field = "body" if data[:1] == b"b" else None
        for raw in (data, gzip.compress(data, mtime=0)) if data[:1] == b"z" else (data,):
            scanner = DriftScanner(registry, DriftOptions())
            try:
                scanner.feed(iter_records(["-"], stdin=io.BytesIO(raw), payload_field=field, max_line=1 << 16))
                scanner.report()
            except WebhookContractsError:
                pass

    def docpage(data: bytes) -> None:
        with contextlib.suppress(WebhookContractsError):
            parse_doc_page(data, source="page.txt", api_version="v2024-01-01")

    return {"logread": logread, "docpage": docpage}


def _seeds(target: str) -> list[bytes]:
    out = []
    for path in SEEDS[target]:
        data = path.read_bytes()
        out.append(data[:4096] if target == "logread" else data)
    return out


def _byte_inputs(target: str) -> Any:
    """Raw bytes, and seeds with a few spans overwritten by JSON and gzip noise."""
    from fuzz_inputs import NOISE
    from hypothesis import strategies as st

    def mutate(seed: bytes, cuts: list[int], inserts: list[bytes]) -> bytes:
        data = bytearray(seed)
        for cut, insert in zip(cuts, inserts, strict=False):
            at = cut % (len(data) + 1)
            data[at : at + len(insert) % 7] = insert
        return bytes(data)

    # The line mutations' noise, and gzip's magic number (these inputs are whole files).
    noise = st.sampled_from((*NOISE, b"\x1f\x8b")) | st.binary(max_size=8)
    return st.binary(max_size=4096) | st.builds(
        mutate,
        st.sampled_from(_seeds(target)),
        st.lists(st.integers(0, 1 << 16), max_size=8),
        st.lists(noise, max_size=8),
    )


def _test(target: str, *, max_examples: int, derandomize: bool = False) -> Any:
    """A hypothesis test of *target*: its check over its inputs."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis.strategies import SearchStrategy

    check: Callable[[Any], None]
    inputs: SearchStrategy[Any]
    if target in GENERATED:
        check, inputs = _generated()[target].check, _generated()[target].inputs
    else:
        check, inputs = _targets()[target], _byte_inputs(target)
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )(given(inputs)(check))


def run_examples(target: str, examples: int) -> int:
    """*target* on *examples* inputs, the same ones on every run (CI runs them so)."""
    _test(target, max_examples=examples, derandomize=True)()
    print(f"{target}: no crash in {examples} inputs")
    return 0


def run_atheris(target: str, seconds: int) -> int:
    import tempfile

    import atheris

    if target in GENERATED:  # atheris's bytes drive hypothesis's choices
        with atheris.instrument_imports():
            test = _test(target, max_examples=1)
        atheris.Setup([sys.argv[0], f"-max_total_time={seconds}"], test.hypothesis.fuzz_one_input)
        atheris.Fuzz()
        return 0
    with atheris.instrument_imports():
        check = _targets()[target]
    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{target}-"))
    for i, seed in enumerate(_seeds(target)):
        (corpus / f"seed-{i}").write_bytes(seed)
    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-max_len=65536", str(corpus)], check)
    atheris.Fuzz()
    return 0  # Fuzz() exits the process itself


def run_hypothesis(target: str, seconds: int) -> int:
    batch = 50 if target in GENERATED else 200
    test = _test(target, max_examples=batch)
    stop = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < stop:
        test()  # a crash propagates, shrunk, with the input that caused it
        rounds += 1
    print(f"{target}: no crash in {rounds * batch} inputs ({seconds}s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=sorted([*SEEDS, *GENERATED]))
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default 60)")
    parser.add_argument("--examples", type=int, help="run this many inputs, the same on every run (hypothesis)")
    parser.add_argument("--engine", choices=["atheris", "hypothesis"], help="default: atheris when installed")
    args = parser.parse_args(argv)
    if args.examples is not None:
        return run_examples(args.target, args.examples)
    engine = args.engine
    if engine is None:
        try:
            import atheris  # noqa: F401
        except ImportError:
            engine = "hypothesis"
        else:
            engine = "atheris"
    runner = run_atheris if engine == "atheris" else run_hypothesis
    return runner(args.target, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
