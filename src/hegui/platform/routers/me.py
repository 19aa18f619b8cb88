"""The caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from hegui.platform.routers.common import ApiUser
from hegui.platform.schemas import MeOut

router = APIRouter()


@router.get("/me", response_model=MeOut)
def me(user: ApiUser) -> MeOut:
    return MeOut(id=user.id, name=user.name, role=user.role)
