"""The checklist's vocabulary and decisions. Pure: no SQL, no FastAPI."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.common.events.catalogue.vocabulary import ERASED_DISPLAY_NAME, ActivityType


class OnboardingStep(StrEnum):
    ACKNOWLEDGE_RULES = "acknowledge_rules"
    # The first chat message (a `message` activity): 新人自我介绍.
    INTRODUCE_YOURSELF = "introduce_yourself"
    # The first `checkin` activity: a 打卡 challenge day (or a bot's check-in).
    FIRST_CHECKIN = "first_checkin"
    FIRST_EVENT_ATTENDED = "first_event_attended"
    # The first content item the member authored that was published.
    FIRST_CONTENT = "first_content"
    # See `profile_complete`.
    PROFILE_COMPLETE = "profile_complete"


STEPS: tuple[OnboardingStep, ...] = tuple(OnboardingStep)

# The activities (as the ledger records them) that are a step when they come first.
ACTIVITY_STEPS: Mapping[str, OnboardingStep] = {
    ActivityType.MESSAGE: OnboardingStep.INTRODUCE_YOURSELF,
    ActivityType.CHECKIN: OnboardingStep.FIRST_CHECKIN,
    ActivityType.EVENT_ATTENDED: OnboardingStep.FIRST_EVENT_ATTENDED,
    ActivityType.CONTENT_PUBLISHED: OnboardingStep.FIRST_CONTENT,
}

# Week-1 retention of a member who joined on local day D: active on any of D+7 … D+13.
RETENTION_FROM_DAY = 7
RETENTION_TO_DAY = 13
# Onboarded "in time" for the retention comparison: by the end of local day D+6, so that being
# onboarded cannot be a consequence of the very activity retention measures.
ONBOARDED_WITHIN_DAYS = 7


def column(step: OnboardingStep | str) -> str:
    """The progress table's column holding when the step was first done."""
    return f"{OnboardingStep(step).value}_at"


def profile_complete(*, display_name: str, tags: Sequence[str]) -> bool:
    """A profile is complete when the member has a display name of their own (not blank, not
    the erased placeholder) and at least one tag: the two fields a member's profile has."""
    name = display_name.strip()
    return bool(name) and name != ERASED_DISPLAY_NAME and any(tag.strip() for tag in tags)


def earliest(current: datetime | None, candidate: datetime) -> datetime:
    """When a step was first done: the earlier of what is known and what just arrived (events
    from different topics arrive out of order)."""
    return candidate if current is None or candidate < current else current


def onboarded_at(
    steps: Iterable[OnboardingStep | str], done: Mapping[str, datetime | None]
) -> datetime | None:
    """When the checklist `steps` was complete (the latest of their times), or None while one is
    not done or there are no steps. `done` maps step names to when they were first done."""
    wanted = [OnboardingStep(step).value for step in steps]
    if not wanted:
        return None
    times = [done.get(step) for step in wanted]
    if any(moment is None for moment in times):
        return None
    return max(moment for moment in times if moment is not None)


def unique_steps(steps: Sequence[str]) -> list[OnboardingStep]:
    """The steps in the order given; ValueError naming the first repeated one."""
    seen: list[OnboardingStep] = []
    for step in steps:
        parsed = OnboardingStep(step)
        if parsed in seen:
            raise ValueError(f"step {parsed.value!r} is listed twice")
        seen.append(parsed)
    return seen


def retention_window(join_day: date) -> tuple[date, date]:
    """The local days [first, last] week-1 retention looks at for a member who joined on
    `join_day`."""
    return (
        join_day + timedelta(days=RETENTION_FROM_DAY),
        join_day + timedelta(days=RETENTION_TO_DAY),
    )


def onboarded_in_time(join_day: date, onboarded_day: date | None) -> bool:
    return onboarded_day is not None and onboarded_day < join_day + timedelta(
        days=ONBOARDED_WITHIN_DAYS
    )


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
