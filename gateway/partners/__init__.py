"""Partners: their API keys, the scopes a key may hold, and what a key may call."""
