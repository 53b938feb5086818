"""Synthetic data for the benchmark: a national directory and streams of referrals.

The national directory covers England and Wales as 43 police force areas and 330 local
authorities (made-up ONS-style codes; the first force area is Cambridgeshire and Peterborough
with its real six codes). Every force area gets the services the shipped Cambridgeshire
directory describes, with the same eligibility rules (one IDVA, ISVA, SARC, refuge… per force;
a housing team per local authority; the homicide, road victims and witness services are
national), wired with the same pathways inside the force area. Past that core (about 980
services), the directory grows with the local variety a real one has: counselling, outreach,
men's and LGBT+ services, debt advice, befriending, ASB and fraud support…, each for one local
authority (70 %) or a whole force area (30 %), with its own age, sex, incident and severity
rules, capacity (60 % green, 25 % amber, 15 % red — but a hub's triage and crisis team never
close; updated up to 36 hours ago, so some are stale) and pathways (from the entry nodes, from
the force's triage, to the force's crisis team, and to two or three other local services).

Everything is drawn from ``random.Random(seed)``: the same size and seed give the same
directory, byte for byte.

>>> d = national_directory(1_000, seed=1)
>>> len(d["services"])
1000
>>> national_directory(1_000, seed=1) == d
True
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from graph.codec import load_directory_document

FORCE_AREAS = 43
LOCAL_AUTHORITIES = 330
CAMBS = ("E07000008", "E07000009", "E07000010", "E07000011", "E07000012", "E06000031")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
"""The benchmark's fixed "now": capacity ages and incident dates are drawn relative to it."""

# The shipped services that become one per force area, one per local authority, or national.
FORCE_TEMPLATES = {
    "victim-support-triage": "triage",
    "victim-support-enhanced": "enhanced",
    "victim-support-older": "older",
    "bobby-scheme": "bobby",
    "idva-cambridgeshire": "idva",
    "isva-cambridgeshire": "isva",
    "womens-aid-refuge": "refuge",
    "sarc-peterborough": "sarc",
    "young-victims-service": "young",
    "hate-crime-advocacy": "hate",
    "mental-health-wellbeing": "wellbeing",
    "mental-health-crisis": "crisis",
    "drug-alcohol-cambridgeshire": "drugs",
    "citizens-advice-cambridgeshire": "advice",
    "neighbourhood-watch": "watch",
}
LOCAL_TEMPLATES = {"housing-cambridge": "housing"}
NATIONAL_TEMPLATES = {
    "homicide-service": "homicide",
    "road-victims-trust": "road",
    "witness-service": "witness",
}
# Shipped ids that share a template with one above (their pathways are the template's too).
ALIASES = {
    "idva-peterborough": "idva",
    "isva-peterborough": "isva",
    "drug-alcohol-peterborough": "drugs",
    "citizens-advice-peterborough": "advice",
    **{
        sid: "housing"
        for sid in (
            "housing-east-cambridgeshire",
            "housing-fenland",
            "housing-huntingdonshire",
            "housing-south-cambridgeshire",
            "housing-peterborough",
        )
    },
}

ALL_KINDS = (
    "domestic_abuse",
    "sexual_violence",
    "stalking_harassment",
    "hate_crime",
    "honour_based_abuse",
    "homicide",
    "road_traffic_collision",
    "burglary",
    "robbery",
    "violence",
    "criminal_damage",
    "fraud",
    "theft",
    "vehicle_crime",
    "exploitation",
    "modern_slavery",
    "anti_social_behaviour",
    "other",
)
ABUSE = ("domestic_abuse", "honour_based_abuse", "stalking_harassment")

