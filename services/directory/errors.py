"""The directory's own problem types (see ``services.common.errors`` for the tree).

::

    NotFoundError ── ProviderNotFoundError, ServiceNotFoundError, PathwayNotFoundError
    ConflictError ── AlreadyExistsError, ProviderHasServicesError, ServiceHasPathwaysError,
                     SelfReferralPathwaysError, NoSelfReferralError
"""

from __future__ import annotations

from services.common.errors import ConflictError, NotFoundError


class ProviderNotFoundError(NotFoundError):
    code = "provider_not_found"
    description = "No such provider"


class ServiceNotFoundError(NotFoundError):
    code = "service_not_found"
    description = "No such service (or, for a provider's key, not one it runs)"


class PathwayNotFoundError(NotFoundError):
    code = "pathway_not_found"
    description = "No such pathway"


class AlreadyExistsError(ConflictError):
    code = "already_exists"
    description = "An object with this id (or this pathway) already exists"


class ProviderHasServicesError(ConflictError):
    code = "provider_has_services"
    description = "The provider still runs services: delete or move them first"


class ServiceHasPathwaysError(ConflictError):
    code = "service_has_pathways"
    description = "Pathways still lead to or from the service: delete them first"


class SelfReferralPathwaysError(ConflictError):
    code = "self_referral_pathway"
    description = "An entry:self pathway leads to the service, so it must accept self-referrals"


class NoSelfReferralError(ConflictError):
    code = "no_self_referral"
    description = "The service does not accept self-referrals, so entry:self cannot lead to it"
