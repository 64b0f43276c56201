"""Registration: seats up to the capacity, then a FIFO waitlist, and waitlist promotion as
seats free up (`fill_free_seats`): straight to confirmed, or an offer held for the event's claim
window that the member confirms (`confirm_offer`) or the scheduler expires (`expire_offer`, run by
`registrations.workers`).

Every change to an event's seats runs with the event's row locked
(`events.repository.lock_event`), so seats and waitlist positions are handed out one registration
at a time, in the order the registrations took the lock, on PostgreSQL as on SQLite.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, refuse_if_muted
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.events.events import repository as events_repository
from services.events.events.errors import (
    EventNotOpen,
    MemberNotFound,
    OnlyForThemselves,
    OutsideWindow,
)
from services.events.events.rules import EventStatus
from services.events.events.service import ORGANISERS, event_with_access
from services.events.registrations import repository
from services.events.registrations.errors import (
    AlreadyRegistered,
    RegistrationInactive,
    RegistrationNotFound,
    TierNotAllowed,
)
from services.events.registrations.rules import SEAT_HOLDING, RegistrationStatus
from services.events.tables import Event, Registration


async def check_acting_for(
    session: AsyncSession, *, access: CommunityAccess, event: Event, member_id: str
) -> str | None:
    """Admit the caller acting for `member_id`: themself, or anyone as an organiser. Returns
    the member's tier; MemberNotFound if the community has no such active member, MemberMuted
    while the member is muted (a muted member neither registers nor checks in, nor does an
    organiser do it for them)."""
    if access.member_id != member_id and not access.has_role(ORGANISERS):
        raise OnlyForThemselves()
    member = await events_repository.member_in_community(
        session, community_id=event.community_id, member_id=member_id
    )
    if member is None or member.status not in BELONGING_STATUSES:
        raise MemberNotFound(member_id)
    refuse_if_muted(member.status, member.muted_until)
    tier_id: str | None = member.tier_id
    return tier_id


async def register(
    *, uow: UnitOfWork, actor: Actor, event_id: str, member_id: str
) -> tuple[Registration, int | None]:
    """Register a member for a published event: a seat while there is one, else the end of
    the waitlist. Returns the registration and its waitlist position (None with a seat)."""
    session = uow.session
    event, access = await event_with_access(
        session=session, actor=actor, event_id=event_id, lock=True
    )
    tier_id = await check_acting_for(session, access=access, event=event, member_id=member_id)
    if event.status != EventStatus.PUBLISHED:
        raise EventNotOpen(event_id=event_id, status=event.status)
    now = utc_now()
    closes_at = event.registration_closes_at or event.ends_at
    opens_at = event.registration_opens_at
    if (opens_at is not None and now < opens_at) or now >= closes_at:
        raise OutsideWindow("Registration", opens_at=opens_at, closes_at=closes_at)
    if event.tier_ids and tier_id not in event.tier_ids:
        raise TierNotAllowed(event.tier_ids)
    existing = await repository.active_registration(session, event_id=event_id, member_id=member_id)
    if existing is not None:
        raise AlreadyRegistered(existing.id)

    event.last_registration_seq += 1
    has_seat = event.capacity is None or await repository.seats_held(session, event_id) < (
        event.capacity
    )
    registration = Registration(
        id=new_id("reg"),
        event_id=event_id,
        community_id=event.community_id,
        member_id=member_id,
        status=RegistrationStatus.CONFIRMED if has_seat else RegistrationStatus.WAITLISTED,
        seq=event.last_registration_seq,
        registered_by=actor.id,
        registered_at=now,
        confirmed_at=now if has_seat else None,
    )
    position = None if has_seat else await repository.waitlist_length(session, event_id) + 1
    repository.add_registration(session, registration)
    if position is None:
        await _announce_confirmed(uow, registration, now=now, promoted=False)
    else:
        await uow.outbox.add(
            session,
            RegistrationWaitlisted(
                community_id=event.community_id,
                event_id=event_id,
                registration_id=registration.id,
                member_id=member_id,
                waitlist_position=position,
                waitlisted_at=now,
            ),
        )
    return registration, position


async def cancel_registration(
    *, uow: UnitOfWork, actor: Actor, event_id: str, registration_id: str
) -> Registration:
    """Cancel a registration (the member's own, or any as an organiser); a seat it held goes
    to the first waitlisted member."""
    session = uow.session
    event, access = await event_with_access(
        session=session, actor=actor, event_id=event_id, lock=True
    )
    registration = await repository.get_registration(session, registration_id)
    if registration is None or registration.event_id != event_id:
        raise RegistrationNotFound(registration_id)
    is_own = registration.member_id is not None and registration.member_id == access.member_id
    if not is_own and not access.has_role(ORGANISERS):
        raise OnlyForThemselves()
    if event.status != EventStatus.PUBLISHED:
        raise EventNotOpen(event_id=event_id, status=event.status)
    if registration.status not in (*SEAT_HOLDING, RegistrationStatus.WAITLISTED):
        raise RegistrationInactive(registration_id, registration.status)
    if registration.checked_in_at is not None:
        raise RegistrationInactive(registration_id, "checked in")
    now = utc_now()
    await _end_registration(
        uow, event, registration, now=now, to_status=RegistrationStatus.CANCELLED
    )
    await fill_free_seats(uow, event, now=now)
    return registration


async def confirm_offer(
    *, uow: UnitOfWork, actor: Actor, event_id: str, registration_id: str
) -> Registration:
    """Take up a seat offered from the waitlist, within its claim window."""
    session = uow.session
    _event, access = await event_with_access(
        session=session, actor=actor, event_id=event_id, lock=True
    )
    registration = await repository.get_registration(session, registration_id)
    if registration is None or registration.event_id != event_id:
        raise RegistrationNotFound(registration_id)
    is_own = registration.member_id is not None and registration.member_id == access.member_id
    if not is_own and not access.has_role(ORGANISERS):
        raise OnlyForThemselves()
    now = utc_now()
    offered_until = registration.offered_until
    if registration.status == RegistrationStatus.CONFIRMED:
        return registration  # confirming twice changes nothing
    if (
        registration.status != RegistrationStatus.OFFERED
        or offered_until is None
        or now >= offered_until
    ):
        raise RegistrationInactive(registration_id, registration.status)
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at, registration.offered_until = now, None
    await _announce_confirmed(uow, registration, now=now, promoted=True)
    return registration


async def expire_offer(*, uow: UnitOfWork, registration_id: str, event_id: str) -> bool:
    """Pass on a seat whose claim window ran out (registrations.workers); False if it was
    confirmed, cancelled or expired meanwhile (by a request, or another replica)."""
    event = await events_repository.lock_event(uow.session, event_id)
    registration = await repository.get_registration(uow.session, registration_id)
    now = utc_now()
    if (
        event is None
        or registration is None
        or registration.status != RegistrationStatus.OFFERED
        or registration.offered_until is None
        or registration.offered_until > now
    ):
        return False
    await _end_registration(uow, event, registration, now=now, to_status=RegistrationStatus.EXPIRED)
    if event.status == EventStatus.PUBLISHED:
        await fill_free_seats(uow, event, now=now)
    return True


async def fill_free_seats(uow: UnitOfWork, event: Event, *, now: datetime) -> None:
    """Waitlist promotion: the first waitlisted members into the seats now free (the event is
    locked)."""
    if event.capacity is None:
        return
    free = event.capacity - await repository.seats_held(uow.session, event.id)
    if free <= 0:
        return
    promoted = await repository.first_waitlisted(uow.session, event_id=event.id, limit=free)
    for registration in promoted:
        await _promote_from_waitlist(uow, event, registration, now=now)


async def _promote_from_waitlist(
    uow: UnitOfWork, event: Event, registration: Registration, *, now: datetime
) -> None:
    assert registration.member_id is not None  # erased members are never waitlisted
    if event.claim_window_hours is None:
        registration.status, registration.confirmed_at = RegistrationStatus.CONFIRMED, now
    else:
        registration.status = RegistrationStatus.OFFERED
        # Never past the event's end: a seat offered then could not be used.
        registration.offered_until = min(
            now + timedelta(hours=event.claim_window_hours), event.ends_at
        )
    await uow.outbox.add(
        uow.session,
        RegistrationPromoted(
            community_id=event.community_id,
            event_id=event.id,
            registration_id=registration.id,
            member_id=registration.member_id,
            status=registration.status,
            offered_until=registration.offered_until,
            promoted_at=now,
        ),
    )
    if registration.status == RegistrationStatus.CONFIRMED:
        await _announce_confirmed(uow, registration, now=now, promoted=True)


async def _end_registration(
    uow: UnitOfWork,
    event: Event,
    registration: Registration,
    *,
    now: datetime,
    to_status: RegistrationStatus,
) -> None:
    previous = registration.status
    registration.status, registration.cancelled_at = to_status, now
    registration.offered_until = None
    if registration.member_id is None:
        return  # erased: nobody to name in an event
    await uow.outbox.add(
        uow.session,
        RegistrationCancelled(
            community_id=event.community_id,
            event_id=event.id,
            registration_id=registration.id,
            member_id=registration.member_id,
            previous_status=previous,
            reason="cancelled" if to_status == RegistrationStatus.CANCELLED else "claim_expired",
            cancelled_at=now,
        ),
    )


async def _announce_confirmed(
    uow: UnitOfWork, registration: Registration, *, now: datetime, promoted: bool
) -> None:
    assert registration.member_id is not None
    await uow.outbox.add(
        uow.session,
        RegistrationConfirmed(
            community_id=registration.community_id,
            event_id=registration.event_id,
            registration_id=registration.id,
            member_id=registration.member_id,
            confirmed_at=now,
            promoted=promoted,
        ),
    )


async def list_registrations(
    *, session: AsyncSession, actor: Actor, event_id: str, after_seq: int | None, limit: int
) -> list[tuple[Registration, int | None]]:
    """The event's registrations in arrival order, each with its waitlist position."""
    await event_with_access(session=session, actor=actor, event_id=event_id)
    rows: Sequence[Registration] = await repository.list_registrations(
        session, event_id=event_id, after_seq=after_seq, limit=limit
    )
    listed: list[tuple[Registration, int | None]] = []
    position: int | None = None
    for registration in rows:
        if registration.status != RegistrationStatus.WAITLISTED:
            listed.append((registration, None))
            continue
        if position is None:  # the first waitlisted row of this page: count those before it
            position = await repository.waitlist_position(
                session, event_id=event_id, seq=registration.seq
            )
        else:
            position += 1
        listed.append((registration, position))
    return listed
