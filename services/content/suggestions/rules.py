"""The suggestion box's rules: statuses, who may edit, vote and decide.

Pure functions and constants; no SQL, no FastAPI.
"""

from enum import StrEnum

from services.common.events.catalogue.vocabulary import Role
from services.content.suggestions.errors import (
    OwnSuggestionVote,
    SuggestionClosed,
    SuggestionNotEditable,
)

TITLE_MAX = 200
BODY_MAX = 5_000
REPLY_MAX = 2_000


class SuggestionStatus(StrEnum):
    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    DONE = "done"
    DECLINED = "declined"
    # The author's own: withdrawn while new; seen only by the author and staff afterwards.
    WITHDRAWN = "withdrawn"


class StaffStatus(StrEnum):
    """What staff may set: every status but the author's `withdrawn`."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    DONE = "done"
    DECLINED = "declined"


class SuggestionSort(StrEnum):
    VOTES = "votes"
    NEWEST = "newest"


# Who answers suggestions: the community's owners and admins.
STAFF = frozenset({Role.OWNER.value, Role.ADMIN.value})
# +1s count while a suggestion is still being weighed; once done or declined the question is
# settled, and a withdrawn one is gone.
OPEN_FOR_VOTES = frozenset(
    {SuggestionStatus.NEW, SuggestionStatus.UNDER_REVIEW, SuggestionStatus.PLANNED}
)


def check_editable(status: str) -> None:
    """SuggestionNotEditable unless the suggestion is still new: once staff have looked at it,
    changing the text would change what they answered."""
    if status != SuggestionStatus.NEW:
        raise SuggestionNotEditable(status)


def check_vote(*, status: str, author_member_id: str, voter_member_id: str) -> None:
    """A member +1s someone else's suggestion that is still open. Authors cannot +1 their own:
    every suggestion would start at one and the count would measure support by others less
    plainly."""
    if voter_member_id == author_member_id:
        raise OwnSuggestionVote()
    if status not in OPEN_FOR_VOTES:
        raise SuggestionClosed(status)


def reply_required(status: str) -> bool:
    """A decline says why: an author told "no" without a reason stops suggesting."""
    return status == SuggestionStatus.DECLINED
