"""Drift triage throughput, as ratios to parsing the same log with orjson.

    python benchmarks/run.py [--lines N] [--repeat R]

Generates a log from the doc examples (tools/make_sample_log.py: ids, amounts,
dates and metadata varied; envelopes and bare data; about 1% of payloads with
labelled drift of every kind) and its gzip copy, then measures in one run:
reading the lines, `orjson.loads` of every line (the parsing floor), jsonschema
`iter_errors` on a sample, and `webhook-contracts drift` (a fresh process,
start-up included) on the plain and gzip files with 1 and 2 jobs, on the plain
file on a local Dask cluster of 1 and 2 workers (`--dask local:N`, cluster
start-up included), on a log where every payload drifts, and on a log ten times
smaller (peak memory; and, with the full log, the seconds of a run that do not
grow with the input: start-up and compiling the contracts, which bound what a
second job can save on a log that scans in a second or two).
Every figure is printed as a ratio to the floor of this run and written to
benchmarks/out/ as JSON. The run fails if a labelled drift group is missing or
miscounted. Not part of the unit tests.
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "src"))

import make_sample_log  # noqa: E402

from webhook_contracts.contracts.registry import load_registry  # noqa: E402
from webhook_contracts.drift.inflate import inflater_module  # noqa: E402
from webhook_contracts.payloads.envelope import unwrap  # noqa: E402
from webhook_contracts.payloads.validate import make_validator  # noqa: E402

#: Distinct payloads generated; longer logs repeat them (generation costs about 1.4 ms a payload).
BASE = 10_000
JSONSCHEMA_SAMPLE = 1_000
WORST_LINES = 20_000


def _make_log(folder: Path, lines: int) -> tuple[Path, Path, Path, Path, dict[str, Any]]:
    base = min(lines, BASE)
    log, labels = make_sample_log.build(base, plain=True, drift_share=0.01)
    times = max(1, lines // base)
    plain = folder / "bench.ndjson"
    plain.write_bytes(log * times)
    for group in labels["findings"]:
        group["count"] *= times
    packed = folder / "bench.ndjson.gz"
    packed.write_bytes(gzip.compress(log * times, compresslevel=6, mtime=0))
    small = folder / "bench-tenth.ndjson"
    tenth = log * times
    small.write_bytes(tenth[: tenth.index(b"\n", len(tenth) // 10) + 1])
    worst = folder / "bench-worst.ndjson"
    worst.write_bytes(_all_drifting(log, WORST_LINES))
    return plain, packed, small, worst, labels


def _all_drifting(log: bytes, count: int) -> bytes:
    """Lines where every payload has a new field (so none passes the fast gate)."""
    out = []
    for line in log.splitlines():
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(value, dict):
            continue
        target = value["data"] if isinstance(value.get("data"), dict) and "type" in value else value
        target["customer"]["loyalty_tier"] = {"id": "ltr_1", "name": "gold"}
        out.append(orjson.dumps(value))
    while len(out) < count:
        out.extend(out[: count - len(out)])
    return b"\n".join(out[:count]) + b"\n"


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _parse_all(lines: list[bytes]) -> None:
    """The parsing floor: every line through orjson, nothing kept."""
    loads, error = orjson.loads, orjson.JSONDecodeError
    for line in lines:
        try:  # noqa: SIM105 - contextlib.suppress costs more than parsing a short line
            loads(line)
        except error:
            pass


def _read_lines(path: Path) -> list[bytes]:
    with path.open("rb", buffering=1 << 20) as f:
        return f.read().split(b"\n")


def _jsonschema_seconds(lines: list[bytes]) -> tuple[float, int]:
    registry = load_registry(REPO / "schemas")
    validators = {e: make_validator(registry.load(registry.latest(e))) for e in registry.events()}
    sample = [line for line in lines if line.startswith(b'{"id"')][:JSONSCHEMA_SAMPLE]
    start = time.perf_counter()
    for line in sample:
        unwrapped = unwrap(orjson.loads(line), "bench")
        for _ in validators[unwrapped.event or ""].iter_errors(unwrapped.data):
            pass
    return time.perf_counter() - start, len(sample)


#: Runs commands for the benchmark from a small process: Linux carries a parent's peak
#: memory over into its children, so they must not be forked from this big one.
_LAUNCHER = """
import json, os, subprocess, sys, time
for request in sys.stdin:
    command, out, err = json.loads(request)
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    print(json.dumps([time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def run(self, command: list[str], out: Path, err: Path) -> tuple[float, int, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps([command, str(out), str(err)]) + "\n")
        self.process.stdin.flush()
        seconds, peak, code = json.loads(self.process.stdout.readline())
        return seconds, peak, code

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


LAUNCHER: Launcher | None = None
#: What `drift -v` says about the engine that ran (native or Python; WEBHOOK_CONTRACTS_NATIVE=0 forces Python).
ENGINE = "drift engine: "
ENGINES: set[str] = set()


def _drift(path: Path, jobs: int | str, folder: Path) -> tuple[float, int, dict[str, Any]]:
    """Wall time, peak resident memory (KiB, workers included) and JSON report of one `drift` process;
    *jobs*: a number of jobs, or `local:N` for a local Dask cluster of N workers."""
    how = ["--dask", jobs] if isinstance(jobs, str) else ["--jobs", str(jobs)]
    command = [
        sys.executable,
        "-m",
        "webhook_contracts",
        "--root",
        str(REPO),
        "drift",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-progress",
        "-v",
        *how,
        str(path),
    ]
    out, err = folder / "drift.json", folder / "drift.err"
    assert LAUNCHER is not None
    seconds, peak, code = LAUNCHER.run(command, out, err)
    if code != 0:
        raise SystemExit(f"drift failed: {err.read_text()[-2000:]}")
    engine = [line for line in err.read_text().splitlines() if line.startswith(ENGINE)]
    ENGINES.update(line.removeprefix(ENGINE) for line in engine)
    return seconds, peak, json.loads(out.read_bytes())


def _missed(report: dict[str, Any], labels: dict[str, Any]) -> list[str]:
    got = {(f["event"], f["kind"], f["path"], f["expected"], f["observed"]): f["count"] for f in report["findings"]}
    missed = []
    for group in labels["findings"]:
        key = (group["event"], group["kind"], group["path"], group["expected"], group["observed"])
        if got.get(key) != group["count"]:
            missed.append(f"{key}: want {group['count']}, got {got.get(key)}")
    return missed


def _figure(seconds: float, payloads: int, size: int, ratio: float) -> dict[str, float]:
    return {
        "seconds": round(seconds, 3),
        "payloads_per_s": round(payloads / seconds),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "ratio_to_floor": round(ratio, 3),
    }


#: The drift runs: (name, which log, jobs or a local Dask cluster).
VARIANTS: tuple[tuple[str, str, int | str], ...] = (
    ("drift_plain_1_job", "plain", 1),
    ("drift_plain_2_jobs", "plain", 2),
    ("drift_gzip_1_job", "packed", 1),
    ("drift_gzip_2_jobs", "packed", 2),
    ("drift_all_drifting_1_job", "worst", 1),
    ("drift_plain_dask_1_worker", "plain", "local:1"),
    ("drift_plain_dask_2_workers", "plain", "local:2"),
    ("drift_tenth_1_job", "tenth", 1),
)


def run(lines: int, repeat: int, folder: Path) -> dict[str, Any]:
    """Measure in *repeat* rounds; each round measures the floor and every drift run once.

    A shared machine's speed drifts over minutes, so each figure is a ratio to
    the floor of its own round, and the median round is reported.
    """
    print(f"generating {lines} lines ...", file=sys.stderr)
    plain, packed, small, worst, labels = _make_log(folder, lines)
    logs = {"plain": plain, "packed": packed, "worst": worst, "tenth": small}
    text = _read_lines(plain)
    payloads = sum(1 for line in text if line.strip())
    worst_payloads = sum(1 for x in _read_lines(worst) if x)
    size = plain.stat().st_size
    tenth = small.stat().st_size / size
    logs_counts = {
        "worst": (worst_payloads, worst.stat().st_size),
        "tenth": (sum(1 for x in _read_lines(small) if x.strip()), small.stat().st_size),
    }
    counts = {name: logs_counts.get(log, (payloads, size)) for name, log, _ in VARIANTS}
    log_of = {name: log for name, log, _ in VARIANTS}
    rounds: list[dict[str, float]] = []
    reports: dict[str, Any] = {}
    peaks: dict[str, int] = {}
    for number in range(1, repeat + 1):
        seconds = {"orjson_loads": _timed(lambda: _parse_all(text)), "read_lines": _timed(lambda: _read_lines(plain))}
        seconds["jsonschema_iter_errors"], js_count = _jsonschema_seconds(text)
        for name, log, jobs in VARIANTS:
            print(f"round {number}/{repeat}: {name} ...", file=sys.stderr)
            seconds[name], peak, report = _drift(logs[log], jobs, folder)
            peaks[name] = max(peaks.get(name, 0), peak)
            reports.setdefault(name, report)
        rounds.append(seconds)
    counts["jsonschema_iter_errors"] = (js_count, size * js_count // payloads)

    def rate(name: str, r: dict[str, float]) -> float:
        return (counts.get(name, (payloads, size))[0]) / r[name]

    def ratio(name: str) -> float:
        """Median over rounds of *name*'s rate against the floor of the same round."""
        return statistics.median(rate(name, r) / rate("orjson_loads", r) for r in rounds)

    figures: dict[str, Any] = {}
    for name in ("read_lines", "orjson_loads", "jsonschema_iter_errors", *(v[0] for v in VARIANTS)):
        n, nbytes = counts.get(name, (payloads, size))
        median_s = statistics.median(r[name] for r in rounds)
        figures[name] = _figure(median_s, n, nbytes, ratio(name))
        if name in peaks:
            figures[name]["peak_rss_mib"] = round(peaks[name] / 1024, 1)
    small_peak = peaks["drift_tenth_1_job"]
    missed = {name: _missed(report, labels) for name, report in reports.items() if log_of[name] in ("plain", "packed")}
    same = all(
        json.dumps(r["findings"], sort_keys=True)
        == json.dumps(reports["drift_plain_1_job"]["findings"], sort_keys=True)
        for name, r in reports.items()
        if "plain" in name
    )

    def between(a: str, b: str, digits: int = 2) -> float:
        """Median over rounds of how much faster *a* ran than *b* in the same round."""
        return round(statistics.median(rate(a, r) / rate(b, r) for r in rounds), digits)

    def fixed(r: dict[str, float]) -> float:
        """The seconds of a 1-job run that do not grow with the input (start-up, compiling the contracts of
        the events met), from the full log and its tenth: t = fixed + scanning * size."""
        scanning = (r["drift_plain_1_job"] - r["drift_tenth_1_job"]) / (1 - tenth)
        return max(0.0, r["drift_plain_1_job"] - scanning)

    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "engine": ", ".join(sorted(ENGINES)),
        "gzip_inflater": inflater_module().__name__,
        "lines": len([x for x in text if x]),
        "payloads": payloads,
        "bytes": size,
        "rounds": repeat,
        "labelled_groups": len(labels["findings"]),
        "figures": figures,
        "round_seconds": [{name: round(value, 3) for name, value in r.items()} for r in rounds],
        "targets": {
            "drift_1_job_vs_floor": figures["drift_plain_1_job"]["ratio_to_floor"],
            "drift_1_job_vs_jsonschema": between("drift_plain_1_job", "jsonschema_iter_errors", 1),
            "jobs_2_vs_1": between("drift_plain_2_jobs", "drift_plain_1_job"),
            "fixed_seconds_of_1_job_run": round(statistics.median(fixed(r) for r in rounds), 2),
            "gzip_cost_vs_plain_1_job": between("drift_plain_1_job", "drift_gzip_1_job"),
            "gzip_cost_vs_plain_2_jobs": between("drift_plain_2_jobs", "drift_gzip_2_jobs"),
            "all_drifting_vs_jsonschema": between("drift_all_drifting_1_job", "jsonschema_iter_errors", 1),
            "dask_1_worker_vs_1_job": between("drift_plain_dask_1_worker", "drift_plain_1_job"),
            "dask_2_workers_vs_2_jobs": between("drift_plain_dask_2_workers", "drift_plain_2_jobs"),
            "dask_2_workers_vs_1_worker": between("drift_plain_dask_2_workers", "drift_plain_dask_1_worker"),
            "memory_10x_input": round(peaks["drift_plain_1_job"] / small_peak, 2),
        },
        "checks": {"labelled_drift_missed": missed, "plain_reports_identical_across_jobs": same},
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f"{result['lines']} lines, {result['bytes'] / 1e6:.0f} MB, {result['machine']['cpus']} CPUs, "
        f"Python {result['machine']['python']}, drift engine: {result['engine']}, "
        f"gzip inflated by {result['gzip_inflater']}"
    )
    print(f"{'measure':28} {'payloads/s':>12} {'MB/s':>8} {'x floor':>8} {'peak MiB':>9}")
    for name, figure in result["figures"].items():
        peak = figure.get("peak_rss_mib", "")
        print(
            f"{name:28} {figure['payloads_per_s']:>12,} {figure['mb_per_s']:>8} {figure['ratio_to_floor']:>8} {peak:>9}"
        )
    for name, value in result["targets"].items():
        print(f"{name:28} {value}")
    missed = [m for ms in result["checks"]["labelled_drift_missed"].values() for m in ms]
    print("labelled drift: " + ("all reported" if not missed else f"MISSED {missed}"))
    print(f"reports identical across jobs: {result['checks']['plain_reports_identical_across_jobs']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=200_000, help="payload lines (default 200000)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds, each measuring everything once; the median round is kept (default 3)",
    )
    args = parser.parse_args(argv)
    # An installed package has its bytecode compiled; a source tree run with
    # PYTHONDONTWRITEBYTECODE would compile every module at each start-up instead.
    compileall.compile_dir(REPO / "src", quiet=1)
    global LAUNCHER
    LAUNCHER = Launcher()
    folder = OUT / "data"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args.lines, args.repeat, folder)
    finally:
        LAUNCHER.close()
    _print(result)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    missed = any(result["checks"]["labelled_drift_missed"].values())
    return 1 if missed or not result["checks"]["plain_reports_identical_across_jobs"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
