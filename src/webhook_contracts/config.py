"""Project settings: `[tool.webhook-contracts]` in pyproject.toml, or webhook-contracts.toml.

Paths are relative to the project root (the folder holding the config file)
and must stay inside it: an absolute path, a `..` or a symlink leading out is
an error (a path given on the command line is the user's own choice). Numbers
have ranges. Command-line flags override the file. An unknown key or a bad
value is an error that names the file and the key, so a typo never silently
does nothing.
"""

from __future__ import annotations

import difflib
import keyword
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any

from .drift.aggregate import MAX_GROUPS
from .drift.sniff import MAX_LINE_BYTES, SNIFF_LINES
from .drift.walker import MAX_NEW_KEYS
from .errors import ConfigError
from .findings import DRIFT_SEVERITY, KINDS
from .fsio import MAX_FILE_BYTES
from .payloads import MAX_ERRORS
from .providers import PROVIDERS, Provider, default_provider

SEVERITIES = ("error", "warning", "info", "off")
FAIL_ON = ("error", "warning", "info", "never")
#: Largest config file read (pyproject.toml or webhook-contracts.toml).
MAX_CONFIG_BYTES = 1 << 20
#: Default of `max-baseline-bytes`: a larger baseline file is refused.
MAX_BASELINE_BYTES = 64 << 20
#: Highest value of a count limit (`max-groups`, `max-new-keys`, `max-errors-per-payload`, `sniff-lines`):
#: a million groups, keys or errors still fit in memory, and a bigger number is a typo.
COUNT_LIMIT = 1_000_000
#: Inclusive range of the byte limits `max-payload-bytes` and `max-baseline-bytes`.
BYTES_RANGE = (1, 1 << 30)
#: Settings that are paths relative to the root.
_PATH_KEYS = ("docs", "schemas", "contracts", "changelog", "baseline")


@dataclass(frozen=True)
class Settings:
    """Where things live and how strict to be."""

    root: Path = Path()
    #: The config file the values come from (for messages).
    source: str = "defaults"
    docs: str = "docs"
    schemas: str = "schemas"
    contracts: str = "contracts"
    #: The webhook provider whose documents and payloads these are.
    provider: Provider = field(default_factory=default_provider)
    #: Import name of the generated models (default: the provider's).
    package: str = ""
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
    #: Largest baseline file read.
    max_baseline_bytes: int = MAX_BASELINE_BYTES
    #: Lines looked at, at most, to tell an NDJSON log from one JSON document.
    sniff_lines: int = SNIFF_LINES
    #: Errors (validate, check's fixtures) or differences (compare) of one payload described one by one;
    #: past it validation stops and compare only counts, and the output says so.
    max_errors_per_payload: int = MAX_ERRORS
    #: Largest repository file read (schema, index, CHANGELOG, model, baseline, OpenAPI document).
    max_file_bytes: int = MAX_FILE_BYTES
    #: New keys drift lists per object of a payload; the rest are counted in one finding.
    max_new_keys: int = MAX_NEW_KEYS
    #: Distinct drift findings grouped; past it they are counted by event, kind and severity.
    max_groups: int = MAX_GROUPS
    #: Largest share of log records that may be unparseable or of unknown events before drift fails.
    max_unchecked_share: float = 0.5
    #: Events of the provider's OpenAPI document that get contracts (globs; events with doc pages always do);
    #: None: the provider's default events.
    events: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.package:
            object.__setattr__(self, "package", self.provider.package)

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

    @property
    def config_file(self) -> str | None:
        """The config file in use, relative to the root; None when every value is a default."""
        return None if self.source == "defaults" else self.source

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
    "provider": (str,),
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
    "max_baseline_bytes": (int,),
    "sniff_lines": (int,),
    "max_errors_per_payload": (int,),
    "max_file_bytes": (int,),
    "max_new_keys": (int,),
    "max_groups": (int,),
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
        if pyproject.exists() and b"[tool.webhook-contracts]" in _read_bytes(pyproject):
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
        values[name] = _dotted(value) if name == "severity" and isinstance(value, dict) else value
    _check_values(values, source)
    for key in ("fixtures", "events"):
        if key in values:
            values[key] = tuple(values[key])
    if "provider" in values:
        values["provider"] = PROVIDERS[values["provider"]]
    for key in ("detect_threshold", "max_unchecked_share"):
        if key in values:
            values[key] = float(values[key])
    settings = Settings(root=root, source=source, **values)
    _check_paths(settings)
    return settings


