"""Chat moderation's use cases: read and replace a community's rules (owner and admins set them;
enforcers read them), and check chat messages for a bot (`POST …/moderation/check`).

A check is idempotent by message id: the first check of a message records its verdict (and
carries it out: a `warn`, `mute` or `remove` goes through the sanctions ladder, so three warnings
still mute), every later one answers the recorded verdict and does nothing again. A verdict
other than `allow` is announced as `message.flagged`, so the bot (through a webhook) deletes,
mutes or removes in the chat. The caller commits once.
"""

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import MessageFlagged, ScreeningHit
from services.common.events.catalogue.vocabulary import Role
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityNotFound
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.moderation import repository
from services.members.moderation.errors import InvalidPattern, UnknownSenders
from services.members.moderation.rules import (
    DEFAULT_FLOOD_SECONDS,
    SANCTIONING,
    CompiledRules,
    MemberFacts,
    Message,
    PatternRefused,
    RuleName,
    Verdict,
    VerdictAction,
    compile_rules,
    steps_of,
)
from services.members.moderation.schemas import (
    ChatMessage,
    ModerationRules,
    ModerationRulesPublic,
    Step,
    VerdictPublic,
)
from services.members.permissions.rules import Permission
from services.members.permissions.service import Acting, acting, admit
from services.members.sanctions.rules import SanctionKind
from services.members.sanctions.service import refusal, sanction_membership
from services.members.tables import Membership, ModerationSettings

# Compiled rules per community, with the version they were compiled from: a check reads the
# row's `updated_at` and compiles again only when it changed (on any replica).
_COMPILED: dict[str, tuple[datetime | None, CompiledRules]] = {}
_COMPILED_LIMIT = 1024
_SANCTION_OF = {
    VerdictAction.WARN: SanctionKind.WARN,
    VerdictAction.MUTE: SanctionKind.MUTE,
    VerdictAction.REMOVE: SanctionKind.REMOVE,
}


def _public(community_id: str, row: ModerationSettings | None) -> ModerationRulesPublic:
    rules = ModerationRules.model_validate(row.rules) if row else ModerationRules()
    steps = steps_of(rules.model_dump(mode="json")["actions"])
    return ModerationRulesPublic(
        **rules.model_dump(),
        community_id=community_id,
        effective_actions={
            rule: Step(action=step.action, mute_hours=step.mute_hours)
            for rule, step in steps.items()
        },
        updated_at=row.updated_at if row else None,
    )


async def get_rules(
    *, session: AsyncSession, actor: Actor, community_id: str
) -> ModerationRulesPublic:
    """The community's moderation rules, defaults filled in (owner, admins, enforcers)."""
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    return _public(community_id, await repository.get_settings(session, community_id))


