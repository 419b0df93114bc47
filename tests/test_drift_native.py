"""The native validator: exact by construction, and the reports do not change.

The law: a line the native validator calls clean is one the reference walker
finds clean, of the event and delivery it named. It is checked on every
shipped contract (doc examples and payloads drawn from the provider's OpenAPI
schemas, with its enums and required fields), on mutated payloads, and on the
string, number and key rules one by one against the Python definitions.
Reports are identical with the native validator, without it
(`WEBHOOK_CONTRACTS_NATIVE=0`) and for every job count.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from conftest import REPO
from drift_support import all_examples, envelope, registry
from hypothesis import given, settings
from hypothesis import strategies as st
from provider_traffic import EVENT_KEYS, generate

from webhook_contracts.cli import main
from webhook_contracts.drift import parallel as engine
from webhook_contracts.drift.fastpath import _GENERATED_KEY
from webhook_contracts.drift.native import ENV, engine_name, load
from webhook_contracts.drift.native.gate import NativeGate, native_gate
from webhook_contracts.drift.native.program import ARRAY, FORMATS, INTEGER, MAP, NULL, NUMBER, OBJECT, STRING, STRUCT
from webhook_contracts.drift.records import iter_records, line_records
from webhook_contracts.drift.scanner import DriftScanner, scan_records
from webhook_contracts.report.jsonreport import report_dict
from webhook_contracts.values.formats import has_format
from webhook_contracts.values.jsonnumbers import is_integer, is_number, loads
from webhook_contracts.values.rfc3339 import DATE_PATTERN, DATE_TIME_PATTERN, is_date, is_date_time

sys.path.insert(0, str(REPO / "tools"))
import make_sample_log

SAMPLE = REPO / "tests" / "data" / "sample-log" / "production.ndjson"
NATIVE = load()
needs_native = pytest.mark.skipif(NATIVE is None, reason=f"the drift engine here is {engine_name()}")


def _report(
    path: Path,
    payload_field: str | None,
    jobs: int,
    monkeypatch: pytest.MonkeyPatch,
    *,
    native: bool,
) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        if not native:
            patch.setenv(ENV, "0")
        return report_dict(engine.scan_files([path.as_posix()], registry(), payload_field=payload_field, jobs=jobs))


@functools.cache
def _bench_log() -> bytes:
    """A log as the benchmark makes it: envelopes and bare data, 5% of payloads with labelled drift."""
    log, _ = make_sample_log.build(400, plain=True, drift_share=0.05)
    return log


@needs_native
@pytest.mark.parametrize("jobs", [1, 2])
def test_same_reports_with_and_without_the_native_validator(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    jobs: int,
) -> None:
    monkeypatch.setattr(engine, "MIN_SPLIT", 1)
    bench = tmp_path / "bench.ndjson"
    bench.write_bytes(_bench_log())
    for path, field in ((bench, None), (SAMPLE, "body")):
        reference = report_dict(scan_records(iter_records([path.as_posix()], payload_field=field), registry()))
        fast = _report(path, field, jobs, monkeypatch, native=True)
        assert fast == _report(path, field, jobs, monkeypatch, native=False)
        assert fast == reference


@needs_native
def test_the_native_validator_takes_nearly_every_clean_line(tmp_path: Path) -> None:
    validator = _validator(None)
    lines = [line for line in _bench_log().split(b"\n") if line]
    clean = [line for line in lines if validator.gate.check(line) is not None]
    assert clean and all(validator.engine.check(line) >= 0 for line in clean)


@functools.cache
def _validator(event: str | None) -> NativeGate:
    from webhook_contracts.drift.scanner import DriftOptions

    gate = DriftScanner(registry(), DriftOptions(event=event)).gate()
    for name in registry().events():
        gate._compile(name)
    validator = native_gate(gate)
    assert validator is not None
    validator.sync()
    return validator


def _assert_law(line: bytes, event: str | None = None) -> bool:
    """If the native validator calls *line* clean, the walker finds it clean, of that event: whether it did."""
    from webhook_contracts.drift.scanner import DriftOptions

    validator = _validator(event)
    index = validator.engine.check(line)
    if index < 0:
        return False
    found = validator.passes[index]
    alone = report_dict(scan_records(line_records("log", 1, line, None), registry(), DriftOptions(event=event)))
    assert alone["findings"] == [], line
    assert list(alone["summary"]["events"]) == [found.event]
    assert alone["summary"]["deliveries"] == {found.kind: 1}
    return True


@needs_native
def test_every_doc_example_of_every_shipped_contract() -> None:
    validator = _validator(None)
    for event, data in all_examples():
        line = orjson.dumps(envelope(event, data))
        assert _assert_law(line) == (validator.gate.check(line) is not None), event


@needs_native
@pytest.mark.parametrize("event", sorted(set(registry().events()) & set(EVENT_KEYS)))
def test_payloads_of_the_provider_schemas(event: str) -> None:
    """Payloads drawn from the provider's OpenAPI schemas (enums, required fields, nulls): the law holds."""
    drawn = 0
    for seed in range(12):
        try:
            data = generate(event, random.Random(seed))
        except ValueError:  # the generator found no value for a oneOf at this seed
            continue
        drawn += 1
        _assert_law(orjson.dumps(envelope(event, data)))
        _assert_law(orjson.dumps(data))
    assert drawn


