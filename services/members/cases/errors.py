"""Why a report or a case action is refused."""

from datetime import timedelta

from services.common.errors import Conflict, DomainError, Forbidden, NotFound


class TargetNotFound(NotFound):
    slug = "target-not-found"

    def __init__(self, target_type: str, target_id: str) -> None:
        super().__init__(
            f"No {target_type} {target_id!r} in this community.",
            target_type=target_type,
            target_id=target_id,
        )


class ReportLimitReached(DomainError):
    status, slug, title = 429, "report-limit-reached", "Too many reports"

    def __init__(self, limit: int, window: timedelta) -> None:
        minutes = int(window.total_seconds() // 60)
        super().__init__(
            f"At most {limit} reports per {minutes} minutes; try again later.",
            headers={"Retry-After": str(int(window.total_seconds()))},
            limit=limit,
        )


class ReporterNotMember(Forbidden):
    slug = "reporter-not-member"

    def __init__(self) -> None:
        super().__init__("Only a member of the community can report in it.")


class AlreadyReported(Conflict):
    slug = "already-reported"

    def __init__(self, case_id: str) -> None:
        super().__init__("You have reported this already; the case is still open.", case_id=case_id)


class CaseNotFound(NotFound):
    slug = "case-not-found"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"No case {case_id!r} in this community.", case_id=case_id)


class CaseResolved(Conflict):
    slug = "case-resolved"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"Case {case_id!r} is resolved already.", case_id=case_id)


class ResolutionNotApplicable(Conflict):
    slug = "resolution-not-applicable"

    def __init__(self, resolution: str, why: str) -> None:
        super().__init__(f"Cannot {resolution} here: {why}.", resolution=resolution)
