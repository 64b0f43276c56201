"""Events the members service publishes."""

from datetime import date, datetime

from services.common.events.catalogue.base import DomainEvent, register
from services.common.events.catalogue.content import ScreeningHit


@register
class CommunityCreated(DomainEvent):
    type = "community.created"
    source = "members"
    subject_field = "community_id"

    community_id: str
    name: str
    topic: str | None = None
    join_policy: str
    timezone: str
    owner_user_id: str
    created_at: datetime


@register
class CommunityUpdated(DomainEvent):
    """The community as it is after an edit or an ownership transfer: the whole of it, so a
    projection can take it as it comes."""

    type = "community.updated"
    source = "members"
    subject_field = "community_id"

    community_id: str
    name: str
    topic: str | None = None
    description: str | None = None
    join_policy: str
    timezone: str
    rules: list[str] = []
    owner_user_id: str
    updated_at: datetime


class MembershipSnapshot(DomainEvent):
    """A whole membership: what a projection needs to insert one it has never seen."""

    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    display_name: str
    status: str
    role: str
    tier_id: str | None = None
    invited_by: str | None = None
    joined_at: datetime
    # The tags the member joined with (later changes arrive as `member.updated`): scoring's
    # win-back nudges target a tag, its onboarding checklist reads `profile_complete` from them.
    tags: list[str] = []


@register
class MemberJoined(MembershipSnapshot):
    type = "member.joined"
    source = "members"


@register
class MemberApproved(MembershipSnapshot):
    """A pending member let in; `member.joined` follows. `approved_by` is the approver's user id."""

    type = "member.approved"
    source = "members"

    approved_by: str
    reason: str | None = None


@register
class MemberRejected(DomainEvent):
    type = "member.rejected"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    rejected_by: str
    reason: str | None = None


@register
class MemberRoleChanged(DomainEvent):
    type = "member.role_changed"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    previous_role: str
    role: str
    changed_by: str


@register
class MemberLeft(DomainEvent):
    type = "member.left"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    left_at: datetime
    # Why, when the member said (services.common.events.catalogue.vocabulary.ExitReason); their
    # own words stay in the members service (personal data). Absent from older events.
    reason: str | None = None


@register
class MemberRemoved(DomainEvent):
    type = "member.removed"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    removed_by: str
    removed_at: datetime


@register
class InviteCreated(DomainEvent):
    """An invite was made. The code itself is left out: every consumer and webhook sees events,
    and the code is what lets someone in."""

    type = "invite.created"
    source = "members"
    subject_field = "invite_id"

    community_id: str
    invite_id: str
    created_by: str | None = None
    max_uses: int | None = None
    expires_at: datetime | None = None
    created_at: datetime


@register
class UserErased(DomainEvent):
    """A user's personal data was erased (PIPL/GDPR). One event per community the user had a
    membership in, so it travels in that community's order; every service erases what it holds
    of `member_id` / `user_id` and keeps its counts."""

    type = "user.erased"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    erased_at: datetime
    # What the members service now calls the user instead (a tombstone, never their real id):
    # projections keyed by user id move the row to it.
    replacement_user_id: str | None = None


@register
class MemberUpdated(DomainEvent):
    """A member's own fields changed (PATCH): the values after the change."""

    type = "member.updated"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    display_name: str
    tags: list[str] = []
    locked: bool = False
    on_leave: bool = False
    updated_by: str


@register
class MemberSanctioned(DomainEvent):
    """A warning, mute or removal; `by_ladder` when the sanctions ladder escalated a warning.
    A removal is followed by `member.removed`."""

    type = "member.sanctioned"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    sanction_id: str
    kind: str
    reason: str
    muted_until: datetime | None = None
    sanctioned_by: str
    by_ladder: bool = False
    warning_count: int
    issued_at: datetime


@register
class MemberTierChanged(DomainEvent):
    """A member changed tier: the tier policy moved them (`reason`: promoted or demoted, with
    the points it ranked by) or an owner or admin did (`manual`, score 0, `note` says why)."""

    type = "member.tier_changed"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    from_tier_id: str
    to_tier_id: str
    reason: str
    score: float
    changed_at: datetime
    # The user who ran the policy or moved the member, or "tier-policy" for a scheduled run.
    changed_by: str | None = None
    note: str | None = None


