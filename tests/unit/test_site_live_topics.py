"""Live topics for sites: a site's pages hear its own events and every event naming it."""

from __future__ import annotations

import pytest

from muster.errors import InvalidInput
from muster.web.live import parse_topics, topics_of


def test_site_events_reach_the_site_and_the_overview() -> None:
    activity = topics_of("site:s1", "site", "s1", {"site_id": "s1", "alert_id": "a1"})
    assert {"site:s1", "sites", "alert:a1"} <= activity
    opened = topics_of("alerts:svc", "alert_group", "g1", {"site_id": "s1", "group_id": "g1"})
    assert {"site:s1", "alerts", "service:svc"} <= opened
    assert "sites" not in opened
    unplaced = topics_of("alerts:svc", "alert_group", "g2", {"group_id": "g2"})
    assert not any(t.startswith("site") for t in unplaced)


def test_site_topics_are_accepted_and_bad_ones_named() -> None:
    assert parse_topics("site:01abc,sites") == {"site:01abc", "sites"}
    with pytest.raises(InvalidInput) as caught:
        parse_topics("site:../etc")
    assert "site:../etc" in caught.value.errors[0].reason
