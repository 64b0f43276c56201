"""What a screening hit does to a content item. The matching itself is the shared engine
(`services/common/screening/rules.py`), which chat moderation uses too."""

from enum import StrEnum


# What a hit does: reject the item, or flag it for a person. (A comment, not a docstring: the
# docstring would become the enum's description in the API schema.)
class ScreeningAction(StrEnum):
    REJECT = "reject"
    FLAG = "flag"
