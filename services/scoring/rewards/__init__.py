"""The points mall (积分商城): rewards members redeem their points for."""
