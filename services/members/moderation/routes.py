"""Chat moderation endpoints: the community's rules, and the check a chat bot calls."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.members.moderation import service
from services.members.moderation.schemas import (
    ChatBatch,
    ChatMessage,
    ModerationRules,
    ModerationRulesPublic,
    VerdictPublic,
    VerdictsPublic,
)

router = APIRouter(tags=["moderation"])


@router.get("/communities/{community_id}/moderation/rules")
async def get_moderation_rules(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> ModerationRulesPublic:
    """The community's chat moderation rules, every rule's action filled in (owner, admins,
    enforcers); the playbook's defaults until set."""
    return await service.get_rules(session=session, actor=actor, community_id=community_id)


@router.put("/communities/{community_id}/moderation/rules")
async def set_moderation_rules(
    community_id: PathId, rules: ModerationRules, uow: UnitOfWorkDep, actor: ActorDep
) -> ModerationRulesPublic:
    """Replace the rules (owner and admins); omitted fields take the defaults. A pattern RE2
    cannot take (back-references, look-around, too large) is a 422 `invalid-pattern`."""
    return await service.set_rules(uow=uow, actor=actor, community_id=community_id, rules=rules)


@router.post("/communities/{community_id}/moderation/check")
async def check_messages(
    community_id: PathId, body: ChatMessage | ChatBatch, uow: UnitOfWorkDep, actor: ActorDep
) -> VerdictPublic | VerdictsPublic:
    """Check one chat message, or a batch of up to 500 (`{messages: [...]}`), against the
    rules: a verdict per message `{action: allow|alert|block|warn|mute|remove, rule, matched}`.
    Idempotent by message id. For a moderator or a bot's API key (scope `moderation:check`)."""
    messages = body.messages if isinstance(body, ChatBatch) else [body]
    verdicts = await service.check_messages(
        uow=uow, actor=actor, community_id=community_id, messages=messages
    )
    return VerdictsPublic(verdicts=verdicts) if isinstance(body, ChatBatch) else verdicts[0]
