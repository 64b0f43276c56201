"""Recording onboarding steps as their events arrive, completing checklists, and reading
progress and the onboarding metrics. The caller commits once."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import MemberOnboarded
from services.common.unit_of_work import UnitOfWork
from services.scoring.engagement.service import MemberNotFound
from services.scoring.ledger.rules import Activity
from services.scoring.onboarding import repository, rules
from services.scoring.onboarding.rules import ACTIVITY_STEPS, STEPS, OnboardingStep
from services.scoring.periods import rules as periods_rules


@dataclass(frozen=True)
class StepDone:
    community_id: str
    member_id: str
    step: OnboardingStep
    at: datetime


def steps_of(activities: Iterable[Activity]) -> list[StepDone]:
    """The activities of a ledger batch that may be a first step."""
    return [
        StepDone(activity.community_id, activity.member_id, step, activity.occurred_at)
        for activity in activities
        if (step := ACTIVITY_STEPS.get(activity.activity_type)) is not None
    ]


def _done(row: Any) -> dict[str, datetime | None]:
    """A progress row's step times by step name (a row read from the database)."""
    mapping = row._mapping
    return {step.value: mapping.get(rules.column(step)) for step in STEPS}


async def record_steps(uow: UnitOfWork, facts: Sequence[StepDone]) -> int:
    """Remember when each member first did each step; announce `member.onboarded` for those
    whose community's checklist this completes. One read for the batch; only members with
    something new are locked and written. Returns how many were onboarded."""
    if not facts:
        return 0
    session = uow.session
    earliest: dict[tuple[str, str], dict[OnboardingStep, datetime]] = {}
    for fact in facts:
        steps = earliest.setdefault((fact.community_id, fact.member_id), {})
        steps[fact.step] = rules.earliest(steps.get(fact.step), fact.at)
    by_community: dict[str, list[str]] = {}
    for community_id, member_id in earliest:
        by_community.setdefault(community_id, []).append(member_id)
    onboarded = 0
    for community_id, member_ids in sorted(by_community.items()):
        known = await repository.progress_of(session, community_id, member_ids)
        checklist: list[str] | None = None
        for member_id in sorted(member_ids):
            new = earliest[(community_id, member_id)]
            row = known.get(member_id)
            if row is not None and all(
                (stored := row._mapping[rules.column(step)]) is not None and stored <= at
                for step, at in new.items()
            ):
                continue  # the common case: a member's hundredth message
            if checklist is None:
                found = await repository.get_checklist(session, community_id)
                checklist = list(found.steps) if found is not None else []
            if await _record(uow, community_id, member_id, new, checklist):
                onboarded += 1
    return onboarded


async def _record(
    uow: UnitOfWork,
    community_id: str,
    member_id: str,
    new: dict[OnboardingStep, datetime],
    checklist: list[str],
) -> bool:
    session = uow.session
    row = await repository.lock_progress(session, community_id=community_id, member_id=member_id)
    done = _done(row)
    values: dict[str, Any] = {}
    for step, at in new.items():
        first = rules.earliest(done[step.value], at)
        if first != done[step.value]:
            values[rules.column(step)] = first
            done[step.value] = first
    completed = await _complete(
        uow,
        community_id=community_id,
        member_id=member_id,
        row=row,
        done=done,
        checklist=checklist,
        values=values,
    )
    if values:
        await repository.set_progress(
            session, community_id=community_id, member_id=member_id, values=values
        )
    return completed


async def _complete(
    uow: UnitOfWork,
    *,
    community_id: str,
    member_id: str,
    row: Any,
    done: dict[str, datetime | None],
    checklist: list[str],
    values: dict[str, Any],
) -> bool:
    """Mark the member onboarded (in `values`) and announce it, once, if the checklist is done."""
    if row.onboarded_at is not None:
        return False
    at = rules.onboarded_at(checklist, done)
    if at is None:
        return False
    values["onboarded_at"] = at
    await uow.outbox.add(
        uow.session,
        MemberOnboarded(
            community_id=community_id, member_id=member_id, steps=checklist, onboarded_at=at
        ),
    )
    return True