async def set_rules(
    *, uow: UnitOfWork, actor: Actor, community_id: str, rules: ModerationRules
) -> ModerationRulesPublic:
    """Replace the community's moderation rules (owner and admins); a pattern RE2 refuses is a
    422 and nothing is stored."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    document = rules.model_dump(mode="json", exclude_defaults=True)
    try:
        compile_rules(document)
    except PatternRefused as refused:
        raise InvalidPattern(refused.name, refused.reason) from refused
    row = ModerationSettings(community_id=community_id, rules=document, updated_at=utc_now())
    await repository.save_settings(uow.session, row)
    return _public(community_id, row)


async def _compiled(
    session: AsyncSession, community_id: str, version: datetime | None
) -> CompiledRules:
    """The community's compiled rules. `version` is the rules row's `updated_at`, read with the
    check's other facts: the row itself is read (and compiled) only when it changed, on this
    replica or any other, so a PUT holds for the very next check everywhere."""
    cached = _COMPILED.get(community_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    row = await repository.get_settings(session, community_id) if version is not None else None
    compiled = compile_rules(row.rules if row else {})
    if len(_COMPILED) >= _COMPILED_LIMIT:
        del _COMPILED[next(iter(_COMPILED))]
    _COMPILED[community_id] = (row.updated_at if row else None, compiled)
    return compiled


async def check_messages(
    *, uow: UnitOfWork, actor: Actor, community_id: str, messages: Sequence[ChatMessage]
) -> list[VerdictPublic]:
    """The verdict on each message, in the order given (a moderator or a bot's API key)."""
    session = uow.session
    senders = {message.member_id for message in messages}
    single = messages[0] if len(messages) == 1 else None
    context = await repository.check_context(
        session,
        community_id=community_id,
        user_id=actor.id,
        member_ids=senders,
        flood=None
        if single is None
        else repository.FloodWindow(
            member_id=single.member_id,
            after=single.sent_at - _flood_window_of(community_id),
            until=single.sent_at,
        ),
    )
    if context.community is None:
        raise CommunityNotFound(community_id)
    own = next(
        (m for m in context.memberships.values() if m.user_id == actor.id),
        None,
    )
    role = Role(own.role) if own is not None and own.status in BELONGING_STATUSES else None
    steward = admit(actor, context.community, role, Permission.MODERATE)
    members = context.memberships
    unknown = senders - members.keys()
    if unknown:
        raise UnknownSenders(sorted(unknown))
    rules = await _compiled(session, community_id, context.rules_version)
    if single is not None and rules.flood_window != _flood_window_of(community_id):
        # The window changed with the rules (a PUT since the last check here): count again.
        recent: Mapping[str, int] = await _flood_counts(session, community_id, rules, messages)
    elif single is not None:
        recent = {single.message_id: context.flood_count + 1}
    else:
        recent = await _flood_counts(session, community_id, rules, messages)
    now = utc_now()
    judged = [
        _judge(rules, message, members[message.member_id], recent[message.message_id], now)
        for message in messages
    ]
    # One statement records every verdict; a message checked before (or by a concurrent call
    # a moment ago) keeps its first verdict and effects, read back below: idempotent by id
    # without reading first, since a repeated id is the rare case.
    claimed = await repository.claim(session, [row for row, _ in judged])
    known: dict[str, dict[str, Any]] = {}
    flagged: list[MessageFlagged] = []
    for row, verdict in judged:
        if row["message_id"] not in claimed:
            continue
        membership = members[row["member_id"]]
        await _carry_out(uow, steward, row, verdict, membership)
        if verdict.action != VerdictAction.ALLOW:
            flagged.append(_flagged(row, verdict, membership))
        known[row["message_id"]] = row
    if flagged:
        await uow.outbox.add_many(session, flagged)
    if len(claimed) < len(judged):
        taken = [row["message_id"] for row, _ in judged if row["message_id"] not in claimed]
        for message_id, stored in (
            await repository.verdicts(session, community_id=community_id, message_ids=taken)
        ).items():
            known[message_id] = stored.model_dump()
    return [_verdict_public(known[message.message_id]) for message in messages]


def _flood_window_of(community_id: str) -> timedelta:
    """The flood window of the rules last compiled here (the default before any): a single
    message's count is read with the check's other facts, before the rules are known."""
    cached = _COMPILED.get(community_id)
    return cached[1].flood_window if cached else timedelta(seconds=DEFAULT_FLOOD_SECONDS)


async def _flood_counts(
    session: AsyncSession,
    community_id: str,
    rules: CompiledRules,
    messages: Sequence[ChatMessage],
) -> Mapping[str, int]:
    """For each message, its sender's messages in the flood window ending at it (itself
    included): those checked before, and those of this batch, whatever order they came in."""
    window = rules.flood_window
    senders = {message.member_id for message in messages}
    times: dict[str, dict[str, datetime]] = defaultdict(dict)
    for member_id, message_id, sent_at in await repository.sent_times(
        session,
        community_id=community_id,
        member_ids=senders,
        since=min(m.sent_at for m in messages) - window,
        until=max(m.sent_at for m in messages),
    ):
        times[member_id][message_id] = sent_at
    for message in messages:
        times[message.member_id][message.message_id] = message.sent_at
    ordered = {member_id: sorted(sent.values()) for member_id, sent in times.items()}
    counts: dict[str, int] = {}
    for message in messages:
        sent = ordered[message.member_id]
        first = bisect.bisect_right(sent, message.sent_at - window)
        counts[message.message_id] = bisect.bisect_right(sent, message.sent_at) - first
    return counts


def _judge(
    rules: CompiledRules,
    message: ChatMessage,
    membership: Membership,
    recent: int,
    now: datetime,
) -> tuple[dict[str, Any], Verdict]:
    facts = MemberFacts(
        role=membership.role, tier_id=membership.tier_id, joined_at=membership.joined_at
    )
    verdict = (
        Verdict(VerdictAction.ALLOW, None, [])
        if rules.exempt(facts)
        else rules.judge(
            Message(
                text=message.text,
                kind=message.kind,
                mentions=len(message.mentions),
                sent_at=message.sent_at,
            ),
            facts,
            recent=recent,
        )
    )
    # A plain row, not a table model: building one per message of a batch cost more than
    # judging it.
    row: dict[str, Any] = {
        "community_id": membership.community_id,
        "message_id": message.message_id,
        "member_id": membership.id,
        "action": str(verdict.action),
        "rule": str(verdict.rule) if verdict.rule else None,
        "matched": [{"rule": hit.rule, "match": hit.match} for hit in verdict.matched],
        "sanction_id": None,
        "sent_at": message.sent_at,
        "checked_at": now,
    }
    return row, verdict


async def _carry_out(
    uow: UnitOfWork,
    steward: Acting,
    row: dict[str, Any],
    verdict: Verdict,
    membership: Membership,
) -> None:
    """Sanction the sender as the verdict says, through the ladder (never the owner, nor an
    admin unless the owner checks: the verdict then stands alone)."""
    if verdict.action not in SANCTIONING or refusal(steward, membership) is not None:
        return
    rule = verdict.rule or "moderation"
    first = verdict.matched[0].match if verdict.matched else ""
    outcome = await sanction_membership(
        uow=uow,
        steward=steward,
        membership=membership,
        kind=_SANCTION_OF[verdict.action],
        reason=f"moderation: {rule} ({first}) in message {row['message_id']}"[:500],
        duration_hours=verdict.mute_hours,
    )
    row["sanction_id"] = outcome.sanction.id
    await repository.set_sanction(
        uow.session,
        community_id=row["community_id"],
        message_id=row["message_id"],
        sanction_id=outcome.sanction.id,
    )


def _flagged(row: dict[str, Any], verdict: Verdict, membership: Membership) -> MessageFlagged:
    return MessageFlagged(
        community_id=row["community_id"],
        member_id=membership.id,
        user_id=membership.user_id,
        message_id=row["message_id"],
        action=verdict.action,
        rule=verdict.rule or "",
        matched=verdict.matched,
        sanction_id=row["sanction_id"],
        sent_at=row["sent_at"],
        flagged_at=row["checked_at"],
    )


def _verdict_public(row: Mapping[str, Any]) -> VerdictPublic:
    return VerdictPublic.model_construct(
        message_id=row["message_id"],
        member_id=row["member_id"],
        action=VerdictAction(row["action"]),
        rule=RuleName(row["rule"]) if row["rule"] else None,
        matched=[ScreeningHit.model_validate(hit) for hit in row["matched"]],
        sanction_id=row["sanction_id"],
        checked_at=row["checked_at"],
    )
