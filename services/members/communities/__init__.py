"""Communities: creating, reading, listing and editing them."""
