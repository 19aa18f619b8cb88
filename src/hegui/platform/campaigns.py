"""Campaigns (专项检测): a regulator scans many inputs at once — uploaded files, URLs, or a folder on the server
— on the platform's own scan workers (the ordinary queue), watches their progress, and gets clues filed for the
findings at or above a chosen severity. Findings a reviewer marked false positives (marks.py) are not filed, and a
rule + subject with an open clue is not filed twice.

URLs are fetched when the campaign is created, each connection (redirects included) to public addresses only,
like the scanner's policy fetch: a regulator's form must not become a way into the server's network. A folder is
read only under the operator's `campaign_root`, and only by a regulator."""

from __future__ import annotations

import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.platform import marks
from hegui.platform.accounts import audit
from hegui.platform.config import Settings
from hegui.platform.db import AppVersion, Campaign, CampaignItem, Case, Clue, FindingRow, Scan, User
from hegui.platform.scans import submit_scan
from hegui.platform.storage import UploadRejected
from hegui.platform.vocab import OPEN_CASE_STATUSES, CampaignSource, ClueSource, ClueStatus, ScanStatus
from hegui.policy.source import NonPublicAddress, checked_handler, public_address
from hegui.report.model import SEVERITY_ORDER

MAX_ITEMS = 1000  # inputs of one campaign (a folder with more is refused, not cut short)
MAX_REDIRECTS = 3
FETCH_TIMEOUT_S = 30.0    # connecting, and each read
FETCH_DEADLINE_S = 300.0  # one whole download: a server trickling bytes cannot hold the request for ever
MAX_URLS = 100            # URLs are fetched while the campaign is created; more go in a folder
FOLDER_SUFFIXES = (".apk", ".aar", ".jar")  # what the platform scans; the upload check decides the rest


class CampaignError(ValueError):
    """A campaign the platform refuses as a whole; `str(err)` is a one-line reason."""


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    queued: int
    running: int
    done: int
    failed: int
    clues: int


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
        raise UploadRejected("only http and https URLs are fetched", 422)
    allowed = (lambda _ip, _port=0: True) if private_ok else public_address
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), checked_handler(allowed), _Redirects())
    out = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - handed to the caller, who closes it
    try:
        with opener.open(urllib.request.Request(url, headers={"User-Agent": "hegui-campaign/1"}),
                         timeout=FETCH_TIMEOUT_S) as response:
            size, deadline = 0, time.monotonic() + FETCH_DEADLINE_S
            while chunk := response.read(1 << 16):
                if time.monotonic() > deadline:
                    raise UploadRejected(f"not downloaded within {FETCH_DEADLINE_S:g} s", 504)
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(f"larger than the {max_bytes // (1024 * 1024)} MB upload limit", 413)
                out.write(chunk)
    except UploadRejected:
        out.close()
        raise
    except NonPublicAddress as err:
        out.close()
        raise UploadRejected(f"leads to a non-public address ({err.address}): not fetched", 422) from None
    except urllib.error.HTTPError as err:
        out.close()
        raise UploadRejected(f"HTTP {err.code}", 502) from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        out.close()
        reason = getattr(err, "reason", None) or err
        raise UploadRejected(f"cannot be fetched: {str(reason)[:200]}", 502) from None
    out.seek(0)
    return out  # type: ignore[return-value]


def folder_files(root: Path | None, folder: str) -> list[Path]:
    """The APKs, AARs and JARs under `folder`, a path relative to the operator's campaign root (never outside
    it: `..` and symlinks leading out are refused), sorted. Raises CampaignError."""
    if root is None:
        raise CampaignError("no campaign folder root is configured (HEGUI_CAMPAIGN_ROOT): folders cannot be scanned")
    base = root.resolve()
    target = (base / folder.strip().lstrip("/")).resolve()
    if target != base and not target.is_relative_to(base):
        raise CampaignError("the folder must lie inside the campaign root")
    if not target.is_dir():
        raise CampaignError(f"no folder {folder!r} under the campaign root")
    found = []
    for path in sorted(target.rglob("*")):
        if path.suffix.lower() in FOLDER_SUFFIXES and path.is_file() and path.resolve().is_relative_to(base):
            found.append(path)
    if len(found) > MAX_ITEMS:
        raise CampaignError(f"the folder holds {len(found)} packages, more than {MAX_ITEMS}")
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
        raise CampaignError("a campaign needs a name")
    if min_severity not in SEVERITY_ORDER:
        raise CampaignError(f"severity must be one of {', '.join(SEVERITY_ORDER)}")
    files = folder_files(settings.campaign_root, inputs.folder) if inputs.folder else []
    count = len(inputs.uploads) + len(inputs.urls) + len(files)
    if count == 0:
        raise CampaignError("give the campaign some inputs: files, URLs or a folder")
    if count > MAX_ITEMS:
        raise CampaignError(f"{count} inputs, more than {MAX_ITEMS}")
    if len(inputs.urls) > MAX_URLS:
        raise CampaignError(f"{len(inputs.urls)} URLs, more than {MAX_URLS}: put the packages in a folder instead")
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
        db.add(item)

    for body, filename in inputs.uploads:
        add(CampaignSource.UPLOAD, filename or "upload", body, filename)
    for url in inputs.urls:
        shown = redact_url(url)  # a presigned URL's query string is a secret
        try:
            body = fetch_url(url, settings.max_upload_bytes, private_ok=settings.campaign_private_urls)
        except UploadRejected as err:
            add(CampaignSource.URL, shown, None, None, str(err))
            continue
        with body:
            add(CampaignSource.URL, shown, body, shown.rsplit("/", 1)[-1] or "download.apk")
    root = settings.campaign_root.resolve() if settings.campaign_root else None
    for path in files:
        with path.open("rb") as body:
            add(CampaignSource.FOLDER, str(path.relative_to(root)) if root else path.name, body, path.name)
    db.flush()
    audit(db, user, "campaign.create", f"campaign:{campaign.id}",
          f"{campaign.name}: {count} inputs, clues at {min_severity} or above")
    return campaign


def progress(db: Session, campaign: Campaign) -> Progress:
    """Where the campaign's inputs are: a scan's status, or failed for an input that never became a scan."""
    counts = {s.value: 0 for s in ScanStatus}
    statuses = dict(db.execute(select(Scan.id, Scan.status).join(CampaignItem, CampaignItem.scan_id == Scan.id)
                               .where(CampaignItem.campaign_id == campaign.id)).all())
    for item in campaign.items:
        counts[statuses.get(item.scan_id, ScanStatus.FAILED) if item.scan_id else ScanStatus.FAILED] += 1
    clues = len(list(db.scalars(select(Clue.id).where(Clue.campaign_id == campaign.id))))
    return Progress(total=len(campaign.items), clues=clues, **counts)


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
