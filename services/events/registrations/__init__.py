"""Registration: seats up to the capacity, a FIFO waitlist, waitlist promotion and seat offers."""
