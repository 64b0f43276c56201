"""Request and response shapes of memberships."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints, model_validator

from services.common.events.catalogue.vocabulary import Role
from services.common.events.envelope import utc_now
from services.common.fields import NoNul
from services.members.memberships.rules import MemberStatus

UserId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NoNul
]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]


class MemberPublic(BaseModel):
    id: str
    community_id: str
    # The identity provider's id: for the member themself and for staff (`view_user_ids`);
    # null to everyone else, who know members by `id`.
    user_id: str | None
    display_name: str
    status: MemberStatus
    role: Role
    tier_id: str | None
    tags: list[str]
    invited_by: str | None
    referral_count: int
    joined_at: datetime
    muted_until: datetime | None = None
    locked: bool = False
    on_leave: bool = False
    last_active_at: datetime | None = None
    # The engagement segment scoring last announced; null until it has placed the member.
    segment: str | None = None

    @model_validator(mode="after")
    def _mute_ends_by_itself(self) -> "MemberPublic":
        # The table keeps `muted` until something else changes the member; a mute whose time
        # has passed is over, whoever reads it.
        if self.status == MemberStatus.MUTED and (
            self.muted_until is None or self.muted_until <= utc_now()
        ):
            self.status, self.muted_until = MemberStatus.ACTIVE, None
        return self


class MyMembership(MemberPublic):
    community_name: str