# The rules one by one: one field of a given type, in a webhook envelope.


def _one_field(kind: tuple[Any, ...]) -> Any:
    assert NATIVE is not None
    validator = NATIVE.Engine(True, False)
    program = validator.add_program((OBJECT, 0, b"", None, None, None, STRUCT, ((b"v", True, kind),)))
    validator.webhook(b"e", program, validator.add_pass())
    return validator


def _string_type(fmt: str | None = None, prefix: bytes = b"", values: tuple[bytes, ...] | None = None) -> Any:
    return (STRING, FORMATS[fmt] if fmt else 0, prefix, values, None, None, 0, None)


@functools.cache
def _engines() -> dict[str, Any]:
    keys = (MAP, _string_type())
    return {
        **{fmt: _one_field(_string_type(fmt)) for fmt in FORMATS},
        "prefix": _one_field(_string_type(prefix=b"cust_")),
        "enum": _one_field(_string_type(values=(b"LOYALTY_CARD", b"GIFT_VOUCHER"))),
        "string": _one_field(_string_type()),
        "integer": _one_field((INTEGER, 0, b"", None, None, None, 0, None)),
        "integer enum": _one_field((INTEGER, 0, b"", None, (1, 2, -3), None, 0, None)),
        "number": _one_field((NUMBER, 0, b"", None, None, None, 0, None)),
        "map": _one_field((OBJECT, 0, b"", None, None, None, *keys)),
        "nullable list": _one_field((ARRAY | NULL, 0, b"", None, None, _string_type("date"), 0, None)),
    }


def _clean(rule: str, token: bytes) -> bool:
    return bool(_engines()[rule].check(b'{"type":"e","data":{"v":' + token + b"}}") >= 0)


_TIMESTAMP_CHARS = st.text(alphabet="0123456789-:.+TtZz ", max_size=34)


@needs_native
@settings(max_examples=400, deadline=None)
@given(
    st.from_regex(DATE_TIME_PATTERN, fullmatch=True)
    | _TIMESTAMP_CHARS
    | st.from_regex(DATE_TIME_PATTERN, fullmatch=True).flatmap(
        lambda v: st.tuples(st.just(v), st.integers(0, len(v)), st.sampled_from("0123456789:.+-Zz ")).map(
            lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]
        )
    )
)
def test_date_time_is_the_rfc3339_rule(value: str) -> None:
    assert _clean("date-time", json.dumps(value).encode()) == is_date_time(value)


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.from_regex(DATE_PATTERN, fullmatch=True) | st.text(alphabet="0123456789-", max_size=12))
def test_date_is_the_rfc3339_rule(value: str) -> None:
    assert _clean("date", json.dumps(value).encode()) == is_date(value)


_ASCII = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'), max_size=30)


@needs_native
@settings(max_examples=300, deadline=None)
@given(
    st.emails().map(str) | _ASCII | st.from_regex(r"[a-z.@<> -]{1,6}@[a-z.-]{1,6}\.[a-zA-Z0-9 -]{1,4}", fullmatch=True)
)
def test_email_is_the_gate_rule(value: str) -> None:
    _assert_string_rule("email", value)


@needs_native
@settings(max_examples=300, deadline=None)
@given(_ASCII | st.from_regex(r"[a-zA-Z0-9+.:-]{1,6}://[ -~]{0,6}", fullmatch=True) | st.text(max_size=12))
def test_uri_is_the_gate_rule(value: str) -> None:
    _assert_string_rule("uri", value)


