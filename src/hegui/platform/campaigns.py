"""Campaigns (专项检测): a regulator scans many inputs at once — uploaded files, URLs, or a folder on the server
— on the platform's own scan workers (the ordinary queue), watches their progress, and gets clues filed for the
findings at or above a chosen severity. Findings a reviewer marked false positives (marks.py) are not filed, and a
rule + subject with an open clue is not filed twice.

URLs are fetched by the platform's background workers (worker.py), never inside the request that creates the
campaign: a URL item waits `pending`, is claimed `fetching` under a lease (a restarted server takes it up again,
like a scan), and becomes a queued scan or a failed item whose reason names the URL. Each connection (redirects included) to public addresses only,
like the scanner's policy fetch: a regulator's form must not become a way into the server's network. A folder is
read only under the operator's `campaign_root`, and only by a regulator."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hegui.platform import marks
from hegui.platform.accounts import audit
from hegui.platform.config import Settings
from hegui.platform.db import AppVersion, Campaign, CampaignItem, Case, Clue, FindingRow, Scan, User
from hegui.platform.messages import Message, Refusal
from hegui.platform.scans import db_now, submit_scan
from hegui.platform.storage import UploadRejected
from hegui.platform.vocab import OPEN_CASE_STATUSES, CampaignSource, ClueSource, ClueStatus, ScanStatus
from hegui.policy.source import NonPublicAddress, checked_handler, public_address
from hegui.report.model import SEVERITY_ORDER

MAX_ITEMS = 1000  # inputs of one campaign (a folder with more is refused, not cut short)
MAX_REDIRECTS = 3
FETCH_TIMEOUT_S = 30.0    # connecting, and each read
FETCH_DEADLINE_S = 300.0  # one whole download: a server trickling bytes cannot hold the request for ever
MAX_URLS = 100            # URLs of one campaign; more go in a folder
# A claimed fetch ends within about the deadline plus a connect and a read timeout per redirect; past this lease
# its server is taken for dead and another claims the item (no renewal needed while it downloads).
FETCH_LEASE_S = FETCH_DEADLINE_S + (MAX_REDIRECTS + 1) * 2 * FETCH_TIMEOUT_S
PENDING, FETCHING = "pending", "fetching"  # an item's status before it is a scan (then: the scan's status)
FOLDER_SUFFIXES = (".apk", ".aar", ".jar")  # what the platform scans; the upload check decides the rest


class CampaignError(Refusal):
    """A campaign the platform refuses as a whole; `str(err)` is a one-line reason."""


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    queued: int
    running: int
    done: int
    failed: int
    clues: int
    pending: int = 0   # URL items waiting for a fetch
    fetching: int = 0  # URL items being downloaded


@dataclass(slots=True)
class Inputs:
    uploads: list[tuple[BinaryIO, str | None]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    folder: str | None = None


def redact_url(url: str) -> str:
    """The URL as shown and stored: no user info, query string (a presigned URL's signature) or fragment."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        pass
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# --- inputs ------------------------------------------------------------------------------------------------

class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.URLError("redirected to a non-HTTP address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_url(url: str, max_bytes: int, *, private_ok: bool = False) -> BinaryIO:
    """The body of `url` in a temporary file (rewound). Every connection, redirects included, is checked against
    public addresses before a byte is sent (no proxy: it would connect to addresses never checked) unless the
    operator allowed private ones. Raises UploadRejected with the reason."""
    if not url.lower().startswith(("http://", "https://")):
        raise UploadRejected(Message("campaign.fetch.scheme"), 422)
    allowed = (lambda _ip, _port=0: True) if private_ok else public_address
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), checked_handler(allowed), _Redirects())
    out = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - handed to the caller, who closes it
    try:
        with opener.open(urllib.request.Request(url, headers={"User-Agent": "hegui-campaign/1"}),
                         timeout=FETCH_TIMEOUT_S) as response:
            size, deadline = 0, time.monotonic() + FETCH_DEADLINE_S
            while chunk := response.read(1 << 16):
                if time.monotonic() > deadline:
                    raise UploadRejected(Message("campaign.fetch.too_slow", {"seconds": f"{FETCH_DEADLINE_S:g}"}), 504)
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(Message("campaign.fetch.too_large", {"mb": max_bytes // (1024 * 1024)}), 413)
                out.write(chunk)
    except UploadRejected:
        out.close()
        raise
    except NonPublicAddress as err:
        out.close()
        raise UploadRejected(Message("campaign.fetch.non_public", {"address": str(err.address)}), 422) from None
    except urllib.error.HTTPError as err:
        out.close()
        raise UploadRejected(Message("campaign.fetch.http", {"code": err.code}), 502) from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        out.close()
        reason = getattr(err, "reason", None) or err
        raise UploadRejected(Message("campaign.fetch.failed", {"reason": str(reason)[:200]}), 502) from None
    out.seek(0)
    return out  # type: ignore[return-value]


def folder_files(root: Path | None, folder: str) -> list[Path]:
    """The APKs, AARs and JARs under `folder`, a path relative to the operator's campaign root (never outside
    it: `..` and symlinks leading out are refused), sorted. Raises CampaignError."""
    if root is None:
        raise CampaignError(Message("refused.no_campaign_root"))
    base = root.resolve()
    target = (base / folder.strip().lstrip("/")).resolve()
    if target != base and not target.is_relative_to(base):
        raise CampaignError(Message("refused.folder_outside_root"))
    if not target.is_dir():
        raise CampaignError(Message("refused.no_folder", {"folder": folder}))
    found = []
    for path in sorted(target.rglob("*")):
        if path.suffix.lower() in FOLDER_SUFFIXES and path.is_file() and path.resolve().is_relative_to(base):
            found.append(path)
    if len(found) > MAX_ITEMS:
        raise CampaignError(Message("refused.folder_too_many", {"count": len(found), "limit": MAX_ITEMS}))
    return found


def parse_urls(text: str) -> list[str]:
    """The URLs of a form's text area: one per line; blank lines and ``#`` comments skipped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


# --- the campaign ------------------------------------------------------------------------------------------

def create_campaign(db: Session, settings: Settings, user: User, name: str, min_severity: str,
                    inputs: Inputs) -> Campaign:
    """Queue a scan for every input; an input that cannot become a scan (a URL that cannot be fetched, a file
    that is no ZIP) is kept as a failed item with its reason."""
    name = name.strip()
    if not name:
        raise CampaignError(Message("refused.campaign_name"))
    if min_severity not in SEVERITY_ORDER:
        raise CampaignError(Message("refused.campaign_severity", {"choices": list(SEVERITY_ORDER)}))
    files = folder_files(settings.campaign_root, inputs.folder) if inputs.folder else []
    count = len(inputs.uploads) + len(inputs.urls) + len(files)
    if count == 0:
        raise CampaignError(Message("refused.campaign_no_inputs"))
    if count > MAX_ITEMS:
        raise CampaignError(Message("refused.campaign_too_many", {"count": count, "limit": MAX_ITEMS}))
    if len(inputs.urls) > MAX_URLS:
        raise CampaignError(Message("refused.campaign_too_many_urls", {"count": len(inputs.urls), "limit": MAX_URLS}))
    campaign = Campaign(name=name[:200], min_severity=min_severity, created_by=user.id)
    db.add(campaign)
    db.flush()

    def add(source: str, ref: str, body: BinaryIO | None, filename: str | None, error: str | None = None) -> None:
        item = CampaignItem(campaign_id=campaign.id, source=source, ref=ref[:1000], error=error)
        if body is not None:
            try:
                item.scan_id = submit_scan(db, settings, user, body, filename).id
            except UploadRejected as err:
                item.error = str(err)
                item.error_message = err.message.as_json() if err.message else None
        db.add(item)

    for body, filename in inputs.uploads:
        add(CampaignSource.UPLOAD, filename or "upload", body, filename)
    for url in inputs.urls:
        # a presigned URL's query string is a secret: shown and stored redacted, the whole URL only till fetched
        db.add(CampaignItem(campaign_id=campaign.id, source=CampaignSource.URL, ref=redact_url(url)[:1000],
                            fetch_url=url, fetch_status=PENDING))
    root = settings.campaign_root.resolve() if settings.campaign_root else None
    for path in files:
        with path.open("rb") as body:
            add(CampaignSource.FOLDER, str(path.relative_to(root)) if root else path.name, body, path.name)
    db.flush()
    audit(db, user, "campaign.create", f"campaign:{campaign.id}",
          f"{campaign.name}: {count} inputs, clues at {min_severity} or above")
    return campaign


def item_status(item: CampaignItem, scan_status: str | None) -> str:
    """pending or fetching (a URL not downloaded yet), else its scan's status, else failed (never a scan)."""
    if item.fetch_status:
        return item.fetch_status
    return scan_status if item.scan_id and scan_status else ScanStatus.FAILED


def progress(db: Session, campaign: Campaign) -> Progress:
    """Where the campaign's inputs are (item_status)."""
    counts = {s.value: 0 for s in ScanStatus} | {PENDING: 0, FETCHING: 0}
    statuses = dict(db.execute(select(Scan.id, Scan.status).join(CampaignItem, CampaignItem.scan_id == Scan.id)
                               .where(CampaignItem.campaign_id == campaign.id)).all())
    for item in campaign.items:
        counts[item_status(item, statuses.get(item.scan_id))] += 1
    clues = len(list(db.scalars(select(Clue.id).where(Clue.campaign_id == campaign.id))))
    return Progress(total=len(campaign.items), clues=clues, **counts)


# --- URL items, fetched by the background workers -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FetchClaim:
    item_id: int
    url: str
    ref: str


def release_fetches(db: Session, *, all_fetching: bool = False) -> int:
    """Put back to pending the fetches whose lease ran out (their server died mid-download), or — `all_fetching`,
    a starting SQLite server, the only one its database can have — every fetch in progress. Returns how many."""
    stale = CampaignItem.fetch_status == FETCHING
    if not all_fetching:
        stale = stale & (CampaignItem.fetch_lease_until.is_(None) | (CampaignItem.fetch_lease_until < db_now(db)))
    done = db.execute(update(CampaignItem).where(stale)
                      .values(fetch_status=PENDING, fetch_worker=None, fetch_lease_until=None))
    return done.rowcount or 0


def claim_fetch(db: Session, worker_id: str) -> FetchClaim | None:
    """Claim the oldest pending URL item for `worker_id` (compare-and-set on `pending`, so two servers or threads
    never fetch one item; on PostgreSQL the candidate is skipped when another server has it locked). Commits."""
    while True:
        row = db.execute(select(CampaignItem.id, CampaignItem.fetch_url, CampaignItem.ref)
                         .where(CampaignItem.fetch_status == PENDING).order_by(CampaignItem.id).limit(1)
                         .with_for_update(skip_locked=True)).first()
        if row is None:
            db.rollback()
            return None
        lease = db_now(db) + dt.timedelta(seconds=FETCH_LEASE_S)
        claimed = db.execute(update(CampaignItem).where(CampaignItem.id == row.id, CampaignItem.fetch_status == PENDING)
                             .values(fetch_status=FETCHING, fetch_worker=worker_id, fetch_lease_until=lease))
        db.commit()
        if claimed.rowcount == 1:
            return FetchClaim(row.id, row.fetch_url or "", row.ref)


def finish_fetch(db: Session, settings: Settings, claim: FetchClaim, worker_id: str,
                 body: BinaryIO | None, error: str | Message | None) -> CampaignItem | None:
    """Store a fetch's outcome: the body queued as a scan of the campaign's creator (quotas and the upload check
    as for any upload), or the item failed with a reason naming the URL. None (nothing stored) when this claim
    was taken away meanwhile (its lease ran out and another server fetches the item). The caller commits."""
    item = db.scalar(select(CampaignItem).where(CampaignItem.id == claim.item_id, CampaignItem.fetch_status == FETCHING,
                                                CampaignItem.fetch_worker == worker_id).with_for_update())
    if item is None:
        return None
    if body is not None:
        user = db.get(User, item.campaign.created_by)
        try:
            item.scan_id = submit_scan(db, settings, user, body, claim.ref.rsplit("/", 1)[-1] or "download.apk").id
        except UploadRejected as err:
            error = err.message or str(err)
    if error is not None:
        failed = Message("campaign.item_failed", {"ref": claim.ref, "reason": error.as_json()
                                                  if isinstance(error, Message) else error})
        item.error, item.error_message = failed.english()[:2000], failed.as_json()
    item.fetch_status = item.fetch_worker = item.fetch_lease_until = item.fetch_url = None
    db.flush()
    return item


def fetch_item(settings: Settings, claim: FetchClaim) -> tuple[BinaryIO | None, str | Message | None]:
    """Download a claimed item (no database session is held meanwhile): (body, None) or (None, reason)."""
    try:
        return fetch_url(claim.url, settings.max_upload_bytes, private_ok=settings.campaign_private_urls), None
    except UploadRejected as err:
        return None, err.message or str(err)


def after_campaign_scan(db: Session, scan: Scan) -> list[Clue]:
    """A scan finished: if it belongs to a campaign and was filed under an app, file a clue for each rule +
    subject at or above the campaign's severity, except false positives, those with an open clue already and rules
    an open case of the app is about."""
    item = db.scalar(select(CampaignItem).where(CampaignItem.scan_id == scan.id))
    if item is None or scan.version_id is None:
        return []
    campaign = item.campaign
    version = db.get(AppVersion, scan.version_id)
    floor = SEVERITY_ORDER[campaign.min_severity]
    false_positive = marks.false_positives(db, version)
    rows = db.scalars(select(FindingRow).where(FindingRow.version_id == version.id).order_by(FindingRow.id))
    wanted: dict[tuple[str, str], FindingRow] = {}
    for row in rows:
        key = (row.rule_id, row.subject)
        if SEVERITY_ORDER.get(row.severity, 0) >= floor and key not in false_positive:
            wanted.setdefault(key, row)
    in_cases = {r for case in db.scalars(select(Case).where(Case.app_id == version.app_id,
                                                            Case.status.in_(OPEN_CASE_STATUSES)))
                for r in case.rule_ids}
    filed: list[Clue] = []
    for (rule_id, subject), row in wanted.items():
        if rule_id in in_cases:  # already being rectified: the case's re-check covers it
            continue
        known = db.scalar(select(Clue.id).where(Clue.app_id == version.app_id, Clue.rule_id == rule_id,
                                                Clue.status == ClueStatus.OPEN,
                                                (Clue.subject == subject) | Clue.subject.is_(None)).limit(1))
        if known is not None:
            continue
        clue = Clue(app_id=version.app_id, rule_id=rule_id, subject=subject, version_id=version.id,
                    source=ClueSource.CAMPAIGN, campaign_id=campaign.id, created_by=campaign.created_by,
                    note=f"{campaign.name}: {row.title_zh}"[:4000])
        db.add(clue)
        filed.append(clue)
    db.flush()
    for clue in filed:
        audit(db, None, "clue.campaign", f"clue:{clue.id}", f"campaign {campaign.id} {clue.rule_id} {clue.subject}")
    return filed
