"""Incidents (危机处理): an owner, a timeline, linked cases and alerts, a playbook's checklist,
and a review before closing; drills counted apart."""
