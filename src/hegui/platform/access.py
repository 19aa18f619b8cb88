"""Who may see which object. Regulators and reviewers see everything; developers and SDK vendors see the
apps they own and the scans they uploaded (and the cases about their apps)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from hegui.platform.db import App, Case, Scan, User
from hegui.platform.vocab import SDK_PACKAGE_KINDS, AppKind, Role, ScanStatus

STAFF = frozenset({Role.REGULATOR, Role.REVIEWER})
# The role that may own each kind of record (and so file it first): developers own apps, SDK vendors SDKs.
OWNER_ROLE = {AppKind.APP: Role.DEVELOPER, AppKind.SDK: Role.SDK_VENDOR}


def sees_all(user: User) -> bool:
    return user.role in STAFF


def app_visible(user: User, app: App) -> bool:
    return sees_all(user) or app.owner_id == user.id


def scan_visible(user: User, scan: Scan) -> bool:
    return sees_all(user) or scan.uploader_id == user.id


def case_visible(user: User, case: Case) -> bool:
    return sees_all(user) or case.app.owner_id == user.id


def visible_apps(user: User) -> Select:
    query = select(App).options(selectinload(App.owner)).order_by(App.package)
    return query if sees_all(user) else query.where(App.owner_id == user.id)


def visible_scans(user: User) -> Select:
    query = select(Scan).order_by(Scan.id.desc())
    return query if sees_all(user) else query.where(Scan.uploader_id == user.id)


def visible_cases(user: User) -> Select:
    query = select(Case).options(selectinload(Case.app)).order_by(Case.id.desc())
    return query if sees_all(user) else query.join(App, Case.app_id == App.id).where(App.owner_id == user.id)


# --- SDKs (sdks.py) ----------------------------------------------------------------------------------------
# An SDK is regulated across the apps that embed it. Staff see every app; a developer sees the SDKs in their own
# apps; an SDK vendor sees, for the SDKs they own (in their SDK records or their own uploads), the findings and
# call sites across every app, but the package of an app of another account is withheld (only counted).

def sdk_scope(user: User) -> tuple[Select, bool]:
    """The apps whose latest versions count for the user's SDK views, and whether the SDKs shown are limited to
    the user's own (an SDK vendor's)."""
    if user.role == Role.SDK_VENDOR:
        return select(App).where(App.kind == AppKind.APP), True
    return visible_apps(user).where(App.kind == AppKind.APP), False


def owned_sdk_records(user: User) -> Select:
    return select(App).where(App.kind == AppKind.SDK, App.owner_id == user.id)


def vendor_sdk_uploads(user: User) -> Select:
    """The vendor's own uploads whose SDKs are theirs: SDK packages (AAR, JAR) only. An APK a vendor uploads
    embeds other companies' SDKs too; uploading one must not open those SDKs' findings across apps to them."""
    return visible_scans(user).where(Scan.status == ScanStatus.DONE, Scan.kind.in_(SDK_PACKAGE_KINDS))


def sdk_app_named(user: User, app: App) -> bool:
    """Whether an SDK page names this embedding app (its id, package, version) or only counts it."""
    return app_visible(user, app)
