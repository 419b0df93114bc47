"""The command line: extract, validate; exit codes 0/1/2; one-line errors; no values leaked."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import DOCS, REPO, Invoke, write_json

from webhook_contracts import read_doc_page

PAGES = DOCS / "voucherify" / "v2024-01-01"
REWARDED = read_doc_page(PAGES / "customer.rewarded.loyalty_points.txt").examples[0]
ACTIVATED = read_doc_page(PAGES / "voucher.loyalty_card.pending_points.activated.txt").examples[0]


def write(tmp_path: Path, name: str, value: object) -> str:
    return str(write_json(tmp_path / name, value))


def flat(text: str) -> str:
    """*text* with runs of white space (table columns, wrapped lines) as one space."""
    return " ".join(text.split())


def test_extract_text_and_json(cli: Invoke) -> None:
    page = str(PAGES / "customer.voucher.loyalty_card.pending_points.added.txt")
    text = cli("extract", page)
    assert text.exit_code == 0
    assert "event          customer.voucher.loyalty_card.pending_points.added" in text.stdout
    assert "examples       1 (1 duplicate dropped)" in text.stdout
    data = json.loads(cli("extract", page, "--format", "json").stdout)
    assert data["event"] == "customer.voucher.loyalty_card.pending_points.added"
    assert data["api_version"] == "v2024-01-01"
    assert data["last_modified"] == "2026-01-27"
    assert "example_payloads" not in data
    assert cli("extract", page, "--format", "json", "--examples").stdout.count('"pending_points"') >= 1


def test_extract_bad_page_is_one_line_exit_2(cli: Invoke, tmp_path: Path) -> None:
    page = tmp_path / "v2024-01-01" / "broken.txt"
    page.parent.mkdir()
    page.write_text('EVENTS.A.B\n{\n  "a": \n}\n', "utf-8")
    result = cli("extract", str(page))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {page}:4:1: example JSON does not parse")


def test_validate_bare_seed_detected_by_shape(cli: Invoke, tmp_path: Path) -> None:
    result = cli("validate", write(tmp_path, "rewarded.json", REWARDED), root=REPO)
    assert result.exit_code == 0, result.output
    expected = "customer.rewarded.loyalty_points (v2024-01-01 r2, detected by shape, confidence 1.00): valid"
    assert result.stdout.startswith("validate: no findings\n")
    assert expected in flat(result.stdout)
    assert "1 of 1 payload(s) valid" in result.stdout


def test_validate_envelope_uses_its_type(cli: Invoke, tmp_path: Path) -> None:
    envelope = {
        "id": "evt_1",
        "project_id": "proj_1",
        "created_at": "2025-01-08T14:08:34.127Z",
        "type": "voucher.loyalty_card.pending_points.activated",
        "data": ACTIVATED,
        "source": "API",
        "event": {},
    }
    result = cli("validate", write(tmp_path, "envelope.json", envelope), root=REPO)
    assert result.exit_code == 0, result.output
    assert "(v2024-01-01 r2, from the envelope type): valid" in flat(result.stdout)


def test_validate_reports_paths_not_values(cli: Invoke, tmp_path: Path) -> None:
    bad = copy.deepcopy(REWARDED)
    bad["balance"]["points"] = "900"
    bad["customer"]["name"] = 7
    del bad["balance"]["total"]
    bad["order"]["status"] = "REFUNDED"
    bad["holder"]["id"] = "usr_Jack.Webhook@example.com"
    path = write(tmp_path, "bad.json", bad)
    result = cli("validate", path, "--event", "customer.rewarded.loyalty_points", root=REPO)
    assert result.exit_code == 1
    text = flat(result.stdout)
    assert text.startswith("validate: 5 findings (5 error, 0 warning, 0 info)")
    assert "schema.type /balance/points expected integer, got string" in text
    assert "schema.type /customer/name expected string, got integer" in text
    assert "schema.required /balance/total missing required field" in text
    assert "schema.enum /order/status not one of the 4 documented values" in text
    assert "schema.pattern /holder/id does not match the pattern ^cust_" in text
    assert "customer.rewarded.loyalty_points (v2024-01-01 r2, as given): 5 error(s)" in text
    assert "Jack.Webhook@example.com" not in result.stdout
    shown = cli("validate", path, "--event", "customer.rewarded.loyalty_points", "--show-values", root=REPO)
    assert '"usr_Jack.Webhook@example.com"' in shown.stdout


def test_validate_json_format(cli: Invoke, tmp_path: Path) -> None:
    bad = copy.deepcopy(ACTIVATED)
    bad["order"]["items"][1]["quantity"] = 1.5
    path = write(tmp_path, "a.json", bad)
    result = cli("validate", path, "--format", "json", root=REPO)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert (doc["command"], doc["counts"]) == ("validate", {"error": 1, "warning": 0, "info": 0})
    assert (doc["summary"]["valid"], doc["summary"]["total"]) == (0, 1)
    [payload] = doc["summary"]["payloads"]
    assert (payload["source"], payload["event"], payload["revision"], payload["status"]) == (
        path,
        "voucher.loyalty_card.pending_points.activated",
        2,
        "invalid",
    )
    [finding] = doc["findings"]
    assert {k: finding[k] for k in ("kind", "path", "message", "count", "extra")} == {
        "kind": "schema.type",
        "path": "/order/items/*/quantity",
        "count": 1,
        "message": "expected integer, got number (at /order/items/1/quantity)",
        "extra": {"examples": ["/order/items/1/quantity"], "keyword": "type"},
    }
    assert finding["location"] == {"file": path, "line": None, "created_at": None}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"customer": ', "not valid JSON"),
        (b"[1, 2]", "a payload must be a JSON object, not array"),
        (b'{"type": 5, "data": {}}', "envelope 'type' must be a string, not integer"),
        (b'{"type": "x.y", "data": [], "id": "1"}', "envelope 'data' must be an object, not array"),
    ],
)
def test_validate_bad_input_exit_2(cli: Invoke, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(content)
    result = cli("validate", str(path), root=REPO)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}")
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_validate_unknown_event_is_a_finding(cli: Invoke, tmp_path: Path) -> None:
    result = cli("validate", write(tmp_path, "x.json", {"something": "else"}), root=REPO)
    assert result.exit_code == 1
    assert "x.json: unknown event" in result.stdout
    assert "unknown_event" in result.stdout


def test_validate_reads_stdin(cli: Invoke) -> None:
    result = cli("validate", "-", "--event", "customer.rewarded.loyalty_points", input=json.dumps(REWARDED), root=REPO)
    assert result.exit_code == 0, result.output
    assert "\n  <stdin>: customer.rewarded.loyalty_points (v2024-01-01 r2, as given): valid\n" in result.stdout


def test_missing_file_exit_2(cli: Invoke, tmp_path: Path) -> None:
    result = cli("validate", str(tmp_path / "nope.json"), root=REPO)
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_unknown_config_key_is_named(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "webhook-contracts.toml").write_text('schemas = "schemas"\nschemaz = "oops"\n', "utf-8")
    result = cli("regen", "--check", root=tmp_path)
    assert result.exit_code == 2
    assert "unknown key 'schemaz'" in result.stderr


def test_a_mistyped_command_is_an_error_naming_the_closest_command(cli: Invoke) -> None:
    """The commands are loaded when used; an unknown name is still a usage error, with click's suggestion."""
    import click

    result = cli("drfit", "log.ndjson")
    assert result.exit_code == 2
    assert "No such command 'drfit'" in result.stderr
    if hasattr(click.exceptions, "NoSuchCommand"):  # click 8.4 on suggests close names
        assert "Did you mean 'drift'?" in result.stderr


