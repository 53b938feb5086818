"""Planning: which services meet which needs, who leads, and who hands over to whom.

The rules (DESIGN.md §4), in the order the planner applies them:

1. Only services that serve the victim's area and list a need are candidates (indexes); they
   are read in order of preference until ``WALK_LIMIT`` usable ones are found.
2. A candidate is usable for a need when every eligibility check passes for that need, it is not
   red, the victim did not refuse it, it has not declined or let expire a handover for this
   victim, and a declared pathway reaches it from where the victim is.
3. Specialists first: for a need of severity 2+, or any need of a high-risk victim, only usable
   specialists are allowed when there is one.
4. Continuity: when the service already meeting a need is still allowed for it, it keeps it;
   otherwise, when services the victim already works with are allowed, only they are.
5. Cover every need with the cheapest set of services (each service costs the same, amber costs
   more, each day along the pathway costs a little; where the victim gave a language, an
   interpreter need or access needs, a service that does not meet them costs more:
   ``LANGUAGE_COST``, ``ACCESS_COST``); ties go to the set whose sorted ids sort first, so the
   same inputs always give the same plan. (The order candidates are read in does not depend on
   the victim, so in a very large directory a matching service past ``WALK_LIMIT`` usable ones
   is not seen; in a county's directory every candidate is read.)
6. The lead is the chosen service meeting the highest-ranked need (case-owning needs first; a
   high-risk victim's advocacy specialist before all), then the most severe.
7. The handover tree follows declared pathways from where the victim is (the entry node, or the
   current providers on a reassessment), cheapest first, preferring the lead as the sender.

Without consent to share, every handover is a signpost (the victim refers themselves), so the
plan starts from ``entry:self``.

>>> import datetime as dt
>>> from graph.codec import load_directory, referral_from_dict
>>> from graph.build import build_graph
>>> g = build_graph(load_directory())
>>> body = {"source": {"kind": "police"},
...         "victim": {"age": 34, "area": "E07000008", "consent_to_share": True},
...         "incident": {"kind": "domestic_abuse", "reported_to_police": True},
...         "assessment": {"dash_score": 16, "needs": {"domestic_abuse_advocacy": 3}}}
>>> now = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
>>> make_plan(g, referral_from_dict(body, today=now.date()), now=now).lead
'idva-cambridgeshire'
"""

from __future__ import annotations

import array
import datetime as dt
import itertools
import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from .access import AccessMatch, LanguageFit, access_match
from .build import (
    Capacities,
    PathSearch,
    PathwayGraph,
    Ranked,
    Reach,
    static_status_rank,
)
from .eligibility import CHECK_BITS, Context, Verdict, check, context, needs_to_meet
from .model import (
    CurrentHandover,
    Explanation,
    Plan,
    PlannedHandover,
    Referral,
    Rejection,
    Service,
    UnmetNeed,
)
from .vocabulary import (
    ENTRY_POLICE,
    ENTRY_SELF,
    LANGUAGE_NAMES,
    OPEN_STATUSES,
    CapacityStatus,
    Check,
    HandoverMode,
    HandoverStatus,
    Need,
    RiskLevel,
    Severity,
    SourceKind,
    primary_language,
)

LONDON = ZoneInfo("Europe/London")
STALE_AFTER = dt.timedelta(hours=24)
"""Capacity figures older than this are treated as unknown (amber)."""

SERVICE_COST = 1000
AMBER_COST = 400
DAY_COST = 100
TARGETING_BONUS = 10
LANGUAGE_COST = (0, 100, 300, 800)
"""What the victim's language costs at a service, by ``LanguageFit.rank``: spoken there (or not
asked) 0; an interpreter to book a day's worth; not declared (ask) more; declared and not
offered, nearly as much as another service. A preference, never an exclusion: the service may
still be the only one that can help."""
ACCESS_COST = 200
"""Each of the victim's access needs a service does not declare (to arrange or confirm)."""
"""Up to this much off per dimension (age, incident kinds, victim roles, sexes) in which a
service is aimed at fewer people: the service made for this victim wins a tie (e.g. the older
victims' service over the general one for a 72-year-old). Always less than half a day."""
SEARCH_LIMIT = 20_000
"""Set-cover search nodes before the planner falls back to a greedy cover."""
AVOID_ROUNDS = 8
"""Searches of the graph's cached paths (see ``_Planner.reach``) before a victim's own."""
WALK_LIMIT = 8
"""How many usable services the planner looks for per need. It reads a need's candidates in
order of preference (specialists for the need first, then open before waiting list before
closed, then the shortest pathway into the service, the most targeted, and by id) and stops
once it has this many it can use, so a plan in a national directory reads about as many
candidates as one in a county (bench/README.md says what still grows). Services the victim
already works with are always considered. No shipped area has this many candidates for one
need, so there every candidate is read."""

