"""The members service's tables, in a metadata of its own (see services.common.db)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables

registry = table_registry()
metadata = registry.metadata


class MembersTable(SQLModel, registry=registry):
    pass


class Community(MembersTable, table=True):
    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    topic: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    join_policy: str = Field(max_length=20)
    timezone: str = Field(max_length=64)
    rules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner_user_id: str = Field(max_length=128, index=True)
    # The sanctions ladder (services.members.sanctions.rules.Ladder as JSON); None: the default.
    sanction_ladder: dict[str, int] | None = Field(default=None, sa_column=Column(JSON))
    # Listed by its owner for discovery: strangers may see it (without its owner); otherwise a
    # community is known only to its members.
    listed: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    # Where newcomers are seated; None: the tier ranked just below the core (see tiers.service).
    entry_tier_id: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Membership(MembersTable, table=True):
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        # GET /me/memberships looks a user up across communities.
        Index("ix_membership_user_id", "user_id"),
        # Exactly one owner: a second owner row in a community cannot be written, whatever races.
        Index(
            "ux_membership_one_owner",
            "community_id",
            unique=True,
            sqlite_where=text("role = 'owner'"),
            postgresql_where=text("role = 'owner'"),
        ),
        # Covers the seat count every join makes: the index alone answers it.
        Index("ix_membership_tier_id_status", "tier_id", "status"),
        # GET …/members?segment= pages through one community's members of a segment.
        Index("ix_membership_community_id_segment_id", "community_id", "segment", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=40)
    user_id: str = Field(max_length=128)
    display_name: str = Field(max_length=64)
    status: str = Field(max_length=20)
    role: str = Field(max_length=20)
    tier_id: str | None = Field(default=None, max_length=40)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    invited_by: str | None = Field(default=None, max_length=40)
    # Members this one brought in: kept as a count so reading a member never scans the others.
    referral_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    joined_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # A mute ends by itself: a muted member whose muted_until has passed reads as active.
    muted_until: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    # Where the member stands on the sanctions ladder: warnings since the last mute, and mutes.
    warning_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    mute_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The tier policy moves neither a member an admin locked nor one on leave.
    locked: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    on_leave: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # When the tier policy last promoted the member: no demotion within 14 days of it.
    promoted_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    # The latest activity.recorded seen for the member (the engagement projection keeps it).
    last_active_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    # The engagement segment scoring last gave the member (`segment.changed`); None until the
    # first one arrives.
    segment: str | None = Field(default=None, max_length=20)


class Tier(MembersTable, table=True):
    """A ranked sub-group (一群, 二群, 留级群): rank 1 is the core group."""

    __table_args__ = (
        UniqueConstraint("community_id", "rank"),
        UniqueConstraint("community_id", "name"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    name: str = Field(max_length=50)
    rank: int
    capacity: int
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Invite(MembersTable, table=True):
    id: str = Field(primary_key=True, max_length=40)
    code: str = Field(max_length=64, unique=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=40)
    # The inviter's membership; None when a platform admin who is no member made the invite.
    created_by: str | None = Field(default=None, max_length=40)
    max_uses: int | None = None
    uses: int = Field(default=0)
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    # The tier the code seats its users in; None: the community's entry tier.
    tier_id: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # A revoked code admits nobody any more; the row stays for the referrals it made.
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class Sanction(MembersTable, table=True):
    """One sanction: who did what to whom, and why. Ladder escalations are rows too."""

    __table_args__ = (Index("ix_sanction_member_id_id", "member_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    member_id: str = Field(max_length=40)
    kind: str = Field(max_length=10)
    reason: str = Field(max_length=500)
    duration_hours: int | None = None
    muted_until: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    # The sanctioning user's id; `by_ladder` marks the escalation the ladder made of a warning.
    issued_by: str = Field(max_length=128)
    by_ladder: bool = Field(default=False)
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class TierPolicy(MembersTable, table=True):
    __tablename__ = "tier_policy"

    """A community's tier policy (升级/留级制度); without a row the defaults apply and nothing is
    scheduled."""

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    promote_top: int
    promote_period: str = Field(max_length=20)
    demote_bottom: int
    demote_period: str = Field(max_length=20)
    # tier: the bottom N of each tier but the lowest; community: the bottom N of the community.
    demote_scope: str = Field(max_length=20)
    # next_lower: one tier down; lowest: straight into the lowest tier (留级群).
    demote_to: str = Field(max_length=20)
    # Only members silent at least this many days are demoted; 0: no such condition.
    demote_silent_days: int = Field(default=0)
    purge_inactive_days: int
    # member.at_risk goes out this many days before a demotion run; 0: never.
    warn_days_before: int = Field(default=0)
    scheduled: bool = Field(default=True)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class TierPolicyRun(MembersTable, table=True):
    __tablename__ = "tier_policy_run"

    """A step (promote, demote, purge) of the tier policy that ran for a period: the unique key
    is what makes it run once per period per community, whatever instances race for it."""

    __table_args__ = (UniqueConstraint("community_id", "period_key"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    period_key: str = Field(max_length=40)
    ran_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    moved: int = 0
    purged: int = 0


class CreditedDay(MembersTable, table=True):
    __tablename__ = "credited_day"

    """The points scoring credited a member on a day of the community's timezone, summed from
    `engagement.credited` (consumer group `members.credited`): what the tier policy ranks by."""

    __table_args__ = (Index("ix_credited_day_community_id_day", "community_id", "day"),)

    community_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    points: float = Field(sa_column=Column(Float, nullable=False))


class TierChange(MembersTable, table=True):
    __tablename__ = "tier_change"

    """The audit of tier moves made by hand (`POST …/members/{mid}/tier`)."""

    __table_args__ = (Index("ix_tier_change_member_id_id", "member_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    member_id: str = Field(max_length=40)
    from_tier_id: str | None = Field(default=None, max_length=40)
    to_tier_id: str = Field(max_length=40)
    reason: str = Field(max_length=500)
    changed_by: str = Field(max_length=128)
    changed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ModerationSettings(MembersTable, table=True):
    __tablename__ = "moderation_settings"

    """A community's chat moderation rules (`services.members.moderation.schemas.
    ModerationRules` as JSON); without a row the playbook's defaults apply."""

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    rules: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ChatVerdict(MembersTable, table=True):
    """A chat message a bot had checked, and the verdict: the message id makes a check
    idempotent, and the rows of a member are what the flood rule counts."""

    __tablename__ = "chat_verdict"
    __table_args__ = (Index("ix_chat_verdict_member", "community_id", "member_id", "sent_at"),)

    community_id: str = Field(primary_key=True, max_length=40)
    message_id: str = Field(primary_key=True, max_length=128)
    member_id: str = Field(max_length=40)
    action: str = Field(max_length=10)
    rule: str | None = Field(default=None, max_length=20)
    matched: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    sanction_id: str | None = Field(default=None, max_length=40)
    sent_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    checked_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ModerationCase(MembersTable, table=True):
    """Member reports on one target (a message, a member, a content item) worked as one case:
    while a case on a target is not resolved, new reports on it join that case."""

    __tablename__ = "moderation_case"
    __table_args__ = (
        Index(
            "ux_moderation_case_open_target",
            "community_id",
            "target_type",
            "target_id",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_moderation_case_queue", "community_id", "status", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    target_type: str = Field(max_length=10)
    target_id: str = Field(max_length=128)
    # The member the target points at (the member, a message's sender, an item's author).
    target_member_id: str | None = Field(default=None, max_length=40)
    kind: str = Field(max_length=12)
    status: str = Field(max_length=12)
    # A dispute's parties: member ids of the reporters and the member they dispute with.
    parties: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    report_count: int = 0
    assignee_member_id: str | None = Field(default=None, max_length=40)
    resolution: str | None = Field(default=None, max_length=20)
    resolution_note: str | None = Field(default=None, max_length=1000)
    sanction_id: str | None = Field(default=None, max_length=40)
    resolved_by: str | None = Field(default=None, max_length=128)
    opened_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    first_response_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class CaseReport(MembersTable, table=True):
    __tablename__ = "case_report"
    __table_args__ = (
        Index("ix_case_report_reporter", "community_id", "reporter_member_id", "filed_at"),
        Index("ix_case_report_case_id", "case_id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(max_length=40)
    community_id: str = Field(max_length=40)
    reporter_member_id: str = Field(max_length=40)
    kind: str = Field(max_length=12)
    reason: str = Field(max_length=1000)
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    filed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class CaseNote(MembersTable, table=True):
    """A case's timeline after its reports: assignments, comments, the resolution."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_case_id", "case_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(max_length=40)
    kind: str = Field(max_length=12)
    text: str = Field(max_length=2000)
    author: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Lockdown(MembersTable, table=True):
    """A community's lockdown while `until` has not passed (lifting deletes the row)."""

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    joins: str = Field(max_length=20)
    mute_new_members: bool = Field(default=False)
    until: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    reason: str | None = Field(default=None, max_length=500)
    started_by: str = Field(max_length=128)
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Incident(MembersTable, table=True):
    """A crisis worked to its review (危机处理): open → mitigating → resolved → reviewed."""

    __table_args__ = (Index("ix_incident_community_id_id", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    kind: str = Field(max_length=30)
    severity: str = Field(max_length=10)
    summary: str = Field(max_length=1000)
    status: str = Field(max_length=12)
    drill: bool = Field(default=False)
    owner: str = Field(max_length=128)
    # [{"item": str, "done": bool}], copied from the community's playbook for the kind.
    checklist: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    case_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    alert_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # {"cause", "actions", "lessons"}: required to close.
    review: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    opened_by: str = Field(max_length=128)
    opened_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    reviewed_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class IncidentEntry(MembersTable, table=True):
    """One line of an incident's timeline."""

    __tablename__ = "incident_entry"
    __table_args__ = (Index("ix_incident_entry_incident_id", "incident_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    incident_id: str = Field(max_length=40)
    kind: str = Field(max_length=12)
    text: str = Field(max_length=2000)
    author: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Playbook(MembersTable, table=True):
    """A community's own checklist for an incident kind; without a row the default applies."""

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    kind: str = Field(primary_key=True, max_length=30)
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class IncidentPolicy(MembersTable, table=True):
    """Whether early warnings open incidents by themselves: those whose severity is at least
    `auto_open_at` (None: never, the default)."""

    __tablename__ = "incident_policy"

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    auto_open_at: str | None = Field(default=None, max_length=10)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Survey(MembersTable, table=True):
    """A questionnaire (问卷): its questions, who may answer, when. A template is never answered;
    the post-event survey copies one. `origin` names what opened it automatically (`event:<id>`,
    `month:<YYYY-MM>`), unique per community so a redelivered event or a second replica opens
    no second one."""

    __table_args__ = (
        Index("ix_survey_community_id_id", "community_id", "id"),
        UniqueConstraint("community_id", "origin"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    # [{"id", "kind", "text", "required", "options"?, "max_length"?}] (surveys.rules.Question).
    questions: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    audience_kind: str = Field(max_length=12)
    audience_values: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    anonymous: bool = Field(default=False)
    template: bool = Field(default=False)
    kind: str = Field(max_length=12)
    origin: str | None = Field(default=None, max_length=60)
    opens_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    closes_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    response_count: int = Field(default=0)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class SurveyRespondent(MembersTable, table=True):
    """That a member has answered a survey, and nothing else: no time, no response id, so in an
    anonymous survey nothing joins it to the answers (docs/members.md, "Surveys")."""

    __tablename__ = "survey_respondent"

    survey_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=40)


class SurveyResponse(MembersTable, table=True):
    """One member's answers. The id is random (not time-ordered) and an anonymous survey's rows
    carry neither member id nor time."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_survey_id_id", "survey_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    survey_id: str = Field(max_length=40)
    member_id: str | None = Field(default=None, max_length=40)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    submitted_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class SurveyTally(MembersTable, table=True):
    """A running count per question and answer value (an option's index, a scale point, `*` for
    "answered at all"), created with the survey and incremented in each response's
    transaction: results read a few hundred rows whatever the number of responses."""

    __tablename__ = "survey_tally"

    survey_id: str = Field(primary_key=True, max_length=40)
    question_id: str = Field(primary_key=True, max_length=20)
    answer: str = Field(primary_key=True, max_length=4)
    count: int = Field(default=0)


class SurveyText(MembersTable, table=True):
    """A free-text answer, apart from its response so results page through one question's."""

    __tablename__ = "survey_text"
    __table_args__ = (
        Index("ix_survey_text_survey_id_question_id_id", "survey_id", "question_id", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    survey_id: str = Field(max_length=40)
    question_id: str = Field(max_length=20)
    text: str = Field(max_length=2000)


class SurveySettings(MembersTable, table=True):
    """A community's automatic surveys: one after every event (a copy of the template), and
    the monthly satisfaction survey (NPS)."""

    __tablename__ = "survey_settings"

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    post_event_template_id: str | None = Field(default=None, max_length=40)
    post_event_days: int = Field(default=7)
    monthly_nps: bool = Field(default=False)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class SurveyAttendee(MembersTable, table=True):
    """Who checked in to an event (from `attendance.checked_in`): the audience of its survey."""

    __tablename__ = "survey_attendee"

    event_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)


class WelcomeSettings(MembersTable, table=True):
    """A community's welcome (入群欢迎语): the template every newcomer is greeted with unless
    their tier has one of its own, and the rules text `{rules}` stands for."""

    __tablename__ = "welcome_settings"

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    template: str | None = Field(default=None, max_length=2000)
    rules_summary: str | None = Field(default=None, max_length=1000)
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class TierWelcome(MembersTable, table=True):
    """A tier's own welcome template: it overrides the community's for members seated there."""

    __tablename__ = "tier_welcome"
    __table_args__ = (Index("ix_tier_welcome_community_id", "community_id"),)

    tier_id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    template: str = Field(max_length=2000)
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ApplicationForm(MembersTable, table=True):
    """The questions a community asks those who apply to join (入群审核): `[{id, prompt, kind,
    options, required}]` as JSON, at most 10."""

    __tablename__ = "application_form"

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    questions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class JoinApplication(MembersTable, table=True):
    """What an applicant answered when they asked to join, with each question as it was asked
    (the form may change after). One per membership: a later join replaces it; erasure
    deletes it."""

    __tablename__ = "join_application"
    __table_args__ = (Index("ix_join_application_community_id", "community_id", "member_id"),)

    member_id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    answers: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class MemberExit(MembersTable, table=True):
    """Why a member left, as they said (流失原因): the reason from the fixed list and their own
    words. The words are personal data: erasure clears them; the reason stays for the counts."""

    __tablename__ = "member_exit"
    __table_args__ = (Index("ix_member_exit_community_id_id", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    member_id: str = Field(max_length=40)
    reason: str = Field(max_length=30)
    text: str | None = Field(default=None, max_length=1000)
    left_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class RulesVersion(MembersTable, table=True):
    """One published version of a community's rules (the newest is the current one); versions
    are never edited, so an acknowledgement always names the text the member saw."""

    __tablename__ = "rules_version"
    __table_args__ = (UniqueConstraint("community_id", "version"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    version: int
    title: str = Field(max_length=100)
    body: str = Field(max_length=20000)
    published_by_member_id: str | None = Field(default=None, max_length=40)
    published_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class RulesAcknowledgement(MembersTable, table=True):
    """A member acknowledged one version of the rules."""

    __tablename__ = "rules_acknowledgement"
    __table_args__ = (
        # "Who has not acknowledged version N" looks members up by version.
        Index("ix_rules_acknowledgement_version", "community_id", "version", "member_id"),
    )

    community_id: str = Field(primary_key=True, foreign_key="community.id", max_length=40)
    member_id: str = Field(primary_key=True, max_length=40)
    version: int = Field(primary_key=True)
    acknowledged_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


# --- benefits per tier and level (j24b) -------------------------------------------------------


class TierBenefit(MembersTable, table=True):
    """What members of a tier get (福利), described on the tier: a list of {title,
    description}. A tier without a row has none."""

    __tablename__ = "tier_benefit"

    tier_id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    benefits: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LevelBenefitCopy(MembersTable, table=True):
    """Scoring's level benefits as `level.benefits_changed` announced them (scoring owns
    levels; this copy is what the standing shows, without asking scoring)."""

    __tablename__ = "level_benefit_copy"

    community_id: str = Field(primary_key=True, max_length=40)
    level: int = Field(primary_key=True)
    benefits: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    changed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class MemberLevel(MembersTable, table=True):
    """A member's level as `level.reached` announced it (levels only rise); no row: level 1."""

    __tablename__ = "member_level"

    community_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=40)
    level: int = Field(default=1)
    reached_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


messaging = messaging_tables(metadata)
