"""The console's pages. Thin, like the API's endpoints: read the form, call the directory's own
service functions, render a page or redirect (303) to one.

A form whose input the API would refuse is shown again, as typed, with each error beside its
field (422); a stale edit says that someone else changed the service (409). A domain error caught
here rolls the request's transaction back before the page is rendered, so that nothing a failed
service function touched is committed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Container
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from graph.vocabulary import AREA_CODE, ENTRY_NODES, CapacityStatus, Need
from services.common.auth import service as keys
from services.common.auth.schemas import Role
from services.common.db import SessionDep, utcnow
from services.common.errors import (
    PreconditionFailedError,
    PreconditionRequiredError,
    ProblemError,
)

from ..dependencies import SettingsDep, SnapshotsDep
from ..errors import AlreadyExistsError
from ..fields import PathId
from ..pathways import service as pathways
from ..pathways.schemas import PathwayCreate
from ..services import service as services
from ..services.schemas import CapacityIn, ServiceCreate, ServicePublic, ServiceUpdate
from ..snapshot.service import SnapshotCache
from . import forms, labels, repository
from . import service as views
from .forms import Form, Problems
from .session import COOKIE_NAME, ConsoleUser, cookie_options
from .web import (
    CsrfRefused,
    SignInRequired,
    base,
    console_context,
    redirect,
    render,
    safe_next,
)

router = APIRouter(include_in_schema=False)


# --------------------------------------------------------------------------- dependencies


async def read_form(request: Request) -> Form:
    return Form(await request.form())


FormDep = Annotated[Form, Depends(read_form)]


def signed_in(request: Request, session: SessionDep) -> ConsoleUser:
    """The admin signed in with this browser; otherwise off to the sign-in page."""
    signer = console_context(request).signer
    user = signer.user(session=session, data=signer.loads(request.cookies.get(COOKIE_NAME)))
    if user is None:
        raise SignInRequired()
    return user


UserDep = Annotated[ConsoleUser, Depends(signed_in)]


def posted_by(request: Request, user: UserDep, form: FormDep) -> ConsoleUser:
    """The signed-in admin, for a form that carries this session's CSRF token (else 403)."""
    signer = console_context(request).signer
    if not signer.csrf_holds(
        signer.loads(request.cookies.get(COOKIE_NAME)), form.text("csrf_token")
    ):
        raise CsrfRefused()
    return user


PosterDep = Annotated[ConsoleUser, Depends(posted_by)]


def _query(request: Request, name: str, allowed: Container[str] | None = None) -> str:
    """A query parameter, or "" when it is missing or not one of ``allowed``."""
    value = request.query_params.get(name, "").strip()
    if allowed is not None and value not in allowed:
        return ""
    return value[:200]


def _area(value: str) -> str:
    return value if AREA_CODE.match(value) else ""


NEED_CODES = frozenset(n.value for n in Need)
STATUS_CODES = frozenset(c.value for c in CapacityStatus)


# --------------------------------------------------------------------------- signing in and out


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(*, request: Request, session: SessionDep) -> Response:
    console = console_context(request)
    signer = console.signer
    data = signer.loads(request.cookies.get(COOKIE_NAME))
    target = safe_next(request, request.query_params.get("next"))
    if signer.user(session=session, data=data) is not None:
        return RedirectResponse(target, status_code=303)
    if data is None or data.key_id is not None:
        data = signer.new()  # anonymous: only a nonce, for the form's token
    message = ""
    if request.query_params.get("ended"):
        message = "Your session has ended. Sign in again to go on."
    elif request.query_params.get("signed_out"):
        message = "You have signed out."
    response = render(
        request,
        "sign_in.html",
        {
            "next": target,
            "message": message,
            "csrf_token": signer.csrf_token(data),
            "problems": Problems(),
        },
        user=None,
    )
    response.set_cookie(
        COOKIE_NAME,
        signer.dumps(data),
        **cookie_options(secure=console.cookie_secure, path=base(request) or "/"),
    )
    return response


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(*, request: Request, session: SessionDep, form: FormDep) -> Response:
    console = console_context(request)
    signer = console.signer
    data = signer.loads(request.cookies.get(COOKIE_NAME))
    if not signer.csrf_holds(data, form.text("csrf_token")):
        raise CsrfRefused()
    assert data is not None
    principal = keys.authenticate(session=session, key=form.text("key"))
    row = (
        repository.active_key(session=session, key_id=principal.key_id)
        if principal is not None and principal.role is Role.ADMIN and principal.key_id
        else None
    )
    if row is None:
        # Wrong, revoked, or not an admin's: the page does not say which.
        problems = Problems()
        problems.add("key", "This key cannot sign in to the console. Check it and try again.")
        return render(
            request,
            "sign_in.html",
            {
                "next": safe_next(request, form.text("next")),
                "message": "",
                "csrf_token": signer.csrf_token(data),
                "problems": problems,
            },
            user=None,
            status_code=422,
        )
    session_data = signer.new(key_id=row.id, key_hash=row.key_hash)  # a new nonce: new tokens
    response = RedirectResponse(safe_next(request, form.text("next")), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        signer.dumps(session_data),
        **cookie_options(secure=console.cookie_secure, path=base(request) or "/"),
    )
    return response