LEAD_ORDER_HIGH: tuple[Need, ...] = (
    Need.DOMESTIC_ABUSE_ADVOCACY,
    Need.SEXUAL_VIOLENCE_ADVOCACY,
    Need.HATE_CRIME_ADVOCACY,
    Need.YOUNG_VICTIM_SUPPORT,
    Need.BEREAVEMENT_SUPPORT,
    Need.MENTAL_HEALTH_CRISIS,
    Need.REFUGE,
    Need.EMOTIONAL_SUPPORT,
    Need.INFORMATION_RIGHTS,
    Need.PRACTICAL_SUPPORT,
)
"""Who owns the case of a high-risk victim: the advocate for the harm that makes the risk."""

LEAD_ORDER_OTHER: tuple[Need, ...] = (
    Need.SEXUAL_VIOLENCE_ADVOCACY,
    Need.YOUNG_VICTIM_SUPPORT,
    Need.BEREAVEMENT_SUPPORT,
    Need.HATE_CRIME_ADVOCACY,
    Need.EMOTIONAL_SUPPORT,
    Need.INFORMATION_RIGHTS,
    Need.PRACTICAL_SUPPORT,
    Need.DOMESTIC_ABUSE_ADVOCACY,
    Need.MENTAL_HEALTH_CRISIS,
    Need.REFUGE,
)
"""Who owns the case otherwise: victim support services before single-issue ones."""

ACTIVE_STATUSES = frozenset({HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS})
"""The victim is with a provider once it has accepted."""

ENTRY_NAMES = {ENTRY_POLICE: "the referrer", ENTRY_SELF: "the victim (self-referral)"}


