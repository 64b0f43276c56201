"""Reading a pool kept from another service's events, refusing one of another community."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.scoring.pools import repository


async def pool_members(
    session: AsyncSession, *, community_id: str, kind: str, source_id: str, field: str, what: str
) -> list[str]:
    """The pool's members who belong to the community, sorted: 422 naming `field` when the
    poll, challenge or event belongs to another community, or nobody of this community is in
    it (scoring cannot tell an unknown one from one nobody joined)."""
    found = await repository.members(
        session, community_id=community_id, kind=kind, source_id=source_id
    )
    if found:
        return found
    if await repository.other_community(session, community_id=community_id, source_id=source_id):
        raise InvalidInput(f"The {what} {source_id!r} belongs to another community.", field=field)
    raise InvalidInput(
        f"Nobody of this community is known as a {kind} of {what} {source_id!r}.", field=field
    )