async def set_checklist(
    *, uow: UnitOfWork, community_id: str, steps: list[OnboardingStep], now: datetime
) -> Any:
    """Choose the community's steps (an empty list turns the checklist off). Members whose
    recorded steps already complete the new checklist are onboarded now, each announced."""
    session = uow.session
    chosen = [step.value for step in steps]
    await repository.save_checklist(session, community_id=community_id, steps=chosen, now=now)
    if chosen:
        for candidate in await repository.not_yet_onboarded(session, community_id):
            if rules.onboarded_at(chosen, _done(candidate)) is None:
                continue
            row = await repository.lock_progress(
                session, community_id=community_id, member_id=candidate.member_id
            )
            values: dict[str, Any] = {}
            if await _complete(
                uow,
                community_id=community_id,
                member_id=candidate.member_id,
                row=row,
                done=_done(row),
                checklist=chosen,
                values=values,
            ):
                await repository.set_progress(
                    session, community_id=community_id, member_id=candidate.member_id, values=values
                )
    found = await repository.get_checklist(session, community_id)
    assert found is not None  # written just above, in this transaction
    return found


async def get_checklist(
    session: AsyncSession, community_id: str
) -> tuple[list[str], datetime | None]:
    found = await repository.get_checklist(session, community_id)
    if found is None:
        return [], None
    return list(found.steps), found.updated_at


@dataclass(frozen=True)
class OnboardingMetrics:
    """Onboarding of the members who joined in a metrics window (formulas in docs/scoring.md)."""

    checklist: list[str]
    joined: int
    onboarded: int
    completion_rate: float | None
    # Members whose days 7 to 13 are over (today is past their join day + 13), split by whether
    # they were onboarded within their first 7 days.
    retention_measured: int
    onboarded_in_time: int
    week1_retention_onboarded: float | None
    not_onboarded_in_time: int
    week1_retention_not_onboarded: float | None


async def onboarding_metrics(
    session: AsyncSession,
    *,
    community_id: str,
    zone: ZoneInfo,
    first: date,
    last: date,
    today: date,
) -> OnboardingMetrics:
    """Completion rate and week-1 retention, onboarded against not, of the members who joined
    on local days `first`..`last`."""
    checklist, _ = await get_checklist(session, community_id)
    joins = await repository.joins_between(
        session,
        community_id=community_id,
        start=periods_rules.local_midnight(first, zone),
        end=periods_rules.local_midnight(last + timedelta(days=1), zone),
    )
    members = sorted(joins)
    onboarded = await repository.onboarded_times(
        session, community_id=community_id, member_ids=members
    )
    join_days = {member: periods_rules.local_day(at, zone) for member, at in joins.items()}
    # Retention only of members whose whole week 2 (days 7 to 13) is in the past.
    measured = [m for m in members if rules.retention_window(join_days[m])[1] < today]
    active: dict[str, set[str]] = {}
    if measured:
        active = await repository.active_days(
            session,
            community_id=community_id,
            member_ids=measured,
            from_day=rules.retention_window(min(join_days[m] for m in measured))[0].isoformat(),
            to_day=rules.retention_window(max(join_days[m] for m in measured))[1].isoformat(),
        )
    groups: dict[bool, list[bool]] = {True: [], False: []}
    for member in measured:
        start, end = rules.retention_window(join_days[member])
        retained = any(
            start.isoformat() <= day <= end.isoformat() for day in active.get(member, ())
        )
        onboarded_day = (
            periods_rules.local_day(onboarded[member], zone) if member in onboarded else None
        )
        groups[rules.onboarded_in_time(join_days[member], onboarded_day)].append(retained)
    return OnboardingMetrics(
        checklist=checklist,
        joined=len(members),
        onboarded=len(onboarded),
        completion_rate=rules.rate(len(onboarded), len(members)),
        retention_measured=len(measured),
        onboarded_in_time=len(groups[True]),
        week1_retention_onboarded=rules.rate(sum(groups[True]), len(groups[True])),
        not_onboarded_in_time=len(groups[False]),
        week1_retention_not_onboarded=rules.rate(sum(groups[False]), len(groups[False])),
    )


async def list_progress(
    *,
    session: AsyncSession,
    community_id: str,
    onboarded: bool | None,
    after_member_id: str | None,
    limit: int,
) -> tuple[Sequence[Any], list[str]]:
    """Belonging members' progress rows (by member id) and the checklist they are read against."""
    steps, _ = await get_checklist(session, community_id)
    rows = await repository.list_progress(
        session,
        community_id=community_id,
        onboarded=onboarded,
        after_member_id=after_member_id,
        limit=limit,
    )
    return rows, steps


async def member_progress(
    *, session: AsyncSession, community_id: str, member_id: str
) -> tuple[Any, list[str]]:
    """One member's progress row and the checklist; MemberNotFound if scoring does not know
    the member."""
    steps, _ = await get_checklist(session, community_id)
    row = await repository.member_progress(session, community_id=community_id, member_id=member_id)
    if row is None:
        raise MemberNotFound(member_id)
    return row, steps