def local_date(now: dt.datetime) -> dt.date:
    """The calendar day in England at ``now`` (an aware datetime)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(LONDON).date()


def effective_capacity(service: Service, now: dt.datetime) -> tuple[CapacityStatus, bool]:
    """The status the planner uses, and whether the figures are stale (> 24 h or unknown).

    Red stays red; stale green counts as amber (unknown).
    """
    cap = service.capacity
    stale = cap.updated is None or now - cap.updated > STALE_AFTER
    if cap.status is CapacityStatus.RED:
        return CapacityStatus.RED, stale
    if stale:
        return CapacityStatus.AMBER, True
    return cap.status, False


def _capacities(service: Service) -> Capacities:
    """``effective_capacity`` of the service while its figures are fresh, once they are stale,
    and the instant after which they are, worked out once per graph: the planner asks it of
    every usable candidate of every plan. Both answers come from ``effective_capacity`` itself,
    so its rules stay in one place. The instant is left out (None: ask ``effective_capacity``
    each time) where comparing with it might not give what its subtraction gives, a time zone
    with summer time; figures with no time are always stale."""
    cap = service.capacity
    if cap.updated is None:
        always = effective_capacity(service, _ALWAYS)
        return always, always, _ALWAYS
    fresh = effective_capacity(service, cap.updated)
    if not isinstance(cap.updated.tzinfo, dt.timezone) or cap.updated > _LAST_FRESH_UPDATE:
        return fresh, fresh, None
    turns = cap.updated + STALE_AFTER
    return fresh, effective_capacity(service, turns + _TICK), turns


_ALWAYS = dt.datetime.min.replace(tzinfo=dt.UTC)
_TICK = dt.timedelta(microseconds=1)
_LAST_FRESH_UPDATE = dt.datetime.max.replace(tzinfo=dt.UTC) - 2 * STALE_AFTER
"""Past this, ``updated + STALE_AFTER`` might not exist."""


class _Planner:
    """One planning run. Private: use ``make_plan``."""

    def __init__(
        self,
        graph: PathwayGraph,
        referral: Referral,
        *,
        now: dt.datetime,
        current: Sequence[CurrentHandover],
    ) -> None:
        self.graph = graph
        self.now = now
        self.ctx: Context = context(referral, as_of=local_date(now))
        victim = referral.victim
        self.consent = victim.consent_to_share
        self.mode = HandoverMode.WARM if self.consent else HandoverMode.SIGNPOST
        self.entry = (
            ENTRY_SELF if referral.source is SourceKind.SELF or not self.consent else ENTRY_POLICE
        )
        self.open = {h.service_id: h for h in current if h.status in OPEN_STATUSES}
        self.refused = victim.refused_services
        self.declined = {
            h.service_id
            for h in current
            if h.status in (HandoverStatus.DECLINED, HandoverStatus.EXPIRED)
            and h.service_id not in self.open
        }
        self.current_lead = next(
            (h.service_id for h in current if h.lead and h.service_id in self.open), None
        )
        self.active = sorted(sid for sid, h in self.open.items() if h.status in ACTIVE_STATUSES)
        self.high_risk = self.ctx.risk_level is RiskLevel.HIGH
        self.area = victim.area
        self.asks_access = bool(
            victim.language is not None or victim.interpreter or victim.access_needs
        )
        """The victim gave a language, an interpreter need or access needs: the plan prefers
        services that meet them (``access_cost``); otherwise they play no part at all."""
        self._access: dict[str, AccessMatch] = {}
        # Where the victim can be handed over from, in order of precedence on a tie: the
        # current lead, the other providers the victim is with, then the entry node.
        self.sources: list[str] = []
        if self.current_lead in self.active:
            self.sources.append(self.current_lead)
        self.sources.extend(sid for sid in self.active if sid != self.current_lead)
        self.sources.append(self.entry)
        self._victim_verdicts: dict[str, Verdict] = {}
        self._usable: dict[str, bool] = {}
        self._capacity: dict[str, tuple[CapacityStatus, bool]] = {}
        self._reach: dict[str, Reach | None] = {}
        self._own_search: PathSearch | None = None
        self._avoid: frozenset[str] = frozenset()
        self._shared: dict[frozenset[str], PathSearch] = {}

    # ----------------------------------------------------------------- checks

    def capacity(self, sid: str) -> tuple[CapacityStatus, bool]:
        """``effective_capacity`` of the service now."""
        cached = self._capacity.get(sid)
        if cached is None:
            known = self.graph.capacities.get(sid)
            if known is None:
                known = self.graph.capacities[sid] = _capacities(self.graph.services[sid])
            fresh, stale, stale_after = known
            if stale_after is None:
                cached = effective_capacity(self.graph.services[sid], self.now)
            else:
                cached = stale if self.now > stale_after else fresh
            self._capacity[sid] = cached
        return cached

    def blocked(self, sid: str) -> tuple[Check, ...]:
        """Failures that have nothing to do with eligibility rules."""
        out: list[Check] = []
        if self.capacity(sid)[0] is CapacityStatus.RED:
            out.append(Check.CAPACITY)
        if sid in self.ctx.referral.victim.refused_services:
            out.append(Check.REFUSED)
        if sid in self.declined:
            out.append(Check.DECLINED)
        return tuple(out)

    def victim_verdict(self, sid: str) -> Verdict:
        v = self._victim_verdicts.get(sid)
        if v is None:
            v = self._victim_verdicts[sid] = check(self.graph.services[sid], self.ctx)
        return v

    def usable(self, sid: str) -> bool:
        """May this service work with the victim at all (for any need)?"""
        known = self._usable.get(sid)
        if known is None:
            known = not self.victim_verdict(sid).failed and not self.blocked(sid)
            self._usable[sid] = known
        return known

    def area_usable(self) -> Callable[[str], bool]:
        """``usable`` for a search through the victim's area: the victim's checks of every
        service of the area worked out at once (``PathwayGraph.in_area_ranked``), since such
        a search may ask about all of them."""
        ranked = self.graph.in_area_ranked(self.area)
        unusable = ranked.closed
        for _, mask in ranked.rules.failed(self.ctx):
            unusable |= mask
        for sid in (*self.refused, *self.declined):
            pos = ranked.position.get(sid)
            if pos is not None:
                unusable |= 1 << pos
        position = ranked.position
        known = self._usable

        def usable(sid: str) -> bool:
            found = known.get(sid)
            if found is None:
                pos = position.get(sid)
                if pos is None:
                    return self.usable(sid)
                found = known[sid] = not unusable >> pos & 1
            return found

        return usable

    # ----------------------------------------------------------------- reach

    def reach(self, sid: str) -> Reach | None:
        """The cheapest pathway from where the victim is to a usable service in their area,
        through services that can work with the victim; None when there is none.

        On equal days the path with fewer handovers wins, then the path from the current lead,
        then other current providers, then the entry node, then the path whose ids sort first
        (``graph.build.PathSearch``). The graph keeps one search per source and area through
        every open service of the area (``reach_to``). When the best path it finds
        passes only through services this victim can use, it is also the best through those
        alone (it is the cheapest of more paths). When it passes through one the victim cannot
        use, the graph searches again without that service (and keeps that search too, for
        the next victim like this one); past ``AVOID_ROUNDS`` such rounds, or from the
        providers a victim is already with (a reassessment), the planner searches for this
        victim alone, only as far as each service it asks about.
        """
        if sid in self._reach:
            return self._reach[sid]
        if self._own_search is None and self.active:
            # Searches shared from a provider's node serve few other victims, and one from each
            # of the victim's providers costs more than one search from all of them.
            self._own_search = PathSearch(self.graph, self.sources, self.area, self.area_usable())
        if self._own_search is not None:
            return self._own_search.get(sid)
        # With no providers yet, the entry node is the only source.
        usable = self.usable
        for _ in range(AVOID_ROUNDS):
            search = self._shared.get(self._avoid)
            if search is None:
                search = self._shared[self._avoid] = self.graph.shared_search(
                    self.entry, self.area, self._avoid
                )
            found = self.graph.settle(search, sid)
            if found is None:
                self._reach[sid] = None
                return None
            unusable = [hop for hop in found.path[1:] if not usable(hop)]
            if not unusable:
                self._reach[sid] = found
                return found
            self._avoid |= frozenset(unusable)
        self._own_search = PathSearch(self.graph, self.sources, self.area, self.area_usable())
        return self._own_search.get(sid)

    def unreachable(self, sid: str) -> Check:
        """Why an eligible service no pathway reaches is rejected: a victim referring
        themselves to a service that takes no self-referrals, or no pathway."""
        self_only = self.entry == ENTRY_SELF and not self.active
        if self_only and not self.graph.services[sid].eligibility.accepts_self_referral:
            return Check.SELF_REFERRAL
        return Check.PATHWAY

    # ----------------------------------------------------------------- the walk

    def walk(self, ranked: Ranked) -> tuple[list[str], list[Rejection], int]:
        """Read a need's candidates in order of preference until ``WALK_LIMIT`` usable ones
        are found: the usable ones, the rejected ones (by id) and how many were read.

        Eligibility is checked for every candidate at once (``CandidateRules``: a bit mask
        per failed check), so the candidates that fail cost a bit each; only those that pass
        are looked at one by one, for a pathway. The rejected ones read come out of the masks,
        each as one object per candidate and set of failed checks, shared between plans.
        """
        failing = ranked.rules.failed(self.ctx)
        if ranked.closed:
            failing.append((_CAPACITY, ranked.closed))
        for bit, sids in ((_REFUSED, self.refused), (_DECLINED, self.declined)):
            mask = 0
            for sid in sids:
                pos = ranked.position.get(sid)
                if pos is not None:
                    mask |= 1 << pos
            if mask:
                failing.append((bit, mask))
        bad = 0
        for _, mask in failing:
            bad |= mask
        ids = ranked.ids
        read = len(ids)
        usable: list[str] = []
        unreachable: list[tuple[int, int]] = []
        known = self._usable
        for pos in _positions(((1 << read) - 1) & ~bad):
            sid = ids[pos]
            # Eligible for a need and not blocked, so it can work with the victim at all:
            # every check for a need is at least as strict as the same check for none.
            known[sid] = True
            if self.reach(sid) is None:
                unreachable.append((CHECK_BITS[self.unreachable(sid)], pos))
            else:
                usable.append(sid)
                if len(usable) >= WALK_LIMIT:
                    read = pos + 1
                    break
        # Each candidate read's set of failed checks (``CHECK_BITS``) in a 32-bit lane of
        # its own, put together a check at a time, so the cost per rejected candidate is a
        # few steps in C.
        n = len(ids)
        prefix = (1 << read) - 1
        lanes = 0
        for bit, whole in failing:
            mask = whole & prefix
            if mask:
                lanes |= _spread(mask) << _LANE_SHIFT[bit]
        for bit, pos in unreachable:
            lanes |= bit << 32 * pos
        codes = array.array("I")
        codes.frombytes(lanes.to_bytes(4 * n, "little"))
        if sys.byteorder == "big":
            codes.byteswap()
        if read * 4 < n:
            found = list(itertools.compress(range(read), codes))
            found.sort(key=ranked.id_rank.__getitem__)
        else:
            found = list(itertools.compress(ranked.by_id, map(codes.__getitem__, ranked.by_id)))
        rejected = ranked.rejections(found, map(codes.__getitem__, found))
        return usable, rejected, read

    # ----------------------------------------------------------------- the plan

    def run(self) -> Plan:
        needs = needs_to_meet(self.ctx)
        area = self.area

        allowed: dict[Need, list[str]] = {}
        rejections: dict[Need, list[Rejection]] = {}
        for need in needs:
            ranked = self.graph.ranked(need, area, self.preference(need))
            usable_here, rejected, cutoff = self.walk(ranked)
            # The services the victim already works with are always read, wherever they stand
            # in the order of preference.
            for sid in sorted(self.open):
                pos = ranked.position.get(sid)
                if pos is None or pos < cutoff:
                    continue  # not a candidate, or read already
                service = self.graph.services[sid]
                failed = list(check(service, self.ctx, need).failed) + list(self.blocked(sid))
                if not failed and self.reach(sid) is None:
                    failed.append(self.unreachable(sid))
                if failed:
                    rejected.append(Rejection(sid, _unique_checks(failed)))
                    rejected.sort(key=_service_id)
                else:
                    usable_here.append(sid)
            usable_here.sort()
            strict = self.ctx.severity(need) >= Severity.MODERATE or self.high_risk
            specialists = [s for s in usable_here if s in ranked.specialists]
            options = specialists if strict and specialists else usable_here
            # Continuity: the service already meeting this need keeps it; failing that, one
            # the victim already works with takes it on.
            holding = [s for s in options if s in self.open and need in self.open[s].needs]
            continuing = holding or [s for s in options if s in self.open]
            allowed[need] = continuing or options
            rejections[need] = rejected

        reach = {
            sid: r
            for sids in allowed.values()
            for sid in sids
            if (r := self.reach(sid)) is not None
        }
        cost = {sid: self.cost(sid, r) for sid, r in reach.items()}
        chosen = _cover([n for n in needs if allowed[n]], allowed, cost)
        assigned = self.assign(needs, allowed, chosen, cost)
        lead = self.choose_lead(assigned, cost)
        parents = self.tree(assigned, lead, reach)

        handovers = self.handovers(
            assigned=assigned,
            parents=parents,
            lead=lead,
            reach=reach,
            allowed=allowed,
            rejections=rejections,
        )
        unmet = tuple(
            UnmetNeed(need=n, severity=self.ctx.severity(n), reasons=tuple(rejections[n]))
            for n in needs
            if not allowed[n]
        )
        return Plan(
            directory_version=self.graph.version,
            entry=self.entry,
            lead=lead,
            mode=self.mode,
            handovers=handovers,
            unmet=unmet,
            implied=self.ctx.implied,
        )

    def preference(self, need: Need) -> Callable[[Service], tuple[object, ...]]:
        """The order in which a need's candidates are read (see ``WALK_LIMIT``)."""
        graph = self.graph

        def key(s: Service) -> tuple[object, ...]:
            return (
                need not in s.specialisms,
                static_status_rank(s),
                graph.min_in_days(s.id),
                -graph.targeting(s.id),
                s.id,
            )

        return key

    def access(self, sid: str) -> AccessMatch:
        cached = self._access.get(sid)
        if cached is None:
            cached = self._access[sid] = access_match(
                self.graph.services[sid], self.ctx.referral.victim
            )
        return cached

    def access_cost(self, sid: str) -> int:
        """How far the service is from the victim's language and access needs (0: no needs)."""
        if not self.asks_access:
            return 0
        m = self.access(sid)
        return LANGUAGE_COST[m.language.rank] + ACCESS_COST * len(m.to_arrange)

    def cost(self, sid: str, reach: Reach) -> int:
        # Weighed for every usable candidate of every need (8 each in a dense area), so the
        # parts that do not depend on the victim are worked out once per graph.
        status, _ = self.capacity(sid)
        fixed = self.graph.fixed_costs.get(sid)
        if fixed is None:
            bonus = round(TARGETING_BONUS * self.graph.targeting(sid))
            fixed = self.graph.fixed_costs[sid] = SERVICE_COST - bonus
        cost = (
            fixed
            + (AMBER_COST if status is CapacityStatus.AMBER else 0)
            + round(reach.days * DAY_COST)
        )
        return cost + self.access_cost(sid) if self.asks_access else cost

    def assign(
        self,
        needs: Sequence[Need],
        allowed: Mapping[Need, Sequence[str]],
        chosen: Iterable[str],
        cost: Mapping[str, int],
    ) -> dict[str, tuple[Need, ...]]:
        """Give each need to one chosen service: a specialist, then the cheapest, then by id."""
        chosen_set = set(chosen)
        out: dict[str, list[Need]] = {}
        for need in needs:
            options = [s for s in allowed[need] if s in chosen_set]
            if not options:
                continue
            best = min(
                options,
                key=lambda s: (need not in self.graph.services[s].specialisms, cost[s], s),
            )
            out.setdefault(best, []).append(need)
        return {sid: tuple(ns) for sid, ns in sorted(out.items())}

    def choose_lead(
        self, assigned: Mapping[str, tuple[Need, ...]], cost: Mapping[str, int]
    ) -> str | None:
        if not assigned:
            return None
        order = LEAD_ORDER_HIGH if self.high_risk else LEAD_ORDER_OTHER
        rank = {n: i for i, n in enumerate(order)}
        severity = self.ctx.severity

        def key(sid: str) -> tuple[int, int, bool, int, str]:
            needs = assigned[sid]
            return (
                min(rank.get(n, len(order)) for n in needs),
                -max(severity(n) for n in needs),
                sid != self.current_lead,
                cost[sid],
                sid,
            )

        return min(assigned, key=key)

    def tree(
        self,
        assigned: Mapping[str, tuple[Need, ...]],
        lead: str | None,
        reach: Mapping[str, Reach],
    ) -> dict[str, tuple[str, float]]:
        """Parent and tree distance of every service in the plan, coordinators included."""
        rank: dict[str, int] = {}
        if self.current_lead in self.active:
            rank[self.current_lead] = 0
        if lead is not None:
            rank.setdefault(lead, 1)
        for sid in self.active:
            rank.setdefault(sid, 2)
        placed: dict[str, float] = {self.entry: 0.0}
        placed.update({sid: 0.0 for sid in self.active})
        parents: dict[str, tuple[str, float]] = {}

        def place(sid: str) -> None:
            options = [
                (placed[p] + days, rank.get(p, 3 if p != self.entry else 4), p)
                for p, days in ((p, self.graph.pathway_days(p, sid)) for p in placed if p != sid)
                if days is not None
            ]
            if options:
                dist, _, parent = min(options)
            else:
                # No pathway from anyone already in the plan: go the cheapest way, and bring
                # in the services along it as coordinators.
                path = reach[sid].path
                for hop in path[1:-1]:
                    if hop not in placed:
                        place(hop)
                parent = path[-2]
                dist = placed[parent] + (self.graph.pathway_days(parent, sid) or 0.0)
            parents[sid] = (parent, dist)
            placed[sid] = dist

        # A handover already under way keeps its sender.
        for sid in sorted(s for s in assigned if s in self.open):
            parents[sid] = (self.open[sid].from_node, 0.0)
            placed[sid] = 0.0
        for sid in sorted(assigned, key=lambda s: (reach[s].days, s)):
            if sid not in parents:
                place(sid)
        # A coordinator is there only to pass the victim on: one that ended up passing no one
        # on (a later placement found a better sender) leaves the tree.
        while orphans := [
            c for c in parents if c not in assigned and c not in {p for p, _ in parents.values()}
        ]:
            for c in orphans:
                del parents[c]
        # A coordinator already under way stays while a service it handed over to stays.
        senders = [parents[s][0] for s in parents if s in self.open]
        while senders:
            sender = senders.pop()
            if sender in self.open and sender not in parents:
                parents[sender] = (self.open[sender].from_node, 0.0)
                senders.append(self.open[sender].from_node)
        return parents

    def handovers(
        self,
        *,
        assigned: Mapping[str, tuple[Need, ...]],
        parents: Mapping[str, tuple[str, float]],
        lead: str | None,
        reach: Mapping[str, Reach],
        allowed: Mapping[Need, Sequence[str]],
        rejections: Mapping[Need, Sequence[Rejection]],
    ) -> tuple[PlannedHandover, ...]:
        out: list[PlannedHandover] = []
        for sid in _tree_order(parents, lead):
            parent, _ = parents[sid]
            needs = assigned.get(sid, ())
            service = self.graph.services[sid]
            role = "lead" if sid == lead else "support" if needs else "coordinator"
            passed: set[Check] = set()
            confirm: set[Check] = set()
            verdicts = [check(service, self.ctx, n) for n in needs] or [self.victim_verdict(sid)]
            for v in verdicts:
                passed |= set(v.passed)
                confirm |= set(v.confirm)
            passed |= {Check.CAPACITY, Check.PATHWAY}
            if self.ctx.referral.victim.refused_services:
                passed.add(Check.REFUSED)
            if self.asks_access and self.consent:
                # Never on a signpost: the explanation would tell the provider about the victim.
                m = self.access(sid)
                if m.language in (LanguageFit.SPOKEN, LanguageFit.INTERPRETER):
                    passed.add(Check.LANGUAGE)
                if self.ctx.referral.victim.access_needs and not m.to_arrange:
                    passed.add(Check.ACCESS)
                confirm |= set(m.confirm)
            status, stale = self.capacity(sid)
            path = _tree_path(sid, parents)
            alternatives = sorted({s for n in needs for s in allowed[n] if s not in assigned})
            rejected = _merge_rejections([rejections[n] for n in needs])
            if sid in self.open:
                current_status = self.open[sid].status
            elif parent == self.entry or parent in self.active:
                current_status = HandoverStatus.REQUESTED
            else:
                current_status = HandoverStatus.PROPOSED
            out.append(
                PlannedHandover(
                    service_id=sid,
                    from_node=parent,
                    needs=needs,
                    mode=self.mode,
                    status=current_status,
                    lead=sid == lead,
                    explanation=Explanation(
                        role=role,
                        needs_met=needs,
                        specialist_for=tuple(n for n in needs if n in service.specialisms),
                        passed=_unique_checks(passed),
                        confirm=_unique_checks(confirm - passed),
                        path=path,
                        capacity=status,
                        capacity_stale=stale,
                        continuity=sid in self.open,
                        alternatives=tuple(alternatives),
                        rejected=rejected,
                        summary=self.summary(
                            service=service,
                            role=role,
                            needs=needs,
                            parent=parent,
                            status=status,
                            stale=stale,
                        ),
                    ),
                )
            )
        return tuple(out)

    def summary(
        self,
        *,
        service: Service,
        role: str,
        needs: Sequence[Need],
        parent: str,
        status: CapacityStatus,
        stale: bool,
    ) -> str:
        severity = self.ctx.severity
        parts: list[str] = []
        if role == "lead":
            parts.append(f"{service.name} leads the case.")
        elif role == "coordinator":
            parts.append(f"{service.name} passes the victim on along a declared pathway.")
        if needs:
            met = ", ".join(
                _need_words(n)
                + (" (specialist)" if n in service.specialisms else "")
                # A signpost shares nothing about the victim, not even how severe a need is.
                + (f" — {_SEVERITY_WORDS[severity(n)]}" if self.consent else "")
                for n in needs
            )
            parts.append(f"Meets: {met}.")
        sender = (
            ENTRY_NAMES.get(parent)
            or getattr(self.graph.services.get(parent), "name", None)
            or parent
        )
        verb = "signposted by" if self.mode is HandoverMode.SIGNPOST else "handed over by"
        parts.append(f"{verb.capitalize()} {sender}.")
        if status is CapacityStatus.AMBER:
            parts.append(
                "Capacity not confirmed in the last 24 hours."
                if stale
                else "Has a waiting list (amber)."
            )
        if service.id in self.open:
            parts.append("The victim already works with this service.")
        if self.asks_access and self.consent:
            parts.extend(_access_words(self.access(service.id), self.ctx.referral.victim.language))
        return " ".join(parts)


