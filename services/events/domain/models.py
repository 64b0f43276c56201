"""The events domain's vocabulary, rules and errors; no FastAPI, no SQL."""

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.common.errors import Conflict, Forbidden, NotFound

CHECKIN_CODE_DIGITS = 6
# Check-in opens this long before the start and closes at the end.
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
LOTTERY_SEED_BYTES = 32


class EventKind(StrEnum):
    THEMED_MEETUP = "themed_meetup"
    VOLUNTEERING = "volunteering"
    KNOWLEDGE_SHARE = "knowledge_share"
    TEAM_BUILDING = "team_building"
    LECTURE = "lecture"
    SALON = "salon"
    CONTEST = "contest"
    LIVESTREAM = "livestream"
    QA = "qa"


class EventFormat(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    # Promoted from the waitlist; the seat is held until `offered_until` for a confirmation.
    OFFERED = "offered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    # An offer that ran out: the seat passed on.
    EXPIRED = "expired"


SEAT_HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)
ACTIVE_REGISTRATION = (*SEAT_HOLDING, RegistrationStatus.WAITLISTED)


class LotteryPool(StrEnum):
    ATTENDEES = "attendees"
    REGISTRANTS = "registrants"


class LotteryStatus(StrEnum):
    COMMITTED = "committed"
    DRAWN = "drawn"


def new_checkin_code() -> str:
    """A code attendees type to check in; from `secrets` so that it cannot be predicted."""
    return f"{secrets.randbelow(10**CHECKIN_CODE_DIGITS):0{CHECKIN_CODE_DIGITS}d}"


# --- lottery -----------------------------------------------------------------------------------


def new_lottery_seed() -> bytes:
    return secrets.token_bytes(LOTTERY_SEED_BYTES)


def seed_digest(seed: bytes) -> str:
    """What is published before the draw: SHA-256 of the seed's raw bytes, in hex."""
    return hashlib.sha256(seed).hexdigest()


def draw_winners(seed: bytes, pool: Iterable[str], winners: int) -> list[str]:
    """The winners of a draw, a pure function of the seed and the pool (README, "Lottery"):
    each distinct member id is ranked by SHA-256(seed || member_id as UTF-8), hex ascending
    (ties, which SHA-256 makes impossible in practice, by member id), and the first `winners`
    win. A member appears at most once, so wins at most once."""
    ranked = sorted(
        (hashlib.sha256(seed + member_id.encode()).hexdigest(), member_id)
        for member_id in sorted(set(pool))
    )
    return [member_id for _key, member_id in ranked[:winners]]


# --- 打卡 streaks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int
    total: int


def streak_of(days: Iterable[date], *, today: date, last_day: date) -> Streak:
    """Current and longest runs of consecutive checked-in days.

    The current run is the one ending today or, while today is not yet checked in, yesterday
    (a streak survives until a whole day passes without a check-in); once the challenge is
    over, "today" is its last day."""
    checked = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    runs_end: dict[date, int] = {}
    for day in checked:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        runs_end[day] = run
        longest = max(longest, run)
        previous = day
    reference = min(today, last_day)
    current = runs_end.get(reference) or runs_end.get(reference - timedelta(days=1)) or 0
    return Streak(current=current, longest=longest, total=len(checked))


def ranked_streaks(streaks: dict[str, Streak]) -> list[tuple[str, Streak]]:
    """Best first: current streak, then longest, then days checked in, then member id."""
    return sorted(
        streaks.items(),
        key=lambda item: (-item[1].current, -item[1].longest, -item[1].total, item[0]),
    )


# --- report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    registered: int
    waitlisted: int
    attended: int
    attendance_rate: float | None
    no_show_rate: float | None
    feedback_count: int
    avg_rating: float | None
    nps: int | None
    volunteer_hours: float | None


def report_of(
    *,
    registered: int,
    waitlisted: int,
    attended: int,
    ratings: Sequence[int],
    volunteering: bool,
    starts_at: datetime,
    ends_at: datetime,
) -> Report:
    """The event report's figures (formulas in README, "Event report")."""
    attendance_rate = round(attended / registered, 4) if registered else None
    no_show_rate = round(1 - attended / registered, 4) if registered else None
    avg_rating = round(sum(ratings) / len(ratings), 2) if ratings else None
    nps: int | None = None
    if ratings:
        promoters = sum(1 for rating in ratings if rating == 5)
        detractors = sum(1 for rating in ratings if rating <= 3)
        nps = round(100 * (promoters - detractors) / len(ratings))
    volunteer_hours = None
    if volunteering:
        hours = (ends_at - starts_at).total_seconds() / 3600
        volunteer_hours = round(hours * attended, 2)
    return Report(
        registered=registered,
        waitlisted=waitlisted,
        attended=attended,
        attendance_rate=attendance_rate,
        no_show_rate=no_show_rate,
        feedback_count=len(ratings),
        avg_rating=avg_rating,
        nps=nps,
        volunteer_hours=volunteer_hours,
    )


