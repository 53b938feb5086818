"""What travels with a handover to the receiving provider.

A warm handover carries the assessment so the victim does not retell their story, and the
victim's preferred language, interpreter need and access needs, so the first contact is one
they can take part in. A signpost
carries nothing personal: the victim was told how to refer themselves, and the provider only
learns that a signpost was given and for which kinds of need.

>>> import datetime as dt
>>> from graph.build import build_graph
>>> from graph.codec import load_directory, referral_from_dict
>>> from graph.plan import make_plan
>>> body = {"source": {"kind": "police"},
...         "victim": {"age": 70, "area": "E07000011", "consent_to_share": False},
...         "incident": {"kind": "burglary", "reported_to_police": True},
...         "assessment": {"needs": {"emotional_support": 1}}}
>>> now = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
>>> r = referral_from_dict(body, today=now.date())
>>> plan = make_plan(build_graph(load_directory()), r, now=now)
>>> sorted(handover_payload(r, plan.handovers[0]))
['handover', 'message', 'mode', 'needs', 'service_id']
"""

from __future__ import annotations

from typing import Any, Final

from .model import PlannedHandover, Referral
from .vocabulary import HandoverMode

PERSONAL_KEYS: Final = frozenset(
    {
        "victim",
        "incident",
        "assessment",
        "contact",
        "age",
        "sex",
        "area",
        "reference",
        "occurred_on",
        "reported_on",
        "flags",
        "risk_level",
        "dash_score",
        "safe_times",
        "language",
        "interpreter",
        "access_needs",
    }
)
"""Keys that name personal data; none of them may appear in a signpost payload."""

SIGNPOST_MESSAGE: Final = (
    "The victim has been given your details to refer themselves. No personal details are "
    "shared without their consent."
)


def handover_payload(
    referral: Referral, handover: PlannedHandover, *, handover_id: str | None = None
) -> dict[str, Any]:
    """The data a provider receives for ``handover``: the minimum its mode allows."""
    base: dict[str, Any] = {
        "handover": handover_id,
        "service_id": handover.service_id,
        "mode": handover.mode.value,
        "needs": [n.value for n in handover.needs],
    }
    if handover.mode is HandoverMode.SIGNPOST:
        return {**base, "message": SIGNPOST_MESSAGE}
    v, i, a = referral.victim, referral.incident, referral.assessment
    return {
        **base,
        "from": handover.from_node,
        "lead": handover.lead,
        "victim": {
            "age": v.age,
            "area": v.area,
            "role": v.role.value,
            "sex": v.sex.value if v.sex else None,
            "contact": {
                "channels": [c.value for c in v.contact.channels],
                "safe_times": v.contact.safe_times,
                "do_not_contact": v.contact.do_not_contact,
            },
            "language": v.language,
            "interpreter": v.interpreter,
            "access_needs": sorted(a.value for a in v.access_needs),
        },
        "incident": {
            "kind": i.kind.value,
            "reported_to_police": i.reported_to_police,
            "occurred_on": i.occurred_on.isoformat() if i.occurred_on else None,
            "reported_on": i.reported_on.isoformat() if i.reported_on else None,
        },
        "assessment": {
            "risk_level": a.risk_level.value if a.risk_level else None,
            "dash_score": a.dash_score,
            "flags": sorted(f.value for f in a.flags),
            "needs": {n.value: int(s) for n, s in a.needs.items()},
        },
    }
