"""Pools other services define, kept from their events: a poll's voters, a 打卡 challenge's
finishers, an event's registrants and attendees (for lotteries and bulk badges)."""
