"""A survey with 100,000 responses, on SQLite and PostgreSQL: the results read at the service,
the CSV export streamed with flat memory, and what one response costs.

    .venv/bin/python bench/survey_bench.py [--responses 100000] [--reads 50]
        [--backends sqlite,postgresql]

The survey has the issue's mix of questions (NPS, single and multiple choice, a 1-5 scale, free
text). `--responses` responses are seeded in bulk, not timed, with the tallies they add up to
(what `respond` keeps one response at a time); then 200 more go through `respond` itself, each
in its own transaction, timed, and the results are checked against a recount of the stored
answers. The results read is `survey_results` (the service function behind GET …/results, no
HTTP) in a read session of its own, `--reads` times: p50 / p95 / max (the target: ≤ 200 ms).
The export consumes `export_csv` (what GET …/export streams) to the end: its time, its size,
the process's peak RSS before and after (ru_maxrss, which only grows: flat memory leaves it
where seeding put it), and then, in a second pass, the peak of Python allocations during the
export (tracemalloc), which is what a chunked stream keeps bounded.
PostgreSQL: HUOLI_BENCH_POSTGRES_DSN (default postgresql://postgres@127.0.0.1:5432/test),
skipped with a note when unreachable.
"""

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402
from sqlmodel import col  # noqa: E402

from bench.common import stop_on_signals  # noqa: E402
from services.common.auth import Actor  # noqa: E402
from services.common.components import MEMBERS  # noqa: E402
from services.common.db import create_engine, session_factory  # noqa: E402
from services.common.events.envelope import utc_now  # noqa: E402
from services.common.events.outbox import Outbox  # noqa: E402
from services.common.migrations import upgrade_to_head  # noqa: E402
from services.common.unit_of_work import UnitOfWork  # noqa: E402
from services.members.surveys.rules import ANSWERED, Question, check_answers  # noqa: E402
from services.members.surveys.schemas import ResponseCreate, SurveyCreate  # noqa: E402
from services.members.surveys.service import (  # noqa: E402
    create_survey,
    export_csv,
    respond,
    survey_results,
)
from services.members.tables import (  # noqa: E402
    Community,
    Membership,
    Survey,
    SurveyRespondent,
    SurveyResponse,
    SurveyTally,
    SurveyText,
    messaging,
)

