"""Series: recurring content from an RFC 5545 RRULE, materialized into scheduled items."""
