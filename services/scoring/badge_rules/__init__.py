"""Badges operators define, awarded in bulk (every attendee or registrant of an event) and by
rules over counts (N activities of a type, a 打卡 streak of N days, level L, P points)."""
