"""Where a member stands: `GET /v1/me/communities/{cid}/standing`.

A community's standings are computed for all its members at once and kept per process: a
member's read is then a lookup, and a community of 100,000 members is ranked once every few
seconds however many of them look. Past its time to live a snapshot is still answered from at
once while one rebuild per snapshot runs in the background (stale while revalidate): ranking a
big community takes seconds, and no reader waits for it but a community's very first one.
Standings may be the time to live plus one rebuild behind.

Rebuilds run in a process of their own (`ranking process`): reading and sorting 100,000 rows
holds the interpreter for a second or more, and in this process every read waited for it in
turn (p99 97-189 ms at 100,000 members with the rebuild in a thread). The ranking process
sends the snapshot back as sorted member ids with arrays beside them, which this process loads
in milliseconds.
"""

import asyncio
import logging
import multiprocessing
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.common.auth import Actor
from services.common.db import create_engine, is_sqlite, session_factory
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityNotFound
from services.common.membership.tables import BELONGING_STATUSES
from services.members.communities import repository as community_repository
from services.members.memberships import repository as membership_repository
from services.members.tier_policy import repository
from services.members.tier_policy.rules import (
    NO_DEMOTION_AFTER_PROMOTION,
    DemoteScope,
    Policy,
    Ranked,
    Scored,
    Span,
    Window,
    Zone,
    best_first,
    local_midnight,
    local_today,
    rank_ends,
)
from services.members.tier_policy.service import policy_of
from services.members.tiers import repository as tier_repository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Standing:
    community_id: str
    member_id: str
    tier_id: str | None
    tier_name: str | None
    period: Span
    points: float
    rank_in_tier: int | None
    tier_members: int
    rank_in_community: int
    community_members: int
    promote_cutoff: float | None
    demote_cutoff: float | None
    zone: Zone
    next_run_at: datetime | None


STANDINGS_TTL_SECONDS = 2.0
MAX_SNAPSHOTS = 1000  # snapshots kept per process; all are dropped beyond (bounds the memory)


@dataclass(frozen=True)
class Refresher:
    """What a read needs to rebuild a stale snapshot behind its back: the database the ranking
    process reads (`database_url`; without one, or for an in-memory SQLite database, the
    rebuild runs here in sessions of its own, as the request's session ends with the request),
    the process's `stopping` (no rebuild starts once it is set; those running are cancelled,
    see `refreshes_running`) and the time to live."""

    sessions: async_sessionmaker[AsyncSession]
    stopping: asyncio.Event
    ttl_seconds: float = STANDINGS_TTL_SECONDS
    database_url: str | None = None


@dataclass(frozen=True)
class _Snapshot:
    """Where every member of a community stands in a period, ready to be read one by one.

    Arrays rather than dicts: a snapshot of 100,000 members crosses from the ranking process
    in about 10 ms this way, against 100 ms as dicts."""

    ids: list[str]  # every member's id, sorted: their index in the arrays beside
    points: "array[float]"
    rank_in_community: "array[int]"
    rank_in_tier: "array[int]"
    tier_members: dict[str | None, int]
    promotions: dict[str, list[Ranked]]  # by tier
    demotions: list[Ranked]
    # Everyone's points negated, ascending (the community's and each tier's), to place a
    # member the snapshot does not hold yet by bisection.
    negated: "array[float]"
    negated_in_tier: dict[str | None, "array[float]"]

    @property
    def members(self) -> int:
        return len(self.ids)

    def index_of(self, member_id: str) -> int | None:
        at = bisect_left(self.ids, member_id)
        return at if at < len(self.ids) and self.ids[at] == member_id else None


_SnapshotKey = tuple[str, ...]
_snapshots: dict[_SnapshotKey, tuple[float, _Snapshot]] = {}
# The rebuilds running, at most one per snapshot, with the `stopping` of the process that
# started them.
_refreshing: dict[_SnapshotKey, tuple[asyncio.Task[None], asyncio.Event]] = {}


