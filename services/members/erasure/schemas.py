"""Response shape of an erasure."""

from pydantic import BaseModel


class ErasureAccepted(BaseModel):
    user_id: str
    memberships_erased: int