# Local variety: (name, needs with the specialism first, base eligibility). Each instance varies
# the ages, sexes and severity around its base.
EXTRA_KINDS: tuple[tuple[str, tuple[str, ...], dict[str, Any]], ...] = (
    ("Trauma counselling", ("trauma_counselling", "health", "outlook"), {"min_age": 16}),
    (
        "Domestic abuse outreach",
        ("domestic_abuse_advocacy", "emotional_support", "family", "practical_support"),
        {"incident_kinds": list(ABUSE), "min_age": 16},
    ),
    (
        "Men's domestic abuse service",
        ("domestic_abuse_advocacy", "emotional_support"),
        {"incident_kinds": list(ABUSE), "sexes": ["male"], "min_age": 18},
    ),
    (
        "LGBT+ support",
        ("hate_crime_advocacy", "domestic_abuse_advocacy", "emotional_support", "social"),
        {"incident_kinds": ["hate_crime", *ABUSE, "sexual_violence"], "min_age": 16},
    ),
    (
        "Young people's counselling",
        ("trauma_counselling", "emotional_support", "family"),
        {"min_age": 11, "max_age": 25},
    ),
    ("Older people's befriending", ("social", "emotional_support", "outlook"), {"min_age": 65}),
    ("Debt and benefits advice", ("finance", "employment_education"), {"min_age": 18}),
    ("Employment support", ("employment_education", "outlook", "finance"), {"min_age": 16}),
    ("Family support", ("family", "young_victim_support", "emotional_support"), {}),
    ("Recovery outreach", ("substance_misuse", "health", "social"), {"min_age": 16}),
    ("Peer support group", ("emotional_support", "social", "outlook"), {"min_age": 18}),
    (
        "ASB victims' support",
        ("practical_support", "emotional_support", "home_security"),
        {"incident_kinds": ["anti_social_behaviour", "criminal_damage", "hate_crime"]},
    ),
    (
        "Fraud victims' support",
        ("practical_support", "finance", "emotional_support"),
        {"incident_kinds": ["fraud", "theft"]},
    ),
    ("Housing advice", ("accommodation", "finance", "practical_support"), {"min_age": 16}),
    ("Restorative justice", ("outlook", "information_rights"), {"min_age": 10}),
    (
        "Exploitation and modern slavery support",
        ("practical_support", "accommodation", "information_rights", "emotional_support"),
        {"incident_kinds": ["exploitation", "modern_slavery"]},
    ),
    (
        "Stalking advocacy",
        ("emotional_support", "information_rights", "court_support"),
        {"incident_kinds": ["stalking_harassment", "domestic_abuse"], "min_age": 16},
    ),
    (
        "Rape crisis counselling",
        ("trauma_counselling", "sexual_violence_advocacy", "emotional_support"),
        {"incident_kinds": ["sexual_violence"], "min_age": 13, "requires_police_report": False},
    ),
)


def geography() -> list[list[str]]:
    """43 force areas, each a list of local authority codes (330 in all), fixed."""
    rng = random.Random(0)
    sizes = [6] + [7] * (FORCE_AREAS - 1)
    # Spread the remaining authorities (330 - 6 - 42*7 = 30) over the other forces.
    for _ in range(LOCAL_AUTHORITIES - sum(sizes)):
        sizes[1 + rng.randrange(FORCE_AREAS - 1)] += 1
    forces = [list(CAMBS)]
    code = 100
    for size in sizes[1:]:
        areas = []
        for _ in range(size):
            prefix = "W06" if code % 11 == 0 else "E07" if code % 3 else "E06"
            areas.append(f"{prefix}{code:06d}")
            code += 1
        forces.append(areas)
    return forces


