"""Pure rules of the content domain: the workflow table, screening, publishing rules and the
slot finder across daylight-saving changes, RRULE bounds. No database, no broker."""

import asyncio
import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.common.screening.rules import build_screener, screener_for
from services.content.items.errors import IllegalTransition
from services.content.items.rules import MOVES, ContentStatus, target
from services.content.scheduling.rules import (
    Booking,
    PublishingRules,
    broken_rule,
    local_moment,
    next_free_slot,
)
from services.content.series.errors import InvalidRecurrence
from services.content.series.rules import (
    _CHECKING,
    CHECK_SECONDS,
    check_recurrence,
    occurrences,
    parse_recurrence,
)

S = ContentStatus
NEW_YORK, BERLIN, SHANGHAI = (
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Asia/Shanghai"),
)


# --- workflow ---------------------------------------------------------------------------------


def test_the_workflow_table_allows_exactly_the_documented_moves() -> None:
    moves = {
        (action, before, after)
        for action, table in MOVES.items()
        for before, afters in table.items()
        for after in afters
    }
    assert moves == {
        ("submit", S.DRAFT, S.IN_REVIEW),
        ("submit", S.DRAFT, S.REJECTED),
        ("submit", S.REJECTED, S.IN_REVIEW),
        ("submit", S.REJECTED, S.REJECTED),
        ("approve", S.IN_REVIEW, S.APPROVED),
        ("reject", S.IN_REVIEW, S.REJECTED),
        ("schedule", S.APPROVED, S.SCHEDULED),
        ("schedule", S.SCHEDULED, S.SCHEDULED),
        ("publish", S.APPROVED, S.PUBLISHED),
        ("publish", S.SCHEDULED, S.PUBLISHED),
        ("archive", S.PUBLISHED, S.ARCHIVED),
        # A moderation case resolved archive_content: whatever members may see.
        ("moderate", S.APPROVED, S.ARCHIVED),
        ("moderate", S.SCHEDULED, S.ARCHIVED),
        ("moderate", S.PUBLISHED, S.ARCHIVED),
    }


@pytest.mark.parametrize("status", list(ContentStatus))
def test_every_illegal_move_names_the_current_status(status: ContentStatus) -> None:
    for action, table in MOVES.items():
        wanted = next(iter(next(iter(table.values()))))
        if wanted in table.get(status, frozenset()):
            assert target(action, status, wanted) == wanted
            continue
        with pytest.raises(IllegalTransition) as raised:
            target(action, status, wanted)
        assert raised.value.status == 409
        assert raised.value.extensions["current_status"] == status
        assert status in raised.value.detail


# --- screening --------------------------------------------------------------------------------


def hits(text: str, **settings: object) -> set[tuple[str, str]]:
    screener = screener_for(
        settings.get("words", {}),  # type: ignore[arg-type]
        settings.get("allowed_domains", []),  # type: ignore[arg-type]
    )
    return {(hit.rule, hit.match) for hit in screener.screen([text])}


def test_default_lists_catch_ads_abuse_and_rumours_in_chinese_and_english() -> None:
    assert hits("想要资料的请加微信 abc123") == {("ads", "加微信")}
    assert hits("你这个傻逼") == {("abuse", "傻逼")}
    assert hits("紧急扩散！！") == {("rumours", "紧急扩散")}  # noqa: RUF001
    assert hits("BUY NOW while stocks last") == {("ads", "buy now")}
    assert hits("This miracle cure works") == {("rumours", "miracle cure")}
    assert hits("今天读书会讨论《活着》，欢迎大家 🎉 Welcome!") == set()  # noqa: RUF001


def test_disguises_do_not_escape_the_automaton() -> None:
    # Spaces, punctuation and emoji between the characters; full-width forms; mixed case.
    assert hits("加 微 信") == {("ads", "加微信")}
    assert hits("加.微-信") == {("ads", "加微信")}
    assert hits("加🙂微🙂信") == {("ads", "加微信")}
    assert hits("\uff22\uff35\uff39\u3000\uff2e\uff2f\uff37") == {("ads", "buy now")}  # BUY NOW
    assert hits("bUy-N o W") == {("ads", "buy now")}
    assert hits("M.i.r.a.c.l.e C_u_r_e") == {("rumours", "miracle cure")}


