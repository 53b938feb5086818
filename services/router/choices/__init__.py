"""The victim's choices: refusing a service, pausing contact, contact preferences, consent."""
