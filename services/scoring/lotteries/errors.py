"""What community lotteries answer to what they refuse."""

from services.common.errors import Conflict, NotFound


class CommunityLotteryNotFound(NotFound):
    slug = "community-lottery-not-found"

    def __init__(self, lottery_id: str) -> None:
        super().__init__(f"No lottery {lottery_id!r} in this community.", lottery_id=lottery_id)


class CommunityLotteryDrawn(Conflict):
    slug = "community-lottery-drawn"

    def __init__(self, lottery_id: str) -> None:
        super().__init__(
            f"Lottery {lottery_id!r} was drawn already.", lottery_id=lottery_id, field="status"
        )
