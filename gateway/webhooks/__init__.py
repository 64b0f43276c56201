"""Webhooks: subscriptions, the fan-out of events into deliveries, signed sending and retry."""
