"""Versioned rules (issue 23): only the version in force may be acknowledged, and the rules'
text has bounds the API enforces before anything is stored."""

import pytest
from pydantic import ValidationError

from services.members.rulebook.rules import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, acknowledgeable
from services.members.rulebook.schemas import RulesAcknowledgementCreate, RulesVersionCreate


def test_only_the_current_version_is_acknowledgeable() -> None:
    assert acknowledgeable(version=3, current_version=3) is True
    assert acknowledgeable(version=2, current_version=3) is False  # outdated
    assert acknowledgeable(version=4, current_version=3) is False  # not published yet
    assert acknowledgeable(version=1, current_version=None) is False  # nothing published


def test_the_rules_text_is_bounded_and_kept_as_written() -> None:
    text = "1. 友善 🤝\n2. 不发广告"
    created = RulesVersionCreate(title=" 群规 📜 ", body=text)
    assert (created.title, created.body) == ("群规 📜", text)
    RulesVersionCreate(title="t" * TITLE_MAX_LENGTH, body="b" * BODY_MAX_LENGTH)


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "b", "title"),
        ("   ", "b", "title"),
        ("t" * (TITLE_MAX_LENGTH + 1), "b", "title"),
        ("a\x00b", "b", "title"),
        ("t", "", "body"),
        ("t", "b" * (BODY_MAX_LENGTH + 1), "body"),
        ("t", "a\x00b", "body"),
    ],
)
def test_bad_rules_text_is_refused_naming_the_field(title: str, body: str, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RulesVersionCreate(title=title, body=body)
    assert [error["loc"][0] for error in refused.value.errors()] == [field]


@pytest.mark.parametrize("version", [0, -1, 10**30, "one", None, 1.5])
def test_a_hostile_version_number_is_refused(version: object) -> None:
    with pytest.raises(ValidationError) as refused:
        RulesAcknowledgementCreate.model_validate({"version": version})
    assert refused.value.errors()[0]["loc"] == ("version",)
