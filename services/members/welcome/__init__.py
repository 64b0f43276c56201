"""Welcome templates (入群欢迎语): per community and per tier, rendered on every join that takes
effect into `member.welcome_due` for the bot."""
