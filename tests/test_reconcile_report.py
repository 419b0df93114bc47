"""`webhook-contracts reconcile`: the provider-docs quality report, against the real repository."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Invoke
from consumers import assert_github_renders_inert

from webhook_contracts.contracts.reconcile import FieldRow, Reconciled
from webhook_contracts.contracts.reconcile_report import build_view, render_markdown, render_text

EVENT = "customer.rewarded.loyalty_points"
EMAIL_NOTE = "null in a doc page's example and an OpenAPI example where the OpenAPI says string"


def _json(cli: Invoke, *args: str) -> dict[str, Any]:
    result = cli("reconcile", "--format", "json", *args, root=REPO)
    assert result.exit_code == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_text_report_of_one_event(cli: Invoke) -> None:
    result = cli("reconcile", "--event", EVENT, root=REPO)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"reconcile v2024-01-01: event {EVENT}, ")
    assert out.index(f"\nevent {EVENT}\n") < out.index("\nSimpleCustomer\n")
    assert "  PATH " in out and " OPENAPI " in out and " DECIDED " in out
    block = out.split("\nSimpleCustomer\n", 1)[1].split("\n\n", 1)[0]
    assert "used by 21 event(s): customer.loyalty.tier.downgraded, " in block and " and 18 more" in block
    email = next(line for line in block.splitlines() if line.strip().startswith("/email "))
    assert "string, optional" in email and "string|null, documented" in email
    assert f"! {EMAIL_NOTE}" in block
    assert f"  SimpleCustomer /email: {EMAIL_NOTE}\n" in out.split("\ndisagreements (", 1)[1]


def test_json_report_of_one_event(cli: Invoke) -> None:
    report = _json(cli, "--event", EVENT)
    assert report["api_version"] == "v2024-01-01"
    assert report["filter"] == {"event": EVENT, "disagreements_only": False}
    assert list(report["events"]) == [EVENT]
    owners = report["events"][EVENT]["owners"]
    assert owners[0] == f"event {EVENT}" and "SimpleCustomer" in owners
    assert EVENT in report["owners"]["SimpleCustomer"]["used_by"]
    email = [r for r in report["rows"] if (r["owner"], r["path"]) == ("SimpleCustomer", "/email")]
    assert email == [
        {
            "owner": "SimpleCustomer",
            "path": "/email",
            "page": "null",
            "openapi": "string, optional",
            "decided": "string|null, documented",
            "sources": ["openapi", "page", "openapi-example"],
            "disagreements": [EMAIL_NOTE],
        }
    ]
    assert {"owner": "SimpleCustomer", "path": "/email", "detail": EMAIL_NOTE} in report["disagreements"]
    assert report["counts"]["rows"] == len(report["rows"])
    assert report["counts"]["disagreements"] == len(report["disagreements"])


def test_rows_are_grouped_by_owner_then_sorted_by_path(cli: Invoke) -> None:
    report = _json(cli, "--event", EVENT)
    owners = [r["owner"] for r in report["rows"]]
    order = list(dict.fromkeys(owners))
    assert order == report["events"][EVENT]["owners"]
    assert order[0] == f"event {EVENT}" and order[1:] == sorted(order[1:])
    for owner in order:
        paths = [r["path"] for r in report["rows"] if r["owner"] == owner]
        assert paths == sorted(paths)


def test_shared_definitions_are_listed_once(cli: Invoke) -> None:
    report = _json(cli)
    owners = list(dict.fromkeys(r["owner"] for r in report["rows"]))
    assert [r["owner"] for r in report["rows"]] == sorted((r["owner"] for r in report["rows"]), key=owners.index), (
        "each owner's rows are together"
    )
    assert len(report["events"]) > 1
    users = report["owners"]["SimpleCustomer"]["used_by"]
    assert len(users) > 1
    holders = [e for e, v in report["events"].items() if "SimpleCustomer" in v["owners"]]
    assert sorted(holders) == users
    text = cli("reconcile", root=REPO).stdout
    assert text.count("\nSimpleCustomer\n") == 1


def test_markdown_report_of_one_event(cli: Invoke) -> None:
    result = cli("reconcile", "--event", EVENT, "--format", "markdown", root=REPO)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("# Reconciliation of v2024-01-01\n")
    assert "\n## event customer.rewarded.loyalty\\_points\n" in out
    assert "\n## SimpleCustomer\n" in out
    assert "| Path | Page | OpenAPI | Decided | Sources | Disagreements |" in out
    cells = "| /email | null | string, optional | string\\|null, documented | openapi+page+openapi-example |"
    assert f"{cells} {EMAIL_NOTE} |" in out
    assert f"| SimpleCustomer | /email | {EMAIL_NOTE} |" in out
    for line in out.splitlines():
        if line.startswith("| "):
            assert line.replace("\\|", "").count("|") == 7 or line.count("|") == 4


def test_disagreements_only(cli: Invoke) -> None:
    full = _json(cli)
    only = _json(cli, "--disagreements-only")
    assert only["filter"]["disagreements_only"] is True
    assert only["rows"] and all(r["disagreements"] for r in only["rows"])
    assert only["rows"] == [r for r in full["rows"] if r["disagreements"]]
    assert only["disagreements"] == full["disagreements"]
    text = cli("reconcile", "--disagreements-only", "--event", EVENT, root=REPO).stdout
    rows = [line for line in text.splitlines() if line.startswith("  /")]
    assert rows and "/email" in text
    assert "  /id " not in text  # SimpleCustomer /id agrees everywhere


def test_json_is_stable(cli: Invoke) -> None:
    first = cli("reconcile", "--format", "json", root=REPO)
    second = cli("reconcile", "--format", "json", root=REPO)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout_bytes == second.stdout_bytes
    assert json.loads(first.stdout)["counts"]["events"] > 1
    assert json.dumps(json.loads(first.stdout), indent=2, sort_keys=True) + "\n" == first.stdout


def test_document_notes_are_disagreements(cli: Invoke) -> None:
    report = _json(cli)
    notes = [d for d in report["disagreements"] if d["owner"] == "openapi"]
    assert notes and all(d["path"].startswith("/components/") for d in notes)


def test_unknown_event_exits_2_naming_known_events(cli: Invoke) -> None:
    result = cli("reconcile", "--event", "customer.nope", root=REPO)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: unknown event customer.nope in v2024-01-01; known: ")
    assert EVENT in result.stderr


def test_unknown_api_version_exits_2(cli: Invoke) -> None:
    result = cli("reconcile", "--api-version", "v1999-01-01", root=REPO)
    assert result.exit_code == 2
    assert result.stderr == "error: unknown API version v1999-01-01; known: v2024-01-01\n"


def test_no_openapi_document_exits_2(cli: Invoke, project: Path) -> None:
    for spec in project.glob("docs/*/v2024-01-01/*.json"):
        spec.unlink()
    result = cli("reconcile", root=project)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: docs: no provider OpenAPI document found")
    result = cli("reconcile", "--api-version", "v2024-01-01", root=project)
    assert result.exit_code == 2
    assert result.stderr == "error: no OpenAPI document for v2024-01-01; versions with one: none\n"


# -- escaping: hostile strings from a provider's documents stay inert ---------------------------

_HOSTILE = "a|b`c`<img src=x>[l](u) @octocat \x1b[31mred\x1b[0m\nnext"


def _hostile() -> Reconciled:
    rows = (
        FieldRow("event e", "", "object", "object, required", "object, required", ("openapi",)),
        FieldRow("Def", f"/{_HOSTILE}", _HOSTILE, "string", "string", ("openapi", "page"), (_HOSTILE,)),
    )
    return Reconciled("v2024-01-01", {}, rows, (), {"event e": ("e",), "Def": ("e",)})


def test_markdown_cells_are_inert() -> None:
    stream = io.StringIO()
    render_markdown(_hostile(), stream)
    out = stream.getvalue()
    for raw in ("<img", "`c`", "[l]", "@octocat", "\x1b", "a|b"):
        assert raw not in out
    table = [line for line in out.splitlines() if line.startswith("| /")]
    assert len(table) == 2 and all(line.endswith(" |") for line in table)
    assert_github_renders_inert(out)


def test_text_has_no_control_characters() -> None:
    stream = io.StringIO()
    render_text(_hostile(), stream)
    out = stream.getvalue()
    assert "\x1b" not in out and "\\x1b[31mred" in out
    assert "a|b`c`<img src=x>[l](u) @octocat \\x1b[31mred\\x1b[0m\\x0anext" in out


def test_build_view_rejects_unknown_event() -> None:
    from webhook_contracts.contracts.reconcile_report import ReconcileReportError

    with pytest.raises(ReconcileReportError, match=r"known: e$"):
        build_view(_hostile(), event="x")
