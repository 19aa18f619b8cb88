"""Third-party SDKs across the apps that embed them (sdks.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hegui.platform import sdks
from hegui.platform.deps import list_refusal_is_unprocessable
from hegui.platform.routers.common import DB, ApiUser, find, paged
from hegui.platform.schemas import SdkDetailOut, SdkOut

router = APIRouter()


@router.get("/sdks", response_model=list[SdkOut])
def list_sdks(request: Request, response: Response, user: ApiUser, db: DB) -> list[SdkOut]:
    """Third-party SDKs in the latest versions of the apps the caller may see (an SDK vendor: their own SDKs
    across all apps); `q` (id, name), `sort` (id, name, apps, findings, severity, before_consent, call_sites), `limit`,
    `offset`; read from the SDK-by-version table (sdk_usage.py)."""
    with list_refusal_is_unprocessable():
        rows = paged(sdks.sdk_page(db, user, request.query_params), request, response)
    return [SdkOut.model_validate(s, from_attributes=True) for s in rows.rows]


@router.get("/sdks/{sdk_id}", response_model=SdkDetailOut)
def get_sdk(sdk_id: str, user: ApiUser, db: DB) -> SdkDetailOut:
    """The apps embedding the SDK, its findings across them, and its PI call sites (aggregated per API)."""
    detail = sdks.sdk_detail(db, user, sdk_id)
    if detail is None:
        raise find.missing("sdk")
    return SdkDetailOut.model_validate(detail, from_attributes=True)
