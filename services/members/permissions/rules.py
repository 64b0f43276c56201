"""Who may do what in a community: the one permission table (docs/members.md, "Community roles",
shows the same). A platform admin may do everything an owner may."""

from collections.abc import Mapping
from enum import StrEnum

from services.common.events.catalogue.vocabulary import USER_ID_VIEWERS, Role


class Permission(StrEnum):
    APPROVE = "approve"  # approve or reject pending joins
    CHANGE_ROLES = "change_roles"
    REMOVE = "remove"  # remove a member (DELETE …/members/{mid} on someone else)
    SANCTION = "sanction"
    MANAGE_TIERS = "manage_tiers"
    RUN_TIER_POLICY = "run_tier_policy"
    EDIT_COMMUNITY = "edit_community"
    MANAGE_INVITES = "manage_invites"
    # See which user (the identity provider's id) a member is; everyone else sees member ids.
    VIEW_USER_IDS = "view_user_ids"
    # Check chat messages, read the moderation rules, work the case queue and incidents.
    MODERATE = "moderate"
    # Make and close surveys, read their results and export them (issue 23).
    MANAGE_SURVEYS = "manage_surveys"


_STEWARDS = frozenset({Role.OWNER, Role.ADMIN})

PERMISSIONS: Mapping[Permission, frozenset[Role]] = {
    Permission.APPROVE: _STEWARDS | {Role.ASSISTANT},
    Permission.CHANGE_ROLES: _STEWARDS,
    Permission.REMOVE: _STEWARDS | {Role.ENFORCER},
    Permission.SANCTION: _STEWARDS | {Role.ENFORCER},
    Permission.MANAGE_TIERS: _STEWARDS,
    Permission.RUN_TIER_POLICY: _STEWARDS,
    Permission.EDIT_COMMUNITY: _STEWARDS,
    Permission.MANAGE_INVITES: _STEWARDS | {Role.ASSISTANT, Role.DIPLOMAT},
    Permission.VIEW_USER_IDS: USER_ID_VIEWERS,
    Permission.MODERATE: _STEWARDS | {Role.ENFORCER},
    Permission.MANAGE_SURVEYS: _STEWARDS | {Role.ASSISTANT},
}

# Roles only the owner hands out or takes away: an admin cannot make (or unmake) a peer.
OWNER_GRANTED_ROLES = _STEWARDS


def may(role: Role | str | None, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]
