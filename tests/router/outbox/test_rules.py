"""The pure parts of delivery: signing, backoff, Retry-After, and where requests may go."""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import json
import random

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.router.outbox.delivery import (
    UnusableTargetError,
    address_problem,
    backoff_ceiling,
    backoff_seconds,
    body_of,
    destinations,
    retry_after_seconds,
    signed_headers,
)

from .helpers import OTHER_SECRET, SECRET, public_resolver, real_now, resolver

# --------------------------------------------------------------------------- signing


def test_the_signature_verifies_with_the_standard_webhooks_library() -> None:
    payload = {"type": "handover.requested", "timestamp": "t", "data": {"name": "Zoë ✓"}}
    body = body_of(payload)
    headers = signed_headers(secret=SECRET, webhook_id="msg_1", at=real_now(), body=body)
    assert Webhook(SECRET).verify(body, headers) == payload
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER_SECRET).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body.replace(b"requested", b"cancelled"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body, {**headers, "webhook-id": "msg_2"})


def test_the_body_is_compact_ascii_json_and_the_same_every_time() -> None:
    payload = {"type": "x", "data": {"b": 1, "a": "é"}}
    body = body_of(payload)
    assert body == b'{"type":"x","data":{"b":1,"a":"\\u00e9"}}'
    assert json.loads(body) == payload
    assert body_of(json.loads(body)) == body


def test_the_timestamp_header_is_whole_seconds_of_the_attempt() -> None:
    at = dt.datetime(2026, 11, 26, 9, 30, 15, 999_999, tzinfo=dt.UTC)
    headers = signed_headers(secret=SECRET, webhook_id="msg_1", at=at, body=b"{}")
    assert headers["webhook-timestamp"] == str(int(at.replace(microsecond=0).timestamp()))
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"].startswith("v1,")
    later = signed_headers(
        secret=SECRET, webhook_id="msg_1", at=at + dt.timedelta(seconds=1), body=b"{}"
    )
    assert later["webhook-signature"] != headers["webhook-signature"]


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_***not base64***"])
def test_a_malformed_secret_is_a_target_problem(secret: str) -> None:
    with pytest.raises(UnusableTargetError, match="secret"):
        signed_headers(secret=secret, webhook_id="msg_1", at=real_now(), body=b"{}")


# --------------------------------------------------------------------------- backoff


def test_the_backoff_ceiling_doubles_up_to_the_maximum() -> None:
    ceilings = [backoff_ceiling(n, base=2.0, cap=60.0) for n in range(1, 9)]
    assert ceilings == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert backoff_ceiling(10_000, base=2.0, cap=3600.0) == 3600.0  # no overflow


def test_full_jitter_stays_within_the_ceiling_and_spreads() -> None:
    rng = random.Random(4)
    for attempt in range(1, 8):
        ceiling = backoff_ceiling(attempt, base=1.5, cap=50.0)
        samples = [backoff_seconds(attempt, base=1.5, cap=50.0, rng=rng) for _ in range(300)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > 0.8 * ceiling and min(samples) < 0.2 * ceiling
        assert len(set(samples)) > 250  # jittered, not one value


def test_the_average_backoff_grows_with_each_attempt() -> None:
    rng = random.Random(7)
    means = [
        sum(backoff_seconds(n, base=1.0, cap=1000.0, rng=rng) for _ in range(400)) / 400
        for n in range(1, 7)
    ]
    assert all(later > 1.5 * earlier for earlier, later in itertools.pairwise(means))


# --------------------------------------------------------------------------- Retry-After


NOW = dt.datetime(2026, 11, 26, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Thu, 26 Nov 2026 12:05:00 GMT", 300.0),
        ("Thu, 26 Nov 2026 11:00:00 GMT", 0.0),  # in the past: now
        ("99999999999999999999", 999_999_999_999.0),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "٣", "Thu, 99 Nov 2026"])
def test_an_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert retry_after_seconds(value, now=NOW) is None


# --------------------------------------------------------------------------- where requests go


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not globally routable"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", "reserved"),  # NAT64 around 10.0.0.1
    ],
)
def test_unsafe_addresses_are_named(address: str, kind: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_fine(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def _places(url: str, answers: dict[str, list[str]] | None = None, **flags: bool) -> list[str]:
    found = destinations(
        url,
        allow_private=flags.get("allow_private", False),
        allow_http_loopback=flags.get("allow_http_loopback", False),
        resolve=resolver(answers) if answers is not None else public_resolver,
    )
    return [str(d.url) for d in found]


def test_a_public_https_target_is_pinned_to_its_checked_address() -> None:
    [place] = destinations(
        "https://hooks.example.org:8443/p?x=1",
        allow_private=False,
        allow_http_loopback=False,
        resolve=public_resolver,
    )
    assert str(place.url) == "https://93.184.216.34:8443/p?x=1"
    assert place.host_header == "hooks.example.org:8443"
    assert place.server_name == "hooks.example.org"


def test_every_resolved_address_is_a_destination_in_order() -> None:
    answers = {"h.example.org": ["2606:4700::1111", "93.184.216.34"]}
    assert _places("https://h.example.org/x", answers) == [
        "https://[2606:4700::1111]/x",
        "https://93.184.216.34/x",
    ]


@pytest.mark.parametrize(
    ("url", "answers", "why"),
    [
        ("https://internal.example.org/", {"internal.example.org": ["10.0.0.5"]}, "private"),
        ("https://meta.example.org/", {"meta.example.org": ["169.254.169.254"]}, "link-local"),
        ("https://mixed.example.org/", {"mixed.example.org": ["8.8.8.8", "127.0.0.1"]}, "loop"),
        ("https://127.0.0.1/hook", {}, "loopback"),
        ("https://[::1]:8443/hook", {}, "loopback"),
        ("https://[::ffff:192.168.0.1]/", {}, "private"),
        ("http://hooks.example.org/", None, "https"),
        ("ftp://hooks.example.org/", None, "https"),
        ("https://user:pw@hooks.example.org/", None, "password"),
        ("https:///nohost", None, "host"),
        ("https://nowhere.example.org/", {"nowhere.example.org": []}, "no usable address"),
    ],
)
def test_unsafe_targets_are_refused_with_a_reason(
    url: str, answers: dict[str, list[str]] | None, why: str
) -> None:
    with pytest.raises(UnusableTargetError, match=why):
        _places(url, answers)


def test_http_is_allowed_only_to_loopback_and_only_when_development_says_so() -> None:
    loopback = {"localhost": ["::1", "127.0.0.1"]}
    with pytest.raises(UnusableTargetError, match="https"):
        _places("http://127.0.0.1:9000/h", allow_private=True)
    assert _places("http://127.0.0.1:9000/h", allow_private=True, allow_http_loopback=True) == [
        "http://127.0.0.1:9000/h"
    ]
    assert _places(
        "http://localhost:9000/h", loopback, allow_private=True, allow_http_loopback=True
    ) == ["http://[::1]:9000/h", "http://127.0.0.1:9000/h"]
    with pytest.raises(UnusableTargetError, match="loopback"):
        _places(
            "http://lan.example.org/",
            {"lan.example.org": ["192.168.1.10"]},
            allow_private=True,
            allow_http_loopback=True,
        )


def test_allow_private_lets_private_https_targets_through() -> None:
    assert _places(
        "https://lan.example.org/h", {"lan.example.org": ["192.168.1.10"]}, allow_private=True
    ) == ["https://192.168.1.10/h"]