def test_every_name_of_the_library_api_resolves_and_drift_starts_without_the_heavy_modules(tmp_path: Path) -> None:
    """The package imports its API lazily; each name must still be there, and a `drift` run must not load
    deepdiff, the model generator, jsonschema, the doc-page reader, other report formats, the process
    pool or the commands it does not run: they would only slow its start. (`multiprocessing` itself is not
    looked for: coverage loads it into every process it measures.)"""
    import subprocess
    import sys

    import webhook_contracts

    for name in webhook_contracts.__all__:
        assert getattr(webhook_contracts, name) is not None, name
    log = tmp_path / "one.ndjson"
    log.write_text(json.dumps(REWARDED) + "\n", "utf-8")
    heavy = (
        "concurrent.futures",
        "datamodel_code_generator",
        "deepdiff",
        "jsonschema",
        "webhook_contracts.check.gate",
        "webhook_contracts.cli.check",
        "webhook_contracts.cli.contracts",
        "webhook_contracts.contracts.inference",
        "webhook_contracts.diff.contracts",
        "webhook_contracts.diff.payloads",
        "webhook_contracts.providers.voucherify.pages",
        "webhook_contracts.report.junit",
        "webhook_contracts.report.sarif",
        "xml.etree.ElementTree",
    )
    code = (
        "import sys; from webhook_contracts.cli import main\n"
        f"try: main(['--root', {str(REPO)!r}, 'drift', {str(log)!r}])\n"
        "except SystemExit as end: print('exit', end.code, file=sys.stderr)\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.splitlines()[-2:] == ["exit 0", "[]"], done.stderr


def test_validate_reads_a_distribution_envelope_by_its_event_type(cli: Invoke, tmp_path: Path) -> None:
    delivery = {
        "id": "whs_1",
        "project_id": "proj_1",
        "created_at": "2024-01-01T11:11:11.111Z",
        "type": "voucher.loyalty_card.pending_points.activated",  # the distribution's own name, whatever it is
        "source": {"id": "distr_1", "object": "distribution", "target_url": "https://example.com/hook"},
        "event": {"id": "evcus_1", "type": "customer.rewarded.loyalty_points"},
        "data": REWARDED,
    }
    result = cli("validate", write(tmp_path, "delivery.json", delivery), root=REPO)
    assert result.exit_code == 0, result.output
    assert (
        "customer.rewarded.loyalty_points (v2024-01-01 r2, from the distribution envelope's event.type): valid"
        in flat(result.stdout)
    )


def test_version_comes_from_the_installed_metadata(cli: Invoke) -> None:
    from importlib.metadata import version

    import webhook_contracts

    assert webhook_contracts.__version__ == version("webhook-contracts")
    first, engine = cli("--version").stdout.strip().splitlines()
    assert first == f"webhook-contracts, version {version('webhook-contracts')}"
    assert engine.startswith("drift engine: ")
    assert (REPO / "LICENSE").read_text("utf-8").startswith("MIT License")
