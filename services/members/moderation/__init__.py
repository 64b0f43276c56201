"""Chat moderation (防骚扰): a community's rules, and the check a chat bot asks for each message."""
