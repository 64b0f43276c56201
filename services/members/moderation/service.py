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
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import MessageFlagged, ScreeningHit
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.members.moderation import repository
from services.members.moderation.errors import InvalidPattern, UnknownSenders
from services.members.moderation.rules import (
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
from services.members.permissions.service import Acting, acting
from services.members.sanctions.rules import SanctionKind
from services.members.sanctions.service import refusal, sanction_membership
from services.members.tables import ChatVerdict, Membership, ModerationSettings

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


async def _compiled(session: AsyncSession, community_id: str) -> CompiledRules:
    row = await repository.get_settings(session, community_id)
    version = row.updated_at if row else None
    cached = _COMPILED.get(community_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    compiled = compile_rules(row.rules if row else {})
    if len(_COMPILED) >= _COMPILED_LIMIT:
        del _COMPILED[next(iter(_COMPILED))]
    _COMPILED[community_id] = (version, compiled)
    return compiled


async def check_messages(
    *, uow: UnitOfWork, actor: Actor, community_id: str, messages: Sequence[ChatMessage]
) -> list[VerdictPublic]:
    """The verdict on each message, in the order given (a moderator or a bot's API key)."""
    session = uow.session
    steward = await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MODERATE
    )
    ids = [message.message_id for message in messages]
    known = await repository.verdicts(session, community_id=community_id, message_ids=ids)
    fresh = [message for message in messages if message.message_id not in known]
    if fresh:
        members = await repository.memberships(
            session, community_id=community_id, member_ids={m.member_id for m in fresh}
        )
        unknown = {m.member_id for m in fresh} - members.keys()
        if unknown:
            raise UnknownSenders(sorted(unknown))
        rules = await _compiled(session, community_id)
        recent = await _flood_counts(session, community_id, rules, messages, fresh)
        now = utc_now()
        judged = [
            _judge(rules, message, members[message.member_id], recent[message.message_id], now)
            for message in fresh
        ]
        # One statement records every verdict; a message a concurrent call recorded first
        # keeps that call's verdict (and effects), read back below.
        claimed = await repository.claim(session, [row.model_dump() for row, _ in judged])
        flagged: list[MessageFlagged] = []
        for row, verdict in judged:
            if row.message_id not in claimed:
                continue
            membership = members[row.member_id]
            await _carry_out(uow, steward, row, verdict, membership)
            if verdict.action != VerdictAction.ALLOW:
                flagged.append(_flagged(row, verdict, membership))
            known[row.message_id] = row
        await uow.outbox.add_many(session, flagged)
        taken = [row.message_id for row, _ in judged if row.message_id not in claimed]
        if taken:
            known |= await repository.verdicts(
                session, community_id=community_id, message_ids=taken
            )
    return [_verdict_public(known[message_id]) for message_id in ids]


async def _flood_counts(
    session: AsyncSession,
    community_id: str,
    rules: CompiledRules,
    messages: Sequence[ChatMessage],
    fresh: Sequence[ChatMessage],
) -> Mapping[str, int]:
    """For each fresh message, its sender's messages in the flood window ending at it (itself
    included): those checked before, and those of this batch, whatever order they came in."""
    window = rules.flood_window
    if len(messages) == 1:
        # The common call, one message: a count over the index, not the rows.
        [message] = messages
        before = await repository.count_sent(
            session,
            community_id=community_id,
            member_id=message.member_id,
            after=message.sent_at - window,
            until=message.sent_at,
        )
        return {message.message_id: before + 1}
    senders = {message.member_id for message in fresh}
    times: dict[str, dict[str, datetime]] = defaultdict(dict)
    for member_id, message_id, sent_at in await repository.sent_times(
        session,
        community_id=community_id,
        member_ids=senders,
        since=min(m.sent_at for m in fresh) - window,
        until=max(m.sent_at for m in fresh),
    ):
        times[member_id][message_id] = sent_at
    for message in messages:
        if message.member_id in senders:
            times[message.member_id][message.message_id] = message.sent_at
    ordered = {member_id: sorted(sent.values()) for member_id, sent in times.items()}
    counts: dict[str, int] = {}
    for message in fresh:
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
) -> tuple[ChatVerdict, Verdict]:
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
    row = ChatVerdict(
        community_id=membership.community_id,
        message_id=message.message_id,
        member_id=membership.id,
        action=verdict.action,
        rule=verdict.rule,
        matched=[hit.model_dump() for hit in verdict.matched],
        sent_at=message.sent_at,
        checked_at=now,
    )
    return row, verdict


async def _carry_out(
    uow: UnitOfWork, steward: Acting, row: ChatVerdict, verdict: Verdict, membership: Membership
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
        reason=f"moderation: {rule} ({first}) in message {row.message_id}"[:500],
        duration_hours=verdict.mute_hours,
    )
    row.sanction_id = outcome.sanction.id
    await repository.set_sanction(
        uow.session,
        community_id=row.community_id,
        message_id=row.message_id,
        sanction_id=outcome.sanction.id,
    )


def _flagged(row: ChatVerdict, verdict: Verdict, membership: Membership) -> MessageFlagged:
    return MessageFlagged(
        community_id=row.community_id,
        member_id=membership.id,
        user_id=membership.user_id,
        message_id=row.message_id,
        action=verdict.action,
        rule=verdict.rule or "",
        matched=verdict.matched,
        sanction_id=row.sanction_id,
        sent_at=row.sent_at,
        flagged_at=row.checked_at,
    )


def _verdict_public(row: ChatVerdict) -> VerdictPublic:
    return VerdictPublic(
        message_id=row.message_id,
        member_id=row.member_id,
        action=VerdictAction(row.action),
        rule=RuleName(row.rule) if row.rule else None,
        matched=[ScreeningHit.model_validate(hit) for hit in row.matched],
        sanction_id=row.sanction_id,
        checked_at=row.checked_at,
    )
