"""Pure rules of issue 24's coupon batches, badge rules, pools and community lotteries."""

import hashlib
import itertools

import pytest

from services.common.lottery import draw_winners, new_lottery_seed, pool_digest, seed_digest
from services.events.lotteries import rules as event_lottery_rules
from services.scoring.badge_rules.rules import Facts, Rule, RuleKind, met, streak_of
from services.scoring.coupons.rules import chunks, generated_codes, unique_codes
from services.scoring.lotteries.rules import verify
from services.scoring.pools.rules import finished


def test_imported_codes_are_kept_once_in_order_and_duplicates_counted() -> None:
    assert unique_codes(["A", "B", "A", "C", "B"]) == (["A", "B", "C"], 2)
    # Codes the reward holds already are skipped too.
    assert unique_codes(["A", "D"], taken={"A"}) == (["D"], 1)
    assert unique_codes([]) == ([], 0)


def test_generated_codes_are_distinct_and_avoid_codes_taken() -> None:
    drawn = iter(["X", "X", "Y", "Z", "Y", "W"])
    assert generated_codes(3, taken={"Z"}, make=lambda: next(drawn)) == ["X", "Y", "W"]
    codes = generated_codes(500)
    assert len(set(codes)) == 500 and all(len(code) == 12 for code in codes)


def test_chunks_cover_every_item_once() -> None:
    items = [str(n) for n in range(1234)]
    parts = chunks(items, 500)
    assert [len(part) for part in parts] == [500, 500, 234]
    assert list(itertools.chain.from_iterable(parts)) == items


def rule(kind: RuleKind, threshold: int, activity_type: str | None = None) -> Rule:
    return Rule("bdr_1", "c", "bdg_1", kind, activity_type, threshold)


@pytest.mark.parametrize(
    ("badge_rule", "facts", "expected"),
    [
        (rule(RuleKind.ACTIVITY_COUNT, 3, "message"), Facts(counts={"message": 3}), True),
        (rule(RuleKind.ACTIVITY_COUNT, 3, "message"), Facts(counts={"message": 2}), False),
        # Another type's count never meets it.
        (rule(RuleKind.ACTIVITY_COUNT, 3, "message"), Facts(counts={"reply": 9}), False),
        (rule(RuleKind.STREAK, 7), Facts(streak=7), True),
        (rule(RuleKind.STREAK, 7), Facts(streak=6), False),
        (rule(RuleKind.LEVEL, 3), Facts(level=4), True),
        (rule(RuleKind.LEVEL, 3), Facts(level=2), False),
        (rule(RuleKind.POINTS, 100_000), Facts(earned_milli=100_000), True),
        (rule(RuleKind.POINTS, 100_000), Facts(earned_milli=99_999), False),
        (rule("unknown", 1), Facts(level=99), False),  # type: ignore[arg-type]
    ],
)
def test_a_rule_is_met_by_its_own_measure_only(
    badge_rule: Rule, facts: Facts, expected: bool
) -> None:
    assert met(badge_rule, facts) is expected


def test_a_streak_is_read_from_a_check_ins_attrs_as_an_int_only() -> None:
    assert streak_of({"streak": 5}) == 5
    assert streak_of({"streak": True}) == 0
    assert streak_of({"streak": "7"}) == 0
    assert streak_of(None) == 0


def test_a_challenge_is_finished_by_the_streak_reaching_its_length() -> None:
    assert finished(7, 7) and finished(8, 7)
    assert not finished(6, 7)
    assert not finished(9, None)  # announced without its length: cannot be told
    assert not finished(1, 0)


def test_the_draw_is_the_documented_formula_and_shared_with_event_lotteries() -> None:
    seed = bytes(range(32))
    pool = ["mbr_c", "mbr_a", "mbr_b", "mbr_a"]
    by_hand = sorted(
        (hashlib.sha256(seed + member.encode()).hexdigest(), member) for member in set(pool)
    )
    assert draw_winners(seed, pool, 2) == [member for _, member in by_hand[:2]]
    assert draw_winners(seed, pool, 10) == [member for _, member in by_hand]
    assert event_lottery_rules.draw_winners is draw_winners
    assert seed_digest(seed) == hashlib.sha256(seed).hexdigest()
    assert pool_digest(pool) == hashlib.sha256(b"mbr_a\nmbr_b\nmbr_c").hexdigest()
    assert pool_digest([]) == hashlib.sha256(b"").hexdigest()


def test_anyone_can_verify_a_drawn_lottery_and_a_changed_field_fails() -> None:
    seed = new_lottery_seed()
    pool = [f"mbr_{n:03d}" for n in range(50)]
    winners = draw_winners(seed, pool, 3)
    published = {
        "seed_hex": seed.hex(),
        "seed_sha256": seed_digest(seed),
        "pool_member_ids": pool,
        "pool_sha256": pool_digest(pool),
        "winners_count": 3,
        "winners": winners,
    }
    assert verify(**published)  # type: ignore[arg-type]
    for field, changed in (
        ("seed_hex", new_lottery_seed().hex()),
        ("pool_member_ids", [*pool, "mbr_extra"]),
        ("winners", list(reversed(winners))),
    ):
        assert not verify(**{**published, field: changed})  # type: ignore[arg-type]
