"""Webhook targets: every service's webhook URL and signing secret, for the router alone."""
