"""Search: the services eligible for a victim profile and needs, ranked, and the near misses.

Every rule is graph/'s (``graph.search``); this feature only parses, loads the cached graph of
the current directory version and shapes the answer.
"""
