"""The extension's tree walker: the reference walker's findings, in its order, on any value.

The law: for every contract and every decoded payload, the extension's walk
(:class:`_native.Walker`, built by :mod:`webhook_contracts.drift.native.walk`)
adds to the findings exactly what :func:`walker._walk` adds: the same keys,
the same first value of each (so `--show-values` is unchanged), the same new
keys listed and counted past `max-new-keys`. It is checked on every shipped
contract revision with doc examples, payloads drawn from the provider's
OpenAPI schemas and their mutations, and on a contract written to reach every
rule the extension judges itself (formats, prefixes, tags, enums, numbers,
maps, open objects, depth).
"""

from __future__ import annotations

import copy
import functools
import pickle
import random
import string
from typing import Any

import pytest
from drift_support import all_examples, positions, registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provider_traffic import EVENT_KEYS, generate

from webhook_contracts.drift import walker
from webhook_contracts.drift.native import ENV, engine_name, load
from webhook_contracts.drift.walker import MAX_DEPTH, CompiledContract, check_payload, compile_contract

needs_native = pytest.mark.skipif(load() is None, reason=f"the drift engine here is {engine_name()}")


@functools.cache
def _shipped() -> tuple[CompiledContract, ...]:
    """Every revision of every shipped contract."""
    reg = registry()
    out = []
    for event in reg.events():
        for version in reg.api_versions():
            for rev in reg.history(event, version):
                schema = reg.load(rev)
                out.append(compile_contract(schema, event=event, api_version=version, revision=rev.revision))
    return tuple(out)


#: A contract that reaches every rule: formats, an identifier prefix, a tag, enums of strings and
#: integers, numbers, nullable and multi-typed fields, arrays with and without items, a map of
#: generated ids, an open object, free-form metadata, required and documented keys, deep nesting.
_RULES: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "amount", "when", "tree"],
    "x-documented": ["day", "tags"],
    "properties": {
        "id": {"type": "string", "pattern": "^cust_"},
        "object": {"type": "string", "const": "customer"},
        "amount": {"type": "number"},
        "count": {"type": "integer"},
        "price": {"type": ["number", "null"]},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "flag": {"type": "boolean", "enum": [True]},
        "mixed": {"enum": ["a", 1, 2.5, None]},
        "status": {"type": "string", "enum": ["ACTIVE", "PAUSED"]},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": ["string", "null"], "format": "date"},
        "email": {"type": "string", "format": "email"},
        "site": {"type": "string", "format": "uri"},
        "anything": {},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
        "list": {"type": "array"},
        "metadata": {"type": "object"},
        "open": {"type": "object"},
        "either": {"type": ["object", "array", "string"], "properties": {"k": {"type": "integer"}}},
        "redemptions": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["date"],
                "properties": {"date": {"type": "string", "format": "date-time"}, "n": {"type": "integer"}},
            },
        },
        "tree": {},  # below: nested past MAX_DEPTH
    },
}


def _nested(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "object", "properties": {"name": {"type": "string"}}}
    for _ in range(levels):
        node = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "child": node}}
    return node


_RULES["properties"]["tree"] = _nested(MAX_DEPTH + 6)


@functools.cache
def _rules() -> CompiledContract:
    return compile_contract(_RULES, event="rules", api_version="v1", revision=1)


def _rules_example() -> dict[str, Any]:
    tree: dict[str, Any] = {"name": "leaf"}
    for depth in range(MAX_DEPTH + 4):
        tree = {"name": f"n{depth}", "child": tree}
    return {
        "id": "cust_abc123",
        "object": "customer",
        "amount": 12.5,
        "count": 3,
        "price": None,
        "level": 2,
        "flag": True,
        "mixed": "a",
        "status": "ACTIVE",
        "when": "2024-01-18T15:18:39.015Z",
        "day": "2024-02-29",
        "email": "ana@example.com",
        "site": "https://example.com/a",
        "anything": [1, {"x": None}],
        "tags": ["x", "y"],
        "list": [1, "two"],
        "metadata": {"free": {"form": 1}},
        "open": {},
        "either": {"k": 1},
        "redemptions": {"r_0e2905d4e6985a04b5": {"date": "2024-01-18T15:18:39Z", "n": 1}},
        "tree": tree,
    }


def _walk_both(data: Any, contract: CompiledContract, max_new_keys: int) -> None:
    """Walk *data* in Python and natively; assert the findings, their first values and the listing agree."""
    reference = walker._Raw(max_new_keys)
    walker._walk(data, contract.root, reference, 0)
    native = walker._Raw(max_new_keys)
    assert contract.native is not None
    contract.native.walk(data, native)
    assert dict(native) == dict(reference)
    assert {key: id(value) for key, value in native.items()} == {key: id(value) for key, value in reference.items()}
    assert native.listed == reference.listed
    assert native.unlisted == reference.unlisted


# Values a mutation puts anywhere: every JSON type, numbers past the double range, strings that
# almost fit a format or prefix, text Python holds but UTF-8 cannot encode, generated-id keys.
_ODD_STRINGS = st.sampled_from(
    [
        "",
        "2024-02-30",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z\n",
        "2024-01-01t00:00:00.1234567Z",
        "\uff12\uff10\uff12\uff14-01-01",  # full-width digits
        "cust_x",
        "cust",
        "customer",
        "ACTIVE",
        "a@b.co",
        'a"@b.co',
        "a@b.c",
        "ana@exämple.com",
        "http://x",
        "http://\x85x",
        "x\ud800",
        "\ud800",
        "v_abc",
        "7",
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1, 0, 1, 2, 3])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | _ODD_STRINGS
)
_KEYS = st.text(max_size=6) | st.sampled_from(["r_0e2905d4e6985a04b5", "x_1234567890", "id", "k", "\ud800"])
_NOISE = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


