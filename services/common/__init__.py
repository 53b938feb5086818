"""Infrastructure shared by the Pathways HTTP services (directory, router).

Nothing here knows about a particular service's data. Each service brings its own settings
subclass, tables, migrations and routes, and reuses from here:

- ``settings``: the ``PATHWAYS_`` settings base and its production guards;
- ``db``: the engine (SQLite in WAL mode, or PostgreSQL), the request-scoped session that commits
  only at the request boundary, a UTC datetime column type;
- ``migrations``: Alembic upgrade and the schema-at-head check behind ``/readyz``;
- ``errors``: the problem type tree and the one handler that renders every error as
  ``application/problem+json`` (RFC 9457);
- ``auth``: API keys stored as hashes, principals and role dependencies;
- ``audit``: the append-only audit log and its ``GET /audit`` endpoint;
- ``etag``, ``pagination``, ``health``, ``openapi``, ``spec``: small pieces every service needs.
"""
