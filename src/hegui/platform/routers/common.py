"""What every REST router shares: the caller's dependencies, the 404 lookups and list paging headers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session

from hegui.platform import access, lists
from hegui.platform.db import User
from hegui.platform.deps import api_role, api_user, get_db, lang_of, run_list
from hegui.platform.lookup import Lookup
from hegui.platform.vocab import Role

DB = Annotated[Session, Depends(get_db)]
ApiUser = Annotated[User, Depends(api_user)]
StaffUser = Annotated[User, Depends(api_role(*access.STAFF))]
RegulatorUser = Annotated[User, Depends(api_role(Role.REGULATOR))]



def api_lang(request: Request, lang: Annotated[str | None, Query(
        pattern="^(zh|en)$", description="language of the rendered texts (else Accept-Language; default zh)")] = None,
             ) -> str:
    """The language the platform's sentences in an answer are rendered in: `?lang=`, else Accept-Language."""
    return lang_of(request)


Lang = Annotated[str, Depends(api_lang)]

find = Lookup(lambda what: f"{what} not found")


def page(spec: lists.ListSpec, request: Request, response: Response, db: Session, user: User) -> lists.Page:
    """One page of a list; the total and the neighbouring pages go in headers (the body stays a JSON list)."""
    return paged(run_list(request, db, user, spec), request, response)


def paged(rows: lists.Page, request: Request, response: Response) -> lists.Page:
    response.headers["X-Total-Count"] = str(rows.total)
    link = rows.link_header(str(request.url.replace(query="")))
    if link:
        response.headers["Link"] = link
    return rows
