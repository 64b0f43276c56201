"""HTTP endpoints of registrations: register, list, cancel, confirm an offered seat."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.errors import InvalidInput
from services.common.pagination import Page
from services.events.events.schemas import EmptyBody
from services.events.registrations import service as registrations
from services.events.registrations.schemas import RegistrationCreate, RegistrationPublic
from services.events.tables import Registration

router = APIRouter(tags=["events"])

EventId = PathId
RegistrationId = PathId


def _registration_public(registration: Registration, position: int | None) -> RegistrationPublic:
    public = RegistrationPublic.model_validate(registration, from_attributes=True)
    return public.model_copy(update={"waitlist_position": position})


@router.post("/events/{event_id}/registrations", status_code=status.HTTP_201_CREATED)
async def register(
    event_id: EventId,
    registration_create: RegistrationCreate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> RegistrationPublic:
    """Register a member (yourself; organisers may register others): a seat while there is
    one, else a place at the end of the waitlist."""
    registration, position = await registrations.register(
        uow=uow, actor=actor, event_id=event_id, member_id=registration_create.member_id
    )
    return _registration_public(registration, position)


@router.get("/events/{event_id}/registrations")
async def list_registrations(
    event_id: EventId, session: ReadSessionDep, actor: ActorDep, page: PageDep
) -> Page[RegistrationPublic]:
    """The event's registrations in arrival order, waitlisted ones with their position."""
    after_seq: int | None = None
    if page.after_id is not None:
        if not page.after_id.isdigit() or len(page.after_id) > 12:
            raise InvalidInput("The cursor is not one this API returned.", field="cursor")
        after_seq = int(page.after_id)
    listed = await registrations.list_registrations(
        session=session, actor=actor, event_id=event_id, after_seq=after_seq, limit=page.fetch_limit
    )
    items = [_registration_public(row, position) for row, position in listed]
    seq_of = {row.id: row.seq for row, _position in listed}
    return Page[RegistrationPublic].of(
        items, limit=page.limit, id_of=lambda item: str(seq_of[item.id])
    )


@router.delete("/events/{event_id}/registrations/{registration_id}")
async def cancel_registration(
    event_id: EventId, registration_id: RegistrationId, uow: UnitOfWorkDep, actor: ActorDep
) -> RegistrationPublic:
    """Cancel a registration; a freed seat goes to the first waitlisted member."""
    registration = await registrations.cancel_registration(
        uow=uow, actor=actor, event_id=event_id, registration_id=registration_id
    )
    return _registration_public(registration, None)


@router.post("/events/{event_id}/registrations/{registration_id}/confirm")
async def confirm_offer(
    event_id: EventId,
    registration_id: RegistrationId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    _body: EmptyBody | None = None,
) -> RegistrationPublic:
    """Take up a seat offered from the waitlist before its claim window ends."""
    registration = await registrations.confirm_offer(
        uow=uow, actor=actor, event_id=event_id, registration_id=registration_id
    )
    return _registration_public(registration, None)
