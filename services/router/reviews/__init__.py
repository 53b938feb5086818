"""Scheduled reviews of open referrals: what is due, reviews done, reviews brought forward."""
