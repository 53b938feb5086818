"""Delivering outbox events through an injected transport: signing, retries, dead letters,
skips, the SSRF guard and leases. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from standardwebhooks import Webhook

from services.common.db import writer
from services.router.outbox import repository
from services.router.outbox.delivery import Deliverer, backoff_ceiling, body_of
from services.router.outbox.schemas import OutboxStatus
from services.router.settings import RouterSettings

from .helpers import (
    HOOK_URL,
    PUBLIC_ADDRESS,
    SECRET,
    FakeClock,
    Receiver,
    add_events,
    add_target,
    event,
    public_resolver,
    resolver,
)

MakeDeliverer = Callable[..., Deliverer]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def make(
    settings: RouterSettings, engine: Engine, receiver: Receiver, clock: FakeClock
) -> Iterator[MakeDeliverer]:
    made: list[Deliverer] = []

    def make(**overrides: Any) -> Deliverer:
        options: dict[str, Any] = {
            "settings": settings,
            "engine": engine,
            "name": "worker-1",
            "transport": receiver.transport,
            "clock": clock,
            "resolve": public_resolver,
            "rng": random.Random(1),
            **overrides,
        }
        deliverer = Deliverer(**options)
        made.append(deliverer)
        return deliverer

    yield make
    for deliverer in made:
        deliverer.close()


def _run_until_settled(
    deliverer: Deliverer, clock: FakeClock, engine: Engine, event_id: str
) -> int:
    """Run rounds, moving the clock to each retry, until the event is no longer pending."""
    for rounds in range(1, 60):
        deliverer.run()
        row = event(engine, event_id)
        if row.status != OutboxStatus.PENDING:
            return rounds
        clock.now = max(clock.now + dt.timedelta(seconds=1), row.next_attempt_at)
    raise AssertionError("the event never settled")


def test_an_event_is_signed_posted_and_marked_delivered(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    [outcome] = make().run()
    assert outcome.status is OutboxStatus.DELIVERED and outcome.recorded
    [seen] = receiver.seen
    stored = event(engine, event_id)
    assert seen.body == body_of(stored.payload)  # the exact stored payload
    assert Webhook(SECRET).verify(seen.body, seen.headers) == stored.payload
    assert seen.headers["webhook-id"] == event_id
    assert seen.headers["content-type"] == "application/json"
    # Sent to the address that was checked, with the host's name for Host and TLS.
    assert seen.url == f"https://{PUBLIC_ADDRESS}/pathways"
    assert seen.headers["host"] == "hooks.example.org"
    assert seen.extensions["sni_hostname"] == "hooks.example.org"
    assert stored.status == "delivered"
    assert stored.attempts == 1
    assert stored.delivered_at == clock()
    assert stored.last_status_code == 204 and stored.last_error is None
    assert stored.claimed_by is None and stored.claimed_until is None
    assert make(name="worker-2").run() == []  # nothing left to do


def test_the_webhook_id_is_stable_across_retries_while_each_attempt_is_signed_afresh(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    receiver = Receiver(script=[500, 503, 200])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    deliverer = make(transport=receiver.transport)
    assert _run_until_settled(deliverer, clock, engine, event_id) == 3
    assert [s.headers["webhook-id"] for s in receiver.seen] == [event_id] * 3
    assert len({s.headers["webhook-signature"] for s in receiver.seen}) == 3
    stamps = [int(s.headers["webhook-timestamp"]) for s in receiver.seen]
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]
    for seen in receiver.seen:
        assert seen.body == receiver.seen[0].body
        Webhook(SECRET).verify(seen.body, seen.headers)
    stored = event(engine, event_id)
    assert stored.status == "delivered" and stored.attempts == 3


def test_failures_back_off_exponentially_with_full_jitter(
    make: MakeDeliverer, settings: RouterSettings, engine: Engine, clock: FakeClock
) -> None:
    receiver = Receiver(script=[500])
    add_target(engine)
    ids = add_events(engine, 12, now=clock())
    deliverer = make(transport=receiver.transport, rng=random.Random(11))
    base, cap = settings.webhook_backoff_base_seconds, settings.webhook_backoff_max_seconds
    for attempt in (1, 2, 3, 4):
        now = clock()
        outcomes = deliverer.run()
        assert len(outcomes) == len(ids)
        delays = [(event(engine, i).next_attempt_at - now).total_seconds() for i in ids]
        ceiling = backoff_ceiling(attempt, base=base, cap=cap)
        assert all(0 <= d <= ceiling for d in delays), (attempt, delays)
        assert len(set(delays)) == len(ids)  # jittered: the retries do not come back together
        assert max(delays) > ceiling / 2  # and the window really grows
        assert all(event(engine, i).attempts == attempt for i in ids)
        clock.advance(ceiling)
    assert all(event(engine, i).last_status_code == 500 for i in ids)


def test_nothing_is_retried_before_its_time(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    receiver = Receiver(script=[500, 204])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    deliverer = make(transport=receiver.transport)
    deliverer.run()
    due = event(engine, event_id).next_attempt_at
    assert due > clock()
    assert deliverer.run(now=due - dt.timedelta(microseconds=1)) == []
    assert [o.status for o in deliverer.run(now=due)] == [OutboxStatus.DELIVERED]


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("300", 300.0),
        ("Thu, 01 Jan 2099 00:00:00 GMT", 600.0),  # capped at webhook_backoff_max_seconds
        ("99999999", 600.0),
    ],
)
def test_retry_after_is_honoured_and_capped(
    make: MakeDeliverer, engine: Engine, clock: FakeClock, retry_after: str, expected: float
) -> None:
    receiver = Receiver(script=[(503, {"Retry-After": retry_after})])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    make(transport=receiver.transport).run()
    stored = event(engine, event_id)
    assert (stored.next_attempt_at - clock()).total_seconds() == expected
    assert stored.status == "pending" and stored.last_status_code == 503


def test_an_http_date_retry_after_counts_from_now(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    when = clock() + dt.timedelta(seconds=240)
    header = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    receiver = Receiver(script=[(429, {"Retry-After": header})])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    make(transport=receiver.transport).run()
    assert event(engine, event_id).next_attempt_at == when


def test_410_gone_dead_letters_at_once(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    receiver = Receiver(script=[410, 204])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    deliverer = make(transport=receiver.transport)
    [outcome] = deliverer.run()
    assert outcome.status is OutboxStatus.DEAD
    stored = event(engine, event_id)
    assert stored.status == "dead" and stored.attempts == 1 and stored.last_status_code == 410
    assert stored.last_error is not None and stored.last_error.startswith("gone")
    clock.advance(86_400)
    assert deliverer.run() == []
    assert len(receiver.seen) == 1


def test_the_last_failed_attempt_dead_letters(
    make: MakeDeliverer, settings: RouterSettings, engine: Engine, clock: FakeClock
) -> None:
    receiver = Receiver(script=[502])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    deliverer = make(transport=receiver.transport)
    assert _run_until_settled(deliverer, clock, engine, event_id) == settings.webhook_max_attempts
    stored = event(engine, event_id)
    assert stored.status == "dead"
    assert stored.attempts == settings.webhook_max_attempts == len(receiver.seen)
    assert stored.last_error == (
        f"gave up after {settings.webhook_max_attempts} attempts; "
        "the last: the receiver answered 502"
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 429, 500, 502, 504])
def test_other_answers_are_retried(
    make: MakeDeliverer, engine: Engine, clock: FakeClock, status: int
) -> None:
    receiver = Receiver(script=[status])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    [outcome] = make(transport=receiver.transport).run()
    assert outcome.status is OutboxStatus.PENDING
    stored = event(engine, event_id)
    assert stored.status == "pending" and stored.last_status_code == status
    assert stored.last_error == f"the receiver answered {status}"


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    receiver = Receiver(script=[(307, {"Location": "https://10.0.0.1/steal"})])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    [outcome] = make(transport=receiver.transport).run()
    assert outcome.status is OutboxStatus.PENDING
    assert [s.url for s in receiver.seen] == [f"https://{PUBLIC_ADDRESS}/pathways"]
    stored = event(engine, event_id)
    assert stored.last_status_code == 307
    assert stored.last_error is not None and "redirect" in stored.last_error


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (httpx.ReadTimeout("slow"), "timed out (ReadTimeout)"),
        (httpx.ConnectTimeout("slow"), "timed out (ConnectTimeout)"),
        (httpx.ConnectError("refused"), "could not connect"),
        (httpx.RemoteProtocolError("garbage"), "RemoteProtocolError"),
    ],
)
def test_timeouts_and_connection_errors_are_retried(
    make: MakeDeliverer, engine: Engine, clock: FakeClock, error: Exception, words: str
) -> None:
    receiver = Receiver(script=[error])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    [outcome] = make(transport=receiver.transport).run()
    assert outcome.status is OutboxStatus.PENDING
    stored = event(engine, event_id)
    assert stored.status == "pending" and stored.last_status_code is None
    assert stored.last_error is not None and words in stored.last_error
    assert stored.next_attempt_at >= clock()


def test_the_next_address_is_tried_when_one_refuses_connections(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    receiver = Receiver(script=[httpx.ConnectError("refused"), 204])
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    answers = {"hooks.example.org": ["2606:4700::1111", PUBLIC_ADDRESS]}
    [outcome] = make(transport=receiver.transport, resolve=resolver(answers)).run()
    assert outcome.status is OutboxStatus.DELIVERED
    assert [s.url for s in receiver.seen] == [
        "https://[2606:4700::1111]/pathways",
        f"https://{PUBLIC_ADDRESS}/pathways",
    ]
    assert event(engine, event_id).attempts == 1


@pytest.mark.parametrize(
    ("url", "answers", "words"),
    [
        ("https://internal.example.org/h", {"internal.example.org": ["10.0.0.5"]}, "private"),
        ("https://meta.example.org/h", {"meta.example.org": ["169.254.169.254"]}, "link-local"),
        ("https://127.0.0.1:8443/h", {}, "loopback"),
        ("http://hooks.example.org/h", {"hooks.example.org": [PUBLIC_ADDRESS]}, "https"),
    ],
)
def test_unsafe_targets_get_no_request_and_are_retried_then_dead_lettered(
    *,
    make: MakeDeliverer,
    settings: RouterSettings,
    engine: Engine,
    receiver: Receiver,
    clock: FakeClock,
    url: str,
    answers: dict[str, list[str]],
    words: str,
) -> None:
    add_target(engine, url=url)
    [event_id] = add_events(engine, now=clock())
    deliverer = make(resolve=resolver(answers))
    [outcome] = deliverer.run()
    assert outcome.status is OutboxStatus.PENDING
    assert outcome.error is not None and "refused" in outcome.error and words in outcome.error
    _run_until_settled(deliverer, clock, engine, event_id)
    assert event(engine, event_id).status == "dead"
    assert receiver.seen == []


def test_private_targets_are_allowed_when_settings_say_so(
    make: MakeDeliverer,
    settings: RouterSettings,
    engine: Engine,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    add_target(engine, url="http://127.0.0.1:9999/hook")
    # Due at the deliverer's own time: a clock of its own, read later, could be a second on
    # (FakeClock starts at the real time, to the second) and the event not due yet.
    add_events(engine, now=clock())
    allowed = settings.model_copy(update={"allow_private_webhook_targets": True})
    [outcome] = make(settings=allowed).run()
    assert outcome.status is OutboxStatus.DELIVERED
    assert receiver.seen[0].url == "http://127.0.0.1:9999/hook"
    assert "sni_hostname" not in receiver.seen[0].extensions


def test_a_malformed_secret_is_a_failed_attempt(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine, secret="whsec_!!!")
    [event_id] = add_events(engine, now=clock())
    [outcome] = make().run()
    assert outcome.status is OutboxStatus.PENDING
    assert "secret" in (event(engine, event_id).last_error or "")
    assert receiver.seen == []


def test_a_service_without_a_webhook_is_skipped_with_the_reason(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine, "svc-other")
    [event_id] = add_events(engine, now=clock())
    [outcome] = make().run()
    assert outcome.status is OutboxStatus.SKIPPED
    stored = event(engine, event_id)
    assert stored.status == "skipped" and stored.attempts == 0
    assert stored.last_error is not None
    assert "no webhook" in stored.last_error and "GET /handovers" in stored.last_error
    assert receiver.seen == []


def test_a_webhook_now_belonging_to_another_provider_is_not_used(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine, provider_id="prov-b")
    [event_id] = add_events(engine, now=clock(), provider_id="prov-a")
    [outcome] = make().run()
    assert outcome.status is OutboxStatus.SKIPPED
    assert "prov-b" in (event(engine, event_id).last_error or "")
    assert receiver.seen == []


def test_an_expired_lease_is_reclaimed_so_a_killed_worker_loses_nothing(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine)
    ids = add_events(engine, 3, now=clock())
    killed = make(name="killed")
    assert [c.id for c in killed.claim(clock())] == ids  # claimed, then the process dies
    survivor = make(name="survivor")
    clock.advance(killed.lease.total_seconds() - 1)
    assert survivor.run() == []  # the lease still holds
    clock.advance(1)
    outcomes = survivor.run()
    assert sorted(o.event_id for o in outcomes) == sorted(ids)
    for event_id in ids:
        stored = event(engine, event_id)
        assert stored.status == "delivered" and stored.attempts == 2  # the lost one counts
    assert sorted(s.headers["webhook-id"] for s in receiver.seen) == sorted(ids)


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_owner(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    add_target(engine)
    [event_id] = add_events(engine, now=clock())
    slow, other = make(name="slow"), make(name="other")
    slow.claim(clock())
    clock.advance(slow.lease.total_seconds())
    assert [c.id for c in other.claim(clock())] == [event_id]
    with Session(writer(engine)) as session:
        late = repository.finish(
            session=session, event_id=event_id, worker="slow", values={"status": "delivered"}
        )
        session.commit()
    assert late is False
    stored = event(engine, event_id)
    assert stored.status == "pending" and stored.claimed_by == "other"


def test_events_that_cannot_finish_within_the_lease_are_handed_back(
    make: MakeDeliverer, engine: Engine, clock: FakeClock
) -> None:
    add_target(engine)
    ids = add_events(engine, 5, now=clock())

    def slow(request: httpx.Request) -> httpx.Response:
        clock.advance(30)  # each delivery takes 30 s of the 60 s lease
        return httpx.Response(200)

    deliverer = make(transport=httpx.MockTransport(slow), lease_seconds=60)
    assert deliverer.attempt_seconds == 7  # 3 × the 2 s timeout + 1
    outcomes = deliverer.run()
    assert [o.event_id for o in outcomes] == ids[:2]  # at 60 s, a third could end at 67 s
    for event_id in ids[2:]:
        stored = event(engine, event_id)
        assert stored.status == "pending" and stored.claimed_by is None and stored.attempts == 0
    assert [o.event_id for o in deliverer.run()] == ids[2:4]


def test_a_halting_worker_hands_its_batch_back_untried(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine)
    ids = add_events(engine, 3, now=clock())
    assert make().run(halt=lambda: True) == []
    assert receiver.seen == []
    assert all(event(engine, i).claimed_by is None for i in ids)
    assert all(event(engine, i).attempts == 0 for i in ids)


def test_the_oldest_due_events_go_first_in_batches(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine)
    first = add_events(engine, 2, now=clock() - dt.timedelta(minutes=5))
    later = add_events(engine, 3, now=clock())
    deliverer = make(batch_size=3)
    assert [o.event_id for o in deliverer.run()][:2] == first
    assert len(deliverer.run()) == 2
    assert sorted(s.headers["webhook-id"] for s in receiver.seen) == sorted(first + later)


def test_a_different_hook_url_for_each_service(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    add_target(engine, "svc-a")
    add_target(engine, "svc-b", url="https://b.example.net/in", provider_id="prov-b")
    add_events(engine, now=clock())
    add_events(engine, now=clock(), service_id="svc-b", provider_id="prov-b")
    make().run()
    assert sorted((s.headers["host"], s.url.rsplit("/", 1)[1]) for s in receiver.seen) == [
        ("b.example.net", "in"),
        ("hooks.example.org", HOOK_URL.rsplit("/", 1)[1]),
    ]


def test_an_unexpected_error_is_a_failed_attempt_and_the_batch_goes_on(
    make: MakeDeliverer, engine: Engine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver(script=[RuntimeError("a bug"), 204])
    add_target(engine)
    ids = add_events(engine, 2, now=clock())
    outcomes = make(transport=receiver.transport).run()
    assert [o.status for o in outcomes] == [OutboxStatus.PENDING, OutboxStatus.DELIVERED]
    assert event(engine, ids[0]).last_error == "could not send: RuntimeError: a bug"
    assert "failed unexpectedly" in caplog.text


def test_an_international_host_is_resolved_and_named_in_its_ascii_form(
    make: MakeDeliverer, engine: Engine, receiver: Receiver, clock: FakeClock
) -> None:
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(f"{host}:{port}")
        return [PUBLIC_ADDRESS]

    add_target(engine, url="https://bücher.example:8443/hook")
    add_events(engine, now=clock())
    [outcome] = make(resolve=resolve).run()
    assert outcome.status is OutboxStatus.DELIVERED
    assert asked == ["xn--bcher-kva.example:8443"]
    [seen] = receiver.seen
    assert seen.headers["host"] == "xn--bcher-kva.example:8443"
    assert seen.extensions["sni_hostname"] == "xn--bcher-kva.example"
