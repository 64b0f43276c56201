"""The refusals of permissions: a role that does not allow it, or a caller who may not act."""

from services.common.errors import Forbidden
from services.members.permissions.rules import Permission


class PermissionRequired(Forbidden):
    slug = "permission-required"

    def __init__(self, permission: Permission) -> None:
        super().__init__(
            f"Your role in this community does not allow this ({permission}).",
            permission=str(permission),
        )


class NotAllowed(Forbidden):
    pass