def test_community_words_and_links_outside_the_allow_list() -> None:
    words = {"custom": ["竞品群"], "ads": ["团购链接"]}
    assert hits("来竞 品 群看看", words=words) == {("custom", "竞品群")}
    assert hits("团购链接在此", words=words) == {("ads", "团购链接")}
    allowed = ["example.com"]
    text = "see https://docs.example.com/a and https://evil.cn/x and www.spam.io"
    assert hits(text, allowed_domains=allowed) == {("link", "evil.cn"), ("link", "www.spam.io")}
    # A full-width link is a link (NFKC); an allowed domain's look-alike is not allowed.
    fullwidth = "\uff48\uff54\uff54\uff50\uff53\uff1a\uff0f\uff0fbad.com/x"
    assert hits(fullwidth, allowed_domains=allowed) == {("link", "bad.com")}
    assert hits("https://example.com.evil.cn", allowed_domains=allowed) == {
        ("link", "example.com.evil.cn")
    }


def test_screening_a_long_body_against_two_thousand_words_is_one_pass() -> None:
    words = {"custom": [f"禁词{index:04d}" for index in range(2000)]}
    screener = build_screener(words, [])
    body = ("社群运营的日常 Daily operations, 内容日历和早报。" * 200)[:4990] + "禁 词 1 9 9 9"
    found = screener.screen([body])
    assert [(hit.rule, hit.match) for hit in found] == [("custom", "禁词1999")]
    started = clock.perf_counter()
    for _ in range(20):
        screener.screen([body])
    # Not a timing assertion (those belong to the bench): a sanity bound a loop of `in`
    # checks over 2,000 words (about 2,000 scans of the body) would not meet either.
    assert (clock.perf_counter() - started) / 20 < 0.05


# --- publishing rules across DST --------------------------------------------------------------


def at(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # US DST starts 2027-03-14: 08:00 EST is 13:00 UTC, 08:00 EDT is 12:00 UTC.
        (NEW_YORK, (2027, 3, 13), (2027, 3, 14)),
        # EU DST starts 2027-03-28 and ends 2027-10-31.
        (BERLIN, (2027, 3, 27), (2027, 3, 28)),
        (BERLIN, (2027, 10, 30), (2027, 10, 31)),
        (SHANGHAI, (2027, 3, 13), (2027, 3, 14)),
    ],
)
def test_slots_stay_on_the_wall_clock_across_dst(
    zone: ZoneInfo, before: tuple[int, int, int], after: tuple[int, int, int]
) -> None:
    rules = PublishingRules()
    late_evening = at(zone, *before, 21, 30)
    found = next_free_slot(rules=rules, zone=zone, after=late_evening, tier_ids=[], bookings=[])
    assert found is not None
    assert found.astimezone(zone).replace(tzinfo=None) == datetime(*after, 8, 0)
    previous = next_free_slot(
        rules=rules, zone=zone, after=at(zone, *before, 7, 0), tier_ids=[], bookings=[]
    )
    assert previous is not None
    shift = (found - previous) - timedelta(days=1)
    # The UTC distance between the two 08:00s is a day minus/plus the DST hour (or exactly a
    # day where there is no change).
    expected_shift = {NEW_YORK: -1, SHANGHAI: 0}.get(zone, -1 if before[1] == 3 else 1)
    assert shift == timedelta(hours=expected_shift)


def test_a_slot_skipped_by_the_spring_change_is_skipped_that_day() -> None:
    assert local_moment(datetime(2027, 3, 14).date(), time(2, 30), NEW_YORK) is None
    rules = PublishingRules(slots=(time(2, 30),), quiet_hours=None)
    found = next_free_slot(
        rules=rules, zone=NEW_YORK, after=at(NEW_YORK, 2027, 3, 13, 12, 0), tier_ids=[], bookings=[]
    )
    assert found is not None
    assert found.astimezone(NEW_YORK).date().isoformat() == "2027-03-15"


