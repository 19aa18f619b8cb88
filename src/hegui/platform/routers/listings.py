"""Store listings: what a store page shows about an app, checked against its latest scan (listing.py)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from hegui.platform.db import StoreListing
from hegui.platform.listing import ListingInput, record_listing
from hegui.platform.routers.common import DB, StaffUser, find
from hegui.platform.schemas import ListingIn, ListingOut

router = APIRouter()


@router.post("/apps/{app_id}/listings", status_code=201, response_model=ListingOut)
def create_listing(app_id: int, body: ListingIn, user: StaffUser,
                   db: DB) -> ListingOut:
    """Record what a store page shows; answers PI-STORE-LISTING-INCOMPLETE / listing-vs-APK findings."""
    app = find.app(db, user, app_id)
    data = ListingInput(store=body.store, version_name=body.version_name,
                        permissions=[p.model_dump() for p in body.permissions], policy_url=body.policy_url,
                        developer_name=body.developer_name, developer_contact=body.developer_contact)
    row = record_listing(db, user, app, data)
    db.commit()
    return ListingOut(id=row.id, app_id=app.id, store=row.store, findings=row.findings)


@router.get("/apps/{app_id}/listings", response_model=list[ListingOut])
def list_listings(app_id: int, user: StaffUser, db: DB) -> list[ListingOut]:
    app = find.app(db, user, app_id)
    rows = db.scalars(select(StoreListing).where(StoreListing.app_id == app.id).order_by(StoreListing.id))
    return [ListingOut(id=r.id, app_id=app.id, store=r.store, findings=r.findings) for r in rows]
