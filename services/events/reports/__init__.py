"""The event report: registered, waitlisted, attended, rates, NPS, volunteer hours."""
