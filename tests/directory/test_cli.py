"""The command line: db upgrade, seed, keys create, openapi, serve (parsing only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.cli import build_parser, main
from services.directory.app import create_app
from services.directory.settings import DirectorySettings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'directory.db'}"
    monkeypatch.setenv("PATHWAYS_DIRECTORY_DATABASE_URL", url)
    return url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_upgrade_seed_and_keys_make_a_working_directory(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(capsys, "db", "upgrade", "--service", "directory")
    assert status == 0, err
    assert _run(capsys, "db", "upgrade", "--service", "directory")[0] == 0  # again: no change
    status, out, err = _run(capsys, "seed")
    assert status == 0, err
    assert "services: 28 created" in out
    status, out, _ = _run(capsys, "seed")
    assert "services: 0 created, 0 updated, 28 unchanged" in out
    status, admin, err = _run(
        capsys, "keys", "create", "--service", "directory", "--role", "admin", "--name", "ops"
    )
    assert status == 0, err
    admin = admin.strip()
    assert admin.startswith("pwk_") and "\n" not in admin  # the key alone on standard output
    status, provider, _ = _run(
        capsys,
        "keys",
        "create",
        "--service",
        "directory",
        "--role",
        "provider",
        "--provider",
        "victim-support",
    )
    assert status == 0
    with TestClient(create_app(DirectorySettings(directory_database_url=database))) as client:
        assert client.get("/readyz").status_code == 200
        headers = {"Authorization": f"Bearer {admin}"}
        assert client.get("/services/idva-cambridgeshire", headers=headers).status_code == 200
        own = {"Authorization": f"Bearer {provider.strip()}"}
        r = client.put(
            "/services/victim-support-triage/capacity", json={"status": "amber"}, headers=own
        )
        assert r.status_code == 200, r.text


def test_replace_revokes_the_previous_key_of_that_name(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "db", "upgrade", "--service", "directory")
    argv = ("keys", "create", "--service", "directory", "--role", "referrer", "--name", "demo")
    first = _run(capsys, *argv)[1].strip()
    second = _run(capsys, *argv, "--replace")[1].strip()
    with TestClient(create_app(DirectorySettings(directory_database_url=database))) as client:
        assert (
            client.get("/providers", headers={"Authorization": f"Bearer {first}"}).status_code
            == 401
        )
        assert (
            client.get("/providers", headers={"Authorization": f"Bearer {second}"}).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--role", "provider"), "--provider"),
        (("--role", "provider", "--provider", "nobody"), "no provider 'nobody'"),
        (("--role", "admin", "--provider", "victim-support"), "only a provider key"),
        (("--role", "admin", "--name", "bad\nname"), "name"),
    ],
)
def test_keys_create_refuses_bad_requests_with_status_2(
    database: str, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    _run(capsys, "db", "upgrade", "--service", "directory")
    _run(capsys, "seed")
    status, out, err = _run(capsys, "keys", "create", "--service", "directory", *argv)
    assert status == 2
    assert out == ""
    assert message in err


def test_commands_on_an_unmigrated_database_say_what_to_run(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (("seed",), ("keys", "create", "--service", "directory", "--role", "admin")):
        status, out, err = _run(capsys, *argv)
        assert status == 1 and out == ""
        assert "pathways db upgrade --service directory" in err


def test_seed_reports_a_bad_file(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "db", "upgrade", "--service", "directory")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "1", "services": [{"id": "x"}], "pathways": []}))
    status, _, err = _run(capsys, "seed", "--file", str(bad))
    assert status == 2 and "services[0]" in err
    status, _, err = _run(capsys, "seed", "--file", str(tmp_path / "missing.json"))
    assert status == 2 and "cannot read" in err


def test_an_unsupported_database_url_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATHWAYS_DIRECTORY_DATABASE_URL", "mysql://x@localhost/db")
    status, _, err = _run(capsys, "db", "upgrade", "--service", "directory")
    assert status == 2 and "unsupported" in err


def test_openapi_writes_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "directory.json"
    assert _run(capsys, "openapi", "directory", "--output", str(target))[0] == 0
    assert json.loads(target.read_text())["info"]["title"] == "Pathways directory"
    status, out, _ = _run(capsys, "openapi", "directory")
    assert status == 0 and json.loads(out) == json.loads(target.read_text())


def test_serve_defaults_to_loopback_and_the_services_port() -> None:
    args = build_parser().parse_args(["serve", "directory"])
    assert (args.service, args.host, args.port) == ("directory", "127.0.0.1", None)
    args = build_parser().parse_args(["serve", "directory", "--host", "0.0.0.0", "--port", "9001"])
    assert (args.host, args.port) == ("0.0.0.0", 9001)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "elsewhere"])
