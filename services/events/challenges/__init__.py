"""打卡 challenges: daily check-ins, streaks and make-up cards (补卡)."""
