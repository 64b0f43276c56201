"""Recording onboarding steps on a real database (both backends), as scoring's two consumers do
(issue 23): the last two steps landing in two transactions at once onboard the member exactly
once; a step arriving late with an earlier time moves back, a later one changes nothing; a
checklist chosen after the steps were done onboards at once."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from services.scoring.onboarding import service
from services.scoring.onboarding.rules import OnboardingStep
from services.scoring.onboarding.service import StepDone
from services.scoring.tables import messaging, progress_table
from tests.scoring.test_scoring_api import Community, Running, api, community

__all__ = ["api", "community"]  # the fixtures, used by name

ACK, INTRO = OnboardingStep.ACKNOWLEDGE_RULES, OnboardingStep.INTRODUCE_YOURSELF


async def onboarded_events(cid: str) -> list[str]:
    assert Running.app is not None
    async with Running.app.state.runtime.sessions() as session:
        payloads = (
            await session.execute(
                select(messaging.outbox.c.payload).where(
                    messaging.outbox.c.message_key == cid,
                    messaging.outbox.c.payload.like('%"member.onboarded"%'),
                )
            )
        ).scalars()
        return list(payloads)


async def progress(cid: str, member_id: str) -> dict[str, object]:
    assert Running.app is not None
    async with Running.app.state.runtime.sessions() as session:
        row = (
            await session.execute(
                select(progress_table).where(
                    progress_table.c.community_id == cid, progress_table.c.member_id == member_id
                )
            )
        ).one()
        return dict(row._mapping)


async def record(facts: list[StepDone]) -> None:
    assert Running.app is not None
    async with Running.app.state.runtime.unit_of_work() as uow:
        await service.record_steps(uow, facts)


async def test_the_last_two_steps_at_once_onboard_once(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("ann", "ben")
    assert Running.app is not None
    async with Running.app.state.runtime.unit_of_work() as uow:
        await service.set_checklist(
            uow=uow, community_id=cid, steps=[ACK, INTRO], now=datetime.now(UTC)
        )
    now = datetime.now(UTC)
    for n in range(5):
        # Five members' worth of races: each pair of transactions may interleave differently.
        member = f"m-race-{n}"
        await asyncio.gather(
            record([StepDone(cid, member, ACK, now)]),
            record([StepDone(cid, member, INTRO, now + timedelta(seconds=1))]),
        )
        row = await progress(cid, member)
        assert row["onboarded_at"] == now + timedelta(seconds=1)
    assert len(await onboarded_events(cid)) == 5
    # Redelivered, both steps change nothing and announce nothing again.
    await record([StepDone(cid, "m-race-0", ACK, now), StepDone(cid, "m-race-0", INTRO, now)])
    assert len(await onboarded_events(cid)) == 5


async def test_steps_keep_their_earliest_time_and_a_later_checklist_counts_them(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("cat")
    now = datetime.now(UTC)
    await record([StepDone(cid, "m-cat", INTRO, now)])
    await record([StepDone(cid, "m-cat", INTRO, now - timedelta(hours=1))])  # arrived late
    await record([StepDone(cid, "m-cat", INTRO, now + timedelta(hours=1))])  # a later message
    row = await progress(cid, "m-cat")
    assert row["introduce_yourself_at"] == now - timedelta(hours=1)
    assert row["onboarded_at"] is None  # no checklist yet: nobody is onboarded
    assert Running.app is not None
    async with Running.app.state.runtime.unit_of_work() as uow:
        await service.set_checklist(uow=uow, community_id=cid, steps=[INTRO], now=now)
    assert (await progress(cid, "m-cat"))["onboarded_at"] == now - timedelta(hours=1)
    assert len(await onboarded_events(cid)) == 1
