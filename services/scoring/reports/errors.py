"""What reports answer to a period they cannot cover; each names the field at fault."""

from services.common.errors import InvalidInput


class ReportPeriodInvalid(InvalidInput):
    """Not a period (`2026-11`, `2026-W48`), one that has not ended, one in the future, or
    one that ended before the community existed: `reason` says which."""

    slug = "report-period-invalid"

    def __init__(self, period: str, reason: str, detail: str) -> None:
        super().__init__(detail, period=period, reason=reason, field="period")
