"""Reading playbook YAML: a valid document, and every kind of problem reported with its
field path and YAML line."""

from __future__ import annotations

import pytest

from muster.domain.playbooks.defaults import shipped_sources
from muster.domain.playbooks.parse import MAX_SOURCE, parse_source
from muster.errors import InvalidInput

GOOD = """\
key: disk-full
name: Disk full
repeatable: true
triggers:
  - event: alert_matched
    condition: {field: summary, op: contains, value: disk}
conditions:
  all:
    - {field: severity, op: lte, value: SEV3}
steps:
  - name: clean
    kind: tasks
    tasks:
      - {title: "Free space on {{ alerts[0].labels.host }}", owner_role: technical}
  - name: pause
    kind: wait
    minutes: 10
"""


def problems(text: str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_source(text)
    return {e.field: e.reason for e in caught.value.errors}


def test_a_valid_document() -> None:
    parsed = parse_source(GOOD)
    assert (parsed.key, parsed.repeatable, [s.kind for s in parsed.steps]) == (
        "disk-full", True, ["tasks", "wait"],
    )  # fmt: skip
    assert parsed.triggers[0].condition is not None


def test_schema_problems_name_path_and_line() -> None:
    text = GOOD.replace("owner_role: technical", "owner: technical").replace(
        "minutes: 10", "minutes: -1"
    )
    found = problems(text)
    assert found["steps.0.tasks.0.owner"] == "unknown key (line 14)"
    assert found["steps.1.minutes"].endswith("(line 17)")
    assert "greater than or equal to 0" in found["steps.1.minutes"]


def test_missing_and_wrong_kinds() -> None:
    found = problems("key: Bad Key\nname: x\ntriggers: []\nsteps:\n  - {name: a, kind: teleport}\n")
    assert "key" in found
    assert "line 1" in found["key"]
    assert "triggers" in found
    assert any(f.startswith("steps.0") for f in found)


def test_bare_on_gets_a_hint() -> None:
    found = problems(GOOD.replace("event: alert_matched", "on: alert_matched"))
    assert found == {"triggers.0": "write `event:`, not `on:` (YAML reads a bare `on` as true)"}


def test_yaml_errors_give_line_and_column() -> None:
    found = problems("key: x\nname: [unclosed\n")
    assert list(found) == ["source"]
    assert "not valid YAML: line 3" in found["source"]
    assert problems("- just\n- a list\n") == {
        "source": "a playbook is a mapping (key: value lines)"
    }
    assert problems("key: x\nname: y\nname: z\ntriggers: [{event: manual}]\n"
                    "steps: [{name: a, kind: wait, minutes: 1}]\n")["name"] == "given twice (line 3)"  # fmt: skip


def test_unusable_conditions_and_templates() -> None:
    text = GOOD.replace(
        "value: SEV3}", "value: SEV3}\n    - {field: tags, op: matches, value: '('}"
    )
    text = text.replace("{{ alerts[0].labels.host }}", "{{ alerts[0].labels.host")
    found = problems(text)
    assert "invalid regular expression" in found["conditions.all.1"]
    assert found["conditions.all.1"].endswith("(line 10)")
    assert found["steps.0.tasks.0.title"].startswith("template: ")
    assert found["steps.0.tasks.0.title"].endswith("(line 15)")


def test_size_limit() -> None:
    big = GOOD + "#" + "x" * MAX_SOURCE
    assert problems(big) == {"source": "larger than 256 KB"}


def test_step_names_unique_and_wait_shape() -> None:
    text = GOOD.replace("name: pause", "name: clean")
    assert "step names must be unique" in problems(text)["source"] or any(
        "unique" in r for r in problems(text).values()
    )
    both = GOOD.replace(
        "minutes: 10", "minutes: 10\n    until: {field: status, op: eq, value: contained}"
    )
    assert any("exactly one of minutes or until" in r for r in problems(both).values())


def test_every_shipped_playbook_parses() -> None:
    sources = shipped_sources()
    assert len(sources) == 8
    keys = {parse_source(text).key for text in sources.values()}
    assert keys == {
        "major-outage", "ransomware", "personal-data-breach", "compromised-account", "ddos",
        "phishing", "physical-access", "lost-device",
    }  # fmt: skip
