"""The regulators' user administration pages (/users): list, create, disable, enable, reset a password,
revoke tokens. Every form carries the session's CSRF token; every change is audited (user_admin.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from hegui.platform import lists, user_admin
from hegui.platform.accounts import AccountError
from hegui.platform.db import ROLES, User
from hegui.platform.deps import get_db, require_web_role, web_role
from hegui.platform.web import FormUser, page, see_other

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
RegulatorUser = Annotated[User, Depends(web_role("regulator"))]


def _users_page(request: Request, db: Session, user: User, status: int = 200, message: str | None = None,
                new_token: tuple[str, str] | None = None) -> HTMLResponse:
    params = {k: v for k, v in request.query_params.items()} if request.method == "GET" else {}
    try:
        rows = user_admin.user_page(db, user, lists.ListQuery.from_params(params, user_admin.USERS.filter_names))
    except lists.ListRequestError as err:
        raise HTTPException(422, str(err)) from None
    return page(request, "users.html", status=status, users=rows.rows, page=rows, roles=ROLES,
                choices={"role": list(ROLES)}, message=message, new_token=new_token)


def _target(db: Session, user_id: int) -> User:
    target = db.get(User, user_id)
    if target is None:
        raise HTTPException(404, "not found")
    return target


def _forget_credentials(request: Request) -> None:
    """Cached credential checks (gate.py) must not outlive a disabled account or a revoked token."""
    request.app.state.credential_cache.forget()


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, db: DB, user: RegulatorUser) -> HTMLResponse:
    return _users_page(request, db, user)


@router.post("/users", response_class=HTMLResponse)
def create_submit(request: Request, db: DB, user: FormUser, name: Annotated[str, Form(max_length=80)],
                  role: Annotated[str, Form(max_length=20)],
                  password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    require_web_role(user, "regulator")
    try:
        created, token = user_admin.create(db, user, name, role, password)
    except AccountError as err:
        db.rollback()
        return _users_page(request, db, user, status=409, message=str(err))
    db.commit()
    # The token is shown on this answer only (it is stored as a digest); the page is not cached (no-store).
    return _users_page(request, db, user, status=201, new_token=(created.name, token))


@router.post("/users/{user_id}/{action}")
def user_action(request: Request, user_id: int, action: str, db: DB, user: FormUser,
                password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    require_web_role(user, "regulator")
    target = _target(db, user_id)
    try:
        if action == "disable":
            user_admin.disable(db, user, target)
        elif action == "enable":
            user_admin.enable(db, user, target)
        elif action == "password":
            user_admin.reset_password(db, user, target, password)
        elif action == "revoke-tokens":
            user_admin.revoke_tokens(db, user, target)
        else:
            raise HTTPException(404, "not found")
    except AccountError as err:
        db.rollback()
        return _users_page(request, db, user, status=409, message=str(err))
    db.commit()
    _forget_credentials(request)
    return see_other("/users")
