"""What a benefit (福利) is when an operator writes one: the one shape of tiers' benefits (the
members service) and levels' (scoring), as `level.benefits_changed` carries them."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.fields import NoNul

MAX_BENEFITS = 20  # a tier's or a level's


class BenefitItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul
    ]
    description: Annotated[str, StringConstraints(max_length=1000), NoNul] = ""