@register
class MemberAtRisk(DomainEvent):
    """The member is in the demotion zone of the current period, `run_at` being when the run
    that judges it starts: a bot can warn them while there is time (厌损)."""

    type = "member.at_risk"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    tier_id: str
    points: float
    demote_cutoff: float
    period_starts_on: date
    period_ends_on: date
    run_at: datetime


@register
class MemberPurged(DomainEvent):
    """The tier policy removed an inactive member of the lowest tier (清理僵尸粉)."""

    type = "member.purged"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    tier_id: str | None = None
    last_active_at: datetime | None = None
    purged_at: datetime
    purged_by: str | None = None


@register
class MessageFlagged(DomainEvent):
    """Chat moderation found something in a message a bot sent to `POST …/moderation/check`:
    the verdict (`action`: alert, block, warn, mute or remove) for the bot to carry out in the
    chat, the rule that decided it and every hit. A sanction the verdict caused follows as
    `member.sanctioned` (`sanction_id` names it)."""

    type = "message.flagged"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    message_id: str
    action: str
    rule: str
    matched: list[ScreeningHit]
    sanction_id: str | None = None
    sent_at: datetime
    flagged_at: datetime


@register
class ReportFiled(DomainEvent):
    """A member reported a message, member or content item; reports on one target gather in
    one case (`case_id`)."""

    type = "report.filed"
    source = "members"
    subject_field = "case_id"

    community_id: str
    case_id: str
    report_id: str
    reporter_member_id: str
    kind: str
    target_type: str
    target_id: str
    # A dispute names both parties: the reporter and the member they are in dispute with.
    parties: list[str] = []
    filed_at: datetime


@register
class CaseResolved(DomainEvent):
    """A case was resolved: what the handler decided (`resolution`) and the sanction it caused,
    told to every reporter of the case (`reporter_member_ids`)."""

    type = "case.resolved"
    source = "members"
    subject_field = "case_id"

    community_id: str
    case_id: str
    resolution: str
    note: str | None = None
    sanction_id: str | None = None
    resolved_by: str
    reporter_member_ids: list[str]
    target_type: str
    target_id: str
    resolved_at: datetime


@register
class CommunityLockdownStarted(DomainEvent):
    """A community went into lockdown: joins only by approval or closed until `until`, new
    members muted on entry if `mute_new_members`."""

    type = "community.lockdown_started"
    source = "members"
    subject_field = "community_id"

    community_id: str
    joins: str
    mute_new_members: bool
    until: datetime
    reason: str | None = None
    started_by: str
    started_at: datetime


@register
class CommunityLockdownLifted(DomainEvent):
    """A lockdown ended early, lifted by a steward (one that runs out by itself ends with no
    event: `until` said when)."""

    type = "community.lockdown_lifted"
    source = "members"
    subject_field = "community_id"

    community_id: str
    lifted_by: str
    lifted_at: datetime


@register
class SurveyOpened(DomainEvent):
    """A survey was made (or opened by itself after an event, or monthly): whom it asks and
    when it takes answers; `event_id` for the survey after an event."""

    type = "survey.opened"
    source = "members"
    subject_field = "survey_id"

    community_id: str
    survey_id: str
    title: str
    kind: str
    anonymous: bool
    audience_kind: str
    audience_values: list[str] = []
    event_id: str | None = None
    opens_at: datetime
    closes_at: datetime


@register
class SurveyClosed(DomainEvent):
    """A staff member closed a survey before its window ended (a window's end is no event)."""

    type = "survey.closed"
    source = "members"
    subject_field = "survey_id"

    community_id: str
    survey_id: str
    responses: int
    closed_by: str
    closed_at: datetime


@register
class SurveyResponded(DomainEvent):
    """A member answered a survey. In an anonymous survey `member_id` is null: the event, like
    the stored answers, says only that someone answered."""

    type = "survey.responded"
    source = "members"
    subject_field = "survey_id"

    community_id: str
    survey_id: str
    member_id: str | None = None
    anonymous: bool
    responded_at: datetime


@register
class MemberWelcomeDue(DomainEvent):
    """A join took effect (open join, invite, approval, coming back) in a community with a
    welcome template: the text rendered for the newcomer (their tier's template, else the
    community's), for a bot to post (入群欢迎语). No template, no event."""

    type = "member.welcome_due"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    tier_id: str | None = None
    text: str
    # Whose template it was: `tier` or `community`.
    template_scope: str
    joined_at: datetime
