"""The table of finding kinds is complete: every kind the code can emit is declared once."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from conftest import REPO

from webhook_contracts.findings import DRIFT_SEVERITY, KINDS, Severity

SOURCE = REPO / "src" / "webhook_contracts"
#: Calls that make a finding or a contract change, and the position of their kind argument.
_KIND_ARGUMENT = {"Finding": 0, "_finding": 0, "SchemaChange": 1}


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _emitted(path: Path) -> set[str]:
    """Kinds named in *path*: literal kind arguments, the tuples a kind variable loops over, message tables."""
    tree = ast.parse(path.read_text("utf-8"))
    kinds: set[str] = set()
    loops = {
        node.target.id: node.iter
        for node in ast.walk(tree)
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _KIND_ARGUMENT:
            position = _KIND_ARGUMENT[node.func.id]
            args = [*node.args[position : position + 1], *(k.value for k in node.keywords if k.arg == "kind")]
            for arg in args:
                if isinstance(arg, ast.Constant):
                    kinds |= _strings(arg)
                elif isinstance(arg, ast.Name) and isinstance(loops.get(arg.id), ast.Tuple):
                    kinds |= _strings(loops[arg.id])
        # `out.append(("nothing_checked", message))`: (kind, message) pairs turned into findings.
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and node.args
            and isinstance(node.args[0], ast.Tuple)
            and len(node.args[0].elts) == 2
            and isinstance(node.args[0].elts[0], ast.Constant)
        ):
            kinds |= _strings(node.args[0].elts[0])
    return kinds


def test_every_kind_the_code_emits_is_declared() -> None:
    from webhook_contracts.diff import payloads as payloadcompare
    from webhook_contracts.drift import walker as drift
    from webhook_contracts.payloads import validate

    emitted = set().union(*(_emitted(path) for path in sorted(SOURCE.rglob("*.py"))))
    emitted |= set(drift._MESSAGES) | set(payloadcompare.SEVERITY)
    emitted |= {*validate.KEYWORD_KINDS.values(), validate.OTHER_KEYWORD}
    # A kind spelled differently in the source is missed here; the list below pins what the scan sees.
    assert {
        "invalid_schema",
        "stale",
        "drift",
        "nothing_checked",
        "unchecked_traffic",
        "format",
        "const",
        "annotation",
        "value",
        "unknown_event",
        "errors_not_listed",
    } <= emitted
    assert sorted(emitted - set(KINDS)) == []
    assert sorted(set(KINDS) - emitted) == [], "declared kinds nothing emits"


def test_kinds_are_well_formed() -> None:
    for name, kind in KINDS.items():
        assert kind.name == name and kind.title and kind.description.endswith(".") and kind.remedy.endswith(".")
        assert set(kind.commands) <= {"drift", "check", "diff", "compare", "validate"}
    assert set(DRIFT_SEVERITY) == {name for name, kind in KINDS.items() if "drift" in kind.commands}


def _kinds_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kinds_reference", REPO / "tools" / "kinds_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_generated_from_the_kinds() -> None:
    tool = _kinds_reference()
    readme = (REPO / "README.md").read_text("utf-8")
    assert tool.updated(readme) == readme, "README.md's finding kinds are behind: run python tools/cli_reference.py"
    section = readme.split(tool.START, 1)[1].split(tool.END, 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| (\w+) \| ", section, flags=re.MULTILINE)
    assert sorted(rows) == sorted((name, kind.severity.label) for name, kind in KINDS.items())
    headings = re.findall(r"^Reported by (.*):$", section, flags=re.MULTILINE)
    assert headings == [
        "`drift` and `check --logs`",
        "`check`",
        "`diff` and `compare`",
        "`compare`",
        "`diff`",
        "`validate`",
    ]


def test_readme_table_goes_stale_when_a_kind_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _kinds_reference()
    readme = (REPO / "README.md").read_text("utf-8")
    monkeypatch.setitem(tool.KINDS, "new_field", dataclasses.replace(KINDS["new_field"], severity=Severity.ERROR))
    assert tool.updated(readme) != readme
    monkeypatch.setitem(tool.KINDS, "new_field", KINDS["new_field"])
    monkeypatch.setitem(tool.KINDS, "brand_new", dataclasses.replace(KINDS["value"], name="brand_new"))
    assert "| `brand_new` | info |" in tool.updated(readme)


def test_validate_kinds_are_keywords_and_do_not_collide() -> None:
    """A broken keyword is `schema.<keyword>`: no `validate` kind shares a name with a kind of another command."""
    from webhook_contracts.payloads.validate import KEYWORD_KINDS, OTHER_KEYWORD, keyword_kind

    assert all(kind == f"schema.{keyword}" for keyword, kind in KEYWORD_KINDS.items())
    assert keyword_kind("minimum") == OTHER_KEYWORD == "schema.other"
    validate = {name for name, kind in KINDS.items() if kind.commands == ("validate",)}
    assert validate == {*KEYWORD_KINDS.values(), OTHER_KEYWORD, "unknown_event", "errors_not_listed"}
    assert not validate & {name for name, kind in KINDS.items() if "validate" not in kind.commands}