POSTGRES_DSN = os.environ.get(
    "HUOLI_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
CID = "cmty_bench"
OWNER = Actor(id="owner")
BATCH = 5000
LIVE_RESPONSES = 200
KINDS = ["聚会", "分享", "志愿"]
TOPICS = ["AI", "读书", "运动", "理财"]
QUESTIONS: list[dict[str, Any]] = [
    {"id": "nps", "kind": "nps", "text": "推荐本社群的可能性", "required": True},
    {"id": "kind", "kind": "single_choice", "text": "最喜欢的活动", "options": KINDS},
    {"id": "topics", "kind": "multiple_choice", "text": "想听的话题", "options": TOPICS},
    {"id": "content", "kind": "scale", "text": "内容质量"},
    {"id": "ideas", "kind": "text", "text": "建议", "max_length": 2000},
]


def answers_for(rng: random.Random) -> dict[str, object]:
    answers: dict[str, object] = {
        "nps": rng.randrange(11),
        "kind": rng.choice(["聚会", "分享", "志愿"]),
        "topics": rng.sample(["AI", "读书", "运动", "理财"], rng.randrange(1, 4)),
        "content": rng.randrange(1, 6),
    }
    if rng.random() < 0.3:
        answers["ideas"] = "多办一些线下活动, 内容再深入一点 🎉" * rng.randrange(1, 4)
    return answers


def peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed(url: str, responses: int) -> str:
    """The community, its owner and members, the survey, `responses` answers in bulk."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    now = utc_now()
    members = responses + LIVE_RESPONSES
    async with sessions() as session:
        session.add(
            Community(
                id=CID, name="Bench", join_policy="open", timezone="Asia/Shanghai", rules=[],
                owner_user_id=OWNER.id, created_at=now, updated_at=now,
            )
        )  # fmt: skip
        await session.commit()
        rows: list[dict[str, Any]] = [
            {
                "id": f"mbr_bench_{n:07d}", "community_id": CID, "user_id": "owner" if n == 0
                else f"user-{n}", "display_name": f"成员 {n}", "status": "active",
                "role": "owner" if n == 0 else "member", "tier_id": None, "tags": [],
                "referral_count": 0, "joined_at": now,
            }
            for n in range(members + 1)
        ]  # fmt: skip
        for start in range(0, len(rows), BATCH):
            await session.execute(insert(Membership.__table__), rows[start : start + BATCH])  # type: ignore[attr-defined]
        await session.commit()
    async with UnitOfWork(sessions, Outbox(messaging, source="members")) as uow:
        survey = await create_survey(
            uow=uow,
            actor=OWNER,
            community_id=CID,
            survey_create=SurveyCreate.model_validate(
                {"title": "压测问卷", "questions": QUESTIONS}
            ),
        )
        survey_id = survey.id
    questions = [Question.of(q) for q in QUESTIONS]
    rng = random.Random(23)
    counts: dict[tuple[str, str], int] = {}
    async with sessions() as session:
        for start in range(1, responses + 1, BATCH):
            markers, answers_rows, texts = [], [], []
            for n in range(start, min(start + BATCH, responses + 1)):
                answers = answers_for(rng)
                for question_id, keys in check_answers(questions, answers).items():
                    for key in keys:
                        counts[question_id, key] = counts.get((question_id, key), 0) + 1
                markers.append({"survey_id": survey_id, "member_id": f"mbr_bench_{n:07d}"})
                response_id = uuid.uuid4().hex
                answers_rows.append(
                    {"id": response_id, "survey_id": survey_id, "member_id": f"mbr_bench_{n:07d}",
                     "answers": answers, "submitted_at": now}
                )  # fmt: skip
                if "ideas" in answers:
                    texts.append(
                        {"id": uuid.uuid4().hex, "survey_id": survey_id, "question_id": "ideas",
                         "text": answers["ideas"]}
                    )  # fmt: skip
            await session.execute(insert(SurveyRespondent.__table__), markers)  # type: ignore[attr-defined]
            await session.execute(insert(SurveyResponse.__table__), answers_rows)  # type: ignore[attr-defined]
            if texts:
                await session.execute(insert(SurveyText.__table__), texts)  # type: ignore[attr-defined]
        for (question_id, key), count in counts.items():
            await session.execute(
                update(SurveyTally)
                .where(
                    col(SurveyTally.survey_id) == survey_id,
                    col(SurveyTally.question_id) == question_id,
                    col(SurveyTally.answer) == key,
                )
                .values(count=count)
            )
        await session.execute(
            update(Survey).where(col(Survey.id) == survey_id).values(response_count=responses)
        )
        await session.commit()
    await engine.dispose()
    return survey_id


async def live_responses(url: str, survey_id: str, first: int) -> list[float]:
    """LIVE_RESPONSES answers through `respond`, each its own transaction, timed."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    outbox = Outbox(messaging, source="members")
    rng, took = random.Random(5), []
    for n in range(first, first + LIVE_RESPONSES):
        body = ResponseCreate.model_validate({"answers": answers_for(rng)})
        started = time.perf_counter()
        async with UnitOfWork(sessions, outbox) as uow:
            await respond(
                uow=uow, actor=Actor(id=f"user-{n}"), community_id=CID, survey_id=survey_id,
                response_create=body,
            )  # fmt: skip
        took.append(time.perf_counter() - started)
    await engine.dispose()
    return took


async def recount(url: str, survey_id: str) -> dict[str, int]:
    """The NPS question's counts from the stored answers, for checking the tallies."""
    # Not the read-only engine: on PostgreSQL it autocommits, and a server-side cursor needs a
    # transaction.
    engine = create_engine(url)
    counts: dict[str, int] = {}
    async with session_factory(engine)() as session:
        rows = await session.stream(
            select(col(SurveyResponse.answers)).where(col(SurveyResponse.survey_id) == survey_id)
        )
        async for (answers,) in rows:
            key = str(answers["nps"])
            counts[key] = counts.get(key, 0) + 1
            counts[ANSWERED] = counts.get(ANSWERED, 0) + 1
    await engine.dispose()
    return counts


async def timed_results(url: str, survey_id: str, reads: int) -> tuple[list[float], int]:
    engine = create_engine(url, read_only=True)
    sessions = session_factory(engine)
    took, responses = [], 0
    for _ in range(reads):
        async with sessions() as session:
            started = time.perf_counter()
            results = await survey_results(
                session=session, actor=OWNER, community_id=CID, survey_id=survey_id
            )
            took.append(time.perf_counter() - started)
            responses = results.responses
    await engine.dispose()
    return took, responses


async def exported(url: str, survey_id: str) -> tuple[float, int, int, bytes]:
    """Stream the export to the end: seconds, bytes, rows, its first bytes."""
    engine = create_engine(url, read_only=True)
    sessions = session_factory(engine)
    async with sessions() as session:
        survey = await session.get(Survey, survey_id)
    assert survey is not None
    size, lines, head = 0, 0, b""
    started = time.perf_counter()
    async for chunk in export_csv(sessions, survey):
        if not head:
            head = chunk[:16]
        size += len(chunk)
        lines += chunk.count(b"\r\n")
    took = time.perf_counter() - started
    await engine.dispose()
    return took, size, lines - 1, head


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def bench_backend(backend: str, responses: int, reads: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        name = ""
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(directory) / 'members.db'}"
        else:
            try:
                admin = await asyncpg.connect(POSTGRES_DSN, timeout=3)
            except (OSError, asyncpg.PostgresError) as exc:
                print(f"{backend}: skipped, {POSTGRES_DSN} unreachable ({exc})")
                return
            name = f"huoli_bench_{uuid.uuid4().hex[:10]}"
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.close()
            url = f"{POSTGRES_DSN.rsplit('/', 1)[0]}/{name}".replace(
                "postgresql://", "postgresql+asyncpg://", 1
            )
        try:
            await asyncio.to_thread(upgrade_to_head, ini_path=MEMBERS.alembic_ini, database_url=url)
            started = time.perf_counter()
            survey_id = await seed(url, responses)
            print(
                f"{backend}: {responses} responses seeded in {time.perf_counter() - started:.1f} s"
            )
            live = await live_responses(url, survey_id, first=responses + 1)
            print(
                f"    respond     : p50 {statistics.median(live) * 1000:.1f} ms, "
                f"p95 {percentile(live, 0.95) * 1000:.1f} ms over {len(live)} responses"
            )
            took, counted = await timed_results(url, survey_id, reads)
            p95 = percentile(took, 0.95)
            print(
                f"    results     : p50 {statistics.median(took) * 1000:.1f} ms, "
                f"p95 {p95 * 1000:.1f} ms, max {max(took) * 1000:.1f} ms over {reads} reads "
                f"of {counted} responses (target ≤ 200 ms: {'met' if p95 <= 0.2 else 'MISSED'})"
            )
            assert counted == responses + LIVE_RESPONSES, counted
            engine = create_engine(url, read_only=True)
            async with session_factory(engine)() as session:
                tallies = {
                    t.answer: t.count
                    for t in (await session.execute(select(SurveyTally))).scalars()
                    if t.question_id == "nps"
                }
            await engine.dispose()
            assert tallies == await recount(url, survey_id), "the tallies disagree with a recount"
            before = peak_rss_mib()
            seconds, size, rows, head = await exported(url, survey_id)
            after = peak_rss_mib()
            assert head.startswith(b"\xef\xbb\xbf"), head
            assert rows == responses + LIVE_RESPONSES, rows
            print(
                f"    export      : {rows} rows, {size / 2**20:.1f} MiB in {seconds:.2f} s; "
                f"peak RSS {before:.0f} MiB before, {after:.0f} MiB after"
            )
            tracemalloc.start()
            await exported(url, survey_id)
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"    export      : peak Python allocations during it {traced_peak / 2**20:.1f} "
                f"MiB for {size / 2**20:.1f} MiB of CSV"
            )
        finally:
            if name:
                admin = await asyncpg.connect(POSTGRES_DSN, timeout=3)
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        await bench_backend(backend.strip(), args.responses, args.reads)


if __name__ == "__main__":
    stop_on_signals()
    asyncio.run(main())
