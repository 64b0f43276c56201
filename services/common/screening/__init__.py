"""The screening engine every service matches text with: word lists in one Aho-Corasick
automaton over normalised text (NFKC, case, separators), and links outside an allow-list. Pure:
content screens submitted items with it, members screens chat messages."""
