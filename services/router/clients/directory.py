"""A typed client for the directory: ``GET /snapshot`` and ``GET /webhook-targets``.

One client per outbound dependency, with its own errors and an injectable transport (tests use
``httpx.MockTransport`` or a real server on loopback). Every call has a timeout and is retried
on connection errors, timeouts and 5xx, with a short backoff. Every call sends ``X-Request-ID``:
the id of the request being served, so one id follows it into the directory's logs, or a fresh
one for a call made outside a request (the worker, start-up), the same on each retry.

::

    DirectoryClientError        the root
    ├── DirectoryUnavailableError   no answer (down, timing out, 5xx)
    └── DirectoryRefusedError       an unusable answer (401/403/4xx, bad JSON)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from services.common.observability.request_id import REQUEST_ID_HEADER, outbound_request_id

RETRY_PAUSE_SECONDS = 0.2


class DirectoryClientError(Exception):
    """The directory could not give what was asked."""


class DirectoryUnavailableError(DirectoryClientError):
    """No answer: connection refused, timeout, or a server error after every retry."""


class DirectoryRefusedError(DirectoryClientError):
    """An answer that is not usable: a 4xx (wrong key?) or a body that is not JSON."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A document and its ETag."""

    document: dict[str, Any]
    etag: str | None


class DirectoryClient:
    """``snapshot()`` and ``webhook_targets()``; ``None`` means "not modified" (304)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        timeout: float = 3.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "pathways-router"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._retries = retries
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def snapshot(self, *, etag: str | None = None) -> Fetched | None:
        return self._get("/snapshot", etag)

    def webhook_targets(self, *, etag: str | None = None) -> Fetched | None:
        return self._get("/webhook-targets", etag)

    def _get(self, path: str, etag: str | None) -> Fetched | None:
        headers = {REQUEST_ID_HEADER: outbound_request_id()}
        if etag:
            headers["If-None-Match"] = etag
        last: str = "no attempt made"
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(RETRY_PAUSE_SECONDS * attempt)
            try:
                response = self._client.get(path, headers=headers)
            except httpx.TimeoutException as exc:
                last = f"timed out ({type(exc).__name__})"
                continue
            except httpx.TransportError as exc:
                last = f"could not connect ({type(exc).__name__}: {exc})"
                continue
            if response.status_code >= 500:
                last = f"answered {response.status_code}"
                continue
            if response.status_code == 304:
                return None
            if response.status_code != 200:
                raise DirectoryRefusedError(
                    f"GET {path} answered {response.status_code}: {_detail(response)}"
                )
            try:
                document = response.json()
            except ValueError:
                raise DirectoryRefusedError(f"GET {path} did not answer with JSON") from None
            if not isinstance(document, dict):
                raise DirectoryRefusedError(f"GET {path} did not answer with a JSON object")
            return Fetched(document=document, etag=response.headers.get("ETag"))
        raise DirectoryUnavailableError(f"the directory is unavailable: GET {path} {last}")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])[:200]
    return str(body)[:200]
