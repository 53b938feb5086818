"""The victim's choices have no table of their own: they are facts about the victim and the
referral, stored where the plan reads them.

- refusals: ``Referral.victim["refused_services"]`` (graph/ never chooses a refused service);
- contact preferences: ``Referral.victim["contact"]`` (they travel with every warm handover);
- consent: ``Referral.victim["consent_to_share"]``, ``Referral.mode`` and each handover's mode;
- a pause: ``Referral.paused``, ``paused_until``, ``pause_reason``, ``paused_at``, ``paused_by``.

Who said so and when is in the timeline (``actor``, ``occurred_at``) and the audit log.
"""

from __future__ import annotations

from ..handovers.models import Handover
from ..referrals.models import Referral

__all__ = ["Handover", "Referral"]

REFUSED_REASON = "the victim said no to this service"
"""The reason on the handover of a service the victim refused (``Handover.reason``)."""