def national_directory(
    services: int, *, seed: int, now: dt.datetime = NOW, pathways_per_extra: int = 3
) -> dict[str, Any]:
    """A directory document (the shape of ``GET /snapshot``) with exactly ``services`` services.

    ``services`` must be at least the core's size (``core_size()``).
    """
    rng = random.Random(seed)
    shipped = load_directory_document()
    by_id = {s["id"]: s for s in shipped["services"]}
    forces = geography()
    out: list[dict[str, Any]] = []
    # template key -> force index (or None for national) -> service ids
    placed: dict[str, dict[int | None, list[str]]] = {}

    def add(template: dict[str, Any], sid: str, areas: list[str] | None, name: str) -> None:
        s = _copy(template)
        s["id"] = sid
        s["name"] = name
        s["provider_id"] = f"provider-{sid}"
        s["eligibility"]["areas"] = areas
        # The hub's triage and the crisis team take everyone: they have waiting lists, but
        # they do not close.
        closable = not sid.endswith(("-triage", "-crisis"))
        s["capacity"] = _capacity(rng, now, s["capacity"].get("maximum") or 20, closable)
        s.pop("webhook", None)
        out.append(s)

    for tid, key in NATIONAL_TEMPLATES.items():
        add(by_id[tid], f"national-{key}", None, by_id[tid]["name"] + " (national)")
        placed.setdefault(key, {})[None] = [f"national-{key}"]
    for f, areas in enumerate(forces):
        for tid, key in FORCE_TEMPLATES.items():
            sid = f"f{f:02d}-{key}"
            add(by_id[tid], sid, list(areas), f"{by_id[tid]['name']} (force {f})")
            placed.setdefault(key, {}).setdefault(f, []).append(sid)
        for tid, key in LOCAL_TEMPLATES.items():
            for area in areas:
                sid = f"f{f:02d}-{key}-{area.lower()}"
                add(by_id[tid], sid, [area], f"Housing options, {area}")
                placed.setdefault(key, {}).setdefault(f, []).append(sid)
    if services < len(out):
        raise ValueError(f"a national directory has at least {len(out)} services")

    pathways: set[tuple[str, str, float]] = set()
    template_of = {**FORCE_TEMPLATES, **LOCAL_TEMPLATES, **NATIONAL_TEMPLATES, **ALIASES}
    for p in shipped["pathways"]:
        src, dst, days = p["from_service"], p["to_service"], float(p["days"])
        dst_key = template_of[dst]
        for f in range(len(forces)):
            targets = placed[dst_key].get(f) or placed[dst_key].get(None, [])
            if src.startswith("entry:"):
                sources = [src]
            else:
                src_key = template_of[src]
                sources = placed[src_key].get(f) or placed[src_key].get(None, [])
            for a in sources:
                for b in targets:
                    if a != b:
                        pathways.add((a, b, days))

    # Local variety, up to the size asked for.
    force_of_area = {a: f for f, areas in enumerate(forces) for a in areas}
    all_areas = [a for areas in forces for a in areas]
    locals_by_area: dict[str, list[str]] = {}
    for i in range(services - len(out)):
        name, needs, base = EXTRA_KINDS[rng.randrange(len(EXTRA_KINDS))]
        if rng.random() < 0.7:
            area = all_areas[rng.randrange(len(all_areas))]
            f = force_of_area[area]
            areas = [area]
        else:
            f = rng.randrange(len(forces))
            areas = list(forces[f])
        sid = f"x{i:05d}-{_slug(name)}"
        eligibility = _vary(rng, base)
        eligibility["areas"] = areas
        self_referral = rng.random() < 0.6
        eligibility["self_referral"] = self_referral
        chosen_needs = list(needs[:1]) + [n for n in needs[1:] if rng.random() < 0.75]
        out.append(
            {
                "id": sid,
                "provider_id": f"provider-{sid}",
                "name": f"{name} ({areas[0] if len(areas) == 1 else f'force {f}'})",
                "description": f"{name}: a local service of the synthetic national directory.",
                "needs": chosen_needs,
                "specialisms": [needs[0]] if rng.random() < 0.5 else [],
                "eligibility": eligibility,
                "capacity": _capacity(rng, now, rng.choice((10, 20, 40, 80))),
                "response_hours": rng.choice((24, 48, 72, 120)),
                "contact": {"email": f"{sid}@example.org"},
            }
        )
        pathways.add(("entry:police", sid, rng.choice((1.0, 1.0, 2.0, 3.0))))
        if self_referral:
            pathways.add(("entry:self", sid, 2.0))
        pathways.add((f"f{f:02d}-triage", sid, rng.choice((0.5, 1.0))))
        pathways.add((sid, f"f{f:02d}-crisis", 0.5))
        neighbours = [n for a in areas for n in locals_by_area.get(a, ())]
        for n in rng.sample(neighbours, min(pathways_per_extra, len(neighbours))):
            pathways.add((sid, n, 1.0))
            pathways.add((n, sid, 1.0))
        for a in areas:
            locals_by_area.setdefault(a, []).append(sid)

    # One pathway per (from, to): the shortest declared.
    best: dict[tuple[str, str], float] = {}
    for a, b, days in pathways:
        if (a, b) not in best or days < best[(a, b)]:
            best[(a, b)] = days
    ordered = sorted(best.items())
    return {
        "version": f"synthetic-{services}-{seed}",
        "providers": [
            {"id": s["provider_id"], "name": s["name"]} for s in sorted(out, key=lambda s: s["id"])
        ],
        "services": sorted(out, key=lambda s: s["id"]),
        "pathways": [
            {"id": f"p{i}", "from_service": a, "to_service": b, "days": d}
            for i, ((a, b), d) in enumerate(ordered)
        ],
    }