async def _snapshot(
    session: AsyncSession,
    *,
    community_id: str,
    policy: Policy,
    spans: dict[str, Span],
    tier_ids: list[str],
    now: datetime,
) -> _Snapshot:
    """Rank the whole community in memory, by the rules the run's SQL ranks by."""
    period = spans["demote"]
    scores = await repository.period_points(
        session, community_id=community_id, starts_on=period.starts_on, ends_on=period.ends_on
    )
    promote = spans["promote"]
    promote_scores = (
        scores
        if (promote.starts_on, promote.ends_on) == (period.starts_on, period.ends_on)
        else await repository.period_points(
            session, community_id=community_id, starts_on=promote.starts_on, ends_on=promote.ends_on
        )
    )
    return _ranked(scores, promote_scores, policy=policy, tier_ids=tier_ids, now=now)


def _ranked(
    scores: list[Scored],
    promote_scores: list[Scored],
    *,
    policy: Policy,
    tier_ids: list[str],
    now: datetime,
) -> _Snapshot:
    scores = sorted(scores, key=best_first)  # a new list: `promote_scores` may be the same
    place_in_tier: list[int] = []
    tier_members: dict[str | None, int] = {}
    negated_in_tier: dict[str | None, array[float]] = {}
    for row in scores:
        tier_members[row.tier_id] = tier_members.get(row.tier_id, 0) + 1
        place_in_tier.append(tier_members[row.tier_id])
        negated_in_tier.setdefault(row.tier_id, array("d")).append(-row.points)
    promotions: dict[str, list[Ranked]] = {}
    for ranked in rank_ends(
        promote_scores, tier_ids=tier_ids[1:], take=policy.promote_top, best=True
    ):
        promotions.setdefault(ranked.tier_id, []).append(ranked)
    promoted_ids = {row.member_id for rows in promotions.values() for row in rows}
    silent = now - timedelta(days=policy.demote_silent_days) if policy.demote_silent_days else None
    demotions = [
        row
        for row in rank_ends(
            scores,
            tier_ids=tier_ids[:-1],
            take=policy.demote_bottom,
            best=False,
            per_tier=policy.demote_scope == DemoteScope.TIER,
            promoted_before=now - NO_DEMOTION_AFTER_PROMOTION,
            silent_before=silent,
        )
        if row.member_id not in promoted_ids
    ]
    by_id = sorted(range(len(scores)), key=lambda place: scores[place].member_id)
    return _Snapshot(
        ids=[scores[place].member_id for place in by_id],
        points=array("d", (scores[place].points for place in by_id)),
        rank_in_community=array("q", (place + 1 for place in by_id)),
        rank_in_tier=array("q", (place_in_tier[place] for place in by_id)),
        tier_members=tier_members,
        promotions=promotions,
        demotions=demotions,
        negated=array("d", (-row.points for row in scores)),  # best first: most points first
        negated_in_tier=negated_in_tier,
    )


# --- the ranking process -------------------------------------------------------------------


@dataclass(frozen=True)
class _Ranking:
    """What the ranking process is asked to rank."""

    database_url: str
    community_id: str
    policy: Policy
    spans: dict[str, Span]
    tier_ids: list[str]
    now: datetime


class _RankingProcess:
    """One process that ranks communities, started at the first rebuild."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def rank(self, ranking: _Ranking) -> _Snapshot:
        if self._pool is None:
            # Spawned, not forked: a fork would copy this process's event loop, threads and
            # open connections mid-use.
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, _rank_here, ranking)
        except BrokenProcessPool:
            # It died (or another runtime's stop ended it): the next rebuild starts another.
            if self._pool is pool:
                self._pool = None
            raise

    def stop(self) -> None:
        """End it at shutdown: a rebuild under way is abandoned, not awaited (a community of
        100,000 members would hold the shutdown for seconds)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor has no public way to end a busy worker before Python 3.14.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)


_ranking_process = _RankingProcess()


def stop_ranking_process() -> None:
    _ranking_process.stop()


class _RankerState:
    """What the ranking process keeps between rebuilds: its event loop, one engine per
    database."""

    loop: asyncio.AbstractEventLoop | None = None
    engines: dict[str, AsyncEngine] = {}


