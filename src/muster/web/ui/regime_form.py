"""The regime form: the regime's fields and its reports as repeated rows of fields named
``reports.<i>.<field>`` (the names the domain's errors use), without JavaScript: blank
rows are offered for new reports and a row left without key and name is dropped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from muster.domain.compliance.models import Regime, RegimeReport
from muster.domain.compliance.regime_schemas import ReportIn
from muster.errors import MusterError
from muster.web.ui.forms import FormState, blank_form, failed_form

BLANK_ROWS = 2
OPTIONAL = (
    "time_zone",
    "holiday_calendar",
    "cap_starts_on",
    "cap_amount",
    "cap_unit",
    "min_affected",
)
ROW_LABELS = {
    "starts_on": "clock starts on",
    "time_zone": "time zone",
    "holiday_calendar": "holiday calendar",
    "cap_starts_on": "cap starts on",
    "cap_amount": "cap amount",
    "cap_unit": "cap unit",
    "min_affected": "minimum affected",
    "late_needs_reason": "late needs a reason",
}


def regime_values(regime: Regime, reports: Sequence[RegimeReport]) -> dict[str, str]:
    values = {
        "key": regime.key, "name": regime.name, "description": regime.description,
        "proposed": "1" if regime.proposed else "",
    }  # fmt: skip
    for i, report in enumerate(reports):
        for name in ReportIn.model_fields:
            value = getattr(report, name)
            if isinstance(value, bool):
                text = "1" if value else ""
            else:
                text = "" if value is None else str(value)
            values[f"reports.{i}.{name}"] = text
    return values


def row_count(values: Mapping[str, str]) -> int:
    """How many report rows the form shows: the filled ones and :data:`BLANK_ROWS` more."""
    rows = {int(k.split(".")[1]) for k in values if k.startswith("reports.") and k.count(".") == 2 and k.split(".")[1].isdigit()}  # fmt: skip
    return (max(rows) + 1 if rows else 0) + BLANK_ROWS


def posted_reports(fields: Mapping[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The posted rows as report input (blank rows dropped, blank optional fields left
    out) and the form's values renumbered to match, so errors land on the right row."""
    reports: list[dict[str, Any]] = []
    values = {k: v for k, v in fields.items() if not k.startswith("reports.")}
    i = 0
    while f"reports.{i}.key" in fields or f"reports.{i}.name" in fields:
        row = {name: fields.get(f"reports.{i}.{name}", "") for name in ReportIn.model_fields}
        i += 1
        if not row["key"].strip() and not row["name"].strip():
            continue
        j = len(reports)
        for name, value in row.items():
            values[f"reports.{j}.{name}"] = value
        row["late_needs_reason"] = "true" if row["late_needs_reason"] else "false"
        reports.append({
            k: v for k, v in row.items() if not (k in OPTIONAL and not v.strip())
        })  # fmt: skip
    return reports, values


def regime_input(fields: Mapping[str, str], *, new: bool) -> tuple[dict[str, Any], dict[str, str]]:
    reports, values = posted_reports(fields)
    data: dict[str, Any] = {
        "name": fields.get("name", ""), "description": fields.get("description", ""),
        "proposed": "true" if fields.get("proposed") else "false", "reports": reports,
    }  # fmt: skip
    if new:
        data["key"] = fields.get("key", "")
    return data, values


def regime_form(values: Mapping[str, str], failed: MusterError | None = None) -> FormState:
    form = failed_form(values, failed) if failed is not None else blank_form(**values)
    for i in range(row_count(values)):
        for name in ReportIn.model_fields:
            form.labels[f"reports.{i}.{name}"] = (
                f"Report {i + 1}: {ROW_LABELS.get(name, name.replace('_', ' '))}"
            )
    form.labels["reports"] = "Reports"
    return form
