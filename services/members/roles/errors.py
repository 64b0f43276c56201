"""The rules about the owner on top of the permission table, as errors."""

from services.common.errors import Conflict, Forbidden


class OwnerOnly(Forbidden):
    slug = "owner-only"

    def __init__(self, what: str) -> None:
        super().__init__(f"Only the community's owner may {what}.")


class TransferOwnershipFirst(Conflict):
    slug = "transfer-ownership-first"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The owner cannot {what}: the owner must first make another member owner "
            "(PUT …/members/{member_id}/role with role 'owner')."
        )
