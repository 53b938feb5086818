"""Errors raised by graph/.

::

    PathwaysError                 the root: catch this to catch everything below
    ├── InputError                a referral or assessment that cannot be planned (names the field)
    └── DirectoryError            a directory document or snapshot that is not valid

Each carries ``field`` (a dotted path such as ``assessment.needs.refuge``, or ``""`` for the whole
document) and ``message`` in plain words.
"""

from __future__ import annotations


class PathwaysError(Exception):
    """Base of every error graph/ raises."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class InputError(PathwaysError):
    """A referral, assessment or victim fact that is not valid."""


class DirectoryError(PathwaysError):
    """A directory document that is not valid."""
