"""Request and response shapes of chat moderation: a community's rules, the messages a bot
sends to be checked, and the verdicts."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.common.events.catalogue import ScreeningHit
from services.common.events.catalogue.vocabulary import Role
from services.common.fields import ResourceId, Timestamp, Utf8Text
from services.common.screening.fields import Domain, ScreeningRule, Word
from services.members.moderation.rules import (
    DEFAULT_EXEMPT_ROLES,
    DEFAULT_FLOOD_MESSAGES,
    DEFAULT_FLOOD_SECONDS,
    DEFAULT_MENTION_LIMIT,
    DEFAULT_QUIET_HOURS,
    DEFAULT_REPORTED_KINDS,
    MessageKind,
    RuleAction,
    RuleName,
    VerdictAction,
)

MAX_BATCH = 500
# A chat message's text: WeChat's own limit is a few thousand characters; a 10 MB body is
# refused whole (413) before it is read.
MAX_TEXT = 5000
# More mentions than any group has members to mention: refused, not counted.
MAX_MENTIONS = 1000
MAX_MUTE_HOURS = 28 * 24  # Discord's longest timeout

PatternName = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
]


class PatternRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PatternName
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=300), Utf8Text] = Field(
        description="an RE2 regular expression, matched case-insensitively after NFKC"
    )


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: RuleAction
    mute_hours: Annotated[int, Field(ge=1, le=MAX_MUTE_HOURS)] | None = Field(
        default=None, description="mute only; default: the sanctions ladder's"
    )

    @model_validator(mode="after")
    def _mute_hours_for_mutes(self) -> "Step":
        if self.mute_hours is not None and self.action != RuleAction.MUTE:
            raise ValueError("mute_hours is for the mute action only")
        return self


class Flood(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_FLOOD_MESSAGES
    seconds: Annotated[int, Field(ge=1, le=3600)] = DEFAULT_FLOOD_SECONDS


class ModerationRules(BaseModel):
    """A community's chat moderation: words added to the default lists (ads, abuse, rumours)
    and its own, regular expressions, allowed link domains, the message kinds reported, the
    mention limit, the flood limit, new members' quiet period, who is exempt, and per rule what
    a hit does (`actions`; rules left out keep the playbook's default)."""

    model_config = ConfigDict(extra="forbid")

    words: Annotated[
        dict[ScreeningRule, Annotated[list[Word], Field(max_length=2000)]], Field(max_length=4)
    ] = {}
    patterns: Annotated[list[PatternRule], Field(max_length=50)] = []
    allowed_domains: Annotated[list[Domain], Field(max_length=200)] = []
    reported_kinds: Annotated[list[MessageKind], Field(max_length=len(MessageKind))] = list(
        DEFAULT_REPORTED_KINDS
    )
    mention_limit: Annotated[int, Field(ge=1, le=MAX_MENTIONS)] = DEFAULT_MENTION_LIMIT
    flood: Flood = Flood()
    quiet_hours: Annotated[int, Field(ge=0, le=720)] = DEFAULT_QUIET_HOURS
    exempt_roles: Annotated[list[Role], Field(max_length=len(Role))] = list(DEFAULT_EXEMPT_ROLES)
    exempt_tiers: Annotated[list[ResourceId], Field(max_length=100)] = []
    actions: dict[RuleName, Step] = {}

    @model_validator(mode="after")
    def _unique_pattern_names(self) -> "ModerationRules":
        names = [pattern.name for pattern in self.patterns]
        if len(names) != len(set(names)):
            raise ValueError("pattern names must be unique")
        return self


class ModerationRulesPublic(ModerationRules):
    community_id: str
    # Every rule's action, the defaults filled in.
    effective_actions: dict[RuleName, Step]
    updated_at: datetime | None


MessageId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]

Mention = Annotated[str, StringConstraints(min_length=1, max_length=128), Utf8Text]


class ChatMessage(BaseModel):
    """One chat message as the bot saw it: `member_id` is the sender's membership here,
    `mentions` the members it @-mentions."""

    model_config = ConfigDict(extra="forbid")

    message_id: MessageId
    member_id: ResourceId
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT), Utf8Text] = ""
    kind: MessageKind = MessageKind.TEXT
    mentions: Annotated[list[Mention], Field(max_length=MAX_MENTIONS)] = []
    sent_at: Timestamp


class ChatBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=MAX_BATCH)]

    @model_validator(mode="after")
    def _unique_ids(self) -> "ChatBatch":
        ids = [message.message_id for message in self.messages]
        if len(ids) != len(set(ids)):
            raise ValueError("message ids must be unique within a batch")
        return self


class VerdictPublic(BaseModel):
    message_id: str
    member_id: str
    action: VerdictAction
    rule: RuleName | None
    matched: list[ScreeningHit]
    sanction_id: str | None = Field(
        default=None, description="the warning, mute or removal the verdict caused, if any"
    )
    checked_at: datetime


class VerdictsPublic(BaseModel):
    verdicts: list[VerdictPublic]
