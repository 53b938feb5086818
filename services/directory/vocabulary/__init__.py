"""``GET /vocabulary``: the codes of DESIGN.md §3, straight from graph/."""
