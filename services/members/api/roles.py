"""HTTP endpoints of community stewardship (edit, approval, roles, leaving) and self-service."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.pagination import Page
from services.members.api.role_schemas import (
    CommunityUpdate,
    MemberDecision,
    MyMembership,
    RoleChange,
)
from services.members.api.schemas import CommunityPublic, MemberPublic
from services.members.domain import roles
from services.members.domain.models import MemberStatus
from services.members.storage.tables import Membership

router = APIRouter(tags=["members"])

CommunityId = PathId
MemberId = PathId


@router.patch("/communities/{community_id}")
async def update_community(
    community_id: CommunityId,
    community_update: CommunityUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> CommunityPublic:
    """Edit a community's name, topic, description, join policy, timezone or rules (owner and
    admins)."""
    community = await roles.update_community(
        uow=uow, actor=actor, community_id=community_id, community_update=community_update
    )
    return CommunityPublic.model_validate(community, from_attributes=True)


Decide = Callable[..., Awaitable[Membership]]


def _add_decision(verb: str, decide: Decide, summary: str) -> None:
    """POST …/members/{member_id}/{verb}: approve and reject are the same route but for what
    they decide."""

    async def decision_route(
        community_id: CommunityId,
        member_id: MemberId,
        uow: UnitOfWorkDep,
        actor: ActorDep,
        decision: MemberDecision | None = None,
    ) -> MemberPublic:
        membership = await decide(
            uow=uow,
            actor=actor,
            community_id=community_id,
            member_id=member_id,
            reason=decision.reason if decision else None,
        )
        return MemberPublic.model_validate(membership, from_attributes=True)

    router.add_api_route(
        f"/communities/{{community_id}}/members/{{member_id}}/{verb}",
        decision_route,
        methods=["POST"],
        name=f"{verb}_member",
        description=summary,
    )


_add_decision("approve", roles.approve, "Let a pending member in (owner, admins, assistants).")
_add_decision("reject", roles.reject, "Turn a pending member away (owner, admins, assistants).")


@router.put("/communities/{community_id}/members/{member_id}/role")
async def change_role(
    community_id: CommunityId,
    member_id: MemberId,
    role_change: RoleChange,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> MemberPublic:
    """Give a member a role (owner and admins; only the owner makes admins). Role `owner`
    transfers ownership: the previous owner becomes an admin."""
    membership = await roles.change_role(
        uow=uow, actor=actor, community_id=community_id, member_id=member_id, role=role_change.role
    )
    return MemberPublic.model_validate(membership, from_attributes=True)


@router.delete("/communities/{community_id}/members/{member_id}")
async def leave_or_remove(
    community_id: CommunityId, member_id: MemberId, uow: UnitOfWorkDep, actor: ActorDep
) -> MemberPublic:
    """Leave (your own membership) or remove a member (owner, admins, enforcers)."""
    membership = await roles.leave_or_remove(
        uow=uow, actor=actor, community_id=community_id, member_id=member_id
    )
    return MemberPublic.model_validate(membership, from_attributes=True)


@router.get("/me/memberships")
async def my_memberships(
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
    member_status: Annotated[MemberStatus | None, Query(alias="status")] = None,
) -> Page[MyMembership]:
    """The caller's communities, with their role, tier and status in each."""
    rows = await roles.my_memberships(
        session=session,
        actor=actor,
        status=member_status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [
        MyMembership.model_validate(
            {
                **MemberPublic.model_validate(membership, from_attributes=True).model_dump(),
                "community_name": name,
            }
        )
        for membership, name in rows
    ]
    return Page[MyMembership].of(items, limit=page.limit, id_of=lambda item: item.id)
