"""Broken and hostile input, command by command: a folder of cases, one test.

Each folder of `tests/data/cases/bad-inputs/` is a case: its input files and a
`case.json`:

    {
      "args": ["validate", "{input}"],  # the command line
      "root": "repo",                   # --root: "repo" (default), "dir" (the case folder) or "project"
      "generate": "line-200mb",         # optional: a generator below writes the input at run time
      "exit_code": 2,
      "stderr": "fragment",             # or a list of fragments; every one must appear
      "stdout": ["fragment"],
      "stdout_not": ["jack@example.com"],  # must not appear (also "stderr_not")
      "stdout_is": "xml" | "github",    # stdout parses as XML / every line is a workflow command
      "unchanged": true,                # the project tree is byte for byte what it was
      "special": {"{project}/x.json": "fifo"},  # made before the run: a FIFO, or a symlink to the value
      "timeout": 120                    # run in a child process; a run past this many seconds fails
    }

Placeholders in args and fragments: `{dir}` the case folder (a copy),
`{input}` the file in it named `input.*`, `{repo}` the repository, `{cases}`
the folder of cases, `{project}` the project copy. A case with a `project/`
folder runs on a copy of the project with those files laid over it. Files git
cannot hold or a copy would follow (FIFOs, links to devices) are made by
"special" once the copies are in place.

Every case also checks: no traceback anywhere, and exit 2 means exactly one
line on stderr, starting with `error: `.

A case that proves some work stays bounded (a hostile pattern, a `$ref` fan-out,
a bomb, a million blank lines) has a `timeout`: it runs in a child process
(`python -m webhook_contracts`), so a regression fails the case instead of
hanging the run, or taking the test process down with it.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, DATA, REPO, Invoke, peak_kib_of, run_module, run_module_with_peak, snapshot

from webhook_contracts import read_doc_page

CASES_DIR = CASES / "bad-inputs"
NAMES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.json").is_file())
ENVELOPE = b'{"type": "customer.rewarded.loyalty_points", "data": {"x": "'


def _line_200mb(folder: Path) -> None:
    with (folder / "input.ndjson").open("wb") as out:
        out.write(ENVELOPE)
        for _ in range(200):
            out.write(b"a" * (1 << 20))
        out.write(b'"}}\n{"after": "the long line"}\n')


def _nesting(folder: Path) -> None:
    depth = 100_000
    (folder / "input.json").write_bytes(b'{"a":' * depth + b"1" + b"}" * depth)


def _gzip_lines(count: int = 20_000) -> bytes:
    return b"".join(b'{"type": "no.such.event", "data": {"n": %d}}\n' % i for i in range(count))


def _gzip_truncated(folder: Path) -> None:
    whole = gzip.compress(_gzip_lines(), mtime=0)
    (folder / "input.ndjson.gz").write_bytes(whole[: len(whole) // 2])


def _gzip_corrupt(folder: Path) -> None:
    whole = bytearray(gzip.compress(_gzip_lines(2_000), mtime=0))
    middle = len(whole) // 2
    whole[middle : middle + 64] = bytes(64)
    (folder / "input.ndjson.gz").write_bytes(bytes(whole))


def _gzip_bad_crc(folder: Path) -> None:
    whole = bytearray(gzip.compress(_gzip_lines(), mtime=0))
    whole[-8:-4] = bytes(4)
    (folder / "input.ndjson.gz").write_bytes(bytes(whole))


def _gzip_bomb(folder: Path) -> None:
    # 256 MiB of one line in a member of a few hundred kilobytes.
    compressor = gzip.GzipFile(folder / "input.ndjson.gz", "wb", mtime=0)
    with compressor:
        compressor.write(ENVELOPE)
        block = b"a" * (1 << 20)
        for _ in range(256):
            compressor.write(block)
        compressor.write(b'"}}\n')


def _blank_lines(folder: Path) -> None:
    # A million blank lines (1 MB) before the payloads, plain and gzipped.
    data = b"\n" * 1_000_000 + _gzip_lines(2)
    (folder / "input.ndjson").write_bytes(data)
    (folder / "input.ndjson.gz").write_bytes(gzip.compress(data, mtime=0))


def _brace_lines_bomb(folder: Path) -> None:
    # 256 MiB of `{` lines, each failing alone: one JSON document, far over max-payload-bytes.
    with gzip.GzipFile(folder / "input.json.gz", "wb", mtime=0) as compressor:
        block = b"{\n" * (1 << 19)
        for _ in range(256):
            compressor.write(block)


def _catastrophic_pattern_payload(folder: Path) -> None:
    # Each string takes Python's backtracking `re` minutes (or forever) against its pattern.
    value = {"a": "a" * 100_000 + "!", "b": "x" * 100_000, "c": "a" * 20_000}
    (folder / "input.json").write_text(json.dumps(value), "utf-8")


def _glued_near_json(folder: Path) -> None:
    # Hundreds of `{` glued to text that start JSON and never finish, then one example.
    head = "Example: customer.rewarded.loyalty_points\n"
    (folder / "input.txt").write_text(head + ('x{"a":[' * 500 + "\n") * 200 + '{\n  "a": 1\n}\n', "utf-8")


def _page_too_large(folder: Path) -> None:
    (folder / "input.txt").write_bytes(b"EVENTS.A.B\n" + b"x" * (9 << 20))


def _symlink_out(folder: Path) -> None:
    # `link` leads to a folder beside the project (git does not keep links to places it does not hold).
    outside = folder.parent / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text('{"a": 1}', "utf-8")
    (folder / "link").symlink_to(outside, target_is_directory=True)


def _pyproject_tool_int(folder: Path) -> None:
    # Written at run time: linters reading every pyproject.toml would choke on it.
    (folder / "pyproject.toml").write_text('tool = 1\n\n[project]\nname = "x"\n', "utf-8")


def _config_device(folder: Path) -> None:
    (folder / "webhook-contracts.toml").symlink_to("/dev/zero")


def _million_wrong_items(folder: Path) -> None:
    # 2 MB: the captured delivery with 1,000,000 integers where order items (objects) belong.
    delivery = json.loads((DATA / "payloads" / "voucher.loyalty_card.pending_points.activated.json").read_bytes())
    delivery["data"]["order"]["items"] = [1] * 1_000_000
    (folder / "input.json").write_text(json.dumps(delivery, separators=(",", ":")), "utf-8")


def _distinct_groups_then_missing_field(folder: Path) -> None:
    # 10,000 lines with a distinct new field each (as many groups as drift keeps), then a missing required field.
    event = "customer.voucher.loyalty_card.pending_points.added"
    page = DATA.parent.parent / "docs" / "voucherify" / "v2024-01-01" / f"{event}.txt"
    data = read_doc_page(page).examples[0]
    with (folder / "input.ndjson").open("w", encoding="utf-8") as out:
        for i in range(10_000):
            out.write(json.dumps({"type": event, "data": {**data, f"extra_{i:05}": i}}) + "\n")
        del data["pending_points"]["voucher_id"]
        out.write(json.dumps({"type": event, "data": data}) + "\n")


GENERATORS: dict[str, Callable[[Path], None]] = {
    "distinct-groups-then-missing-field": _distinct_groups_then_missing_field,
    "million-wrong-items": _million_wrong_items,
    "line-200mb": _line_200mb,
    "nesting-100k": _nesting,
    "gzip-truncated": _gzip_truncated,
    "gzip-corrupt": _gzip_corrupt,
    "gzip-bad-crc": _gzip_bad_crc,
    "gzip-bomb": _gzip_bomb,
    "blank-lines": _blank_lines,
    "brace-lines-bomb": _brace_lines_bomb,
    "page-too-large": _page_too_large,
    "catastrophic-pattern-payload": _catastrophic_pattern_payload,
    "glued-near-json": _glued_near_json,
    "symlink-out": _symlink_out,
    "config-device": _config_device,
    "pyproject-tool-int": _pyproject_tool_int,
}


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _make_special(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)


def _fragments(spec: dict[str, Any], key: str) -> list[str]:
    value = spec.get(key, [])
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("name", NAMES)
def test_bad_input(name: str, tmp_path: Path, cli: Invoke, project: Path) -> None:
    spec = json.loads((CASES_DIR / name / "case.json").read_text("utf-8"))
    folder = tmp_path / "case"
    shutil.copytree(CASES_DIR / name, folder)
    if "generate" in spec:
        GENERATORS[spec["generate"]](folder)
    overlay = folder / "project"
    if overlay.is_dir():
        shutil.copytree(overlay, project, dirs_exist_ok=True)
    inputs = sorted(folder.glob("input*"))
    places = {
        "dir": str(folder),
        "input": str(inputs[0]) if inputs else "",
        "repo": str(REPO),
        "cases": str(CASES_DIR),
        "project": str(project),
    }
    for special, kind in spec.get("special", {}).items():
        _make_special(Path(_fill(special, places)), kind)
    where = spec.get("root", "project" if overlay.is_dir() else "repo")
    root = {"repo": REPO, "dir": folder, "project": project}[where]
    before = snapshot(project) if spec.get("unchanged") else None

    args = [_fill(arg, places) for arg in spec["args"]]
    if "timeout" in spec:
        done = run_module(
            ["--root", str(root), *args],
            timeout=spec["timeout"],
            capture_output=True,
            encoding="utf-8",
            errors="replace",
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    else:
        result = cli(*args, root=root)
        code, out, err = result.exit_code, result.stdout, result.stderr

    shown = f"exit {code}\n--- stdout\n{out[:3000]}\n--- stderr\n{err[:3000]}"
    assert code == spec["exit_code"], shown
    assert "Traceback" not in out + err, shown
    if code == 2:
        assert err.startswith("error: ") and err.count("\n") == 1, shown
    for stream, text in (("stdout", out), ("stderr", err)):
        # The text report wraps long messages to its width: fragments match across line breaks.
        flat = " ".join(text.split())
        for fragment in _fragments(spec, stream):
            assert " ".join(_fill(fragment, places).split()) in flat, f"{fragment!r} not in {stream}\n{shown}"
        for fragment in _fragments(spec, f"{stream}_not"):
            assert _fill(fragment, places) not in text, f"{fragment!r} in {stream}\n{shown}"
    if spec.get("stdout_is") == "xml":
        ET.fromstring(out.encode("utf-8"))
    if spec.get("stdout_is") == "github":
        assert out and all(line.startswith("::") for line in out.splitlines()), shown
    if before is not None:
        assert snapshot(project) == before, "the project tree changed"


def test_a_200mb_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    """The long line is counted, never held: the process stays far below the line's size."""
    _line_200mb(tmp_path)
    log = tmp_path / "input.ndjson"
    # The peak memory of one process is only measurable from a parent with no other
    # children: pytest's own children (and forked workers) would mix theirs in, and
    # a child forked from a large process starts with that process's peak. So a small
    # launcher runs the command and reports the peak of its only child on stderr.
    done = run_module_with_peak(
        [
            "--root",
            str(REPO),
            "drift",
            "--format",
            "json",
            "--fail-on",
            "never",
            str(log),
        ]
    )
    log.unlink()
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert summary["unparseable"]["count"] == 1
    assert "longer than max-payload-bytes" in summary["unparseable"]["lines"][0]["reason"]
    assert summary["records"] == 2
    peak_kib = peak_kib_of(done)
    assert peak_kib < 150 * 1024, f"peak RSS {peak_kib} KiB"
