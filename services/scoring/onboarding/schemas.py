"""Request and response shapes of the onboarding checklist and progress."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.scoring.onboarding import rules
from services.scoring.onboarding.rules import STEPS, OnboardingStep


class ChecklistUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"steps": ["acknowledge_rules", "introduce_yourself", "first_checkin"]}]
        },
    )

    # In the order members are shown them; an empty list turns the checklist off.
    steps: Annotated[list[OnboardingStep], Field(max_length=len(STEPS))]

    @field_validator("steps")
    @classmethod
    def _once_each(cls, steps: list[OnboardingStep]) -> list[OnboardingStep]:
        return rules.unique_steps(steps)


class ChecklistPublic(BaseModel):
    community_id: str
    steps: list[str]
    # None while the community never chose steps.
    updated_at: datetime | None
    # The whole vocabulary, for a console's picker.
    available_steps: list[str] = [step.value for step in STEPS]


class StepProgress(BaseModel):
    step: str
    done: bool
    done_at: datetime | None


class ProgressPublic(BaseModel):
    member_id: str
    display_name: str
    joined_at: datetime
    # The checklist's steps, in its order.
    steps: list[StepProgress]
    done: int
    total: int
    onboarded: bool
    onboarded_at: datetime | None

    @classmethod
    def of(cls, row: Any, checklist: list[str]) -> Self:
        mapping = row._mapping
        steps = [
            StepProgress(
                step=step,
                done=mapping[rules.column(step)] is not None,
                done_at=mapping[rules.column(step)],
            )
            for step in checklist
        ]
        return cls(
            member_id=mapping["member_id"],
            display_name=mapping["display_name"],
            joined_at=mapping["joined_at"],
            steps=steps,
            done=sum(1 for step in steps if step.done),
            total=len(steps),
            onboarded=mapping["onboarded_at"] is not None,
            onboarded_at=mapping["onboarded_at"],
        )
