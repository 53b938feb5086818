"""Reading the console's pages in tests: forms, tokens, labels, and what the database holds."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from services.common.auth.service import hash_key
from services.directory.db import MIGRATIONS

CONSOLE = "/console"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, key: str, *, next_page: str = "") -> httpx2.Response:
    """Sign in through the form, as a browser does; returns the answer to the POST."""
    page = client.get(f"{CONSOLE}/sign-in")
    assert page.status_code == 200, page.text
    return client.post(
        f"{CONSOLE}/sign-in",
        data={"csrf_token": csrf_token(page.text), "key": key, "next": next_page},
    )


def signed_in(client: TestClient, key: str) -> TestClient:
    answer = sign_in(client, key)
    assert answer.status_code == 303, answer.text
    return client


def post_form(
    client: TestClient, path: str, data: dict[str, Any], *, token_from: str | None = None
) -> httpx2.Response:
    """Post a console form with the token of the page at ``token_from`` (``path`` by default)."""
    page = client.get(token_from or path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": csrf_token(page.text), **data})


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows each of the directory's tables holds, and its version."""
    with engine.connect() as connection:
        counts = {
            table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in sorted(MIGRATIONS.tables)
        }
        counts["version"] = int(
            connection.execute(text("SELECT version FROM directory_state")).scalar_one()
        )
    return counts


def revoke(engine: Engine, key: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE key_hash = :h"),
            {"h": hash_key(key)},
        )


# --------------------------------------------------------------------------- reading HTML


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]


class Page(HTMLParser):
    """What the accessibility checks need from a page: its language, title, form controls,
    labels, ids and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.controls: list[Control] = []
        self.label_for: set[str] = set()
        self.ids: Counter[str] = Counter()
        self.text_by_id: dict[str, str] = {}
        self.attrs_by_id: dict[str, dict[str, str]] = {}
        self._in_title = False
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "title" and not self.title:  # the page's, not an SVG element's
            self._in_title = True
        if "id" in a:
            self.ids[a["id"]] += 1
            self.text_by_id[a["id"]] = ""
            self.attrs_by_id[a["id"]] = a
        if tag == "label" and "for" in a:
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea", "button"):
            self.controls.append(Control(tag, a))
        if tag not in VOID:
            self._open.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if any(open_tag == tag for open_tag, _ in self._open):
            while self._open and self._open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        for _, element_id in self._open:
            if element_id is not None:
                self.text_by_id[element_id] += data


VOID = frozenset({"input", "br", "meta", "link", "img", "hr", "wbr", "source"})


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def unlabelled(page: Page) -> list[str]:
    """The form controls a person cannot tell apart by their label."""
    missing = []
    for c in page.controls:
        kind = c.attrs.get("type", "")
        if c.tag == "button" or kind in ("hidden", "submit"):
            continue
        named = c.attrs.get("id", "") in page.label_for or c.attrs.get("aria-label")
        if not named:
            missing.append(f"<{c.tag} name={c.attrs.get('name')!r} id={c.attrs.get('id')!r}>")
    return missing


def error_beside(page: Page, name: str) -> str:
    """The error message tied (aria-describedby) to the control named ``name`` (for a group of
    checkboxes, to their fieldset)."""
    for c in page.controls:
        if c.attrs.get("name") == name:
            attrs = c.attrs
            if attrs.get("type") == "checkbox":
                attrs = page.attrs_by_id["f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)]
            assert attrs.get("aria-invalid") == "true", attrs
            described = attrs.get("aria-describedby", "").split()
            errors = [page.text_by_id.get(i, "") for i in described if i.endswith("-error")]
            assert errors, f"{name}: no error is tied to it ({c.attrs})"
            return " ".join(e.strip() for e in errors)
    raise AssertionError(f"no control named {name!r}")


def form_values(html: str, form_class: str) -> dict[str, Any]:
    """What a browser would submit from the form with this class (selected options, checked
    boxes, text, textareas)."""

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside = False
            self.values: dict[str, Any] = {}
            self.select: str | None = None
            self.textarea: str | None = None

        def add(self, name: str, value: str) -> None:
            if name in self.values:
                current = self.values[name]
                self.values[name] = (
                    [*current, value] if isinstance(current, list) else [current, value]
                )
            else:
                self.values[name] = value

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "form" and form_class in a.get("class", "").split():
                self.inside = True
            if not self.inside:
                return
            if tag == "input" and "name" in a:
                if a.get("type") == "checkbox":
                    if "checked" in a:
                        self.add(a["name"], a.get("value", "on"))
                else:
                    self.add(a["name"], a.get("value", ""))
            elif tag == "select":
                self.select = a["name"]
                self.values.setdefault(self.select, "")
            elif tag == "option" and self.select and "selected" in a:
                self.values[self.select] = a.get("value", "")
            elif tag == "textarea":
                self.textarea = a["name"]
                self.values[self.textarea] = ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "form":
                self.inside = False
            elif tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

        def handle_data(self, data: str) -> None:
            if self.textarea:
                self.values[self.textarea] += data

    reader = Reader()
    reader.feed(html)
    return reader.values
