"""The delivery envelope around event data, and taking the data out of it.

A payload is the bare event data or a delivery envelope around it; which
envelopes there are is the provider's business (:mod:`..providers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import PayloadError
from ..values.jsontypes import json_type

if TYPE_CHECKING:
    from ..providers import Provider


@dataclass(frozen=True)
class Unwrapped:
    """Event data taken out of what was captured."""

    data: dict[str, Any]
    event: str | None = None
    envelope: dict[str, Any] | None = None
    #: How the event was delivered: "webhook" (project settings), "distribution", "unknown" (an
    #: envelope whose event cannot be read: detected by shape), or None (bare data).
    kind: str | None = None
    #: A distribution's own name (the envelope's `type`), for the summary.
    distribution: str | None = None


def unwrap(value: Any, source: str, where: str | None = None, *, provider: Provider | None = None) -> Unwrapped:
    """The event data of a payload: bare data, or the data of one of *provider*'s delivery envelopes.

    *provider* defaults to the provider of a project whose config names none.
    """
    if not isinstance(value, dict):
        raise PayloadError(source, f"a payload must be a JSON object, not {json_type(value)}", where=where)
    if provider is None:
        from ..providers import default_provider

        provider = default_provider()
    return provider.unwrap(value, source, where)
