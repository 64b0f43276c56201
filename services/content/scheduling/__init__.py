"""Scheduling and publishing: publishing rules, the calendar, publish, archive, the publisher."""
