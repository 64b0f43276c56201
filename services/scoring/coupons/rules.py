"""Coupon batches' rules: which codes a batch adds, and generated codes. Pure functions."""

from collections.abc import Callable, Iterable, Sequence

from services.scoring.rewards.rules import new_code

IMPORTED, GENERATED = "imported", "generated"
MAX_BATCH = 10_000  # codes in one batch: one request's worth, inserted in one statement or so
MAX_CODE_LENGTH = 64
# Visible ASCII only: a code is typed at a till or pasted into a shop; spaces and control
# characters would make two codes that look alike differ.
CODE_PATTERN = r"^[!-~]+$"


def unique_codes(codes: Iterable[str], taken: Iterable[str] = ()) -> tuple[list[str], int]:
    """The codes to add, in the order given, each once and none the reward holds already
    (`taken`); and how many were skipped as duplicates."""
    seen = set(taken)
    kept: list[str] = []
    skipped = 0
    for code in codes:
        if code in seen:
            skipped += 1
            continue
        seen.add(code)
        kept.append(code)
    return kept, skipped


def generated_codes(
    count: int, taken: Iterable[str] = (), *, make: Callable[[], str] = new_code
) -> list[str]:
    """`count` fresh codes, distinct from each other and from `taken` (a collision of two
    60-bit codes is rare; it is drawn again)."""
    seen = set(taken)
    codes: list[str] = []
    while len(codes) < count:
        code = make()
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    """IN lists kept well under both databases' parameter limits."""
    return [items[start : start + size] for start in range(0, len(items), size)]
