"""The directory service: who provides what, for whom, and with what capacity.

Admins edit providers, services and pathways; providers keep their own capacity current; the
router reads the whole directory as one versioned snapshot. ``app.create_app`` builds the app.
"""
