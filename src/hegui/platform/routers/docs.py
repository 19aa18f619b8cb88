"""/docs: the API reference page, built from the OpenAPI schema on the server (apidocs.py), public like
/openapi.json, and with no script or outside asset, so the strict CSP holds for it as for every page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hegui.platform import apidocs
from hegui.platform.web import page

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    return page(request, "api_docs.html", info=schema.get("info", {}), operations=apidocs.operations(schema),
                schemas=apidocs.schemas(schema))
