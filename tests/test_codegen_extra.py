"""The model generator is an extra: without it `regen` says what to install, and the rest works.

Its absence is simulated in a fresh interpreter whose `sys.meta_path` refuses
to import it, as an environment installed without `webhook-contracts[codegen]`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import REPO, Invoke
from drift_support import example

from webhook_contracts.contracts import codegen

HEAVY = ("datamodel_code_generator", "black", "isort", "jinja2")
BLOCKER = f"""
import sys

class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {HEAVY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
"""
RUN_CLI = BLOCKER + "from webhook_contracts.cli import main\nmain(sys.argv[1:], prog_name='webhook-contracts')\n"
HINT = "pip install 'webhook-contracts[codegen]'"


def _env() -> dict[str, str]:
    paths = [str(REPO / "src"), str(REPO / "contracts"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def _without_generator(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args], cwd=cwd, env=_env(), capture_output=True, text=True, check=False
    )


def _tree(root: Path) -> dict[Path, bytes]:
    """The project's files, less the lock file every `regen` leaves."""
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != "lock"}


@pytest.mark.parametrize("args", [["regen"], ["regen", "--check"]])
def test_regen_without_the_generator_says_what_to_install(project: Path, args: list[str]) -> None:
    before = _tree(project)
    done = _without_generator("--root", str(project), *args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        f"error: generating the models needs datamodel-code-generator, which is not installed: {HINT}\n"
    )
    assert _tree(project) == before


def test_check_without_the_generator_fails_the_models_check_and_runs_the_others(project: Path) -> None:
    done = _without_generator("--root", str(project), "check", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    kinds = [f["kind"] for f in report["findings"]]
    assert kinds == ["generator_missing"]
    assert HINT in report["findings"][0]["message"]
    assert "--skip models" in report["findings"][0]["message"]
    checks = report["summary"]["checks"]
    assert checks["models"] == "failed"
    assert checks["schemas"] == checks["index"] == checks["fixtures"] == "passed"
    skipped = _without_generator("--root", str(project), "check", "--skip", "models")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr


def test_drift_and_validate_need_no_generator(tmp_path: Path) -> None:
    log = REPO / "tests" / "data" / "sample-log" / "production.ndjson"
    drift = _without_generator("drift", "--payload-field", "body", "--fail-on", "never", str(log))
    assert drift.returncode == 0, drift.stderr
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(example("customer.rewarded.loyalty_points")), "utf-8")
    validate = _without_generator("validate", str(payload))
    assert validate.returncode == 0, validate.stderr


def test_another_generator_version_is_a_usage_error(
    cli: Invoke, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "0.88.0" if name == codegen.GENERATOR else real(name)
    )
    result = cli("regen", "--check", root=project)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: generating the models needs datamodel-code-generator==0.89.0 (the models are checked byte for "
        f"byte), found 0.88.0: {HINT}\n"
    )


def test_generated_models_import_nothing_but_pydantic() -> None:
    """Every generated module, imported in a fresh interpreter, loads no toolkit or generator module."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import voucherify_webhooks as pkg\n"
        "names = [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
        "print('\\n'.join(sorted({m.partition('.')[0] for m in sys.modules})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "contracts")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    count, *loaded = done.stdout.split()
    assert int(count) >= 28  # the version package, its 27 modules and the support modules
    assert "pydantic" in loaded
    assert not {"webhook_contracts", *HEAVY} & set(loaded)


def test_every_install_path_pins_the_generator_the_toolkit_expects() -> None:
    pin = f"{codegen.GENERATOR}=={codegen.GENERATOR_VERSION}"
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["optional-dependencies"]["codegen"] == [pin]
    assert not any(dep.startswith(codegen.GENERATOR) for dep in project["dependencies"])
    for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8")):
        assert hook["additional_dependencies"] == [pin], hook["id"]
    action = (REPO / "action.yml").read_text("utf-8")
    assert re.search(r"pip install .*\[codegen\]", action)
    assert re.search(r'pip install .*-e "\.\[codegen[],]', (REPO / "Makefile").read_text("utf-8"))
