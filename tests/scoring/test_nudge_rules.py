"""Win-back nudges' pure rules: placeholders, rendering, the holdout draw, the frequency cap and
the report's comparison."""

from datetime import UTC, datetime, timedelta

import pytest

from services.common.templates import UnknownPlaceholder
from services.scoring.nudges import rules
from services.scoring.nudges.rules import Arm, ArmResult

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def test_a_template_with_only_known_placeholders_passes() -> None:
    rules.check_template("{name} 你好\uff0c{community} 想你了\uff08{days_inactive} 天\uff09")
    rules.check_template("no placeholder at all, a lone { brace")
    rules.check_template("} closing first {")


@pytest.mark.parametrize(
    ("template", "unknown"),
    [
        ("{nmae} 你好", ["nmae"]),
        ("{ name } hi", [" name "]),
        ("{} hi {name}", [""]),
        ("{points} and {tier} for {name}", ["points", "tier"]),
    ],
)
def test_unknown_placeholders_are_refused_naming_the_template(
    template: str, unknown: list[str]
) -> None:
    with pytest.raises(UnknownPlaceholder) as refused:
        rules.check_template(template)
    assert refused.value.status == 422
    assert refused.value.extensions["field"] == "template"
    assert refused.value.extensions["placeholders"] == unknown


def test_render_fills_each_placeholder_and_leaves_values_alone() -> None:
    text = rules.render(
        "{name}\uff0c{community} 已经 {days_inactive} 天没见你 {name}",
        {"name": "小{community}明", "community": "跑团 🏃", "days_inactive": "12"},
    )
    # A name with braces is inserted as it is, never read as a placeholder itself.
    assert text == "小{community}明\uff0c跑团 🏃 已经 12 天没见你 小{community}明"


def test_days_inactive_counts_whole_days_since_the_last_activity_or_the_join() -> None:
    joined = NOW - timedelta(days=40)
    assert rules.days_inactive(NOW - timedelta(days=9, hours=23), joined, NOW) == 9
    assert rules.days_inactive(None, joined, NOW) == 40
    assert rules.days_inactive(NOW + timedelta(minutes=1), joined, NOW) == 0


def test_the_holdout_draw_is_reproducible_and_near_its_share() -> None:
    members = [f"mbr_{n:05d}" for n in range(20_000)]
    first = [rules.in_holdout("ncp_A", member, 10) for member in members]
    assert first == [rules.in_holdout("ncp_A", member, 10) for member in members]
    assert 0.09 < sum(first) / len(members) < 0.11
    # Another campaign draws another holdout: not the same members left out every time.
    other = [rules.in_holdout("ncp_B", member, 10) for member in members]
    assert first != other
    assert not any(rules.in_holdout("ncp_A", member, 0) for member in members[:1000])
    draw = rules.holdout_draw("ncp_A", "mbr_00001")
    assert 0 <= draw < 1 and draw == rules.holdout_draw("ncp_A", "mbr_00001")


def test_the_cap_skips_members_nudged_within_the_window_whatever_their_arm() -> None:
    def arm(last: datetime | None, cap_days: int = 7) -> Arm:
        return rules.assign(
            campaign_id="ncp_A",
            member_id="mbr_1",
            holdout_percent=100,  # everyone not capped is held out
            last_nudged_at=last,
            now=NOW,
            cap_days=cap_days,
        )

    assert arm(NOW - timedelta(days=6, hours=23)) is Arm.CAPPED
    assert arm(NOW - timedelta(days=7)) is Arm.HOLDOUT
    assert arm(None) is Arm.HOLDOUT
    assert arm(NOW - timedelta(minutes=1), cap_days=0) is Arm.HOLDOUT
    nudged = rules.assign(
        campaign_id="ncp_A",
        member_id="mbr_1",
        holdout_percent=0,
        last_nudged_at=None,
        now=NOW,
        cap_days=7,
    )
    assert nudged is Arm.NUDGED


def test_the_comparison_reports_shares_uplift_and_significance() -> None:
    result = rules.compare(ArmResult(400, 120), ArmResult(100, 15), window_complete=True)
    assert (result.nudged.share, result.holdout.share, result.uplift) == (0.3, 0.15, 0.15)
    assert result.meaningful and result.note is None
    assert result.p_value is not None and result.p_value < 0.01
    same = rules.compare(ArmResult(100, 20), ArmResult(100, 20), window_complete=True)
    assert same.uplift == 0 and same.p_value == 1.0


def test_the_comparison_says_when_it_means_nothing_yet() -> None:
    small = rules.compare(ArmResult(9, 3), ArmResult(1, 0), window_complete=True)
    assert not small.meaningful
    assert small.note is not None and "too few members" in small.note
    assert small.uplift == round(3 / 9, 4)
    running = rules.compare(ArmResult(400, 120), ArmResult(100, 15), window_complete=False)
    assert not running.meaningful and running.note is not None and "window" in running.note
    empty = rules.compare(ArmResult(0, 0), ArmResult(0, 0), window_complete=True)
    assert (empty.nudged.share, empty.uplift, empty.p_value, empty.meaningful) == (
        None,
        None,
        None,
        False,
    )
