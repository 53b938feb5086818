"""API keys and principals: who is calling, and may they?

A key is shown once, when ``pathways keys create`` makes it; the database keeps only its SHA-256
hash. Each key is bound to a principal with a role (``admin``, ``referrer``, ``provider`` bound to
one provider id, ``service``). Endpoints declare what they need with the ``dependencies`` here.
"""
