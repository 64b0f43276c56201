"""The exit reasons endpoint (leaving itself is `DELETE …/members/{mid}`, in leaving)."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep
from services.common.events.catalogue.vocabulary import ExitReason
from services.members.exits import service
from services.members.exits.schemas import ExitPage

router = APIRouter(tags=["members"])


@router.get("/communities/{community_id}/exit-reasons")
async def list_exit_reasons(
    community_id: PathId,
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
    reason: ExitReason | None = None,
) -> ExitPage:
    """Why members said they left (流失原因), oldest first, with their own words, and the
    counts by reason over all time (owner, admins)."""
    items, counts = await service.list_exits(
        session=session,
        actor=actor,
        community_id=community_id,
        reason=reason,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    return service.exit_page(items, counts, limit=page.limit)
