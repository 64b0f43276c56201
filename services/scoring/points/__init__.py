"""Points and levels: awarding and redeeming points, and the levels earned points reach."""
