"""Request shape of a role change (the answer is a `MemberPublic`)."""

from pydantic import BaseModel, ConfigDict

from services.common.events.catalogue.vocabulary import Role


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
