"""Why a welcome template is refused."""

from services.common.errors import InvalidInput
from services.members.welcome.rules import Placeholder


class UnknownPlaceholder(InvalidInput):
    slug = "unknown-placeholder"

    def __init__(self, unknown: list[str]) -> None:
        known = ", ".join(f"{{{placeholder.value}}}" for placeholder in Placeholder)
        super().__init__(
            f"The template uses {', '.join(f'{{{name}}}' for name in unknown[:10])}, which "
            f"it does not know; the placeholders are {known}.",
            field="template",
            placeholders=unknown[:10],
            errors=[{"loc": ["body", "template"], "msg": "unknown placeholder"}],
        )
