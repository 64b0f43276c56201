"""Lockdown (封群): joins only by approval or closed, new members muted, until a time or a lift."""