def _read_bytes(path: Path) -> bytes:
    """A config file's bytes: only a regular file of at most MAX_CONFIG_BYTES is read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ConfigError(f"{path}: not a regular file")
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not read")
    return data


#: The value of a key set to an integer too long for Python to convert (tomllib raises a bare ValueError).
_LONG_INTEGER = re.compile(r"[ \t]*[+-]?\d[\d_]{1000,}")


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = _read_bytes(path).decode("utf-8")
        return tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except ValueError as exc:  # an integer of thousands of digits
        where = "a number"
        for number, line in enumerate(text.splitlines(), 1):
            key, sep, value = line.partition("=")
            if sep and _LONG_INTEGER.match(value):
                where = f"{key.strip().strip(chr(34) + chr(39))} (line {number})"
                break
        raise ConfigError(f"{path.name}: {where} is out of range: an integer of thousands of digits") from exc


def _read_table(root: Path) -> tuple[dict[str, Any], str]:
    dedicated = root / "webhook-contracts.toml"
    pyproject = root / "pyproject.toml"
    for path, nested in ((dedicated, False), (pyproject, True)):
        if not path.exists():
            continue
        data = _parse(path)
        table: Any = data
        if nested:
            tool = data.get("tool", {})
            if not isinstance(tool, dict):
                raise ConfigError(f"{path}: tool must be a table, not {type(tool).__name__}")
            table = tool.get("webhook-contracts")
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.webhook-contracts] must be a table")
        return table, path.name
    return {}, "defaults"


#: The count limits, each with what it counts (for the message).
_COUNTS = {
    "sniff_lines": " of lines",
    "max_errors_per_payload": "",
    "max_groups": " of groups",
    "max_new_keys": " of keys",
}


def _check_values(values: dict[str, Any], source: str) -> None:
    if values.get("provider", next(iter(PROVIDERS))) not in PROVIDERS:
        raise ConfigError(f"{source}: unknown provider {values['provider']!r} (known: {', '.join(sorted(PROVIDERS))})")
    if values.get("fail_on", "error") not in FAIL_ON:
        raise ConfigError(f"{source}: fail-on must be one of {', '.join(FAIL_ON)}")
    for kind, level in values.get("severity", {}).items():
        _check_kind(kind, source)
        if level not in SEVERITIES:
            raise ConfigError(f"{source}: severity.{kind} must be one of {', '.join(SEVERITIES)}")
    for key in ("fixtures", "events"):
        if not all(isinstance(item, str) and item for item in values.get(key, [])):
            raise ConfigError(f"{source}: {key} must be a list of strings")
    for pattern in values.get("fixtures", []):
        if _escapes(pattern) or not PureWindowsPath(pattern).parts:
            raise ConfigError(
                f"{source}: fixtures: {pattern!r} must be a relative glob inside the project "
                "(no absolute path, no `..`, not empty)"
            )
    # Compared as they are: float() of a 400-digit integer overflows.
    if not 0 < values.get("detect_threshold", 0.6) <= 1:
        raise ConfigError(f"{source}: detect-threshold must be in (0, 1]")
    if not 0 <= values.get("max_unchecked_share", 0.5) <= 1:
        raise ConfigError(f"{source}: max-unchecked-share must be in [0, 1]")
    lo, hi = BYTES_RANGE
    for key in ("max_payload_bytes", "max_baseline_bytes", "max_file_bytes"):
        if not lo <= values.get(key, lo) <= hi:
            raise ConfigError(f"{source}: {key.replace('_', '-')} must be a number of bytes from {lo} to {hi}")
    for key, unit in _COUNTS.items():
        if not 1 <= values.get(key, 1) <= COUNT_LIMIT:
            raise ConfigError(f"{source}: {key.replace('_', '-')} must be a number{unit} from 1 to {COUNT_LIMIT}")
    package = values.get("package", "x")
    if not package.isidentifier() or keyword.iskeyword(package):
        raise ConfigError(
            f"{source}: package must be a Python identifier (the import name of the models), not {package!r}"
        )


def _dotted(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """*table* with TOML's dotted keys joined back into names: `schema.required = ...` is a nested table."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_dotted(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _check_kind(kind: str, source: str) -> None:
    """A key of the `severity` table names a kind whose severity can be set: a drift kind."""
    if kind in DRIFT_SEVERITY:
        return
    known = sorted(DRIFT_SEVERITY)
    if kind in KINDS:
        commands = " and ".join(f"`{c}`" for c in KINDS[kind].commands)
        why = f"is reported by {commands}, whose severities cannot be changed"
    else:
        why = "is not a finding kind"
        close = difflib.get_close_matches(kind.replace("-", "_"), known, n=1)
        if close:
            why += f"; did you mean {close[0]!r}?"
    raise ConfigError(f"{source}: severity: {kind!r} {why} (known: {', '.join(known)})")


def _escapes(value: str) -> bool:
    """True when the path *value* is absolute, climbs with `..` (either separator), starts at `~` or holds a NUL."""
    if "\0" in value:
        return True
    parts = PureWindowsPath(value)
    return bool(parts.anchor) or ".." in parts.parts or value.startswith("~")


#: Paths that may lie outside the project when given on the command line.
_ON_THE_COMMAND_LINE = {
    "baseline": "; a baseline elsewhere can be given with --baseline",
    "schemas": "; a schemas folder elsewhere can be given with --schemas",
}


def _check_paths(settings: Settings) -> None:
    """Every path the configuration names stays inside the root, also through symlinks."""
    root = settings.root.resolve()
    for key in _PATH_KEYS:
        value: str | None = getattr(settings, key)
        if value is None:
            continue
        name = key.replace("_", "-")
        if not value or _escapes(value):
            elsewhere = _ON_THE_COMMAND_LINE.get(key, "")
            raise ConfigError(
                f"{settings.source}: {name} = {value!r} must be a relative path inside the project "
                f"(no absolute path, no `..`){elsewhere}"
            )
        target = (root / value).resolve()
        if not target.is_relative_to(root):
            raise ConfigError(
                f"{settings.source}: {name} = {value!r} leads outside the project through a symlink (to {target})"
            )
