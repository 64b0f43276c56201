"""Tiers (一群 / 二群 / 留级群): managing ranked sub-groups and seating a joining member in one."""