@router.post("/sign-out")
def sign_out(*, request: Request, form: FormDep) -> Response:
    console = console_context(request)
    signer = console.signer
    if not signer.csrf_holds(
        signer.loads(request.cookies.get(COOKIE_NAME)), form.text("csrf_token")
    ):
        raise CsrfRefused()
    response = redirect(request, "/sign-in", signed_out="1")
    response.delete_cookie(
        COOKIE_NAME, **cookie_options(secure=console.cookie_secure, path=base(request) or "/")
    )
    return response


# --------------------------------------------------------------------------- home


@router.get("/", response_class=HTMLResponse)
def home(*, request: Request, session: SessionDep, user: UserDep, cache: SnapshotsDep) -> Response:
    snapshot = views.current_snapshot(session=session, cache=cache)
    board = views.capacity_board(snapshot.directory, now=utcnow())
    counts = {
        "services": len(board),
        "red": sum(r.routed_as == "red" for r in board),
        "amber": sum(r.routed_as == "amber" for r in board),
        "stale": sum(r.stale for r in board),
        "pathways": len(snapshot.directory.pathways),
        "version": snapshot.version,
    }
    return render(request, "home.html", {"counts": counts, "pressing": board[:5]}, user=user)


# --------------------------------------------------------------------------- services


@router.get("/services", response_class=HTMLResponse)
def list_services(
    *, request: Request, session: SessionDep, user: UserDep, cache: SnapshotsDep
) -> Response:
    providers = views.all_providers(session=session)
    filters = {
        "q": _query(request, "q"),
        "area": _area(_query(request, "area")),
        "need": _query(request, "need", NEED_CODES),
        "provider": _query(request, "provider", {p.id for p in providers}),
        "capacity_status": _query(request, "capacity_status", STATUS_CODES),
    }
    found = views.find_services(
        session=session,
        by=user.principal,
        text=filters["q"],
        area=filters["area"] or None,
        need=filters["need"] or None,
        provider_id=filters["provider"] or None,
        capacity_status=filters["capacity_status"] or None,
    )
    snapshot = views.current_snapshot(session=session, cache=cache)
    return render(
        request,
        "services.html",
        {
            "services": found,
            "filters": filters,
            "providers": providers,
            "stale": views.staleness(snapshot.directory, now=utcnow()),
            "filtered": any(filters.values()),
        },
        user=user,
    )


def _service_form(
    request: Request,
    session: Session,
    user: ConsoleUser,
    *,
    values: dict[str, Any],
    problems: Problems,
    service: ServicePublic | None,
    etag: str = "",
    stale: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "service_form.html",
        {
            "creating": service is None,
            "service": service,
            "values": values,
            "problems": problems,
            "fields": forms.SERVICE_FIELDS,
            "providers": views.all_providers(session=session),
            "etag": etag,
            "stale": stale,
        },
        user=user,
        status_code=status_code,
    )


CREATE_FIELDS = frozenset(forms.SERVICE_FIELDS)
EDIT_FIELDS = frozenset(
    n for n in forms.SERVICE_FIELDS if n != "id" and not n.startswith("capacity")
)
CONTACT_ALIASES = {"contact": "contact.other"}


@router.get("/services/new", response_class=HTMLResponse)
def new_service_page(*, request: Request, session: SessionDep, user: UserDep) -> Response:
    return _service_form(
        request, session, user, values=forms.service_values(None), problems=Problems(), service=None
    )