# --- errors ------------------------------------------------------------------------------------


class EventNotFound(NotFound):
    slug = "event-not-found"

    def __init__(self, event_id: str) -> None:
        super().__init__(f"No event {event_id!r}.", event_id=event_id)


class RegistrationNotFound(NotFound):
    slug = "registration-not-found"

    def __init__(self, registration_id: str) -> None:
        super().__init__(f"No registration {registration_id!r}.", registration_id=registration_id)


class MemberNotFound(NotFound):
    slug = "member-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"The community has no active member {member_id!r}.",
            member_id=member_id,
            field="member_id",
        )


class ChallengeNotFound(NotFound):
    slug = "challenge-not-found"

    def __init__(self, challenge_id: str) -> None:
        super().__init__(f"No challenge {challenge_id!r}.", challenge_id=challenge_id)


class LotteryNotFound(NotFound):
    slug = "lottery-not-found"

    def __init__(self, lottery_id: str) -> None:
        super().__init__(f"No lottery {lottery_id!r}.", lottery_id=lottery_id)


class IllegalTransition(Conflict):
    slug = "illegal-transition"

    def __init__(self, *, event_id: str, status: str, action: str) -> None:
        super().__init__(
            f"An event that is {status} cannot be {action}.",
            event_id=event_id,
            event_status=status,
            action=action,
        )


class EventNotOpen(Conflict):
    """Registration, check-in or a draw asked of an event in the wrong state."""

    slug = "event-not-open"

    def __init__(self, *, event_id: str, status: str) -> None:
        super().__init__(f"The event is {status}.", event_id=event_id, event_status=status)


class OutsideWindow(Conflict):
    slug = "outside-window"

    def __init__(self, what: str, *, opens_at: datetime | None, closes_at: datetime) -> None:
        opens = opens_at.isoformat() if opens_at else None
        super().__init__(
            f"{what} is open from {opens or 'publication'} until {closes_at.isoformat()}.",
            opens_at=opens,
            closes_at=closes_at.isoformat(),
        )


class AlreadyRegistered(Conflict):
    slug = "already-registered"

    def __init__(self, registration_id: str) -> None:
        super().__init__(
            "The member is registered for this event already.", registration_id=registration_id
        )


class RegistrationInactive(Conflict):
    slug = "registration-inactive"

    def __init__(self, registration_id: str, status: str) -> None:
        super().__init__(
            f"The registration is {status}.",
            registration_id=registration_id,
            registration_status=status,
        )


class TierNotAllowed(Forbidden):
    slug = "tier-not-allowed"

    def __init__(self, tier_ids: Sequence[str]) -> None:
        super().__init__(
            "This event is for members of other tiers.", allowed_tier_ids=list(tier_ids)
        )


class OnlyForThemselves(Forbidden):
    """A plain member acts for themself; organisers may act for others."""

    slug = "not-your-own"

    def __init__(self) -> None:
        super().__init__(
            "A member may do this only for themself; organisers may for others.",
            field="member_id",
        )


class WrongCheckinCode(Forbidden):
    slug = "wrong-checkin-code"

    def __init__(self) -> None:
        super().__init__("The check-in code is wrong.", field="code")


class NotRegistered(Conflict):
    slug = "not-registered"

    def __init__(self, member_id: str) -> None:
        super().__init__("The member holds no confirmed seat at this event.", member_id=member_id)


class AlreadyCheckedIn(Conflict):
    slug = "already-checked-in"

    def __init__(self, checked_in_at: datetime | None) -> None:
        super().__init__(
            "Already checked in.",
            checked_in_at=checked_in_at.isoformat() if checked_in_at else None,
        )


class AttendeesOnly(Forbidden):
    slug = "attendees-only"

    def __init__(self) -> None:
        super().__init__("Only members who checked in to the event may give feedback.")


class FeedbackExists(Conflict):
    slug = "feedback-exists"

    def __init__(self) -> None:
        super().__init__("The member gave feedback on this event already.")


class AlreadyDrawn(Conflict):
    slug = "already-drawn"

    def __init__(self, lottery_id: str) -> None:
        super().__init__("This lottery was drawn already.", lottery_id=lottery_id)


class OutsideChallenge(Conflict):
    slug = "outside-challenge"

    def __init__(self, day: date, first: date, last: date) -> None:
        super().__init__(
            f"{day.isoformat()} is not a day of the challenge ({first} to {last}), or is in "
            "the future.",
            field="date",
        )


class NoMakeUpCards(Conflict):
    slug = "no-make-up-cards"

    def __init__(self, cards: int) -> None:
        super().__init__(
            f"All {cards} make-up cards (补卡) of this challenge are used.", make_up_cards=cards
        )
