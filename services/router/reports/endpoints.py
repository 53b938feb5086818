"""``/reports``: thin endpoints over ``reports.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.auth.dependencies import Admin
from services.common.db import AuditedReadSessionDep
from services.common.errors import (
    ForbiddenError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.inputs import IsoDate

from . import service
from .schemas import ReportFormat, SummaryReport

router = APIRouter(
    prefix="/reports",
    tags=["reports"],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)

CSV = "text/csv"

From = Annotated[
    IsoDate,
    Query(
        alias="from",
        description="First day of referrals received (YYYY-MM-DD, inclusive).",
    ),
]
To = Annotated[
    IsoDate,
    Query(
        alias="to",
        description="Last day of referrals received (YYYY-MM-DD, inclusive; on or after `from`, "
        f"at most {service.MAX_DAYS} days in all).",
    ),
]
Format = Annotated[
    ReportFormat,
    Query(
        alias="format",
        description="`json` (the default) or `csv`: one figure per row, with the columns "
        f"{', '.join(service.CSV_COLUMNS)}. The format is chosen here only; `Accept` is "
        "not consulted.",
    ),
]


@router.get(
    "/summary",
    operation_id="get_summary_report",
    summary="The commissioning report for a period",
    response_model=SummaryReport,
    responses={
        200: {
            "description": "The report: JSON, or CSV with `?format=csv`.",
            "content": {
                CSV: {
                    "schema": {"type": "string"},
                    "example": "section,dimension,group,measure,value\r\n"
                    "referrals,all,all,referrals,412\r\n",
                }
            },
        }
    },
)
def get_summary_report(
    *,
    session: AuditedReadSessionDep,
    by: Admin,
    start: From,
    end: To,
    output: Format = ReportFormat.JSON,
) -> SummaryReport | Response:
    """Admins. For the referrals received in the period: referrals by source (and how many
    victims did not report to the police), by incident kind and by risk level; the Victims'
    Code deadlines met, missed and pending; each service's hours to accept and to first
    contact (p50, p90) with its declines and expiries by reason; unmet needs by need and by
    area; outcomes by need; and the same rates by age band and by sex, with any group that
    stands far from the rest flagged. `notes` in the report defines every figure.

    `refer_by` is met when the first handover was requested on or before it; `first_update_by`
    when a service recorded first contact on or before it; a deadline not met and not yet past
    is pending. A group is flagged when a two-proportion z-test against the rest of the report
    gives |z| >= 3 with at least 20 on each side.

    Aggregate counts only (nothing identifies a case); counts are exact, so round or suppress
    small cells before publishing. The read is recorded in the audit log."""
    report = service.summary(session=session, start=start, end=end, by=by, output=output.value)
    if output is ReportFormat.CSV:
        name = f"pathways-summary-{start.isoformat()}-{end.isoformat()}.csv"
        return Response(
            content=service.to_csv(report),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report
