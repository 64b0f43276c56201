"""Points and levels: points are kept in thousandths; earned points reach levels.

Pure functions and constants; no SQL, no FastAPI.
"""

MILLI = 1000


def from_milli(value: int) -> float:
    return value / MILLI


# Points earned (by activity and awards; redemptions do not lower a level) to reach each level.
LEVEL_THRESHOLDS: tuple[int, ...] = (0, 10, 50, 150, 400, 1000, 2500, 6000, 15000, 40000)


def level_for(earned_milli: int) -> int:
    level = 1
    for number, threshold in enumerate(LEVEL_THRESHOLDS, start=1):
        if earned_milli >= threshold * MILLI:
            level = number
    return level
