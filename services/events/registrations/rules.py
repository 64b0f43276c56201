"""A registration's states, and which of them hold a seat."""

from enum import StrEnum


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    # Promoted from the waitlist; the seat is held until `offered_until` for a confirmation.
    OFFERED = "offered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    # An offer that ran out: the seat passed on.
    EXPIRED = "expired"


SEAT_HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)
ACTIVE_REGISTRATION = (*SEAT_HOLDING, RegistrationStatus.WAITLISTED)
