"""Writers racing each other: no lost update, no 500, one version per write."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .helpers import Api

WRITERS = 6


def test_racing_patches_with_one_etag_let_exactly_one_through(api: Api) -> None:
    api.create_provider()
    api.create_service()
    etag = api.get("/services/svc-a").headers["etag"]

    def patch(i: int) -> int:
        r = api.client.patch(
            "/services/svc-a",
            json={"name": f"Writer {i}"},
            headers={**api.as_("admin"), "If-Match": etag},
        )
        return r.status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = sorted(pool.map(patch, range(WRITERS)))
    assert statuses == [200] + [412] * (WRITERS - 1)
    winner = api.get("/services/svc-a").json()["name"]
    updates = api.get("/audit", params={"action": "service.update"}).json()["items"]
    assert [e["after"]["name"] for e in updates] == [winner]


def test_racing_writes_each_get_their_own_version(api: Api) -> None:
    api.create_provider()
    api.create_service()
    start = api.get("/snapshot", "service").json()["version"]

    def write(i: int) -> int:
        r = api.client.put(
            "/services/svc-a/capacity",
            json={"status": "amber", "available": i},
            headers=api.as_("provider_a"),
        )
        return r.status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        assert list(pool.map(write, range(WRITERS))) == [200] * WRITERS
    assert api.get("/snapshot", "service").json()["version"] == start + WRITERS
    events = api.get("/audit", params={"action": "capacity.update"}).json()["items"]
    assert len(events) == WRITERS