def _access_words(m: AccessMatch, language: str | None) -> list[str]:
    """The explanation's words on language and access (only for a victim who gave needs)."""
    named = LANGUAGE_NAMES.get(primary_language(language), language) if language else None
    theirs = named or "the victim's language"
    words = []
    if m.language is LanguageFit.SPOKEN:
        words.append(f"Works in {theirs}.")
    elif m.interpreter:
        words.append(f"Book an interpreter ({named})." if named else "Book an interpreter.")
    elif m.language is LanguageFit.UNKNOWN:
        words.append(f"Ask whether it can work in {theirs}.")
    elif m.language is LanguageFit.UNMET:
        words.append(f"It does not work in {theirs}: arrange an interpreter.")
    if m.to_arrange:
        needs = ", ".join(a.value.replace("_", " ") for a in sorted(m.to_arrange))
        words.append(f"Confirm it can offer: {needs}.")
    return words


_CAPACITY = CHECK_BITS[Check.CAPACITY]
_REFUSED = CHECK_BITS[Check.REFUSED]
_DECLINED = CHECK_BITS[Check.DECLINED]
_ZERO_ONE = bytes.maketrans(b"01", b"\x00\x01")
# A set of failed checks fits the 32-bit lane ``walk`` gives each candidate.
_LANE_SHIFT = {bit: bit.bit_length() - 1 for bit in CHECK_BITS.values()}
assert len(_LANE_SHIFT) <= 32 and array.array("I").itemsize == 4


