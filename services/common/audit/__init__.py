"""The append-only audit log: who changed what, when.

Every write a service makes calls ``service.record`` in the same transaction, so the change and
its record commit or roll back together. The table refuses UPDATE and DELETE (a trigger made by
each service's migration); ``GET /audit`` (admins) reads it oldest first.
"""

from . import service

__all__ = ["service"]
