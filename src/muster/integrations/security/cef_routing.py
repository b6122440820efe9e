"""Which ``cef`` integration a syslog message belongs to.

A message is routed (by :mod:`muster.inbound.syslog`) in this order:

1. its syslog APP-NAME (RFC 5424) or TAG (RFC 3164) is the key of a live ``cef``
   integration - for senders that let you set it;
2. else the first live ``cef`` integration (oldest first) whose config ``match`` list
   names the record's Device Vendor (and, when given, Device Product), compared without
   regard to case: ``{"match": [{"vendor": "Check Point", "product": "VPN-1 & FireWall-1"}]}``;
3. else it is dropped and counted (``muster_ingest_rejected_total{type="cef",
   reason="unknown_key"}``).
"""

from __future__ import annotations

from typing import Any

from muster.errors import FieldError, InvalidInput

MAX_MATCHES = 50


def check_cef_config(config: dict[str, Any]) -> dict[str, Any]:
    """Validate a ``cef`` integration's config; returns it normalised."""
    match = config.get("match", [])
    errors: list[FieldError] = []
    if not isinstance(match, list) or len(match) > MAX_MATCHES:
        errors.append(FieldError("config.match", f"a list of at most {MAX_MATCHES} "
                                 '{"vendor": ..., "product": ...} objects'))  # fmt: skip
        match = []
    cleaned: list[dict[str, str]] = []
    for index, item in enumerate(match):
        where = f"config.match[{index}]"
        if not isinstance(item, dict) or set(item) - {"vendor", "product"}:
            errors.append(FieldError(where, 'an object with "vendor" and optional "product"'))
            continue
        vendor, product = item.get("vendor"), item.get("product")
        if not isinstance(vendor, str) or not vendor.strip() or len(vendor) > 200:
            errors.append(FieldError(f"{where}.vendor", "a Device Vendor, 1 to 200 characters"))
            continue
        if product is not None and (not isinstance(product, str) or len(product) > 200):
            errors.append(FieldError(f"{where}.product", "a Device Product, up to 200 characters"))
            continue
        entry = {"vendor": vendor.strip()}
        if product and product.strip():
            entry["product"] = product.strip()
        cleaned.append(entry)
    if errors:
        raise InvalidInput("bad CEF routing", errors=errors)
    return {**config, "match": cleaned}


def cef_matches(config: dict[str, Any], vendor: str, product: str) -> bool:
    """Whether a ``cef`` integration's config claims records of ``vendor``/``product``."""
    for item in config.get("match") or []:
        if not isinstance(item, dict) or not isinstance(item.get("vendor"), str):
            continue
        if item["vendor"].casefold() != vendor.strip().casefold():
            continue
        wanted = item.get("product")
        if not wanted or (
            isinstance(wanted, str) and wanted.casefold() == product.strip().casefold()
        ):
            return True
    return False
