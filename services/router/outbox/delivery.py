"""Webhook delivery: claim due outbox events, sign them, POST them, record what happened; and
the dead letters, for admins to list and replay.

A round (``Deliverer.run``):

1. **Claim.** One short write transaction leases up to ``batch_size`` due events to this worker
   (``claimed_by``, ``claimed_until = now + lease``) and counts the attempt; PostgreSQL picks
   them with ``FOR UPDATE SKIP LOCKED``, SQLite under ``BEGIN IMMEDIATE``. The transaction
   commits before any request is sent: no lock is held while waiting on a receiver. A worker
   that dies mid-round loses nothing: once its lease expires the events are due again.
2. **Deliver**, one event at a time, outside any transaction. The body is the event's
   ``payload`` as compact JSON, signed per Standard Webhooks (``webhook-id`` is the event id,
   the same on every attempt; ``webhook-timestamp`` and ``webhook-signature`` are made afresh
   for each attempt). An event is not started unless it can finish within the lease; the rest
   of the batch is handed back.
3. **Record** the outcomes, all of the round's in one short write transaction at its end (with
   the events handed back), each guarded by ``claimed_by`` (a worker that lost its lease
   changes nothing). A worker that dies mid-round has recorded none of them: once its lease
   runs out they are sent again, as at-least-once delivery allows:

   - 2xx: ``delivered``;
   - 410 Gone: ``dead`` at once ("gone": the receiver asked us to stop);
   - any other answer (3xx included: redirects are never followed), a timeout, a connection
     error or a refused target: tried again after an exponential backoff with full jitter,
     ``uniform(0, min(max, base · 2^(attempt-1)))``, but never sooner than ``Retry-After``
     (seconds or an HTTP date, capped at the same maximum) says; ``dead`` after
     ``webhook_max_attempts`` attempts;
   - no webhook target for the service: ``skipped``, with the reason. Providers without a
     webhook poll ``GET /handovers?status=requested``, so nothing is lost; an admin can replay
     a skipped event once a webhook exists.

**Where requests may go.** A target URL must be https (http only to a loopback address, and only
when ``allow_insecure_webhooks`` or ``allow_private_webhook_targets`` is set, for development),
with no user name or password. Its host is resolved and refused if any address is loopback,
private, link-local, multicast, reserved, unspecified or otherwise not globally routable (unless
``allow_private_webhook_targets``). The request then goes to the checked address itself (the
``Host`` header and TLS server name stay the host's), so a DNS answer that changes between the
check and the connection cannot redirect it. Because of that pinning, connections are never
kept alive: two host names on one address must not share a TLS connection. Proxies from the
environment are ignored for the same reason.

::

    UnusableTargetError      a target that cannot be sent to now: unsafe, unresolvable, bad secret
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import ipaddress
import json
import logging
import math
import random
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session
from standardwebhooks import Webhook

from services.common import audit
from services.common.auth.schemas import Principal
from services.common.db import utcnow, writer
from services.common.errors import ConflictError, NotFoundError, UnprocessableContentError
from services.common.pagination import Page, decode_cursor, page_of

from ..settings import RouterSettings
from . import repository
from .models import OutboxEvent
from .repository import DEAD, DELIVERED, PENDING, SKIPPED
from .schemas import OutboxEventPublic, OutboxStatus, UndeliveredStatus

log = logging.getLogger("pathways.router.webhooks")

USER_AGENT = "pathways-router-webhooks/1"
DEFAULT_BATCH_SIZE = 20
MIN_LEASE_SECONDS = 60.0
MAX_ERROR_LENGTH = 2000
MAX_CONNECTIONS = 4

Clock = Callable[[], dt.datetime]
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) → addresses``: the system resolver by default; tests inject their own."""


class UnusableTargetError(Exception):
    """The target cannot be sent to now (the message says why); the attempt counts as failed."""


# --------------------------------------------------------------------------- signing


def body_of(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact, ASCII-only JSON, the same on every attempt."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode(
        "ascii"
    )


