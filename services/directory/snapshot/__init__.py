"""The snapshot: the whole directory as one versioned document, for the router."""