def _mutate(data: dict[str, Any], rng: random.Random, noise: Any) -> None:
    where = rng.choice(positions(data)[1:] or [()])
    if not where:
        data["".join(rng.choice(string.ascii_lowercase) for _ in range(5))] = copy.deepcopy(noise)
        return
    *parents, last = where
    node: Any = data
    for part in parents:
        node = node[part]
    roll = rng.random()
    if roll < 0.2 and isinstance(node, dict):
        del node[last]
    elif roll < 0.35 and isinstance(node, dict):
        node[rng.choice(["", "k", "r_0e2905d4e6985a04b5"]) + rng.choice(string.ascii_lowercase)] = copy.deepcopy(noise)
    elif roll < 0.5 and isinstance(node[last], str) and node[last]:
        text = node[last]
        cut = rng.randrange(len(text))
        node[last] = text[:cut] + rng.choice("0_-Z9: xé\n\ud800") + text[cut + 1 :]
    else:
        node[last] = copy.deepcopy(noise)


@functools.cache
def _payloads() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Doc examples of every event and payloads drawn from the provider's schemas."""
    out = list(all_examples())
    for event in sorted(set(registry().events()) & set(EVENT_KEYS)):
        for seed in range(4):
            try:
                out.append((event, generate(event, random.Random(seed))))
            except ValueError:  # no value for a oneOf at this seed
                continue
    return tuple(out)


def _contracts_of(event: str) -> list[CompiledContract]:
    return [c for c in _shipped() if c.event == event] or [_rules()]


@needs_native
def test_every_shipped_revision_walks_every_payload_alike() -> None:
    payloads = _payloads()
    assert len({event for event, _ in payloads}) >= 20
    for event, data in payloads:
        for contract in _contracts_of(event):
            for max_new_keys in (0, 1, walker.MAX_NEW_KEYS):
                _walk_both(data, contract, max_new_keys)


@needs_native
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pick=st.integers(0, 10_000),
    seed=st.integers(0, 2**32),
    count=st.integers(1, 4),
    noise=_NOISE,
    max_new_keys=st.sampled_from([0, 1, 2, 100]),
)
def test_mutated_payloads_walk_alike(pick: int, seed: int, count: int, noise: Any, max_new_keys: int) -> None:
    payloads = _payloads()
    event, original = payloads[pick % len(payloads)]
    data = copy.deepcopy(original)
    rng = random.Random(seed)
    for _ in range(count):
        _mutate(data, rng, noise)
    for contract in _contracts_of(event):
        _walk_both(data, contract, max_new_keys)


@needs_native
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), count=st.integers(0, 5), noise=_NOISE, max_new_keys=st.sampled_from([0, 1, 100]))
def test_every_rule_walks_alike(seed: int, count: int, noise: Any, max_new_keys: int) -> None:
    data = _rules_example()
    rng = random.Random(seed)
    for _ in range(count):
        _mutate(data, rng, noise)
    _walk_both(data, _rules(), max_new_keys)


@needs_native
@pytest.mark.parametrize("value", [None, [], "text", 1, 1.5, True, {}, {"id": "cust_1"}])
def test_any_value_walks_alike_at_the_root(value: Any) -> None:
    _walk_both(value, _rules(), 100)


@needs_native
def test_the_rules_contract_reaches_every_rule() -> None:
    """The example is clean; each edit below is found, natively as in Python."""
    assert check_payload(_rules_example(), _rules()) == []
    edits: list[tuple[str, Any]] = [
        ("id", "cus_abc"),
        ("object", "vendor"),
        ("amount", 10**400),
        ("amount", float("inf")),
        ("amount", float("nan")),
        ("price", float("-inf")),
        ("count", 1.0),
        ("level", 4),
        ("flag", False),
        ("mixed", 2),
        ("status", "GONE"),
        ("when", "2024-01-18 15:18:39Z"),
        ("day", "2023-02-29"),
        ("email", "ana at example.com"),
        ("site", "example.com"),
        ("tags", ["z"]),
        ("open", {"new": 1}),
        ("either", 3),
        ("redemptions", {"r_0e2905d4e6985a04b5": {"n": "1"}, "plain": {}}),
        ("tree", {"name": "n", "child": {"child": {}}}),
    ]
    for key, value in edits:
        data = _rules_example()
        data[key] = value
        assert check_payload(data, _rules()), key
        _walk_both(data, _rules(), 100)


@needs_native
def test_drift_walks_natively_and_says_so_by_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walker is the extension's where the engine is native, and Python's with the engine forced off."""
    assert _rules().native is not None
    monkeypatch.setenv(ENV, "0")
    fresh = compile_contract(_RULES, event="rules", api_version="v1", revision=1)
    assert fresh.native is None
    data = _rules_example()
    data["new"] = {"a": 1}
    assert check_payload(data, fresh) == check_payload(data, _rules())


@needs_native
def test_a_contract_travels_to_other_processes_without_its_native_walker() -> None:
    """Spawned `--jobs` workers and Dask workers receive compiled contracts by pickle; each builds its own walker."""
    contract = compile_contract(_RULES, event="rules", api_version="v1", revision=1)
    data = _rules_example()
    data["level"] = 9
    found = check_payload(data, contract)  # the walker is built and kept
    copied = pickle.loads(pickle.dumps(contract))
    assert "native" not in copied.__dict__
    assert copied == contract
    assert check_payload(data, copied) == found
    assert copied.native is not None
