"""The rules' bounds and the one decision about an acknowledgement. Pure: no SQL, no FastAPI."""

TITLE_MAX_LENGTH = 100
# Long enough for any community's 群规 written out in full (a WeChat group notice holds far less).
BODY_MAX_LENGTH = 20_000


def acknowledgeable(*, version: int, current_version: int | None) -> bool:
    """Only the current version may be acknowledged: acknowledging an older text would record
    consent to rules that no longer apply, a newer one does not exist yet."""
    return current_version is not None and version == current_version
