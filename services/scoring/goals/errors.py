"""What goals answer to requests they refuse; each names the field at fault."""

from services.common.errors import Conflict, InvalidInput, NotFound


class GoalNotFound(NotFound):
    slug = "goal-not-found"

    def __init__(self, goal_id: str) -> None:
        super().__init__(f"No goal {goal_id!r} in this community.", goal_id=goal_id)


class GoalExists(Conflict):
    slug = "goal-exists"

    def __init__(self, metric: str, period: str, goal_id: str) -> None:
        super().__init__(
            f"This community has a goal for {metric!r} in {period!r} already ({goal_id}).",
            metric=metric,
            period=period,
            goal_id=goal_id,
            field="metric",
        )


class TargetOutOfRange(InvalidInput):
    slug = "target-out-of-range"

    def __init__(self, metric: str, low: float, high: float) -> None:
        super().__init__(
            f"A target for {metric!r} must be between {low:g} and {high:g}.",
            metric=metric,
            low=low,
            high=high,
            field="target",
        )