def core_size() -> int:
    """How many services the core of the national directory has (the smallest size)."""
    forces = geography()
    return len(NATIONAL_TEMPLATES) + len(forces) * len(FORCE_TEMPLATES) + sum(map(len, forces))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _capacity(
    rng: random.Random, now: dt.datetime, maximum: int, closable: bool = True
) -> dict[str, Any]:
    roll = rng.random()
    status = "green" if roll < 0.6 else "amber" if roll < 0.85 or not closable else "red"
    available = 0 if status == "red" else rng.randint(1, maximum)
    updated = now - dt.timedelta(minutes=rng.randint(0, 36 * 60))
    return {
        "status": status,
        "available": available,
        "maximum": maximum,
        "updated": updated.isoformat().replace("+00:00", "Z"),
    }


def _vary(rng: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    e = _copy(base)
    e.setdefault("victim_roles", ["direct", "indirect"])
    if rng.random() < 0.2:
        e["victim_roles"] = ["direct", "indirect", "witness"]
    if rng.random() < 0.25:
        e["min_age"] = max(e.get("min_age") or 0, rng.choice((16, 18, 25)))
    if rng.random() < 0.1 and "sexes" not in e:
        e["sexes"] = ["female"]
    if rng.random() < 0.15:
        e["max_severity"] = 2
    elif rng.random() < 0.1:
        e["min_severity"] = 2
    if rng.random() < 0.1 and "incident_kinds" not in e:
        e["incident_kinds"] = sorted(rng.sample(ALL_KINDS, 6))
    return e


# ------------------------------------------------------------------------------- referrals

# Incident mix: roughly the shape of police-recorded victim-based crime, with the specialist
# kinds the hub sees more of than their share of crime (they are referred more often).
KIND_WEIGHTS = {
    "violence": 24,
    "domestic_abuse": 16,
    "theft": 10,
    "burglary": 8,
    "criminal_damage": 8,
    "fraud": 6,
    "anti_social_behaviour": 5,
    "sexual_violence": 5,
    "stalking_harassment": 5,
    "vehicle_crime": 3,
    "hate_crime": 3,
    "robbery": 2,
    "road_traffic_collision": 1.5,
    "exploitation": 1,
    "honour_based_abuse": 0.5,
    "modern_slavery": 0.5,
    "homicide": 0.5,
    "other": 1,
}
# The needs each kind tends to bring, with how likely each is.
KIND_NEEDS: dict[str, tuple[tuple[str, float], ...]] = {
    "domestic_abuse": (
        ("domestic_abuse_advocacy", 0.9),
        ("accommodation", 0.3),
        ("emotional_support", 0.5),
        ("home_security", 0.3),
        ("family", 0.2),
        ("finance", 0.2),
    ),
    "sexual_violence": (
        ("sexual_violence_advocacy", 0.9),
        ("forensic_medical", 0.3),
        ("trauma_counselling", 0.5),
        ("health", 0.3),
    ),
    "stalking_harassment": (("emotional_support", 0.8), ("information_rights", 0.5)),
    "hate_crime": (("hate_crime_advocacy", 0.8), ("emotional_support", 0.5)),
    "homicide": (("bereavement_support", 1.0), ("court_support", 0.5), ("finance", 0.3)),
    "road_traffic_collision": (("bereavement_support", 0.5), ("practical_support", 0.6)),
    "burglary": (("home_security", 0.8), ("emotional_support", 0.4)),
    "fraud": (("finance", 0.7), ("emotional_support", 0.4)),
}
COMMON_NEEDS = (
    ("emotional_support", 0.5),
    ("information_rights", 0.4),
    ("practical_support", 0.3),
    ("health", 0.1),
    ("substance_misuse", 0.05),
    ("outlook", 0.1),
    ("social", 0.1),
    ("employment_education", 0.05),
)


def referral_bodies(
    count: int,
    *,
    seed: int,
    areas: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """``count`` referral bodies (API.md's shape) with a realistic mix of incident kinds, risk
    levels, ages and needs, for victims in ``areas`` (Cambridgeshire and Peterborough's six by
    default). Dates are relative to ``today`` (the benchmark's day by default).

    >>> bodies = referral_bodies(200, seed=3)
    >>> len(bodies), referral_bodies(200, seed=3) == bodies
    (200, True)
    >>> sorted({b["victim"]["area"] for b in bodies}) == sorted(CAMBS)
    True
    """
    rng = random.Random(seed)
    areas = tuple(areas or CAMBS)
    today = today or NOW.date()
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    out = []
    for i in range(count):
        kind = rng.choices(kinds, weights)[0]
        roll = rng.random()
        role = "direct" if roll < 0.8 else "indirect" if roll < 0.92 else "witness"
        if kind == "homicide":
            role = "indirect"
        age = rng.choice(
            (rng.randint(10, 17), rng.randint(18, 59), rng.randint(18, 59), rng.randint(60, 92))
        )
        sex = rng.choices(("female", "male", "other", "not_stated"), (50, 45, 1, 4))[0]
        needs: dict[str, int] = {}
        for need, p in (*KIND_NEEDS.get(kind, ()), *COMMON_NEEDS):
            if rng.random() < p and need not in needs:
                needs[need] = rng.choices((1, 2, 3), (4, 4, 2))[0]
        if not needs:
            needs["emotional_support"] = 1
        assessment: dict[str, Any] = {"needs": needs, "flags": []}
        if kind in ABUSE:
            assessment["dash_score"] = rng.choices(
                (rng.randint(0, 9), rng.randint(10, 13), rng.randint(14, 24)), (55, 30, 15)
            )[0]
            assessment["incidents_last_12_months"] = rng.choices(
                (0, 1, 2, 3, 4), (40, 30, 15, 10, 5)
            )[0]
            assessment["flags"] = ["risk_from_offender"] if rng.random() < 0.6 else []
        elif rng.random() < 0.1:
            assessment["risk_level"] = "medium"
        if rng.random() < 0.05:
            assessment["flags"].append("self_harm")
            needs["mental_health_crisis"] = 3
        if kind == "homicide":
            assessment["flags"].append("bereaved")
        occurred = today - dt.timedelta(days=rng.choice((0, 1, 2, 5, 10, 30, 200)))
        source = rng.choices(("police", "agency", "self"), (80, 10, 10))[0]
        reported = source != "self" or rng.random() < 0.3
        out.append(
            {
                "source": {"kind": source, "reference": f"BENCH/{seed}/{i:06d}"},
                "victim": {
                    "age": age,
                    "area": areas[rng.randrange(len(areas))],
                    "role": role,
                    "sex": sex,
                    "consent_to_share": rng.random() < 0.9,
                    "refused_services": [],
                    "contact": {
                        "channels": [rng.choice(("phone", "text", "email"))],
                        "safe_times": "weekdays 9-17",
                        "do_not_contact": False,
                    },
                },
                "incident": {
                    "kind": kind,
                    "reported_to_police": reported,
                    "occurred_on": occurred.isoformat(),
                    "reported_on": (occurred + dt.timedelta(days=rng.choice((0, 1)))).isoformat()
                    if occurred < today
                    else occurred.isoformat(),
                },
                "assessment": assessment,
            }
        )
    return out
