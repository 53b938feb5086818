"""The commissioning report (``GET /reports/summary``): aggregate figures for admins."""
