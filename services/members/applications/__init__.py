"""Application questions (入群审核): the questions a community asks those who apply to join, the
answers a join request carries, and who reads them."""
