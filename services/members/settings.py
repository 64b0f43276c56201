from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.components import MEMBERS
from services.common.settings import ServiceSettings


class MembersSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix=MEMBERS.env_prefix, extra="ignore", populate_by_name=True
    )

    service_name: str = MEMBERS.name
    # How often each instance looks for tier-policy periods that have not run yet.
    tier_policy_poll_seconds: float = Field(default=60.0, gt=0)
    # How often each instance looks for communities whose monthly satisfaction survey is due.
    survey_poll_seconds: float = Field(default=300.0, gt=0)
    # Credited days (the tier policy's scores) are kept this long; pruned every prune interval.
    # Windows are calendar periods of at most a month, judged at most one period late: 62 days.
    credited_days_kept: int = Field(default=90, ge=62, le=3660)
    # A community's standings snapshot is rebuilt (in the background) once this old.
    standings_ttl_seconds: float = Field(default=2.0, gt=0)
