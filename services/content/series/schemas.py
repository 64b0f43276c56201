"""Request and response shapes of the series."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.fields import LocalTimestamp, NoNul
from services.content.items.rules import ContentKind
from services.content.items.schemas import Body, TierIds, Title


class SeriesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    kind: ContentKind
    # One RFC 5545 RRULE value, e.g. FREQ=DAILY;BYHOUR=8;BYMINUTE=0, read in the community's
    # timezone from starts_at.
    rrule: Annotated[str, StringConstraints(min_length=1, max_length=500), NoNul]
    # `{date}` becomes the occurrence's local date (YYYY-MM-DD).
    body_template: Body
    starts_at: LocalTimestamp
    tier_ids: TierIds = []


class SeriesPublic(BaseModel):
    id: str
    community_id: str
    title: str
    kind: ContentKind
    rrule: str
    body_template: str
    tier_ids: list[str]
    starts_at: datetime
    materialized_until: datetime | None
    paused_at: datetime | None
    created_by: str
    created_at: datetime
    # Occurrences materialized by this request.
    materialized: int = 0
