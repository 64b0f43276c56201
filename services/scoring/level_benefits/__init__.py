"""Benefits per level (福利): scoring owns levels, so it keeps what each level gives and
announces every change (`level.benefits_changed`) for the members service's standing."""
