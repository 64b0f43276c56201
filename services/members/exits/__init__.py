"""Exit reasons (流失原因): why a member said they left, kept for the operators and counted by
scoring's churn metrics."""
