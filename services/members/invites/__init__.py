"""Invites (裂变): making invite codes, redeeming them on a join, and crediting referrals."""
