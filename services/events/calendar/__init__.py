"""The community's events as an iCalendar (RFC 5545) feed."""