def _spread(mask: int) -> int:
    """``mask`` with bit ``i`` moved to bit ``32 * i``."""
    bits = format(mask, "b")[::-1].encode().translate(_ZERO_ONE)
    lanes = bytearray(4 * len(bits))
    lanes[::4] = bits
    return int.from_bytes(lanes, "little")


def _positions(mask: int) -> Iterator[int]:
    """The positions of the bits set in ``mask``, lowest first."""
    bits = format(mask, "b")[::-1].encode().translate(_ZERO_ONE)
    return itertools.compress(range(len(bits)), bits)


_SEVERITY_WORDS = {
    Severity.NONE: "no need",
    Severity.LOW: "low",
    Severity.MODERATE: "moderate",
    Severity.HIGH: "high",
}


def _need_words(need: Need) -> str:
    return need.value.replace("_", " ")


_CHECK_ORDER = {c: i for i, c in enumerate(Check)}


def _unique_checks(checks: Iterable[Check]) -> tuple[Check, ...]:
    return tuple(sorted(set(checks), key=_CHECK_ORDER.__getitem__))


_service_id = operator.attrgetter("service_id")


def _merge_rejections(lists: Sequence[Sequence[Rejection]]) -> tuple[Rejection, ...]:
    """One rejection per service (every check it failed for any of the needs), by id. Each
    list is by id already, with each service once."""
    lists = [rejected for rejected in lists if rejected]
    if len(lists) <= 1:
        return tuple(lists[0]) if lists else ()
    # Sorted runs, one after another: sorting merges them (stably), and each service's
    # rejections, one per list it is in, end up side by side. Hundreds per plan at 50,000
    # services, so each step is one call over them all.
    merged = sorted(itertools.chain.from_iterable(lists), key=_service_id)
    ids = list(map(_service_id, merged))
    repeats = list(itertools.compress(range(1, len(ids)), map(operator.eq, ids, ids[1:])))
    # From the last, so that a service in three lists folds into its first rejection.
    for i in reversed(repeats):
        kept, other = merged[i - 1], merged.pop(i)
        if kept.failed != other.failed:
            merged[i - 1] = Rejection(
                kept.service_id, _unique_checks((*kept.failed, *other.failed))
            )
    return tuple(merged)