def _rank_here(ranking: _Ranking) -> _Snapshot:
    """In the ranking process: rank as a read in this process would."""
    if _RankerState.loop is None:
        _RankerState.loop = asyncio.new_event_loop()
    engine = _RankerState.engines.get(ranking.database_url)
    if engine is None:
        engine = create_engine(ranking.database_url, read_only=True)
        _RankerState.engines[ranking.database_url] = engine

    async def rank() -> _Snapshot:
        async with session_factory(engine)() as session:
            return await _snapshot(
                session,
                community_id=ranking.community_id,
                policy=ranking.policy,
                spans=ranking.spans,
                tier_ids=ranking.tier_ids,
                now=ranking.now,
            )

    return _RankerState.loop.run_until_complete(rank())


def _in_its_own_process(database_url: str) -> bool:
    # An in-memory SQLite database exists only in this process.
    return not (is_sqlite(database_url) and ":memory:" in database_url)


def _keep(key: _SnapshotKey, snapshot: _Snapshot, ttl_seconds: float) -> None:
    if key not in _snapshots and len(_snapshots) >= MAX_SNAPSHOTS:
        _snapshots.clear()
    # Counted from when it is ready: ranking a big community takes a while itself.
    _snapshots[key] = (time.monotonic() + ttl_seconds, snapshot)


async def _rank(
    refresher: Refresher,
    session: AsyncSession | None,
    *,
    community_id: str,
    policy: Policy,
    spans: dict[str, Span],
    tier_ids: list[str],
) -> _Snapshot:
    """A snapshot ranked in the ranking process where it can read the database, else here
    (in `session`, or one of the refresher's own)."""
    now = utc_now()
    if refresher.database_url is not None and _in_its_own_process(refresher.database_url):
        ranking = _Ranking(refresher.database_url, community_id, policy, spans, tier_ids, now)
        try:
            return await _ranking_process.rank(ranking)
        except BrokenProcessPool:
            logger.warning("the ranking process ended; ranking %s here", community_id)
    # The request's session for a first read; a rebuild outlives its request.
    reading = nullcontext(session) if session is not None else refresher.sessions()
    async with reading as read_session:
        return await _snapshot(
            read_session,
            community_id=community_id,
            policy=policy,
            spans=spans,
            tier_ids=tier_ids,
            now=now,
        )


async def _refresh(
    key: _SnapshotKey,
    refresher: Refresher,
    *,
    community_id: str,
    policy: Policy,
    spans: dict[str, Span],
    tier_ids: list[str],
) -> None:
    """Rebuild a stale snapshot; on failure the stale one stays, and the next read that finds
    it starts another rebuild."""
    try:
        snapshot = await _rank(
            refresher,
            None,
            community_id=community_id,
            policy=policy,
            spans=spans,
            tier_ids=tier_ids,
        )
    except Exception:
        logger.warning("rebuilding the standings of %s failed", community_id, exc_info=True)
        return
    _keep(key, snapshot, refresher.ttl_seconds)


def _start_refresh(
    key: _SnapshotKey,
    refresher: Refresher,
    *,
    community_id: str,
    policy: Policy,
    spans: dict[str, Span],
    tier_ids: list[str],
) -> None:
    if key in _refreshing or refresher.stopping.is_set():
        return
    task = asyncio.create_task(
        _refresh(
            key, refresher, community_id=community_id, policy=policy, spans=spans, tier_ids=tier_ids
        )
    )
    _refreshing[key] = (task, refresher.stopping)

    def forget(done: asyncio.Task[None]) -> None:
        if _refreshing.get(key, (None,))[0] is done:
            del _refreshing[key]

    task.add_done_callback(forget)


def clear_snapshots() -> None:
    """Forget every snapshot (a process serving another database, as the benchmark does)."""
    _snapshots.clear()


def refreshes_running(stopping: asyncio.Event | None = None) -> list[asyncio.Task[None]]:
    """The snapshot rebuilds running (those of the process `stopping` belongs to)."""
    return [task for task, owner in _refreshing.values() if stopping in (None, owner)]


