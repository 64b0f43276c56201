"""The onboarding checklist's pure rules (issue 23): which activities are steps, what a complete
profile is, when a checklist is complete, the week-1 retention window, and the `newcomer`
segment's precedence."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.events.catalogue import (
    AttendanceCheckedIn,
    ChallengeCheckedIn,
    ContentPublished,
    DomainEvent,
)
from services.common.events.catalogue.vocabulary import ERASED_DISPLAY_NAME, ActivityType
from services.common.events.envelope import CloudEvent
from services.scoring.ledger.mapping import activities_of
from services.scoring.ledger.rules import ScoreState
from services.scoring.onboarding import rules
from services.scoring.onboarding.rules import OnboardingStep
from services.scoring.onboarding.service import steps_of
from services.scoring.segments.rules import NEWCOMER_PERIOD, Segment, resegment, segment_for

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


def envelope_of(event: DomainEvent) -> CloudEvent:
    return CloudEvent(source="huoli/test", type=event.type, data={}, communityid="c")


def test_the_activities_each_step_counts() -> None:
    assert rules.ACTIVITY_STEPS == {
        ActivityType.MESSAGE: OnboardingStep.INTRODUCE_YOURSELF,
        ActivityType.CHECKIN: OnboardingStep.FIRST_CHECKIN,
        ActivityType.EVENT_ATTENDED: OnboardingStep.FIRST_EVENT_ATTENDED,
        ActivityType.CONTENT_PUBLISHED: OnboardingStep.FIRST_CONTENT,
    }
    # A reply or a reaction is not an introduction.
    assert ActivityType.REPLY not in rules.ACTIVITY_STEPS
    assert ActivityType.REACTION not in rules.ACTIVITY_STEPS


def test_other_services_events_become_steps_through_the_ledgers_mapping() -> None:
    """The events service's 打卡 and attendance and the content service's publication reach
    the checklist the way they reach the ledger."""
    events: list[DomainEvent] = [
        ChallengeCheckedIn(
            community_id="c",
            challenge_id="ch",
            member_id="m",
            checked_in_on=NOW.date(),
            streak=1,
            checked_in_at=NOW,
        ),
        AttendanceCheckedIn(
            community_id="c", event_id="e", member_id="m", event_kind="salon", checked_in_at=NOW
        ),
        ContentPublished(
            community_id="c",
            content_id="ct",
            kind="article",
            title="t",
            source_kind="member",
            author_member_id="m",
            published_at=NOW,
        ),
    ]
    steps = [
        done.step for event in events for done in steps_of(activities_of(event, envelope_of(event)))
    ]
    assert steps == [
        OnboardingStep.FIRST_CHECKIN,
        OnboardingStep.FIRST_EVENT_ATTENDED,
        OnboardingStep.FIRST_CONTENT,
    ]


@pytest.mark.parametrize(
    ("name", "tags", "complete"),
    [
        ("小明", ["读书"], True),
        ("小明", [], False),  # no tag chosen yet
        ("小明", ["  "], False),
        ("   ", ["读书"], False),
        (ERASED_DISPLAY_NAME, ["读书"], False),  # an erased person has no profile
    ],
)
def test_a_complete_profile_is_a_name_and_a_tag(name: str, tags: list[str], complete: bool) -> None:
    assert rules.profile_complete(display_name=name, tags=tags) is complete


def test_a_checklist_is_complete_when_its_last_step_is_done() -> None:
    first, later = NOW - timedelta(days=2), NOW - timedelta(days=1)
    done = {"acknowledge_rules": first, "introduce_yourself": later, "first_checkin": None}
    assert rules.onboarded_at(["acknowledge_rules", "introduce_yourself"], done) == later
    assert rules.onboarded_at(["acknowledge_rules", "first_checkin"], done) is None
    # No steps chosen: nobody is onboarded by an empty checklist.
    assert rules.onboarded_at([], done) is None


def test_a_step_keeps_the_earliest_time_it_was_done() -> None:
    """Events from different topics arrive out of order: a late arrival of an earlier act
    moves the step back; a later act changes nothing."""
    assert rules.earliest(None, NOW) == NOW
    assert rules.earliest(NOW, NOW - timedelta(hours=1)) == NOW - timedelta(hours=1)
    assert rules.earliest(NOW, NOW + timedelta(hours=1)) == NOW


def test_a_checklist_names_each_step_once() -> None:
    assert rules.unique_steps(["first_checkin", "acknowledge_rules"]) == [
        OnboardingStep.FIRST_CHECKIN,
        OnboardingStep.ACKNOWLEDGE_RULES,
    ]
    with pytest.raises(ValueError, match="twice"):
        rules.unique_steps(["first_checkin", "first_checkin"])
    with pytest.raises(ValueError, match="say_hello"):
        rules.unique_steps(["say_hello"])


def test_week_one_retention_looks_at_days_7_to_13() -> None:
    joined = date(2026, 11, 2)
    assert rules.retention_window(joined) == (date(2026, 11, 9), date(2026, 11, 15))
    # Onboarded on day 6 is in time for the comparison; on day 7 it is not (day 7 already
    # counts towards retention).
    assert rules.onboarded_in_time(joined, date(2026, 11, 8)) is True
    assert rules.onboarded_in_time(joined, date(2026, 11, 9)) is False
    assert rules.onboarded_in_time(joined, None) is False
    assert rules.rate(1, 3) == 0.3333
    assert rules.rate(0, 0) is None


def segment(joined_days_ago: float | None, **kw: object) -> Segment:
    joined_at = None if joined_days_ago is None else NOW - timedelta(days=joined_days_ago)
    options: dict[str, object] = {
        "score": 60.0,
        "last_active_at": NOW,
        "was_top_quarter": False,
        **kw,
    }
    return segment_for(now=NOW, joined_at=joined_at, **options)  # type: ignore[arg-type]


def test_newcomer_beats_every_segment_but_churned_for_14_days() -> None:
    assert segment(0) == Segment.NEWCOMER  # even with a core score
    assert segment(13.99, score=0.0, last_active_at=None) == Segment.NEWCOMER
    assert segment(14) == Segment.CORE  # the period is over: the score decides
    assert segment(None) == Segment.CORE
    assert segment(1, belongs=False) == Segment.CHURNED  # gone is gone
    assert timedelta(days=14) == NEWCOMER_PERIOD


def test_the_ledger_leaves_a_newcomer_a_newcomer() -> None:
    """The ledger's state does not know when a member joined: it does not re-derive a
    newcomer's segment (the sweep ends the period), so activity does not flap it."""
    newcomer = ScoreState(community_id="c", member_id="m", segment="newcomer", touched=True)
    newcomer.last_active_at = NOW
    other = ScoreState(community_id="c", member_id="n", segment="silent", touched=True)
    other.last_active_at = NOW
    changes = resegment([newcomer, other], now=NOW)
    assert [change.member_id for change in changes] == ["n"]
    assert newcomer.segment == "newcomer"
