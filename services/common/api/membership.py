"""Route dependencies admitting the caller to the path's community."""

from collections.abc import Awaitable, Callable, Iterable

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.membership.access import CommunityAccess, community_access
from services.common.membership.tables import MembershipTables


def require_member(
    tables: MembershipTables, *, writes: bool = False
) -> Callable[..., Awaitable[CommunityAccess]]:
    """A dependency admitting the caller to the path's `{community_id}`; 404 otherwise.

    `writes=True` for routes that take a `UnitOfWorkDep`: the check then runs in that same
    session (FastAPI hands one request one instance of a dependency) instead of a second one.
    """
    return require_role(tables, roles=None, writes=writes)


def require_role(
    tables: MembershipTables, *, roles: Iterable[str] | None, writes: bool = False
) -> Callable[..., Awaitable[CommunityAccess]]:
    """A dependency admitting a member of the path's `{community_id}` holding one of `roles`
    (platform admins pass): 404 for a stranger, 403 for a member without the role."""
    wanted = frozenset(roles) if roles is not None else None

    if writes:

        async def admitted_to_write(
            community_id: PathId, actor: ActorDep, uow: UnitOfWorkDep
        ) -> CommunityAccess:
            return await community_access(
                uow.session, tables, community_id=community_id, actor=actor, roles=wanted
            )

        return admitted_to_write

    async def admitted(
        community_id: PathId, actor: ActorDep, session: ReadSessionDep
    ) -> CommunityAccess:
        return await community_access(
            session, tables, community_id=community_id, actor=actor, roles=wanted
        )

    return admitted
