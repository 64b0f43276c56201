"""Who is calling: JWTs and their JWKS, the edge that identifies callers, rate limits, tokens."""
