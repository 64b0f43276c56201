"""The suggestion box's use cases. Members post, edit and withdraw their own suggestions while
they are new and +1 others'; owners and admins set a status with a reply. The request's unit of
work commits once, with the events."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.common.events.catalogue import (
    SuggestionCreated,
    SuggestionStatusChanged,
    SuggestionWithdrawn,
)
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, RoleRequired
from services.common.unit_of_work import UnitOfWork
from services.content.suggestions import repository, rules
from services.content.suggestions.errors import (
    NotYourSuggestion,
    SuggestionMembersOnly,
    SuggestionNotFound,
)
from services.content.suggestions.rules import SuggestionSort, SuggestionStatus
from services.content.suggestions.schemas import (
    SuggestionCreate,
    SuggestionDecision,
    SuggestionPublic,
    SuggestionUpdate,
)


def suggestion_public(row: Mapping[Any, Any], *, voted: bool) -> SuggestionPublic:
    values = {name: row[name] for name in SuggestionPublic.model_fields if name in row}
    if row["author_erased"]:
        values["author_member_id"] = None
    return SuggestionPublic.model_validate({**values, "voted": voted})


def _author(access: CommunityAccess) -> str:
    if access.member_id is None:
        raise SuggestionMembersOnly()
    return access.member_id


def _may_see(access: CommunityAccess, row: Mapping[Any, Any]) -> bool:
    """A withdrawn suggestion is its author's and the staff's only."""
    return (
        row["status"] != SuggestionStatus.WITHDRAWN
        or access.has_role(rules.STAFF)
        or (access.member_id is not None and access.member_id == row["author_member_id"])
    )


async def _visible(
    session: AsyncSession, access: CommunityAccess, suggestion_id: str, *, for_update: bool = False
) -> Mapping[Any, Any]:
    row = await repository.get_suggestion(
        session,
        community_id=access.community_id,
        suggestion_id=suggestion_id,
        for_update=for_update,
    )
    if row is None or not _may_see(access, row):
        raise SuggestionNotFound(suggestion_id)
    return row


async def _public(
    session: AsyncSession, access: CommunityAccess, row: Mapping[Any, Any]
) -> SuggestionPublic:
    voted: set[str] = set()
    if access.member_id is not None:
        voted = await repository.voted_among(
            session, member_id=access.member_id, suggestion_ids=[row["id"]]
        )
    return suggestion_public(row, voted=row["id"] in voted)


async def create_suggestion(
    *, uow: UnitOfWork, access: CommunityAccess, suggestion_create: SuggestionCreate
) -> SuggestionPublic:
    """Post a suggestion (a member who is not muted); `suggestion.created`."""
    author = _author(access)
    access.refuse_if_muted()
    now = utc_now()
    values: dict[str, Any] = {
        "id": new_id("sug"),
        "community_id": access.community_id,
        "author_member_id": author,
        "author_erased": False,
        "title": suggestion_create.title,
        "body": suggestion_create.body,
        "status": SuggestionStatus.NEW.value,
        "votes": 0,
        "reply": None,
        "status_changed_by": None,
        "status_changed_at": None,
        "created_at": now,
        "updated_at": now,
    }
    await repository.add_suggestion(uow.session, values)
    await uow.outbox.add(
        uow.session,
        SuggestionCreated(
            community_id=access.community_id,
            suggestion_id=values["id"],
            author_member_id=author,
            title=values["title"],
            created_at=now,
        ),
    )
    return suggestion_public(values, voted=False)


async def get_suggestion(
    *, session: AsyncSession, access: CommunityAccess, suggestion_id: str
) -> SuggestionPublic:
    return await _public(session, access, await _visible(session, access, suggestion_id))


async def list_suggestions(
    *,
    session: AsyncSession,
    access: CommunityAccess,
    status: SuggestionStatus | None,
    sort: SuggestionSort,
    after_id: str | None,
    limit: int,
) -> list[SuggestionPublic]:
    """A page of suggestions; withdrawn ones only to staff asking for `status=withdrawn` (an
    author reads their own withdrawn one by id)."""
    if status == SuggestionStatus.WITHDRAWN and not access.has_role(rules.STAFF):
        raise RoleRequired(rules.STAFF)
    after = None
    if after_id is not None:
        after = await repository.get_suggestion(
            session, community_id=access.community_id, suggestion_id=after_id
        )
        if after is None:
            raise InvalidInput("The cursor is not one this API returned.", field="cursor")
    rows = await repository.list_suggestions(
        session,
        community_id=access.community_id,
        status=status.value if status is not None else None,
        sort=sort,
        after=after,
        limit=limit,
    )
    voted: set[str] = set()
    if access.member_id is not None:
        voted = await repository.voted_among(
            session, member_id=access.member_id, suggestion_ids=[row["id"] for row in rows]
        )
    return [suggestion_public(row, voted=row["id"] in voted) for row in rows]


async def _own_new(
    uow: UnitOfWork, access: CommunityAccess, suggestion_id: str
) -> Mapping[Any, Any]:
    row = await _visible(uow.session, access, suggestion_id, for_update=True)
    if access.member_id is None or row["author_member_id"] != access.member_id:
        raise NotYourSuggestion(suggestion_id)
    rules.check_editable(row["status"])
    return row


async def update_suggestion(
    *,
    uow: UnitOfWork,
    access: CommunityAccess,
    suggestion_id: str,
    suggestion_update: SuggestionUpdate,
) -> SuggestionPublic:
    """The author edits their suggestion while it is new (not while muted)."""
    row = await _own_new(uow, access, suggestion_id)
    access.refuse_if_muted()
    changes = suggestion_update.model_dump(exclude_unset=True)
    if not changes:
        return await _public(uow.session, access, row)
    updated = await repository.update_suggestion(
        uow.session,
        suggestion_id=suggestion_id,
        values={**changes, "updated_at": utc_now()},
        only_if_status=SuggestionStatus.NEW,
    )
    if updated is None:  # decided between the read and the write
        rules.check_editable((await _visible(uow.session, access, suggestion_id))["status"])
        raise SuggestionNotFound(suggestion_id)
    return await _public(uow.session, access, updated)


async def withdraw_suggestion(
    *, uow: UnitOfWork, access: CommunityAccess, suggestion_id: str
) -> None:
    """The author withdraws their suggestion while it is new; `suggestion.withdrawn`."""
    row = await _own_new(uow, access, suggestion_id)
    now = utc_now()
    updated = await repository.update_suggestion(
        uow.session,
        suggestion_id=suggestion_id,
        values={"status": SuggestionStatus.WITHDRAWN.value, "updated_at": now},
        only_if_status=SuggestionStatus.NEW,
    )
    if updated is None:
        rules.check_editable((await _visible(uow.session, access, suggestion_id))["status"])
        raise SuggestionNotFound(suggestion_id)
    await uow.outbox.add(
        uow.session,
        SuggestionWithdrawn(
            community_id=access.community_id,
            suggestion_id=suggestion_id,
            author_member_id=row["author_member_id"],
            withdrawn_at=now,
        ),
    )


async def vote(*, uow: UnitOfWork, access: CommunityAccess, suggestion_id: str) -> SuggestionPublic:
    """+1 someone else's open suggestion, once: a second +1 changes nothing (PUT is
    idempotent). Muted members cannot."""
    row = await _visible(uow.session, access, suggestion_id)
    voter = _author(access)
    access.refuse_if_muted()
    rules.check_vote(
        status=row["status"], author_member_id=row["author_member_id"], voter_member_id=voter
    )
    await repository.add_vote(
        uow.session,
        suggestion_id=suggestion_id,
        community_id=access.community_id,
        member_id=voter,
        at=utc_now(),
    )
    return await get_suggestion(session=uow.session, access=access, suggestion_id=suggestion_id)


async def unvote(
    *, uow: UnitOfWork, access: CommunityAccess, suggestion_id: str
) -> SuggestionPublic:
    """Take one's +1 back (whatever the status: a member may change their mind even after a
    decision); without a +1 it changes nothing."""
    await _visible(uow.session, access, suggestion_id)
    voter = _author(access)
    await repository.remove_vote(uow.session, suggestion_id=suggestion_id, member_id=voter)
    return await get_suggestion(session=uow.session, access=access, suggestion_id=suggestion_id)


async def decide(
    *,
    uow: UnitOfWork,
    access: CommunityAccess,
    suggestion_id: str,
    decision: SuggestionDecision,
) -> SuggestionPublic:
    """Staff set the status with a reply; `suggestion.status_changed`. A withdrawn suggestion
    is the author's decision and stays withdrawn."""
    row = await _visible(uow.session, access, suggestion_id, for_update=True)
    if row["status"] == SuggestionStatus.WITHDRAWN:
        rules.check_editable(row["status"])
    if rules.reply_required(decision.status) and decision.reply is None:
        raise InvalidInput("Declining a suggestion needs a `reply` saying why.", field="reply")
    now = utc_now()
    updated = await repository.update_suggestion(
        uow.session,
        suggestion_id=suggestion_id,
        values={
            "status": decision.status.value,
            "reply": decision.reply,
            "status_changed_by": access.actor.id,
            "status_changed_at": now,
            "updated_at": now,
        },
        only_if_status=row["status"],
    )
    if updated is None:  # locked above on PostgreSQL; on SQLite the write lock orders them
        raise SuggestionNotFound(suggestion_id)
    await uow.outbox.add(
        uow.session,
        SuggestionStatusChanged(
            community_id=access.community_id,
            suggestion_id=suggestion_id,
            author_member_id=row["author_member_id"],
            previous_status=row["status"],
            status=decision.status.value,
            reply=decision.reply,
            votes=updated["votes"],
            changed_by=access.actor.id,
            changed_at=now,
        ),
    )
    return await _public(uow.session, access, updated)
