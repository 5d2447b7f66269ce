"""Who may see what: the gate, sign-in, users, tokens and rate limits."""
