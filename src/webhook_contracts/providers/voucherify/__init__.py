"""Voucherify: doc pages and the OpenAPI webhooks document, `EVENTS.X.Y` keys, two delivery envelopes.

Voucherify's OpenAPI document describes each event's data as the request
body of `webhooks/EVENTS.<EVENT>` (the delivery envelope is not in it); the
doc pages add examples and field lists. Objects are tagged by `object` and
their ids carry a prefix per kind (`cust_`, `camp_`, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import Provider, WebhookRules
from .envelope import ENVELOPE_KEYS, unwrap
from .names import API_VERSION, API_VERSION_FORM, EVENT_NAME, api_version_of, event_name

if TYPE_CHECKING:
    from pathlib import Path

    from ...contracts.docpage import DocPage

#: Identifier prefixes pinned as `pattern`s, with the kind of object each names (None: not an object's id).
ID_PREFIXES: dict[str, str | None] = {
    "auto_": None,
    "camp_": "campaign",
    "cat_": None,
    "cust_": "customer",
    "ern_": "earning_rule",
    "evcus_": "event",
    "lopp_": "pending_points",
    "ltr_": "loyalty_tier",
    "ord_": "order",
    "ordli_": "order_item",
    "prod_": "product",
    "promo_": "promotion_tier",
    "pub_": "publication",
    "r_": None,
    "sku_": "sku",
    "user_": None,
    "v_": "voucher",
    "v-": None,
    "vtx_": "transaction",
}
#: Keys whose string value is the object tag, pinned as `const`.
TAG_KEYS = frozenset({"object"})
#: Events of the OpenAPI document shipped when the configuration does not say: the loyalty programme's.
DEFAULT_EVENTS = ("*loyalty*", "*points*", "*reward*")


def read_doc_page(path: str | Path, *, api_version: str | None = None) -> DocPage:
    """:func:`.pages.read_doc_page`, imported when a page is read: the page reader is not needed to check
    payloads, and `drift` starts faster without it."""
    from .pages import read_doc_page as read

    return read(path, api_version=api_version)


VOUCHERIFY = Provider(
    name="voucherify",
    id_prefixes=ID_PREFIXES,
    tag_keys=TAG_KEYS,
    envelope_keys=ENVELOPE_KEYS,
    unwrap=unwrap,
    event_name=EVENT_NAME,
    api_version=API_VERSION,
    api_version_form=API_VERSION_FORM,
    webhooks=WebhookRules(api_version_of=api_version_of, event_of_key=event_name),
    default_events=DEFAULT_EVENTS,
    package="voucherify_webhooks",
    read_doc_page=read_doc_page,
    gate_envelopes=True,
)

__all__ = ["VOUCHERIFY"]
