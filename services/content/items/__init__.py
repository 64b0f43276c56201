"""Content items: what an item is, its workflow, and creating, reading, editing, listing."""
