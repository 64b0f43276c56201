from collections.abc import Sequence

"""The tier every community starts with."""

DEFAULT_TIER_NAME = "一群"
DEFAULT_CAPACITY = 500


def entry_order(tier_ids: Sequence[str], entry_tier_id: str | None) -> list[str]:
    """The tiers a newcomer may be seated in, in the order they are tried: the entry tier (by
    default the one ranked just below the core), then each lower one. Never the core tier,
    unless it is the only tier."""
    if len(tier_ids) <= 1:
        return list(tier_ids)
    below_core = list(tier_ids[1:])
    entry = entry_tier_id if entry_tier_id in below_core else below_core[0]
    return below_core[below_core.index(entry) :]