@router.post("/services/new", response_class=HTMLResponse)
def create_service(
    *, request: Request, session: SessionDep, user: PosterDep, form: FormDep, settings: SettingsDep
) -> Response:
    body, problems = forms.service_body(form, creating=True)
    if not problems:
        try:
            data = ServiceCreate.model_validate(body)
        except ValidationError as exc:
            problems = forms.validation_problems(exc, CREATE_FIELDS, aliases=CONTACT_ALIASES)
        else:
            try:
                created = services.create_service(
                    session=session,
                    data=data,
                    by=user.principal,
                    allow_insecure_webhooks=settings.allow_insecure_webhooks,
                )
            except AlreadyExistsError as exc:
                session.rollback()
                problems.add("id", exc.detail)
            except ProblemError as exc:
                session.rollback()
                problems = forms.domain_problems(exc, CREATE_FIELDS, aliases=CONTACT_ALIASES)
            else:
                return redirect(request, f"/services/{created.id}", notice="created")
    return _service_form(
        request,
        session,
        user,
        values=forms.submitted_values(form),
        problems=problems,
        service=None,
        status_code=422,
    )


def _detail(
    request: Request,
    session: Session,
    user: ConsoleUser,
    cache: SnapshotCache,
    service_id: str,
    *,
    capacity_problems: Problems | None = None,
    capacity_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = services.get_service(session=session, service_id=service_id, by=user.principal)
    snapshot = views.current_snapshot(session=session, cache=cache)
    names = {s.id: s.name for s in snapshot.directory.services}
    names.update(labels.ENTRY_NODES)
    return render(
        request,
        "service.html",
        {
            "service": found,
            "pathways": views.pathways_touching(session=session, service_id=service_id),
            "names": names,
            "stale": views.staleness(snapshot.directory, now=utcnow()).get(service_id, True),
            "updated_words": labels.ago(found.capacity.updated, utcnow()),
            "notice": _query(request, "notice"),
            "capacity_problems": capacity_problems or Problems(),
            "capacity_values": capacity_values
            or {
                "status": found.capacity.status.value,
                "available": ""
                if found.capacity.available is None
                else str(found.capacity.available),
                "maximum": "" if found.capacity.maximum is None else str(found.capacity.maximum),
            },
        },
        user=user,
        status_code=status_code,
    )


@router.get("/services/{service_id}", response_class=HTMLResponse)
def service_page(
    *, request: Request, session: SessionDep, user: UserDep, cache: SnapshotsDep, service_id: PathId
) -> Response:
    return _detail(request, session, user, cache, service_id)


@router.get("/services/{service_id}/edit", response_class=HTMLResponse)
def edit_service_page(
    *, request: Request, session: SessionDep, user: UserDep, service_id: PathId
) -> Response:
    found = services.get_service(session=session, service_id=service_id, by=user.principal)
    return _service_form(
        request,
        session,
        user,
        values=forms.service_values(services.representation(found)),
        problems=Problems(),
        service=found,
        etag=services.etag(found),
    )


@router.post("/services/{service_id}/edit", response_class=HTMLResponse)
def edit_service(
    *,
    request: Request,
    session: SessionDep,
    user: PosterDep,
    form: FormDep,
    settings: SettingsDep,
    service_id: PathId,
) -> Response:
    current = services.get_service(session=session, service_id=service_id, by=user.principal)
    body, problems = forms.service_body(
        form,
        creating=False,
        previous_needs=[n.value for n in current.needs],
        current_webhook_url=current.webhook.url if current.webhook is not None else None,
    )
    etag = form.text("etag")
    stale = False
    if not problems:
        try:
            data = ServiceUpdate.model_validate(body)
        except ValidationError as exc:
            problems = forms.validation_problems(exc, EDIT_FIELDS, aliases=CONTACT_ALIASES)
        else:
            try:
                services.update_service(
                    session=session,
                    service_id=service_id,
                    data=data,
                    if_match=etag or None,
                    by=user.principal,
                    allow_insecure_webhooks=settings.allow_insecure_webhooks,
                )
            except (PreconditionFailedError, PreconditionRequiredError):
                session.rollback()
                stale = True
            except ProblemError as exc:
                session.rollback()
                problems = forms.domain_problems(exc, EDIT_FIELDS, aliases=CONTACT_ALIASES)
            else:
                return redirect(request, f"/services/{service_id}", notice="saved")
    values = forms.submitted_values(form)
    values["webhook.set"] = current.webhook is not None
    return _service_form(
        request,
        session,
        user,
        values=values,
        problems=problems,
        service=current,
        etag=etag,
        stale=stale,
        status_code=409 if stale else 422,
    )


@router.post("/services/{service_id}/capacity", response_class=HTMLResponse)
def set_capacity(
    *,
    request: Request,
    session: SessionDep,
    user: PosterDep,
    form: FormDep,
    cache: SnapshotsDep,
    service_id: PathId,
) -> Response:
    back = "board" if form.text("back") == "board" else "service"
    values = {name: form.text(name) for name in ("status", "available", "maximum")}
    body: dict[str, Any] = {"status": values["status"]}
    for name in ("available", "maximum"):
        number = forms.whole_number(values[name])
        if number is not None:
            body[name] = number
    problems = Problems()
    known = ("status", "available", "maximum")
    try:
        data = CapacityIn.model_validate(body)
    except ValidationError as exc:
        problems = forms.validation_problems(exc, known)
    else:
        try:
            services.put_capacity(
                session=session, service_id=service_id, data=data, by=user.principal
            )
        except ProblemError as exc:
            session.rollback()
            if exc.status == 404:
                raise
            problems = forms.domain_problems(exc, known)
    if not problems:
        if back == "board":
            response = redirect(request, "/capacity", notice="capacity", service=service_id)
            response.headers["location"] += f"#cap-{service_id}"
            return response
        return redirect(request, f"/services/{service_id}", notice="capacity")
    if back == "board":
        return _board(
            request,
            session,
            user,
            cache,
            problems={service_id: problems},
            values={service_id: values},
            status_code=422,
        )
    return _detail(
        request,
        session,
        user,
        cache,
        service_id,
        capacity_problems=problems,
        capacity_values=values,
        status_code=422,
    )


# --------------------------------------------------------------------------- capacity board


def _board(
    request: Request,
    session: Session,
    user: ConsoleUser,
    cache: SnapshotCache,
    *,
    problems: dict[str, Problems] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    snapshot = views.current_snapshot(session=session, cache=cache)
    rows = views.capacity_board(snapshot.directory, now=utcnow())
    notice_for = _query(request, "service")
    names = {r.service_id: r.name for r in rows}
    return render(
        request,
        "capacity.html",
        {
            "rows": rows,
            "problems": problems or {},
            "values": values or {},
            "notice": names.get(notice_for, "") if _query(request, "notice") == "capacity" else "",
        },
        user=user,
        status_code=status_code,
    )


@router.get("/capacity", response_class=HTMLResponse)
def capacity_board(
    *, request: Request, session: SessionDep, user: UserDep, cache: SnapshotsDep
) -> Response:
    return _board(request, session, user, cache)


# --------------------------------------------------------------------------- pathways


def _pathways(
    request: Request,
    session: Session,
    user: ConsoleUser,
    cache: SnapshotCache,
    *,
    area: str,
    need: str,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    snapshot = views.current_snapshot(session=session, cache=cache)
    directory = snapshot.directory
    picture = views.pathway_picture(directory, now=utcnow(), area=area or None, need=need or None)
    names = {s.id: s.name for s in directory.services}
    names.update(labels.ENTRY_NODES)
    highlight = (
        (_query(request, "from"), _query(request, "to")) if notice == "pathway-added" else None
    )
    return render(
        request,
        "pathways.html",
        {
            "picture": picture,
            "rows": views.shown_pathways(directory, area=area or None, need=need or None),
            "names": names,
            "services": sorted(directory.services, key=lambda s: s.name),
            "entries": ENTRY_NODES,
            "filters": {"area": area, "need": need},
            "problems": problems or Problems(),
            "values": values or {"days": "1"},
            "notice": notice,
            "notice_from": _query(request, "from"),
            "notice_to": _query(request, "to"),
            "highlight": highlight,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/pathways", response_class=HTMLResponse)
def pathways_page(
    *, request: Request, session: SessionDep, user: UserDep, cache: SnapshotsDep
) -> Response:
    return _pathways(
        request,
        session,
        user,
        cache,
        area=_area(_query(request, "area")),
        need=_query(request, "need", NEED_CODES),
        notice=_query(request, "notice", {"pathway-added", "pathway-removed"}),
    )


@router.get("/pathways/picture.svg")
def pathway_picture(
    *, request: Request, session: SessionDep, user: UserDep, cache: SnapshotsDep
) -> Response:
    """The picture on its own (filtered as the page is), to zoom, save or print."""
    area, need = _area(_query(request, "area")), _query(request, "need", NEED_CODES)
    snapshot = views.current_snapshot(session=session, cache=cache)
    picture = views.pathway_picture(
        snapshot.directory, now=utcnow(), area=area or None, need=need or None
    )
    return console_context(request).templates.TemplateResponse(
        request,
        "picture.svg",
        {"picture": picture, "base": base(request), "standalone": True, "highlight": None},
        media_type="image/svg+xml",
    )


def _days(text: str) -> float | str | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


@router.post("/pathways", response_class=HTMLResponse)
def add_pathway(
    *, request: Request, session: SessionDep, user: PosterDep, form: FormDep, cache: SnapshotsDep
) -> Response:
    area, need = (
        _area(form.text("area")),
        form.text("need") if form.text("need") in NEED_CODES else "",
    )
    values = {name: form.text(name) for name in ("from_service", "to_service", "days")}
    body: dict[str, Any] = {
        "from_service": values["from_service"],
        "to_service": values["to_service"],
    }
    days = _days(values["days"])
    if days is not None:
        body["days"] = days
    known = ("from_service", "to_service", "days")
    problems = Problems()
    try:
        data = PathwayCreate.model_validate(body)
    except ValidationError as exc:
        problems = forms.validation_problems(exc, known)
    else:
        try:
            pathways.create_pathway(session=session, data=data, by=user.principal)
        except ProblemError as exc:
            session.rollback()
            problems = forms.domain_problems(exc, known)
        else:
            return redirect(
                request,
                "/pathways",
                notice="pathway-added",
                **{"from": data.from_service, "to": data.to_service, "area": area, "need": need},
            )
    return _pathways(
        request,
        session,
        user,
        cache,
        area=area,
        need=need,
        problems=problems,
        values=values,
        status_code=422,
    )


@router.post("/pathways/{pathway_id}/delete", response_class=HTMLResponse)
def remove_pathway(
    *, request: Request, session: SessionDep, user: PosterDep, form: FormDep, pathway_id: PathId
) -> Response:
    gone = pathways.get_pathway(session=session, pathway_id=pathway_id)
    pathways.delete_pathway(session=session, pathway_id=pathway_id, by=user.principal)
    need = form.text("need")
    return redirect(
        request,
        "/pathways",
        notice="pathway-removed",
        **{
            "from": gone.from_service,
            "to": gone.to_service,
            "area": _area(form.text("area")),
            "need": need if need in NEED_CODES else "",
        },
    )


# --------------------------------------------------------------------------- try a referral


@router.get("/try", response_class=HTMLResponse)
def try_page(*, request: Request, user: UserDep) -> Response:
    return render(
        request,
        "try.html",
        {
            "values": forms.profile_values(None),
            "problems": Problems(),
            "fields": forms.PROFILE_FIELDS,
            "answer": None,
            "today": utcnow().date().isoformat(),
        },
        user=user,
    )


@router.post("/try", response_class=HTMLResponse)
def try_referral(
    *, request: Request, session: SessionDep, user: PosterDep, form: FormDep, cache: SnapshotsDep
) -> Response:
    """Plan the profile as the router would, on the current directory; nothing is stored."""
    body, problems = forms.profile_body(form)
    answer = None
    names: dict[str, str] = {}
    if not problems:
        snapshot = views.current_snapshot(session=session, cache=cache)
        names = {s.id: s.name for s in snapshot.directory.services}
        names.update(labels.ENTRY_NODES)
        try:
            tried = views.try_referral(graph=cache.graph(snapshot), body=body, now=utcnow())
        except ValidationError as exc:
            problems = forms.validation_problems(exc, forms.PROFILE_FIELDS)
        else:
            answer = tried.answer
            for loc, message in tried.errors:
                problems.add(forms.field_for(loc, message, forms.PROFILE_FIELDS), message)
    return render(
        request,
        "try.html",
        {
            "values": forms.profile_values(form),
            "problems": problems,
            "fields": forms.PROFILE_FIELDS,
            "answer": answer,
            "names": names,
            "today": utcnow().date().isoformat(),
        },
        user=user,
        status_code=422 if problems else 200,
    )


# --------------------------------------------------------------------------- gaps


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(
    *, request: Request, session: SessionDep, user: UserDep, cache: SnapshotsDep
) -> Response:
    area = _query(request, "area", labels.AREAS)
    now = utcnow()
    reports = views.gaps(session=session, cache=cache, now=now, area=area or None)
    snapshot = views.current_snapshot(session=session, cache=cache)
    by_id = {s.id: s for s in snapshot.directory.services}
    return render(
        request,
        "gaps.html",
        {
            "reports": reports,
            "by_id": by_id,
            "area": area,
            "limit_words": views.limit_words,
            "as_of": dt.date.isoformat(now.date()),
        },
        user=user,
    )
