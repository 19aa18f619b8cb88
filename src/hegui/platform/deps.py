"""Request plumbing shared by the REST API and the web pages: database sessions, authentication, the clock
and how a refused workflow step is answered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request, UploadFile
from sqlalchemy.orm import Session

from hegui.platform import campaigns, lists, workflow
from hegui.platform.accounts import session_for, user_for_token
from hegui.platform.db import Campaign, User, WebSession
from hegui.platform.i18n import pick_lang
from hegui.platform.messages import Refusal
from hegui.platform.workdays import WorkCalendar

SESSION_COOKIE = "hegui_session"
LOGIN_CSRF_COOKIE = "hegui_login_csrf"
LANG_COOKIE = "hegui_lang"


def lang_of(request: Request) -> str:
    """The language a page or an API answer is rendered in (i18n.pick_lang)."""
    return pick_lang(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"),
                     request.query_params.get("lang"))


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as db:
        yield db


def api_user(request: Request, db: Annotated[Session, Depends(get_db)]) -> User:
    """The caller of a REST request, from ``Authorization: Bearer TOKEN``; 401 otherwise."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = user_for_token(db, token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
    return user


def api_role(*roles: str) -> Callable[..., User]:
    def check(user: Annotated[User, Depends(api_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"role {user.role} may not do this")
        return user
    return check


class LoginRequired(Exception):
    """Raised by web dependencies; answered with a redirect to the login page."""


def web_session(request: Request, db: Annotated[Session, Depends(get_db)]) -> WebSession:
    token = request.cookies.get(SESSION_COOKIE)
    session = session_for(db, token) if token else None
    if session is None:
        raise LoginRequired()
    request.state.user = session.user
    request.state.csrf = session.csrf_token
    return session


def web_user(session: Annotated[WebSession, Depends(web_session)]) -> User:
    return session.user


def require_web_role(user: User, *roles: str) -> None:
    """For pages, and for forms once their CSRF token is checked (so a forged form is refused first)."""
    if user.role not in roles:
        raise HTTPException(403, "forbidden")


def web_role(*roles: str) -> Callable[..., User]:
    def check(user: Annotated[User, Depends(web_user)]) -> User:
        require_web_role(user, *roles)
        return user
    return check


def today(request: Request) -> dt.date:
    """The platform's date (Settings.today, injectable so tests can move the clock for deadlines)."""
    return request.app.state.settings.today()


def work_calendar(request: Request) -> WorkCalendar:
    """Working days for deadlines: chinese-calendar plus the operator's holidays file, if any."""
    return request.app.state.calendar


@contextmanager
def refusal_is_conflict() -> Iterator[None]:
    """A step the workflow refuses (wrong state, unknown rule, …) answers 409 with the one-line reason."""
    try:
        yield
    except workflow.WorkflowError as err:
        raise refusal(409, err) from None


def refusal(status: int, err: Refusal) -> HTTPException:
    """The HTTP answer to a refused step: the English reason as its detail (the API's), the reason itself kept
    for an error page to say in the reader's language."""
    exc = HTTPException(status, str(err))
    exc.refusal = err  # type: ignore[attr-defined]
    return exc


def run_list(request: Request, db: Session, user: User, spec: lists.ListSpec) -> lists.Page:
    """One page of a list from the request's query string (the same search, filters and sorts for the API and
    the web pages); a parameter the list refuses answers 422 with the reason."""
    with list_refusal_is_unprocessable():
        return spec.run(db, user, lists.ListQuery.from_params(request.query_params, spec.filter_names))


@contextmanager
def list_refusal_is_unprocessable() -> Iterator[None]:
    """A list parameter the list does not know, or cannot take, answers 422 with the one-line reason."""
    try:
        yield
    except lists.ListRequestError as err:
        raise refusal(422, err) from None


def start_campaign(request: Request, db: Session, user: User, name: str, min_severity: str, urls: str, folder: str,
                   files: list[UploadFile] | None) -> Campaign:
    """A campaign from a form of the API or the web page, committed and its scans' worker woken; a refused input
    answers 422 with the reason."""
    uploads = [(f.file, f.filename) for f in files or [] if f.filename]  # an empty file input sends one nameless part
    inputs = campaigns.Inputs(uploads=uploads, urls=campaigns.parse_urls(urls), folder=folder.strip() or None)
    try:
        campaign = campaigns.create_campaign(db, request.app.state.settings, user, name, min_severity, inputs)
    except campaigns.CampaignError as err:
        raise refusal(422, err) from None
    db.commit()
    request.app.state.worker_notify()
    return campaign
