"""The onboarding checklist: the first steps a community wants of its newcomers, each member's
progress through them computed from events that already flow, and `member.onboarded`.

Owned by scoring: its ledger consumer already receives every activity the steps count
(messages, 打卡 check-ins, event attendance, published content), so only the members service's
rules acknowledgements and profile changes needed a new path here (docs/scoring.md,
"Onboarding")."""
