"""Community metrics and health: KPI series, retention cohorts, lifecycle stage and WAU alerts."""
