"""The projection follows the members service's events."""

from services.common.events.catalogue import (
    CommunityCreated,
    CommunityUpdated,
    MemberApproved,
    MemberJoined,
    MemberLeft,
    MemberPurged,
    MemberRemoved,
    MemberRoleChanged,
    MemberSanctioned,
    MembershipSnapshot,
    MemberTierChanged,
    MemberUpdated,
    UserErased,
)
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.membership.repository import (
    change_membership,
    erase_membership,
    mute_membership,
    save_community,
    save_membership,
    update_community,
)
from services.common.membership.tables import USER_ID_LENGTH, MembershipTables
from services.common.unit_of_work import UnitOfWork


def membership_handlers(tables: MembershipTables) -> HandlerRegistry:
    """What keeps the projection: the handlers of a `huoli.members` consumer, group
    `<service>.membership`."""

    async def on_community_created(uow: UnitOfWork, event: CommunityCreated, _: CloudEvent) -> None:
        await save_community(uow.session, tables, event)

    async def on_community_updated(uow: UnitOfWork, event: CommunityUpdated, _: CloudEvent) -> None:
        await update_community(uow.session, tables, event)

    async def on_membership(uow: UnitOfWork, event: MembershipSnapshot, _: CloudEvent) -> None:
        await save_membership(uow.session, tables, event)

    async def on_role_changed(uow: UnitOfWork, event: MemberRoleChanged, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            role=event.role,
        )

    async def on_gone(uow: UnitOfWork, event: MemberLeft | MemberRemoved, _: CloudEvent) -> None:
        status = "left" if isinstance(event, MemberLeft) else "removed"
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            status=status,
        )

    async def on_updated(uow: UnitOfWork, event: MemberUpdated, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            display_name=event.display_name[:USER_ID_LENGTH],
        )

    async def on_tier_changed(uow: UnitOfWork, event: MemberTierChanged, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            tier_id=event.to_tier_id,
        )

    async def on_purged(uow: UnitOfWork, event: MemberPurged, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            status="removed",
        )

    async def on_sanctioned(uow: UnitOfWork, event: MemberSanctioned, _: CloudEvent) -> None:
        # Warnings change nothing here; a removal arrives as `member.removed` too.
        if event.kind == "mute":
            await mute_membership(uow.session, tables, event)

    async def on_erased(uow: UnitOfWork, event: UserErased, _: CloudEvent) -> None:
        await erase_membership(uow.session, tables, event)

    return {
        CommunityCreated: on_community_created,
        CommunityUpdated: on_community_updated,
        MemberJoined: on_membership,
        MemberApproved: on_membership,
        MemberRoleChanged: on_role_changed,
        MemberLeft: on_gone,
        MemberRemoved: on_gone,
        MemberUpdated: on_updated,
        MemberTierChanged: on_tier_changed,
        MemberPurged: on_purged,
        MemberSanctioned: on_sanctioned,
        UserErased: on_erased,
    }


def membership_consumer(service_name: str, tables: MembershipTables) -> ConsumerSpec:
    """The consumer that keeps a service's projection."""
    return ConsumerSpec(group_id=f"{service_name}.membership", handlers=membership_handlers(tables))
