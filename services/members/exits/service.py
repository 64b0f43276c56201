"""Exit reasons: a member leaving (`DELETE …/members/{mid}` on themself) may say why, from the
fixed list (the vocabulary's ExitReason) and in their own words; the reason travels on
`member.left` (scoring breaks churn down by it), the words stay here: owners and admins read
them (`GET …/exit-reasons`), erasure clears them. The caller commits once."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import InvalidInput
from services.common.events.catalogue.vocabulary import ExitReason
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.members.exits import repository
from services.members.exits.schemas import ExitPage, ExitPublic, MemberDeparture
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import MemberExit, Membership


def exit_reason(departure: MemberDeparture | None) -> ExitReason | None:
    """The reason a departure gives: its own, `other` for words alone, None for neither."""
    if departure is None:
        return None
    if departure.reason is not None:
        return departure.reason
    return ExitReason.OTHER if departure.text else None


def refuse_for_removal(departure: MemberDeparture | None) -> None:
    """A reason is the leaving member's own: a steward's removal takes none (422)."""
    if departure is not None and (departure.reason is not None or departure.text is not None):
        field = "reason" if departure.reason is not None else "text"
        raise InvalidInput(
            "An exit reason is given by a member leaving; a removal takes none.", field=field
        )


async def record_exit(
    uow: UnitOfWork, *, membership: Membership, departure: MemberDeparture | None, left_at: datetime
) -> ExitReason | None:
    """Keep why the member left, if they said; the reason for `member.left`."""
    reason = exit_reason(departure)
    if reason is None or departure is None:
        return None
    await repository.add(
        uow.session,
        MemberExit(
            id=new_id("exit"),
            community_id=membership.community_id,
            member_id=membership.id,
            reason=reason,
            text=departure.text,
            left_at=left_at,
        ),
    )
    return reason


async def list_exits(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    reason: ExitReason | None,
    after_id: str | None,
    limit: int,
) -> tuple[list[ExitPublic], dict[str, int]]:
    """Exits with their reasons and words, and the counts by reason (owner, admins)."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    rows = await repository.exits(
        session, community_id=community_id, reason=reason, after_id=after_id, limit=limit
    )
    items = [ExitPublic.model_validate(row, from_attributes=True) for row in rows]
    return items, await repository.counts(session, community_id)


def exit_page(items: list[ExitPublic], counts: dict[str, int], *, limit: int) -> ExitPage:
    page = ExitPage.of(items, limit=limit, id_of=lambda item: item.id)
    return ExitPage.model_construct(items=page.items, next_cursor=page.next_cursor, counts=counts)


async def erase_exit_texts(session: AsyncSession, member_ids: Sequence[str]) -> None:
    """Erasure: the person's own words go; the reasons stay, counted, naming nobody."""
    await repository.clear_texts(session, member_ids)
