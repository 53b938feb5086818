"""Services: what each provider offers, for whom (eligibility) and with what capacity."""
