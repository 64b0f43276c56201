"""Community-wide lotteries (抽奖) by commit-reveal: the pool (active members of a period, a
segment, a tier, a poll's voters, a 打卡 challenge's finishers, the top N of a board) is frozen
and published with its SHA-256 at the commit, with the seed's SHA-256; the seed is revealed at
the draw, and anyone recomputes the winners (services.common.lottery)."""
