"""The weekly and monthly report, and the figures people ask for beside the metrics: content
ranked by engagement and events compared."""
