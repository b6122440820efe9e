"""Grafana unified alerting webhook (``version`` "1") → :class:`InboundBatch`.

Grafana's payload is Alertmanager's with extras, so the core of each alert is read by
:func:`muster.integrations.alertmanager.parse_alert` (status, labels, annotations, times,
fingerprint, generator URL, summary and severity rules). On top of that:

* ``dashboardURL``, ``panelURL`` and ``silenceURL`` become links ("Dashboard", "Panel",
  "Silence"); unsafe or malformed URLs are dropped, as for ``generatorURL``;
* ``imageURL`` becomes an image, linking to the panel (or the dashboard);
* ``values`` and ``valueString`` are kept in ``custom_details``.

Top-level ``title``, ``state``, ``message``, ``orgId`` and other fields are ignored: the
per-alert fields carry the same information.
"""

from __future__ import annotations

from muster.integrations.alertmanager import AlertExtras, parse_group
from muster.integrations.fields import (
    Problems,
    lenient_url,
    opt_str,
    sub,
    type_name,
)
from muster.integrations.normalized import (
    MAX_DETAILS,
    Image,
    InboundBatch,
    JsonObject,
    Link,
    clean_text,
    load_json,
)

_LINK_FIELDS = (("dashboardURL", "Dashboard"), ("panelURL", "Panel"), ("silenceURL", "Silence"))


def parse_grafana(body: object) -> InboundBatch:
    """Parse a Grafana webhook body (raw bytes or decoded JSON) into a batch."""
    doc = load_json(body)
    return parse_group(doc, "The Grafana payload is invalid.", alert_extras=GrafanaExtras())


class GrafanaExtras(AlertExtras):
    """Reads Grafana's per-alert URLs and values."""

    def read(
        self, item: JsonObject, path: str, problems: Problems
    ) -> tuple[list[Link], list[Image], JsonObject]:
        urls = {key: lenient_url(item, key, path, problems) for key, _ in _LINK_FIELDS}
        links = [Link(href=url, text=text) for key, text in _LINK_FIELDS if (url := urls[key])]
        images: list[Image] = []
        image_url = lenient_url(item, "imageURL", path, problems)
        if image_url:
            href = urls["panelURL"] or urls["dashboardURL"]
            images.append(Image(src=image_url, href=href, alt="Alert panel image"))
        custom: JsonObject = {}
        values = item.get("values")
        if isinstance(values, dict):
            custom["values"] = values
        elif values is not None:
            problems.add(sub(path, "values"), f"must be an object, not {type_name(values)}")
        value_string = opt_str(item, "valueString", path, problems)
        if value_string:
            custom["valueString"] = clean_text(value_string, MAX_DETAILS)
        return links, images, custom
