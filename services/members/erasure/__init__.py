"""Erasure of a user's personal data (个人信息保护, PIPL/GDPR)."""
