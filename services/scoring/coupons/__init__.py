"""Coupon batches (优惠券): codes a coupon-backed reward of the points mall hands out, one per
redemption."""
