"""The suggestion box's pure rules: who may edit, +1 and must give a reason."""

import pytest

from services.content.suggestions import rules
from services.content.suggestions.errors import (
    OwnSuggestionVote,
    SuggestionClosed,
    SuggestionNotEditable,
)
from services.content.suggestions.rules import StaffStatus, SuggestionStatus


def test_only_a_new_suggestion_is_editable() -> None:
    rules.check_editable(SuggestionStatus.NEW)
    for status in set(SuggestionStatus) - {SuggestionStatus.NEW}:
        with pytest.raises(SuggestionNotEditable) as refused:
            rules.check_editable(status)
        assert refused.value.extensions == {"current_status": status, "field": "status"}


@pytest.mark.parametrize("status", ["new", "under_review", "planned"])
def test_another_member_may_plus_one_an_open_suggestion(status: str) -> None:
    rules.check_vote(status=status, author_member_id="mbr_a", voter_member_id="mbr_b")


@pytest.mark.parametrize("status", ["done", "declined", "withdrawn"])
def test_a_settled_or_withdrawn_suggestion_takes_no_plus_one(status: str) -> None:
    with pytest.raises(SuggestionClosed):
        rules.check_vote(status=status, author_member_id="mbr_a", voter_member_id="mbr_b")


def test_the_author_cannot_plus_one_their_own_whatever_the_status() -> None:
    for status in SuggestionStatus:
        with pytest.raises(OwnSuggestionVote):
            rules.check_vote(status=status, author_member_id="mbr_a", voter_member_id="mbr_a")


def test_only_a_decline_needs_a_reply() -> None:
    assert [status for status in StaffStatus if rules.reply_required(status)] == ["declined"]


def test_staff_set_every_status_but_the_authors_withdrawal() -> None:
    assert {s.value for s in StaffStatus} == {s.value for s in SuggestionStatus} - {"withdrawn"}
