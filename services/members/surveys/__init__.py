"""Surveys (问卷): multi-question surveys, their responses, results, CSV export and the
automatic post-event and monthly satisfaction surveys."""
