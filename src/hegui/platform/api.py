"""REST API under /api/v1 (CONTRACT.md "Platform"): JSON, ``Authorization: Bearer TOKEN``.

The routes live in routers/ (one module per resource), their models in schemas.py; `router` is all of them."""

from __future__ import annotations

from hegui.platform.routers import router

__all__ = ["router"]
