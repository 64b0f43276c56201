"""Lotteries drawn fairly by commit-reveal among an event's attendees or registrants."""
