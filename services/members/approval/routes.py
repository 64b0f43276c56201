"""The approve and reject endpoints."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.members.approval import service
from services.members.approval.schemas import MemberDecision
from services.members.memberships.schemas import MemberPublic
from services.members.tables import Membership

router = APIRouter(tags=["members"])

Decide = Callable[..., Awaitable[Membership]]


def _add_decision(verb: str, decide: Decide, summary: str) -> None:
    """POST …/members/{member_id}/{verb}: approve and reject are the same route but for what
    they decide."""

    async def decision_route(
        community_id: PathId,
        member_id: PathId,
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


_add_decision("approve", service.approve, "Let a pending member in (owner, admins, assistants).")
_add_decision("reject", service.reject, "Turn a pending member away (owner, admins, assistants).")
