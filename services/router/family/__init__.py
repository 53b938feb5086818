"""Family links: several victims of one incident linked as one case, each with their own plan."""