def _assert_string_rule(fmt: str, value: str) -> None:
    """Exact on ASCII written without escapes; anything else may be referred, never let through wrongly."""
    token = json.dumps(value, ensure_ascii=False)
    clean = _clean(fmt, token.encode())
    if value.isascii() and token[1:-1] == value:
        assert clean == has_format(value, fmt)
    else:
        assert not clean or has_format(value, fmt)


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z]{0,9}[_-][0-9A-Za-z]{8,14}", fullmatch=True) | _ASCII)
def test_map_keys_are_generated_ids(key: str) -> None:
    expected = re.search(_GENERATED_KEY, key) is not None
    assert _clean("map", b"{" + json.dumps(key).encode() + b': "x"}') == expected


_NUMBER_TOKENS = (
    st.integers(-(10**25), 10**25).map(str)
    | st.floats(allow_nan=False, allow_infinity=False).map(repr)
    | st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,4})?", fullmatch=True)
    | st.sampled_from(["01", "-", "1.", ".5", "1e", "--1", "+1", "1e400", "-0", "0.0", "1E+2", "Infinity", "NaN"])
)


def _read(token: str) -> Any:
    try:
        return loads(b"[" + token.encode() + b"]")[0]
    except ValueError:
        return None


@needs_native
@settings(max_examples=500, deadline=None)
@given(_NUMBER_TOKENS)
def test_integers_and_numbers_are_the_jsonnumbers_rule(token: str) -> None:
    """Clean only when the rule accepts it; every integer of up to 18 digits and short exponent is judged."""
    value = _read(token)
    integer, number = _clean("integer", token.encode()), _clean("number", token.encode())
    assert not integer or (value is not None and is_integer(value))
    assert not number or (value is not None and is_number(value))
    ordinary = re.fullmatch(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]+)?([eE][+-]?[0-9]{1,2})?", token)
    if ordinary:
        assert number
        assert integer == (ordinary.group(2) is None and ordinary.group(3) is None)


@needs_native
def test_enums_prefixes_and_lists() -> None:
    assert _clean("enum", b'"LOYALTY_CARD"') and not _clean("enum", b'"LOYALTY-CARD"')
    assert not _clean("enum", b'"LOYALTY\\u005fCARD"')  # an escape is referred, never guessed
    assert _clean("prefix", b'"cust_1"') and not _clean("prefix", b'"cus_1"')
    assert not _clean("prefix", b'"cust\\u005f1"')
    assert _clean("integer enum", b"-3") and not _clean("integer enum", b"3") and not _clean("integer enum", b"1.0")
    assert _clean("nullable list", b"null") and _clean("nullable list", b'["2024-02-29", "2023-01-31"]')
    assert not _clean("nullable list", b'["2023-02-29"]') and not _clean("nullable list", b"[1]")


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=12) | st.text(max_size=12).map(lambda t: json.dumps(t)[1:-1].encode()))
def test_strings_are_valid_json_or_referred(inner: bytes) -> None:
    """Raw bytes in a string: clean only when orjson reads them (UTF-8, escapes, no control characters)."""
    token = b'"' + inner + b'"'
    try:
        orjson.loads(token)
        valid = True
    except orjson.JSONDecodeError:
        valid = False
    assert _clean("string", token) == valid


@needs_native
@pytest.mark.parametrize(
    "line",
    [
        b'{"type":"e","data":{"v":"a"},"type":"e"}',  # a duplicate key
        b'{"type":"e","data":{"v":"a","v":"a"}}',
        b'{"typ\\u0065":"e","data":{"v":"a"}}',  # an escaped key
        b'{"type":"e","data":{"\\u0076":"a"}}',
        b'{"type":"e","data":{"v":"a"}} x',  # text after the document
        b'{"type":"e","data":{"v":"a"}',
        b'{"type":"e","data":{"v":"a"},"extra":1}',  # not an envelope key
        b'{"type":"e","data":{}}',  # a required field absent
        b'\xef\xbb\xbf{"type":"e","data":{"v":"a"}}',
    ],
)
def test_refers_what_it_does_not_judge(line: bytes) -> None:
    assert _engines()["string"].check(line) == -1


@needs_native
def test_hands_the_gate_what_it_has_no_program_for() -> None:
    """-3: an event, distribution name or bare data it has no program for yet (the gate compiles them)."""
    assert _engines()["string"].check(b'{"type":"f","data":{"v":"a"}}') == -3
    assert _engines()["string"].check(b'{"v":"a"}') == -3
    distribution = b'{"type":"mail","data":{"v":"a"},"source":{"object":"distribution"},"event":{"type":"e"}}'
    assert _engines()["string"].check(distribution) == -3


