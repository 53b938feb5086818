"""Pathways: "service A (or an entry point) may hand over to service B"."""
