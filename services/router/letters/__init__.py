"""The victim's plan as a letter in plain English (``GET /referrals/{id}/letter``)."""
