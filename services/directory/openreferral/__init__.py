"""An Open Referral (HSDS 3.1) export of the directory, open without a key (UK profile).

Our ids become stable uuid5s; eligibility becomes ``eligibility_description``, ``minimum_age``
and ``maximum_age``; areas become ``service_areas``; capacity becomes ``capacities``. Webhooks
are never exported.
"""
