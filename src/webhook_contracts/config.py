"""Project settings: `[tool.webhook-contracts]` in pyproject.toml, or webhook-contracts.toml.

Paths are relative to the project root (the folder holding the config file).
Command-line flags override the file. An unknown key or a value of the wrong
type is an error that names the key, so a typo never silently does nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .drift import MAX_NEW_KEYS
from .errors import ConfigError
from .logread import MAX_LINE_BYTES

SEVERITIES = ("error", "warning", "info", "off")
FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Settings:
    """Where things live and how strict to be."""

    root: Path = Path()
    docs: str = "docs"
    schemas: str = "schemas"
    contracts: str = "contracts"
    package: str = "voucherify_webhooks"
    changelog: str = "CHANGELOG.md"
    api_version: str | None = None
    fixtures: tuple[str, ...] = ()
    fail_on: str = "error"
    severity: dict[str, str] = field(default_factory=dict)
    baseline: str | None = None
    show_values: bool = False
    detect_threshold: float = 0.6
    #: Largest payload read: a longer log line is skipped (and counted), a larger file refused.
    max_payload_bytes: int = MAX_LINE_BYTES
    #: New keys drift lists per object of a payload; the rest are counted in one finding.
    max_new_keys: int = MAX_NEW_KEYS
    #: Largest share of log records that may be unparseable or of unknown events before drift fails.
    max_unchecked_share: float = 0.5
    #: Events of the provider's OpenAPI document that get contracts (globs; events with doc pages always do).
    events: tuple[str, ...] = ("*loyalty*", "*points*", "*reward*")
    #: The file the settings were read from, relative to the root (None: the defaults).
    config_file: str | None = None

    @property
    def docs_dir(self) -> Path:
        return self.root / self.docs

    @property
    def schemas_dir(self) -> Path:
        return self.root / self.schemas

    @property
    def package_dir(self) -> Path:
        return self.root / self.contracts / self.package

    @property
    def baseline_path(self) -> Path | None:
        """The accepted-drift file the configuration names, if any."""
        return self.root / self.baseline if self.baseline else None

    @property
    def changelog_path(self) -> Path:
        return self.root / self.changelog

    def rel(self, path: Path) -> str:
        """*path* relative to the root, with forward slashes."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


_TYPES: dict[str, tuple[type, ...]] = {
    "docs": (str,),
    "schemas": (str,),
    "contracts": (str,),
    "package": (str,),
    "changelog": (str,),
    "api_version": (str,),
    "fixtures": (list,),
    "fail_on": (str,),
    "severity": (dict,),
    "baseline": (str,),
    "show_values": (bool,),
    "detect_threshold": (float, int),
    "max_payload_bytes": (int,),
    "max_new_keys": (int,),
    "events": (list,),
    "max_unchecked_share": (float, int),
}


def find_root(start: Path) -> Path:
    """The nearest folder at or above *start* with a config file (else *start*)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "webhook-contracts.toml").exists():
            return folder
        pyproject = folder / "pyproject.toml"
        if pyproject.exists() and "[tool.webhook-contracts]" in pyproject.read_text("utf-8", "replace"):
            return folder
    return start


def load_settings(root: Path | None = None) -> Settings:
    """Settings for the project at *root* (found from the working folder by default)."""
    root = find_root(root or Path.cwd())
    table, source = _read_table(root)
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in _TYPES:
            known = ", ".join(sorted(k.replace("_", "-") for k in _TYPES))
            raise ConfigError(f"{source}: unknown key {key!r} in [tool.webhook-contracts] (known: {known})")
        if not isinstance(value, _TYPES[name]) or isinstance(value, bool) != (bool in _TYPES[name]):
            expected = " or ".join(t.__name__ for t in _TYPES[name])
            raise ConfigError(f"{source}: {key} must be {expected}, not {type(value).__name__}")
        values[name] = value
    _check_values(values, source)
    for key in ("fixtures", "events"):
        if key in values:
            values[key] = tuple(values[key])
    for key in ("detect_threshold", "max_unchecked_share"):
        if key in values:
            values[key] = float(values[key])
    return Settings(root=root, config_file=None if source == "defaults" else source, **values)


def _read_table(root: Path) -> tuple[dict[str, Any], str]:
    dedicated = root / "webhook-contracts.toml"
    pyproject = root / "pyproject.toml"
    for path, nested in ((dedicated, False), (pyproject, True)):
        if not path.exists():
            continue
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from exc
        table = data.get("tool", {}).get("webhook-contracts") if nested else data
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.webhook-contracts] must be a table")
        return table, path.name
    return {}, "defaults"


def _check_values(values: dict[str, Any], source: str) -> None:
    if values.get("fail_on", "error") not in FAIL_ON:
        raise ConfigError(f"{source}: fail-on must be one of {', '.join(FAIL_ON)}")
    for kind, level in values.get("severity", {}).items():
        if level not in SEVERITIES:
            raise ConfigError(f"{source}: severity.{kind} must be one of {', '.join(SEVERITIES)}")
    for key in ("fixtures", "events"):
        if not all(isinstance(item, str) and item for item in values.get(key, [])):
            raise ConfigError(f"{source}: {key} must be a list of strings")
    threshold = values.get("detect_threshold", 0.6)
    if not 0 < float(threshold) <= 1:
        raise ConfigError(f"{source}: detect-threshold must be in (0, 1]")
    if not 0 <= float(values.get("max_unchecked_share", 0.5)) <= 1:
        raise ConfigError(f"{source}: max-unchecked-share must be in [0, 1]")
    if values.get("max_payload_bytes", 1) < 1:
        raise ConfigError(f"{source}: max-payload-bytes must be a positive number of bytes")
    if values.get("max_new_keys", 1) < 1:
        raise ConfigError(f"{source}: max-new-keys must be a positive number of keys")
