"""Why a challenge check-in is refused."""

from datetime import date

from services.common.errors import Conflict, NotFound


class ChallengeNotFound(NotFound):
    slug = "challenge-not-found"

    def __init__(self, challenge_id: str) -> None:
        super().__init__(f"No challenge {challenge_id!r}.", challenge_id=challenge_id)


class OutsideChallenge(Conflict):
    slug = "outside-challenge"

    def __init__(self, day: date, first: date, last: date) -> None:
        super().__init__(
            f"{day.isoformat()} is not a day of the challenge ({first} to {last}), or is in "
            "the future.",
            field="date",
        )


class NoMakeUpCards(Conflict):
    slug = "no-make-up-cards"

    def __init__(self, cards: int) -> None:
        super().__init__(
            f"All {cards} make-up cards (补卡) of this challenge are used.", make_up_cards=cards
        )
