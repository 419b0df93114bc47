"""What varies by webhook provider, one module per provider, in one table.

A :class:`Provider` holds everything the toolkit knows about one provider:
its identifier prefixes and the object kinds they name, the keys that tag an
object's kind, the delivery envelope and how to take the event data out of
it, the patterns of its event names and API versions, its doc-page reader
(if it has doc pages) and where its OpenAPI document keeps the events. The
rest of the package never names a provider; it asks the configured one
(`provider` in `[tool.webhook-contracts]`).

Adding a provider is one module that builds a :class:`Provider` and one entry
in :data:`PROVIDERS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..values.formats import id_prefix_of

if TYPE_CHECKING:
    from ..contracts.docpage import DocPage
    from ..payloads.envelope import Unwrapped

#: Reads one saved doc page (*path*; the API version defaults to its folder's name).
DocPageReader = Callable[..., "DocPage"]
#: Takes the event data out of a payload (a JSON object): (payload, source, where) -> what was found.
Unwrap = Callable[[dict[str, Any], str, "str | None"], "Unwrapped"]


@dataclass(frozen=True)
class WebhookRules:
    """Where a provider's OpenAPI 3.1 document keeps its webhook events and their payloads.

    Each entry of `webhooks` holds a `post` whose JSON request body schema is
    either the event data itself (*envelope* is None; the event is named by
    the `webhooks` key, read by *event_of_key*) or an envelope object (*envelope*
    is `(event key, data key)`: the property *event key* is a `const` or a
    one-value `enum` naming the event, the property *data key* is the event data).
    """

    #: The API version `info.version` stands for, or None when it stands for none.
    api_version_of: Callable[[str], str | None]
    #: The event a `webhooks` key names, if it names one (when the body is the event data).
    event_of_key: Callable[[str], str | None] | None = None
    #: (event key, data key) of the envelope object each request body is, if it is one.
    envelope: tuple[str, str] | None = None


@dataclass(frozen=True, eq=False)
class Provider:
    """Everything that is specific to one webhook provider."""

    name: str
    #: Identifier prefixes (`cust_`) with the kind of object each names (None: an id of no object kind).
    id_prefixes: Mapping[str, str | None]
    #: Keys whose string value tags an object's kind (`"object": "voucher"`), pinned as `const`.
    tag_keys: frozenset[str]
    #: Keys of the delivery envelope around the event data.
    envelope_keys: frozenset[str]
    #: Takes the event data out of a delivered payload.
    unwrap: Unwrap
    #: Event names (narrower than :data:`.names.EVENT_NAME`).
    event_name: re.Pattern[str]
    #: API versions (narrower than :data:`.names.API_VERSION`); also the names of the version folders.
    api_version: re.Pattern[str]
    #: How an API version is written, for messages (`vYYYY-MM-DD`).
    api_version_form: str
    #: Where the OpenAPI document keeps the events.
    webhooks: WebhookRules
    #: Events of the OpenAPI document that get contracts when the config does not say (globs).
    default_events: tuple[str, ...] = ("*",)
    #: Import name of the generated models when the config does not say.
    package: str = "webhooks"
    #: The doc-page reader, or None when the provider has no doc pages.
    read_doc_page: DocPageReader | None = None
    #: Whether the drift fast path reads this provider's envelopes (`type`, `data` and the other envelope
    #: keys; a `source.object` of `distribution` names the event in `event.type`); else envelopes always
    #: take the detailed path.
    gate_envelopes: bool = False
    #: The identifier prefixes, longest first (so `vtx_` wins over `v_`).
    prefixes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefixes", tuple(sorted(self.id_prefixes, key=lambda p: (-len(p), p))))

    def __repr__(self) -> str:
        return f"<Provider {self.name}>"

    def __reduce__(self) -> tuple[Callable[[str], Provider], tuple[str]]:
        """A provider is pickled by name (the parallel drift workers look it up again)."""
        return get_provider, (self.name,)

    def id_prefix_of(self, value: str) -> str | None:
        """The provider's identifier prefix *value* carries, if the rest looks like an id."""
        return id_prefix_of(value, self.prefixes)

    def object_kind(self, obj: dict[str, Any]) -> str | None:
        """The kind of *obj*: its tag (a lower-case snake word), else the kind its id prefix names."""
        for key in sorted(self.tag_keys):
            tag = obj.get(key)
            if isinstance(tag, str) and tag.replace("_", "").isalpha() and tag.islower():
                return tag
        ident = obj.get("id")
        if isinstance(ident, str):
            prefix = self.id_prefix_of(ident)
            if prefix is not None:
                return self.id_prefixes.get(prefix)
        return None

    def doc_page_reader(self, path: Path) -> DocPageReader:
        """The doc-page reader; *path* (the page asked for) names the error when there is none."""
        if self.read_doc_page is None:
            raise UsageError(
                f"{path}: the {self.name} provider has no doc pages (its contracts come from its "
                "OpenAPI document alone)"
            )
        return self.read_doc_page


from .openapi import OPENAPI  # noqa: E402  # the providers are built from the types above
from .voucherify import VOUCHERIFY  # noqa: E402

#: Every provider, by the name the config gives it.
PROVIDERS: dict[str, Provider] = {provider.name: provider for provider in (VOUCHERIFY, OPENAPI)}
#: The provider of a project whose config names none.
DEFAULT_PROVIDER = VOUCHERIFY.name


def get_provider(name: str) -> Provider:
    """The provider called *name*; an unknown name is an error naming the known ones."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise UsageError(f"unknown provider {name!r} (known: {', '.join(sorted(PROVIDERS))})") from None


def default_provider() -> Provider:
    """The provider of a project whose config names none."""
    return PROVIDERS[DEFAULT_PROVIDER]
