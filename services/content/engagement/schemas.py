"""The engagement counters as every item shows them."""

from pydantic import BaseModel


class Engagement(BaseModel):
    views: int
    reactions: int
    comments: int
    shares: int
