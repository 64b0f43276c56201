"""Why a draw is refused."""

from services.common.errors import Conflict, NotFound


class LotteryNotFound(NotFound):
    slug = "lottery-not-found"

    def __init__(self, lottery_id: str) -> None:
        super().__init__(f"No lottery {lottery_id!r}.", lottery_id=lottery_id)


class AlreadyDrawn(Conflict):
    slug = "already-drawn"

    def __init__(self, lottery_id: str) -> None:
        super().__init__("This lottery was drawn already.", lottery_id=lottery_id)
