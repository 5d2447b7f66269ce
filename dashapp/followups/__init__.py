"""Follow-ups: the rule that opens them, their states, changes with history, and answer times."""
