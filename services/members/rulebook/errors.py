"""Why publishing or acknowledging rules is refused."""

from services.common.errors import Conflict, Forbidden, NotFound


class RulesVersionNotFound(NotFound):
    slug = "rules-version-not-found"

    def __init__(self, version: int) -> None:
        super().__init__(f"No rules version {version} in this community.", version=version)


class RulesVersionNotCurrent(Conflict):
    """Named after the field: the version sent is not the one in force."""

    slug = "rules-version-not-current"

    def __init__(self, version: int, current_version: int | None) -> None:
        detail = (
            "This community has published no rules yet."
            if current_version is None
            else f"Version {version} is not the current rules version ({current_version})."
        )
        super().__init__(detail, field="version", current_version=current_version)


class RulesAlreadyAcknowledged(Conflict):
    slug = "rules-already-acknowledged"

    def __init__(self, version: int) -> None:
        super().__init__(f"You have acknowledged rules version {version} already.", version=version)


class RulesVersionRace(Conflict):
    """Two versions published at the same moment: one wins the number, the other retries."""

    slug = "rules-version-race"

    def __init__(self) -> None:
        super().__init__("Another rules version was published at the same time; try again.")


class AcknowledgerNotMember(Forbidden):
    slug = "acknowledger-not-member"

    def __init__(self) -> None:
        super().__init__("Only a member of the community acknowledges its rules.")
