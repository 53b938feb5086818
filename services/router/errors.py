"""The router's domain errors; each carries its HTTP status (see services.common.errors)."""

from __future__ import annotations

from services.common.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnprocessableContentError,
)


class ReferralNotFoundError(NotFoundError):
    code = "referral_not_found"
    description = "No such referral (or it is not yours to see)"


class HandoverNotFoundError(NotFoundError):
    code = "handover_not_found"
    description = "No such handover (or it is another provider's)"


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"
    description = "The handover's current status does not allow this; `detail` names it"


class IdempotencyKeyReusedError(UnprocessableContentError):
    code = "idempotency_key_reused"
    description = "This Idempotency-Key was used before with a different body"


class IdempotencyInFlightError(ConflictError):
    code = "idempotency_in_flight"
    description = "A request with this Idempotency-Key is still being processed: retry shortly"


class NotTheLeadError(ForbiddenError):
    code = "not_the_lead"
    description = "Only the referrer, the lead provider or an admin may reassess"


class NotOnTheCaseError(ForbiddenError):
    code = "not_on_the_case"
    description = "Only the referrer, a provider still working on the case or an admin may ask"


class ReferralClosedError(ConflictError):
    code = "referral_closed"
    description = "The referral is closed"


class OverCapacityError(ConflictError):
    code = "over_capacity"
    description = (
        "The service has no places left by its confirmed capacity: accept anyway with an "
        "`over_capacity_reason`, or decline"
    )
