"""Console sessions: a signed cookie, checked against the API keys on every request.

The cookie holds no secret: a random session nonce, the id of the admin key that signed in, a
fingerprint of that key's stored hash, and an expiry, signed with HMAC-SHA256 under the console
secret. Every request looks the key up again, so a revoked key (or one that is no longer an
admin's) signs its sessions out at once. Before sign-in the cookie carries only a nonce, so that
the sign-in form has a CSRF token too.

A form's CSRF token is an HMAC of the session nonce: it is put in a hidden field of every form
and compared (in constant time) on every POST. A new nonce is drawn at sign-in, so a token seen
before sign-in is worthless after it. The cookie is HttpOnly and SameSite=Strict, and Secure
unless the development setting says otherwise.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from services.common.auth.schemas import Principal, Role

from . import repository

COOKIE_NAME = "pathways_console"
SESSION_SECONDS = 8 * 3600
"""How long a signed-in session lasts (a working day), however active."""
FORMAT = 1
MAX_COOKIE_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class SessionData:
    """What the cookie says (once its signature and expiry have been checked)."""

    nonce: str
    key_id: str | None
    fingerprint: str | None
    expires: int


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A signed-in admin: the principal every change is audited as, and the form token."""

    principal: Principal
    csrf_token: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and reads session cookies, and makes and checks CSRF tokens, under one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the console secret must be at least 32 bytes")
        self._secret = secret

    def _mac(self, purpose: str, message: bytes) -> bytes:
        return hmac.new(self._secret, purpose.encode() + b"\x00" + message, hashlib.sha256).digest()

    # ----------------------------------------------------------------- cookies

    def new(self, *, key_id: str | None = None, key_hash: str | None = None) -> SessionData:
        """A new session (always with a new nonce): anonymous, or signed in as a key."""
        return SessionData(
            nonce=_b64(secrets.token_bytes(18)),
            key_id=key_id,
            fingerprint=self.fingerprint(key_hash) if key_hash is not None else None,
            expires=int(time.time()) + SESSION_SECONDS,
        )

    def fingerprint(self, key_hash: str) -> str:
        """Binds a session to one key's stored hash without revealing anything about it."""
        return _b64(self._mac("key", key_hash.encode()))[:22]

    def dumps(self, data: SessionData) -> str:
        payload = json.dumps(
            {
                "v": FORMAT,
                "n": data.nonce,
                "k": data.key_id,
                "f": data.fingerprint,
                "e": data.expires,
            },
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac('cookie', payload))}"

    def loads(self, cookie: str | None, *, now: float | None = None) -> SessionData | None:
        """The session in ``cookie``; None when it is missing, forged, malformed or expired."""
        if not cookie or len(cookie) > MAX_COOKIE_LENGTH or cookie.count(".") != 1:
            return None
        body, signature = cookie.split(".")
        try:
            payload, mac = _unb64(body), _unb64(signature)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(mac, self._mac("cookie", payload)):
            return None
        try:
            raw: Any = json.loads(payload)
        except ValueError:
            return None
        if not isinstance(raw, dict) or raw.get("v") != FORMAT:
            return None
        nonce, key_id, fingerprint, expires = raw.get("n"), raw.get("k"), raw.get("f"), raw.get("e")
        if not isinstance(nonce, str) or not isinstance(expires, int):
            return None
        if not isinstance(key_id, str | None) or not isinstance(fingerprint, str | None):
            return None
        if expires <= (time.time() if now is None else now):
            return None
        return SessionData(nonce=nonce, key_id=key_id, fingerprint=fingerprint, expires=expires)

    # ----------------------------------------------------------------- CSRF

    def csrf_token(self, data: SessionData) -> str:
        return _b64(self._mac("csrf", data.nonce.encode()))

    def csrf_holds(self, data: SessionData | None, token: object) -> bool:
        if data is None or not isinstance(token, str) or not token:
            return False
        return hmac.compare_digest(token.encode(), self.csrf_token(data).encode())

    # ----------------------------------------------------------------- who is signed in

    def user(self, *, session: Session, data: SessionData | None) -> ConsoleUser | None:
        """The admin this session belongs to, if its key is still active and still an admin's."""
        if data is None or data.key_id is None or data.fingerprint is None:
            return None
        key = repository.active_key(session=session, key_id=data.key_id)
        if key is None or key.role != Role.ADMIN.value:
            return None
        if not hmac.compare_digest(self.fingerprint(key.key_hash), data.fingerprint):
            return None
        principal = Principal(name=key.name, role=Role.ADMIN, key_id=key.id)
        return ConsoleUser(principal=principal, csrf_token=self.csrf_token(data))


def cookie_options(*, secure: bool, path: str) -> dict[str, Any]:
    """``Response.set_cookie`` arguments for the session cookie (a browser-session cookie: it
    goes when the browser closes, and the signed expiry ends it sooner)."""
    return {"httponly": True, "samesite": "strict", "secure": secure, "path": path}
