"""An Open Referral (HSDS 3.1) export of the directory, open without a key (UK profile).

Our ids become stable uuid5s; eligibility becomes ``eligibility_description``, ``minimum_age``
and ``maximum_age``; areas become ``service_areas``; capacity becomes ``capacities``. Languages
become HSDS ``languages`` (ISO 639 ``code``) and ``interpretation_services``. Access needs
become service ``attributes`` of a Pathways access taxonomy: HSDS puts ``accessibility`` on
locations, and the directory holds no locations, so inventing one to hang them on would export
an address nobody gave. Webhooks are never exported.
"""
