"""Benefits (福利) per tier, owned here with the tiers, and per level, copied from scoring's
announcements; both shown with a member's standing."""
