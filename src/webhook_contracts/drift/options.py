"""How a drift scan runs: the options, read from the project settings and checked against the contracts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config import Settings
from ..contracts.registry import Registry
from ..errors import UsageError
from ..findings import DRIFT_SEVERITY, Severity
from ..providers import Provider, default_provider
from .aggregate import MAX_GROUPS
from .walker import MAX_NEW_KEYS


@dataclass(frozen=True)
class DriftOptions:
    """How to scan: what to assume and how strict to be."""

    event: str | None = None
    api_version: str | None = None
    threshold: float = 0.6
    show_values: bool = False
    #: Severity per kind; a kind mapped to None is not reported.
    severities: Mapping[str, Severity | None] = field(default_factory=lambda: dict(DRIFT_SEVERITY))
    #: Largest share of records that may be unparseable or of unknown events before the run fails.
    max_unchecked_share: float = 0.5
    #: New keys listed per object of a payload; the rest are counted in one finding.
    max_new_keys: int = MAX_NEW_KEYS
    #: Distinct findings grouped; past it, findings are counted by event, kind and severity.
    max_groups: int = MAX_GROUPS
    #: Whose envelopes the payloads come in.
    provider: Provider = field(default_factory=default_provider)


def drift_options(
    settings: Settings,
    *,
    event: str | None = None,
    api_version: str | None = None,
    show_values: bool = False,
) -> DriftOptions:
    """How to scan, from the project settings; what the command line gives wins."""
    return DriftOptions(
        event=event,
        api_version=api_version or settings.api_version,
        threshold=settings.detect_threshold,
        show_values=show_values or settings.show_values,
        severities=severities_from_config(settings.severity),
        max_unchecked_share=settings.max_unchecked_share,
        max_new_keys=settings.max_new_keys,
        max_groups=settings.max_groups,
        provider=settings.provider,
    )


def check_options(registry: Registry, options: DriftOptions) -> None:
    """Refuse an event or API version the contracts do not have (a misconfigured gate never goes green)."""
    registry.require_api_version(options.api_version)
    if options.event is not None and options.event not in registry.events(options.api_version):
        where = f"API version {options.api_version}" if options.api_version else "any API version"
        known = ", ".join(registry.events(options.api_version)) or "none"
        raise UsageError(f"no contract for event {options.event!r} in {where} (known: {known})")


def severities_from_config(overrides: Mapping[str, str]) -> dict[str, Severity | None]:
    """DRIFT_SEVERITY with the config's `severity` table applied ("off" drops a kind)."""
    out: dict[str, Severity | None] = dict(DRIFT_SEVERITY)
    for kind, level in overrides.items():
        if kind in DRIFT_SEVERITY:
            out[kind] = None if level == "off" else Severity.parse(level)
    return out