def signed_headers(*, secret: str, webhook_id: str, at: dt.datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt (``UnusableTargetError`` for a bad secret)."""
    try:
        signer = Webhook(secret)
    except Exception:  # the library raises several kinds for a malformed secret
        raise UnusableTargetError(
            "the webhook secret is not a valid Standard Webhooks secret"
        ) from None
    when = at.astimezone(dt.UTC).replace(microsecond=0)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(when.timestamp())),
        "webhook-signature": signer.sign(msg_id=webhook_id, timestamp=when, data=body.decode()),
    }


# --------------------------------------------------------------------------- retries


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """The longest wait after failed attempt number ``attempt`` (1 for the first)."""
    return min(cap, base * 2.0 ** min(max(attempt - 1, 0), 64))


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform between 0 and the ceiling, so retries from many events spread out."""
    return rng.uniform(0.0, backoff_ceiling(attempt, base=base, cap=cap))


def retry_after_seconds(value: str | None, *, now: dt.datetime) -> float | None:
    """``Retry-After`` (RFC 9110 §10.2.3) in seconds from ``now``; None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text[:12]))  # past ~30,000 years it is capped anyway
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


# --------------------------------------------------------------------------- where requests go


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without repeats."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnusableTargetError(f"cannot resolve {host!r}: {exc}") from None
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """Any IPv4 address carried inside an IPv6 one (mapped, 6to4, Teredo), then the address."""
    found: list[IPAddress] = []
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
    return [*found, ip]


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` is no place for a webhook (a word for the kind of address), or None."""
    for each in _embedded(ip):
        for kind, bad in (
            ("loopback", each.is_loopback),
            ("unspecified", each.is_unspecified),
            ("link-local", each.is_link_local),
            ("multicast", each.is_multicast),
            ("reserved", each.is_reserved),
            ("private", each.is_private),
            ("not globally routable", not each.is_global),
        ):
            if bad:
                return kind
    return None


@dataclass(frozen=True, slots=True)
class Destination:
    """One checked address to send a target's requests to."""

    url: httpx.URL
    """The target URL with its host replaced by the checked address."""
    host_header: str
    server_name: str | None
    """The TLS server name (SNI and certificate check): the URL's host name; None for plain
    http or a URL that names an address."""
    address: str


def destinations(
    url: str, *, allow_private: bool, allow_http_loopback: bool, resolve: Resolver
) -> list[Destination]:
    """The checked addresses to send to for ``url``, or ``UnusableTargetError`` saying why none."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnusableTargetError(f"the webhook URL is not valid: {exc}") from None
    scheme = parsed.scheme
    if scheme not in ("https", "http"):
        raise UnusableTargetError(f"the webhook URL must use https, not {scheme or 'no scheme'}")
    if parsed.userinfo:
        raise UnusableTargetError("the webhook URL must not contain a user name or password")
    host = parsed.raw_host.decode("ascii")  # an international name in its IDNA (ASCII) form
    if not host:
        raise UnusableTargetError("the webhook URL names no host")
    port = parsed.port or (443 if scheme == "https" else 80)
    literal = _ip_or_none(host)
    raw = [host] if literal is not None else list(resolve(host, port))
    addresses = [a for a in (_ip_or_none(r) for r in raw) if a is not None]
    if not addresses:
        raise UnusableTargetError(f"{host!r} resolves to no usable address")
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise UnusableTargetError(
                    f"refused: {host!r} resolves to {address}, a {problem} address "
                    "(webhooks go to public addresses only)"
                )
    if scheme == "http":
        if not allow_http_loopback:
            raise UnusableTargetError("refused: the webhook URL must use https")
        if not all(a.is_loopback for a in addresses):
            raise UnusableTargetError("refused: plain http is allowed only to a loopback address")
    host_header = parsed.netloc.decode("ascii")
    server_name = host if scheme == "https" and literal is None else None
    return [
        Destination(
            url=parsed.copy_with(host=str(a)),
            host_header=host_header,
            server_name=server_name,
            address=str(a),
        )
        for a in addresses
    ]


def _ip_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


# --------------------------------------------------------------------------- one attempt


@dataclass(frozen=True, slots=True)
class Target:
    """Where a service's webhooks go (a copy of the directory's, kept by the router)."""

    service_id: str
    provider_id: str
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Claimed:
    """An event leased to this worker (a plain copy: no database session needed)."""

    id: str
    type: str
    service_id: str
    provider_id: str
    payload: dict[str, Any]
    attempts: int
    """Including the attempt about to be made."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went."""

    status_code: int | None = None
    error: str | None = None
    retry_after: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a round did with one event."""

    event_id: str
    status: OutboxStatus
    """``pending`` means "to be tried again" (at ``next_attempt_at``)."""
    attempts: int
    status_code: int | None
    error: str | None
    next_attempt_at: dt.datetime | None = None
    recorded: bool = True
    """False if the lease was lost before the outcome could be recorded."""


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def _answer_error(status: int) -> str:
    if 300 <= status < 400:
        return f"the receiver answered {status}, a redirect: redirects are not followed"
    return f"the receiver answered {status}"


class Deliverer:
    """Delivers due outbox events; one per worker, each with its own HTTP client."""

    def __init__(
        self,
        *,
        settings: RouterSettings,
        engine: Engine,
        name: str,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utcnow,
        resolve: Resolver = system_resolver,
        rng: random.Random | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        lease_seconds: float | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self._writer = writer(engine)
        """Made once: ``writer`` builds a new engine view (with its own option processing)."""
        self.name = name[:100]
        self.batch_size = batch_size
        timeout = settings.webhook_timeout_seconds
        self.attempt_seconds = settings.webhook_attempt_seconds
        """The longest one attempt should take: connect, send and read each get ``timeout``."""
        if lease_seconds is None:
            lease_seconds = settings.webhook_lease_seconds
        self.lease = dt.timedelta(
            seconds=lease_seconds
            if lease_seconds is not None
            else max(MIN_LEASE_SECONDS, 2 * self.attempt_seconds)
        )
        self._clock = clock
        self._resolve = resolve
        self._rng = rng or random.SystemRandom()
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=0),
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self._client.close()

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    # ------------------------------------------------------------------ a round

    def run(
        self, now: dt.datetime | None = None, *, halt: Callable[[], bool] | None = None
    ) -> list[Outcome]:
        """One round: claim due events and try each once. ``now`` fixes the time for the whole
        round (tests); otherwise the clock is read as the round goes. When ``halt()`` turns
        true (the worker is stopping), the events not yet tried are handed back."""
        clock: Clock = (lambda: now) if now is not None else self._clock
        started = clock()
        claimed = self.claim(started)
        if not claimed:
            return []
        lease_until = started + self.lease
        targets = self._targets({c.service_id for c in claimed})
        settled: list[tuple[Outcome, dt.datetime]] = []
        untried: list[str] = []
        for index, event in enumerate(claimed):
            out_of_time = clock() + dt.timedelta(seconds=self.attempt_seconds) > lease_until
            if out_of_time or (halt is not None and halt()):
                untried = [c.id for c in claimed[index:]]
                break
            outcome = self._settle(event, targets.get(event.service_id), clock)
            settled.append((outcome, clock()))
        return self._record(settled, untried)

    def claim(self, now: dt.datetime) -> list[Claimed]:
        """Lease up to ``batch_size`` due events to this worker (committed before returning)."""
        with Session(self.engine) as session:
            if not repository.any_due(session=session, now=now):
                return []
        with Session(self._writer, expire_on_commit=False) as session:
            events = repository.claim_due(
                session=session,
                now=now,
                worker=self.name,
                lease_until=now + self.lease,
                limit=self.batch_size,
            )
            claimed = [
                Claimed(
                    id=e.id,
                    type=e.type,
                    service_id=e.service_id,
                    provider_id=e.provider_id,
                    payload=dict(e.payload),
                    attempts=e.attempts,
                )
                for e in events
            ]
            session.commit()
        return claimed

    def _targets(self, service_ids: set[str]) -> dict[str, Target]:
        with Session(self.engine) as session:
            rows = repository.webhook_targets(session=session, service_ids=service_ids)
            return {
                r.service_id: Target(
                    service_id=r.service_id, provider_id=r.provider_id, url=r.url, secret=r.secret
                )
                for r in rows
            }

    # ------------------------------------------------------------------ one event

    def _settle(self, event: Claimed, target: Target | None, clock: Clock) -> Outcome:
        """Try ``event`` once (or skip it) and decide what happens next."""
        if target is None:
            return Outcome(
                event_id=event.id,
                status=OutboxStatus.SKIPPED,
                attempts=event.attempts - 1,
                status_code=None,
                error=f"not sent: service {event.service_id!r} has no webhook in the directory, "
                f"so provider {event.provider_id!r} polls GET /handovers instead",
            )
        if target.provider_id != event.provider_id:
            return Outcome(
                event_id=event.id,
                status=OutboxStatus.SKIPPED,
                attempts=event.attempts - 1,
                status_code=None,
                error=f"not sent: the webhook of service {event.service_id!r} now belongs to "
                f"provider {target.provider_id!r}, not {event.provider_id!r}",
            )
        try:
            attempt = self.attempt(event, target, at=clock())
        except Exception as exc:  # a bug must not stall the batch: it is a failed attempt
            log.exception("webhook %s: the attempt failed unexpectedly", event.id)
            attempt = Attempt(error=_short(f"could not send: {type(exc).__name__}: {exc}"))
        if attempt.delivered:
            return Outcome(
                event_id=event.id,
                status=OutboxStatus.DELIVERED,
                attempts=event.attempts,
                status_code=attempt.status_code,
                error=None,
            )
        error = attempt.error or "the delivery failed"
        if attempt.gone:
            return Outcome(
                event_id=event.id,
                status=OutboxStatus.DEAD,
                attempts=event.attempts,
                status_code=attempt.status_code,
                error="gone: the receiver answered 410 Gone, so no more attempts are made",
            )
        if event.attempts >= self.settings.webhook_max_attempts:
            return Outcome(
                event_id=event.id,
                status=OutboxStatus.DEAD,
                attempts=event.attempts,
                status_code=attempt.status_code,
                error=_short(f"gave up after {event.attempts} attempts; the last: {error}"),
            )
        now = clock()
        delay = self.retry_delay(event.attempts, attempt.retry_after, now=now)
        return Outcome(
            event_id=event.id,
            status=OutboxStatus.PENDING,
            attempts=event.attempts,
            status_code=attempt.status_code,
            error=_short(error),
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )

    def retry_delay(self, attempt: int, retry_after: str | None, *, now: dt.datetime) -> float:
        """Seconds to wait after failed attempt ``attempt``: the jittered backoff, but never less
        than the receiver's ``Retry-After`` (itself capped at the maximum backoff)."""
        cap = self.settings.webhook_backoff_max_seconds
        delay = backoff_seconds(
            attempt, base=self.settings.webhook_backoff_base_seconds, cap=cap, rng=self._rng
        )
        asked = retry_after_seconds(retry_after, now=now)
        if asked is not None:
            delay = max(delay, min(asked, cap))
        return delay

    def attempt(self, event: Claimed, target: Target, *, at: dt.datetime) -> Attempt:
        """One signed POST of ``event`` to ``target``; never raises for a failed delivery."""
        settings = self.settings
        body = body_of(event.payload)
        try:
            places = destinations(
                target.url,
                allow_private=settings.allow_private_webhook_targets,
                allow_http_loopback=settings.allow_insecure_webhooks
                or settings.allow_private_webhook_targets,
                resolve=self._resolve,
            )
            headers = signed_headers(secret=target.secret, webhook_id=event.id, at=at, body=body)
        except UnusableTargetError as exc:
            return Attempt(error=_short(str(exc)))
        headers["Content-Type"] = "application/json"
        unreachable: list[str] = []
        for place in places:
            request = self._client.build_request(
                "POST",
                place.url,
                content=body,
                headers={**headers, "Host": place.host_header},
                extensions={"sni_hostname": place.server_name} if place.server_name else None,
            )
            try:
                response = self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                unreachable.append(f"{place.address}: {exc}")
                continue  # the next address may answer
            except httpx.TimeoutException as exc:
                return Attempt(
                    error=f"timed out ({type(exc).__name__}) after "
                    f"{settings.webhook_timeout_seconds:g} s at {place.address}"
                )
            except httpx.HTTPError as exc:
                return Attempt(error=_short(f"{type(exc).__name__} at {place.address}: {exc}"))
            try:
                status = response.status_code
                retry_after = response.headers.get("Retry-After")
            finally:
                response.close()  # the body is not needed: the status says it all
            if 200 <= status < 300:
                return Attempt(status_code=status)
            return Attempt(status_code=status, error=_answer_error(status), retry_after=retry_after)
        return Attempt(error=_short("could not connect: " + "; ".join(unreachable)))

    def _record(
        self, settled: Sequence[tuple[Outcome, dt.datetime]], untried: Sequence[str]
    ) -> list[Outcome]:
        """Record the round's outcomes (each at the time it was settled) and hand back the
        events it did not try, in one short write transaction: one commit and, on SQLite, one
        turn of the write lock per round rather than per event. A worker that dies before this
        has recorded nothing of the round: once the lease runs out the events are sent again,
        which at-least-once delivery allows (the ``webhook-id`` tells the receiver)."""
        if not settled and not untried:
            return []
        with Session(self._writer) as session:
            recorded = [
                repository.finish(
                    session=session,
                    event_id=outcome.event_id,
                    worker=self.name,
                    values=self._values(outcome, at),
                )
                for outcome, at in settled
            ]
            repository.release(session=session, event_ids=untried, worker=self.name)
            session.commit()
        return [
            self._logged(outcome, kept)
            for (outcome, _), kept in zip(settled, recorded, strict=True)
        ]

    @staticmethod
    def _values(outcome: Outcome, now: dt.datetime) -> dict[str, Any]:
        values: dict[str, Any] = {
            "status": outcome.status.value,
            "attempts": outcome.attempts,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        if outcome.status is OutboxStatus.DELIVERED:
            values["delivered_at"] = now
        if outcome.next_attempt_at is not None:
            values["next_attempt_at"] = outcome.next_attempt_at
        return values

    def _logged(self, outcome: Outcome, recorded: bool) -> Outcome:
        if not recorded:
            log.warning(
                "webhook %s: the lease ran out before its outcome (%s) was recorded; "
                "another worker has it now",
                outcome.event_id,
                outcome.status.value,
            )
            return dataclasses.replace(outcome, recorded=False)
        if outcome.status is OutboxStatus.PENDING:
            log.info(
                "webhook %s attempt %d failed (%s); next at %s",
                outcome.event_id,
                outcome.attempts,
                outcome.error,
                outcome.next_attempt_at,
            )
        elif outcome.status is not OutboxStatus.DELIVERED:
            log.warning("webhook %s is %s: %s", outcome.event_id, outcome.status, outcome.error)
        return outcome


# --------------------------------------------------------------------------- dead letters

LISTING = "outbox.dead-letters"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


class OutboxEventNotFoundError(NotFoundError):
    code = "outbox_event_not_found"
    description = "No such outbox event"


class NotReplayableError(ConflictError):
    code = "not_replayable"
    description = "Only a dead or skipped event can be replayed"


def to_public(event: OutboxEvent) -> OutboxEventPublic:
    return OutboxEventPublic(
        id=event.id,
        type=event.type,
        service_id=event.service_id,
        provider_id=event.provider_id,
        referral_id=event.referral_id,
        handover_id=event.handover_id,
        status=OutboxStatus(event.status),
        attempts=event.attempts,
        next_attempt_at=event.next_attempt_at,
        last_status_code=event.last_status_code,
        last_error=event.last_error,
        created_at=event.created_at,
        delivered_at=event.delivered_at,
        payload=dict(event.payload),
    )


def _cursor_key(event: OutboxEvent) -> str:
    return f"{(event.created_at - _EPOCH) // _MICROSECOND}:{event.id}"


def _after(cursor: str | None) -> tuple[dt.datetime, str] | None:
    after = decode_cursor(LISTING, cursor)
    if after is None:
        return None
    micros, _, event_id = str(after).partition(":")
    if not event_id or not micros.isdigit():
        raise UnprocessableContentError.at(
            ["query", "cursor"], "is not a cursor this listing gave out", type="cursor_invalid"
        )
    return _EPOCH + int(micros) * _MICROSECOND, event_id


def list_undelivered(
    *,
    session: Session,
    status: UndeliveredStatus,
    cursor: str | None,
    limit: int,
    provider_id: str | None = None,
    service_id: str | None = None,
) -> Page[OutboxEventPublic]:
    """Dead-lettered (or skipped) events, oldest first, a page at a time."""
    rows = repository.page(
        session=session,
        statuses=[status.value],
        after=_after(cursor),
        limit=limit + 1,
        provider_id=provider_id,
        service_id=service_id,
    )
    return page_of(rows, limit=limit, listing=LISTING, key=_cursor_key, to_public=to_public)


def get_event(*, session: Session, event_id: str) -> OutboxEventPublic:
    event = repository.get(session=session, event_id=event_id)
    if event is None:
        raise OutboxEventNotFoundError(f"There is no outbox event {event_id!r}")
    return to_public(event)


def _audited(event: OutboxEvent) -> dict[str, Any]:
    return {
        "status": event.status,
        "attempts": event.attempts,
        "next_attempt_at": event.next_attempt_at.isoformat(),
        "last_status_code": event.last_status_code,
        "last_error": event.last_error,
    }


def replay(
    *, session: Session, event_id: str, by: Principal, now: dt.datetime
) -> OutboxEventPublic:
    """Send a dead or skipped event again from scratch: pending, due now, attempts reset. Its
    ``webhook-id`` stays the same, so a receiver that did get it once can tell."""
    event = repository.get(session=session, event_id=event_id, for_update=True)
    if event is None:
        raise OutboxEventNotFoundError(f"There is no outbox event {event_id!r}")
    if event.status not in (DEAD, SKIPPED):
        raise NotReplayableError(
            f"Outbox event {event_id!r} is {event.status}: only a dead or skipped event can be "
            "replayed"
            + (" (a pending one is already being retried)" if event.status == PENDING else "")
            + (" (it was delivered)" if event.status == DELIVERED else "")
        )
    before = _audited(event)
    event.status = PENDING
    event.attempts = 0
    event.next_attempt_at = now
    event.claimed_by = None
    event.claimed_until = None
    event.last_status_code = None
    event.last_error = None
    repository.save(session=session, event=event)
    audit.service.record(
        session=session,
        by=by,
        action="outbox.replay",
        entity_type="outbox_event",
        entity_id=event.id,
        before=before,
        after=_audited(event),
    )
    return to_public(event)
