"""Providers: the organisations that run services."""
