"""Templates: rendering over a context, strict undefined names, the sandbox, limits, and
secrets that never show in errors or redacted text."""

from __future__ import annotations

import pytest

from muster.domain.playbooks.templating import (
    TemplateProblem,
    check_syntax,
    redact,
    redact_value,
    render,
    render_value,
)

CONTEXT = {
    "incident": {"reference": "INC-7", "title": "Disk full", "services": ["db", "api"]},
    "alerts": [{"labels": {"host": "web-1"}}],
    "steps": {"ticket": {"id": "T-99"}},
}


def test_renders_fields_filters_and_outputs() -> None:
    text = (
        "{{ incident.reference }} {{ incident.services | join(', ') }} {{ alerts[0].labels.host }}"
    )
    assert render(text, CONTEXT) == "INC-7 db, api web-1"
    assert render("see {{ steps.ticket.id }}", CONTEXT) == "see T-99"
    assert render("no tags here", CONTEXT) == "no tags here"
    assert render('{"json": 1}', CONTEXT) == '{"json": 1}'


def test_render_value_recurses_and_names_the_field() -> None:
    value = {"url": "https://x/{{ incident.reference }}", "list": ["{{ incident.title }}", 3]}
    assert render_value(value, CONTEXT) == {"url": "https://x/INC-7", "list": ["Disk full", 3]}
    with pytest.raises(TemplateProblem) as caught:
        render_value({"headers": {"X": "{{ nope }}"}}, CONTEXT, field="steps.call")
    assert caught.value.errors[0].field == "steps.call.headers.X"
    assert "'nope' is undefined" in caught.value.detail


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{{ incident.missing }}", "has no attribute 'missing'"),
        ("{{ incident.title", "end of print statement"),
        ("{{ incident.__class__ }}", "unsafe"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
        ("{{ 'x' * 100000 }}", "repetition longer"),
        ("{{ 2 ** 100000 }}", "exponent too large"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ secrets.TOKEN }}", "'secrets' is undefined"),
    ],
)
def test_problems_are_named(text: str, reason: str) -> None:
    with pytest.raises(TemplateProblem) as caught:
        render(text, CONTEXT)
    assert reason in caught.value.detail


def test_output_size_is_bounded() -> None:
    with pytest.raises(TemplateProblem, match="more than"):
        render("{% for i in range(20000) %}{{ incident.title }}{% endfor %}", CONTEXT)


def test_secrets_render_but_never_leak_in_errors() -> None:
    secrets = {"TOKEN": "s3cr3t-value", "OTHER": "abc"}
    assert render("Bearer {{ secrets.TOKEN }}", CONTEXT, secrets=secrets) == "Bearer s3cr3t-value"
    with pytest.raises(TemplateProblem) as caught:
        render("{{ incident[secrets.TOKEN] }}", CONTEXT, secrets=secrets)
    assert "[secret]" in caught.value.detail  # the message named the missing key
    assert "s3cr3t-value" not in caught.value.detail
    with pytest.raises(TemplateProblem) as caught:
        render("{{ secrets.TOKEN.nope }}", CONTEXT, secrets=secrets)
    assert "s3cr3t-value" not in str(caught.value.detail) + str(caught.value.errors)


def test_redact() -> None:
    secrets = {"A": "token-123", "B": "token-123-longer", "EMPTY": ""}
    assert redact("x token-123-longer y token-123", secrets) == "x [secret] y [secret]"
    assert redact("nothing", secrets) == "nothing"
    assert redact_value({"k": ["token-123", 5]}, secrets) == {"k": ["[secret]", 5]}


def test_check_syntax() -> None:
    assert check_syntax("{{ ok }}") is None
    assert check_syntax("plain") is None
    reason = check_syntax("{% if %}")
    assert reason is not None
    assert "Expected an expression" in reason