def _deliveries(event: str, data: dict[str, Any], names: tuple[str, ...] = ("Loyalty welcome mail",)) -> list[bytes]:
    """*data* as a webhook, as bare data and as a distribution of each of *names*, then drifting as a webhook."""
    lines = [orjson.dumps(envelope(event, data)), orjson.dumps(data)]
    for name in names:
        source = {"id": "distr_1", "object": "distribution"}
        lines.append(orjson.dumps({**envelope(event, data), "type": name, "source": source, "event": {"type": event}}))
    drifting = {**data, "created_at": 7}
    return [*lines, orjson.dumps(envelope(event, drifting))]


def _fields(found: Any) -> tuple[Any, ...] | None:
    """A pass by its fields (passes are compared by identity, and each gate has its own)."""
    return None if found is None else dataclasses.astuple(found)


def _fresh_gates(event: str | None = None) -> tuple[NativeGate, Any]:
    """A native validator that has compiled nothing yet, and a gate of the same options to compare with."""
    from webhook_contracts.drift.scanner import DriftOptions

    gate = DriftScanner(registry(), DriftOptions(event=event)).gate()
    validator = native_gate(gate)
    assert validator is not None and not validator._programs
    return validator, DriftScanner(registry(), DriftOptions(event=event)).gate()


@needs_native
@pytest.mark.parametrize("event", [None, "customer.rewarded.loyalty_points"])
def test_compiles_the_programs_it_meets_without_the_gate(event: str | None) -> None:
    """The first line of an event, of bare data or of a distribution name is judged here once its program is
    compiled: as the gate judges it, and without building the gate's msgspec types."""
    validator, reference = _fresh_gates(event)
    clean = 0
    for name, data in all_examples():
        for line in _deliveries(name, data):
            found = validator.check_span(line, memoryview(line), 0, len(line))
            assert _fields(found) == _fields(reference.check(line)), line
            clean += found is not None
    assert clean >= 2 * (len(all_examples()) if event is None else 1)
    assert not validator.gate._compiled
    assert validator._programs and not validator._unsupported


@needs_native
def test_an_event_it_cannot_take_is_read_by_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    from webhook_contracts.drift.native import program

    def unsupported(root: Any) -> Any:
        raise program.Unsupported("not in this test")

    monkeypatch.setattr(program, "root_program", unsupported)
    validator, reference = _fresh_gates()
    lines = [line for name, data in all_examples() for line in _deliveries(name, data)]
    passed = [_fields(validator.check_span(x, memoryview(x), 0, len(x))) for x in lines]
    assert passed == [_fields(reference.check(x)) for x in lines]
    assert not validator._programs and validator._unsupported == {n for n, _ in all_examples()}
    assert validator.gate._compiled.keys() == validator._unsupported


@needs_native
def test_distribution_names_are_bounded_as_the_gate_bounds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from webhook_contracts.drift import fastpath
    from webhook_contracts.drift.native import gate

    monkeypatch.setattr(fastpath, "MAX_GATED_DISTRIBUTIONS", 2)
    monkeypatch.setattr(gate, "MAX_GATED_DISTRIBUTIONS", 2)
    validator, reference = _fresh_gates()
    name, data = all_examples()[0]
    lines = _deliveries(name, data, names=("first", "second", "third"))[2:5]
    passed = [validator.check_span(x, memoryview(x), 0, len(x)) for x in lines]
    assert [_fields(found) for found in passed] == [_fields(reference.check(x)) for x in lines]
    assert [found is not None for found in passed] == [True, True, False]


@needs_native
def test_clean_layouts() -> None:
    for line in (
        b'{"type":"e","data":{"v":"a"}}',
        b' { "data": {"v" : "a"} , "type" : "e" } \r',
        b'{"id":"x","data":{"v":"\\u00e9\\ud83d\\ude00"},"type":"e","source":null,"event":[1,{"a":[]}]}',
    ):
        assert _engines()["string"].check(line) == 0, line


def test_drift_verbose_and_version_name_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log.ndjson"
    log.write_bytes(_bench_log()[:20000].rsplit(b"\n", 1)[0] + b"\n")
    runner = CliRunner()
    args = ["--root", str(REPO), "drift", "-v", "--fail-on", "never", "--format", "json", str(log)]
    native = runner.invoke(main, args)
    monkeypatch.setenv(ENV, "0")
    python = runner.invoke(main, args)
    assert python.stderr.splitlines()[-1] == f"drift engine: python ({ENV}=0)"
    assert native.stderr.splitlines()[-1] == f"drift engine: {'native (C extension)' if NATIVE else engine_name()}"
    assert native.stdout == python.stdout
    assert runner.invoke(main, ["--version"]).stdout.splitlines()[-1] == f"drift engine: python ({ENV}=0)"
