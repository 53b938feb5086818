"""graph: the pure pathway engine of Pathways.

Plain data in, plain data out, deterministic, no I/O beyond reading the shipped directory file.
It builds the pathway graph (networkx) from a directory snapshot, checks eligibility, plans warm
handovers, re-plans as needs change and explains every choice.

>>> import datetime as dt
>>> g = build_graph(load_directory())
>>> now = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
>>> body = {"source": {"kind": "police"},
...         "victim": {"age": 30, "area": "E06000031", "consent_to_share": True},
...         "incident": {"kind": "domestic_abuse", "reported_to_police": True},
...         "assessment": {"dash_score": 15, "needs": {"domestic_abuse_advocacy": 3}}}
>>> make_plan(g, referral_from_dict(body, today=now.date()), now=now).lead
'idva-peterborough'
"""

from .access import AccessMatch, LanguageFit, access_match
from .build import PathwayGraph, build_graph
from .codec import (
    assessment_from_dict,
    canonical_json,
    diff_to_dict,
    directory_from_dict,
    directory_to_dict,
    load_directory,
    load_directory_document,
    plan_to_dict,
    referral_from_dict,
)
from .deadlines import Deadlines, add_working_days, victims_code_deadlines
from .eligibility import Context, Verdict, check, context
from .errors import DirectoryError, InputError, PathwaysError
from .model import (
    Assessment,
    Capacity,
    ContactPreferences,
    CurrentHandover,
    Diff,
    Directory,
    Eligibility,
    Explanation,
    ImpliedNeed,
    Incident,
    Kept,
    Marac,
    Pathway,
    Plan,
    PlannedHandover,
    Reassessment,
    Referral,
    Rejection,
    Release,
    RiskAssessment,
    Service,
    UnmetNeed,
    Victim,
)
from .payload import handover_payload
from .plan import make_plan
from .reassess import reassess, releases_due
from .risk import assess_risk, level_from_dash
from .route import referral_response, route_offline
from .search import SearchHit, SearchResult, search
from .simulate import ServiceReport, SimulationResult, simulate, simulation_to_dict

__all__ = [
    "AccessMatch",
    "Assessment",
    "Capacity",
    "ContactPreferences",
    "Context",
    "CurrentHandover",
    "Deadlines",
    "Diff",
    "Directory",
    "DirectoryError",
    "Eligibility",
    "Explanation",
    "ImpliedNeed",
    "Incident",
    "InputError",
    "Kept",
    "LanguageFit",
    "Marac",
    "Pathway",
    "PathwayGraph",
    "PathwaysError",
    "Plan",
    "PlannedHandover",
    "Reassessment",
    "Referral",
    "Rejection",
    "Release",
    "RiskAssessment",
    "SearchHit",
    "SearchResult",
    "Service",
    "ServiceReport",
    "SimulationResult",
    "UnmetNeed",
    "Verdict",
    "Victim",
    "access_match",
    "add_working_days",
    "assess_risk",
    "assessment_from_dict",
    "build_graph",
    "canonical_json",
    "check",
    "context",
    "diff_to_dict",
    "directory_from_dict",
    "directory_to_dict",
    "handover_payload",
    "level_from_dash",
    "load_directory",
    "load_directory_document",
    "make_plan",
    "plan_to_dict",
    "reassess",
    "referral_from_dict",
    "referral_response",
    "releases_due",
    "route_offline",
    "search",
    "simulate",
    "simulation_to_dict",
    "victims_code_deadlines",
]