async def get_standing(
    *, session: AsyncSession, actor: Actor, community_id: str, refresher: Refresher
) -> Standing:
    """Where the caller stands in the current period: their points (the policy's demotion
    window, the current period so far), ranks, the cut-offs and their zone if the run that will
    judge this period ran now, and when it runs. Ranks come from a snapshot of the whole
    community, rebuilt in the background once older than `refresher.ttl_seconds`; only a
    community's first read ranks it inline."""
    community = await community_repository.get_community(session, community_id)
    own = await membership_repository.find_membership(
        session, community_id=community_id, user_id=actor.id
    )
    if community is None or own is None or own.status not in BELONGING_STATUSES:
        raise CommunityNotFound(community_id)
    now = utc_now()
    policy = policy_of(await repository.get_policy(session, community_id))
    spans = policy.spans(local_today(community.timezone, now), Window.CURRENT)
    period = spans["demote"]
    tiers = await tier_repository.list_tiers(session, community_id)
    tier_ids = [tier.id for tier in tiers]
    key = (community_id, repr(policy), repr(spans), *tier_ids)
    cached = _snapshots.get(key)
    if cached is None:
        snapshot = await _rank(
            refresher,
            session,
            community_id=community_id,
            policy=policy,
            spans=spans,
            tier_ids=tier_ids,
        )
        _keep(key, snapshot, refresher.ttl_seconds)
    else:
        expires_at, snapshot = cached
        if expires_at <= time.monotonic():
            _start_refresh(
                key,
                refresher,
                community_id=community_id,
                policy=policy,
                spans=spans,
                tier_ids=tier_ids,
            )
    index = snapshot.index_of(own.id)
    if index is not None:
        points = snapshot.points[index]
        rank_in_tier: int | None = snapshot.rank_in_tier[index]
        rank_in_community = snapshot.rank_in_community[index]
        tier_members, community_members = (
            snapshot.tier_members.get(own.tier_id, 0),
            snapshot.members,
        )
    else:
        # A newcomer (or a member back from leave) since the snapshot: their own points, placed
        # after everyone the snapshot holds with as many points or more (they joined last),
        # counted in; the zone takes them in at the next rebuild, started now.
        mine = await repository.period_points(
            session,
            community_id=community_id,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            member_id=own.id,
        )
        points = mine[0].points if mine else 0.0
        in_tier = snapshot.negated_in_tier.get(own.tier_id, array("d"))
        rank_in_tier = _place(in_tier, points)
        rank_in_community = _place(snapshot.negated, points)
        tier_members, community_members = len(in_tier) + 1, snapshot.members + 1
        _start_refresh(
            key, refresher, community_id=community_id, policy=policy, spans=spans, tier_ids=tier_ids
        )
    in_tier_promotions = snapshot.promotions.get(own.tier_id or "", [])
    scope = (
        [row for row in snapshot.demotions if row.tier_id == own.tier_id]
        if policy.demote_scope == DemoteScope.TIER
        else snapshot.demotions
    )
    zone = (
        Zone.PROMOTE
        if any(row.member_id == own.id for row in in_tier_promotions)
        else Zone.AT_RISK
        if any(row.member_id == own.id for row in scope)
        else Zone.SAFE
    )
    next_runs = [
        local_midnight(spans[step].ends_on, community.timezone)
        for step, on in policy.enabled_steps().items()
        if on and step != "purge"
    ]
    return Standing(
        community_id=community_id,
        member_id=own.id,
        tier_id=own.tier_id,
        tier_name=next((tier.name for tier in tiers if tier.id == own.tier_id), None),
        period=period,
        points=points,
        rank_in_tier=rank_in_tier if own.tier_id is not None else None,
        tier_members=tier_members,
        rank_in_community=rank_in_community,
        community_members=community_members,
        promote_cutoff=_cutoff(in_tier_promotions, policy.promote_top),
        demote_cutoff=_cutoff(scope, policy.demote_bottom),
        zone=zone,
        next_run_at=min(next_runs) if policy.scheduled and next_runs else None,
    )


def _place(negated: Sequence[float], points: float) -> int:
    """The rank of `points` after everyone in `negated` (points negated, ascending) with as
    many or more."""
    return bisect_right(negated, -points) + 1


def _cutoff(rows: Sequence[Ranked], take: int) -> float | None:
    """The score of the last member inside the zone, once the zone is full; until then anyone
    qualifies (None)."""
    return rows[-1].score if take > 0 and len(rows) >= take else None