def _tree_path(sid: str, parents: Mapping[str, tuple[str, float]]) -> tuple[str, ...]:
    path = [sid]
    seen = {sid}
    node = sid
    while node in parents:
        node = parents[node][0]
        if node in seen:  # defensive: a tree has no cycles
            break
        seen.add(node)
        path.append(node)
    return tuple(reversed(path))


def _tree_order(parents: Mapping[str, tuple[str, float]], lead: str | None) -> list[str]:
    """Services in the order a reader follows the tree: by depth, the lead first, then by
    distance and id."""
    return sorted(parents, key=lambda s: (len(_tree_path(s, parents)), s != lead, parents[s][1], s))


def _cover(
    needs: Sequence[Need], allowed: Mapping[Need, Sequence[str]], cost: Mapping[str, int]
) -> tuple[str, ...]:
    """The cheapest set of services covering ``needs``; ties go to the smaller sorted id tuple.

    Branch and bound over the first uncovered need; falls back to a greedy cover past
    ``SEARCH_LIMIT`` search nodes (deterministic either way). A service is left out first when
    another covers all its needs and comes before it by (cost, id): no best cover can hold it,
    since swapping it for the other never costs more and sorts first.
    """
    # The search works on bit masks of the needs (bit i: needs[i]), which it combines at every
    # node: a dense area gives 8 options per need.
    bit = {need: 1 << i for i, need in enumerate(needs)}
    masks: dict[str, int] = {}
    for need in needs:
        need_bit = bit[need]
        for sid in allowed[need]:
            masks[sid] = masks.get(sid, 0) | need_bit
    kept: dict[str, int] = {}
    within_kept: set[int] = set()  # every subset of a kept service's needs
    for sid in sorted(masks, key=lambda s: (cost[s], s)):
        if masks[sid] not in within_kept:
            kept[sid] = mask = sub = masks[sid]
            while True:
                within_kept.add(sub)
                if not sub:
                    break
                sub = (sub - 1) & mask
    masks = kept
    allowed = {need: [s for s in allowed[need] if s in masks] for need in needs}
    best: tuple[int, tuple[str, ...]] | None = None
    nodes = 0
    cheapest = min(cost[s] for s in masks) if masks else 0
    widest = max((m.bit_count() for m in masks.values()), default=1)
    by_cost = {n: sorted(allowed[n], key=lambda s: (cost[s], s)) for n in needs}
    # Branch on the need with the fewest options, then in the needs' order (a stable sort): the
    # search still sees every cover, it just reaches the good ones sooner.
    branch_order = [
        (bit[n], [(sid, masks[sid], cost[sid]) for sid in by_cost[n]])
        for n in sorted(needs, key=lambda n: len(by_cost[n]))
    ]

    def search(uncovered: int, chosen: tuple[str, ...], total: int) -> None:
        nonlocal best, nodes
        nodes += 1
        # Each service covers at most `widest` needs and costs at least `cheapest`.
        bound = total + -(-uncovered.bit_count() // widest) * cheapest
        if best is not None and bound > best[0]:
            return
        if not uncovered:
            key = (total, tuple(sorted(chosen)))
            if best is None or key < best:
                best = key
            return
        if nodes > SEARCH_LIMIT:
            return
        options: list[tuple[str, int, int]] = []
        for need_bit, first in branch_order:  # the first need still uncovered (a loop here,
            if uncovered & need_bit:  # not a generator: this runs at every search node)
                options = first
                break
        for sid, mask, price in options:
            search(uncovered & ~mask, (*chosen, sid), total + price)

    search((1 << len(needs)) - 1, (), 0)
    if best is not None:
        return best[1]
    uncovered = (1 << len(needs)) - 1
    chosen: list[str] = []
    while uncovered:
        sid = min(masks, key=lambda s: (-(masks[s] & uncovered).bit_count() / cost[s], s))
        chosen.append(sid)
        uncovered &= ~masks[sid]
    return tuple(sorted(chosen))


def make_plan(
    graph: PathwayGraph,
    referral: Referral,
    *,
    now: dt.datetime,
    current: Sequence[CurrentHandover] = (),
) -> Plan:
    """Plan the victim's support from a directory graph.

    ``now`` (timezone-aware) fixes the day for incident ages and how fresh capacity is.
    ``current`` is the case so far (for re-planning): current providers are kept where they
    still fit, and services that declined or let a handover expire are not used again.
    """
    return _Planner(graph, referral, now=now, current=current).run()