def test_quiet_hours_gap_and_day_limit_are_named() -> None:
    rules = PublishingRules()
    night = at(BERLIN, 2027, 3, 28, 6, 30)  # 06:30 CEST, inside 23:00-07:00
    broken = broken_rule(rules=rules, zone=BERLIN, publish_at=night, tier_ids=[], bookings=[])
    assert broken is not None and broken.rule == "quiet_hours"
    booked = [Booking(at(BERLIN, 2027, 3, 28, 8, 0), ())]
    close = at(BERLIN, 2027, 3, 28, 9, 0)
    broken = broken_rule(rules=rules, zone=BERLIN, publish_at=close, tier_ids=[], bookings=booked)
    assert broken is not None and broken.rule == "min_gap"
    # The min gap is real time: 01:30 EST and 03:10 EDT on the spring day are 40 minutes apart.
    no_quiet = PublishingRules(quiet_hours=None, min_gap_minutes=60)
    spring = [Booking(at(NEW_YORK, 2027, 3, 14, 1, 30), ())]
    broken = broken_rule(
        rules=no_quiet,
        zone=NEW_YORK,
        publish_at=at(NEW_YORK, 2027, 3, 14, 3, 10),
        tier_ids=[],
        bookings=spring,
    )
    assert broken is not None and broken.rule == "min_gap"
    full_day = [Booking(at(SHANGHAI, 2027, 5, 1, hour, 0), ()) for hour in (8, 12, 16)]
    broken = broken_rule(
        rules=rules,
        zone=SHANGHAI,
        publish_at=at(SHANGHAI, 2027, 5, 1, 20, 0),
        tier_ids=[],
        bookings=full_day,
    )
    assert broken is not None and broken.rule == "max_per_day"
    # Per tier: a full day for tier A leaves room for tier B, not for everyone.
    tier_a = [Booking(booking.publish_at, ("tier_a",)) for booking in full_day]
    evening = at(SHANGHAI, 2027, 5, 1, 20, 0)
    for_b = broken_rule(
        rules=rules, zone=SHANGHAI, publish_at=evening, tier_ids=["tier_b"], bookings=tier_a
    )
    assert for_b is None
    for_all = broken_rule(
        rules=rules, zone=SHANGHAI, publish_at=evening, tier_ids=[], bookings=tier_a
    )
    assert for_all is not None and for_all.rule == "max_per_day"


def test_the_next_free_slot_skips_taken_slots_and_full_days() -> None:
    rules = PublishingRules()
    morning = at(SHANGHAI, 2027, 5, 1, 6, 0)
    taken = [Booking(at(SHANGHAI, 2027, 5, 1, 8, 0), ())]
    found = next_free_slot(rules=rules, zone=SHANGHAI, after=morning, tier_ids=[], bookings=taken)
    assert found == at(SHANGHAI, 2027, 5, 1, 12, 30)
    full = [
        Booking(at(SHANGHAI, 2027, 5, 1, hour, minute), ())
        for hour, minute in ((8, 0), (12, 30), (21, 0))
    ]
    found = next_free_slot(rules=rules, zone=SHANGHAI, after=morning, tier_ids=[], bookings=full)
    assert found == at(SHANGHAI, 2027, 5, 2, 8, 0)


# --- series -----------------------------------------------------------------------------------


def test_a_daily_brief_stays_at_eight_local_across_dst() -> None:
    start = at(BERLIN, 2027, 3, 26, 8, 0)
    rule = parse_recurrence("RRULE:FREQ=DAILY", starts_at=start, zone=BERLIN)
    found = list(
        occurrences(rule, after=start - timedelta(seconds=1), until=start + timedelta(days=3))
    )
    assert [moment.astimezone(BERLIN).hour for moment in found] == [8, 8, 8, 8]
    assert [moment.hour for moment in found] == [7, 7, 6, 6]  # UTC: CET, CET, CEST, CEST


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=MINUTELY",
        "FREQ=HOURLY",
        "FREQ=DAILY;BYMINUTE=0,30",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;UNTIL=20270101T000000",
        "FREQ=DAILY;BYDAY=XX",
        "DTSTART:20270101T000000Z\nRRULE:FREQ=DAILY",
        "FREQ=WEEKLY;INTERVAL=abc",
        "not a rule",
        "",
    ],
)
def test_invalid_or_too_frequent_rules_are_refused(text: str) -> None:
    with pytest.raises(InvalidRecurrence) as raised:
        parse_recurrence(text, starts_at=at(SHANGHAI, 2027, 1, 1, 8, 0), zone=SHANGHAI)
    assert raised.value.status == 422
    assert raised.value.extensions["field"] == "rrule"


async def test_a_rule_that_never_occurs_is_refused_without_stalling_the_request() -> None:
    # dateutil would walk month by month to the year 9999 looking for a 30 February.
    started = clock.perf_counter()
    with pytest.raises(InvalidRecurrence):
        await check_recurrence(
            "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30",
            starts_at=at(SHANGHAI, 2027, 1, 1, 8, 0),
            zone=SHANGHAI,
        )
    assert clock.perf_counter() - started < CHECK_SECONDS + 1
    # The abandoned walk ends on its own and frees the checker for the next rule.
    deadline = clock.monotonic() + 60
    while not _CHECKING.acquire(blocking=False):
        assert clock.monotonic() < deadline
        await asyncio.sleep(0.1)
    _CHECKING.release()
