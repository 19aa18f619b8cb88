"""Tables of the platform (SQLAlchemy 2 declarative). The schema itself is created by Alembic migrations.

Reports are stored whole as JSON text on the scan that produced them; `findings` repeats the few fields
the dashboards query (rule, severity, subject) so listing 100,000 findings does not parse JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from hegui.platform.vocab import AppKind, CaseStatus, ClueSource, ClueStatus, ComplaintStatus, ScanStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: dict[Any, Any] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # vocab.Role
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship()


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user: Mapped[User] = relationship()


class App(Base):
    __tablename__ = "apps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default=AppKind.APP, server_default=AppKind.APP.value)  # vocab.AppKind
    label: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    repeat_offender: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 digests of the certificates the first signed version was signed with (None: no signed version yet).
    # A version signed by none of them is held as a possible counterfeit (signers.py), never filed here.
    signing_certs: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    owner: Mapped[User | None] = relationship()
    versions: Mapped[list[AppVersion]] = relationship(back_populates="app", order_by="AppVersion.id")


class Scan(Base):
    __tablename__ = "scans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))  # display only, never used as a path
    status: Mapped[str] = mapped_column(String(10), default=ScanStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str | None] = mapped_column(String(8))  # vocab.InputKind: the report's input.kind, known once scanned
    # The server running the scan, and until when its claim holds unless renewed (worker.py: leases).
    worker_id: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # last claim: the fair queue's "served at"
    error: Mapped[str | None] = mapped_column(Text)  # English, as the audit log reads it
    error_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # its messages.py key + parameters
    report_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("app_versions.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)  # English, as the audit log reads it
    # the note's sentences as messages.py keys + parameters, rendered in the reader's language (None: older scans)
    note_messages: Mapped[list[Any] | None] = mapped_column(JSON)
    # A possible counterfeit (signers.py, vocab.Review): "held" for a regulator's decision about `held_app_id`, then
    # "counterfeit" (stays unfiled) or "genuine" (filed, the record re-bound to its certificates).
    review: Mapped[str | None] = mapped_column(String(12), index=True)
    held_app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    uploader: Mapped[User] = relationship()


class AppVersion(Base):
    __tablename__ = "app_versions"
    __table_args__ = (UniqueConstraint("app_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    version_name: Mapped[str | None] = mapped_column(String(100))
    version_code: Mapped[int | None] = mapped_column(BigInteger)
    scan_id: Mapped[int] = mapped_column(Integer)  # the scan whose report this version shows
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    app: Mapped[App] = relationship(back_populates="versions")


class FindingRow(Base):
    __tablename__ = "findings"
    # (severity, id): the findings list filtered by severity pages through an index in id order
    __table_args__ = (Index("ix_findings_app_rule", "app_id", "rule_id"),
                      Index("ix_findings_severity_id", "severity", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("app_versions.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(80), index=True)
    severity: Mapped[str] = mapped_column(String(10), index=True)
    subject: Mapped[str] = mapped_column(String(120))
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)


class Clue(Base):
    """A suspected violation. Its subject is an app (`app_id`), an app not on the platform yet (`app_name`, from a
    tip or a complaint), or an SDK (`sdk_id`) and the vendor account answering for it (`vendor_id`)."""
    __tablename__ = "clues"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("app_versions.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=ClueStatus.OPEN)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(12), default=ClueSource.FINDING, server_default="finding")
    app_name: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(120))  # the finding's subject ("app" or an SDK id)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"), index=True)
    sdk_id: Mapped[str | None] = mapped_column(String(120), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    app: Mapped[App | None] = relationship(foreign_keys=[app_id])


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("app_versions.id"))
    rule_ids: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.NOTICE_SENT, index=True)
    notice_date: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    deadline_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    recheck_version_id: Mapped[int | None] = mapped_column(ForeignKey("app_versions.id"))
    remaining_rule_ids: Mapped[list[Any] | None] = mapped_column(JSON)
    escalation: Mapped[str | None] = mapped_column(String(16))  # vocab.Escalation
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A case against an SDK vendor: the SDK id the findings name, filed on the vendor's SDK record (`app_id`).
    sdk_id: Mapped[str | None] = mapped_column(String(120), index=True)
    app: Mapped[App] = relationship()


class RepeatOffence(Base):
    __tablename__ = "repeat_offences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("app_versions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Complaint(Base):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id", ondelete="SET NULL"), index=True)
    app_name: Mapped[str] = mapped_column(String(255))
    complainant: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=ComplaintStatus.RECEIVED, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    clues: Mapped[list[Clue]] = relationship(order_by="Clue.id", viewonly=True)  # the clues it became


class StoreListing(Base):
    __tablename__ = "store_listings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    store: Mapped[str] = mapped_column(String(120))
    version_name: Mapped[str | None] = mapped_column(String(100))
    permissions: Mapped[list[Any]] = mapped_column(JSON)  # [{"name": …, "purpose": …}]
    policy_url: Mapped[str | None] = mapped_column(String(2048))
    developer_name: Mapped[str | None] = mapped_column(String(255))
    developer_contact: Mapped[str | None] = mapped_column(String(255))
    findings: Mapped[list[Any]] = mapped_column(JSON)  # report-format findings, see services.check_listing
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CaseAnswer(Base):
    """A developer's (or vendor's) answer to a case: a rectification statement and the fixed build's scan."""
    __tablename__ = "case_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    statement: Mapped[str] = mapped_column(Text)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship()


class FindingMark(Base):
    """A reviewer's verdict on a finding (rule + subject) of an app, from the version it was marked on onwards:
    "false_positive" (it neither keeps a case open nor files a clue again) or "accepted" (confirmed)."""
    __tablename__ = "finding_marks"
    __table_args__ = (UniqueConstraint("app_id", "rule_id", "subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(120))
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(ForeignKey("app_versions.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship()


class Campaign(Base):
    """A special inspection (专项检测): many inputs scanned together, clues filed for findings at or above
    `min_severity`."""
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    min_severity: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    items: Mapped[list[CampaignItem]] = relationship(back_populates="campaign", order_by="CampaignItem.id")


class CampaignItem(Base):
    __tablename__ = "campaign_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(8))
    ref: Mapped[str] = mapped_column(String(1000))  # file name, redacted URL or path under the campaign root
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"), index=True)
    error: Mapped[str | None] = mapped_column(Text)  # why the input never became a scan (fetch or read failed)
    error_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # `error` as a messages.py key + params
    # A URL item waits for a background worker (campaigns.claim_fetch): `pending`, then `fetching` under a lease;
    # None once it became a scan or failed. The full URL (a presigned one's secret query) is kept only till then.
    fetch_url: Mapped[str | None] = mapped_column(Text)
    fetch_status: Mapped[str | None] = mapped_column(String(10), index=True)
    fetch_worker: Mapped[str | None] = mapped_column(String(120))
    fetch_lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    campaign: Mapped[Campaign] = relationship(back_populates="items")
    scan: Mapped[Scan | None] = relationship()


class SdkUsage(Base):
    """One third-party SDK in one filed version (sdk_usage.py): what the SDK pages, the SDK API and the
    dashboard's prevalence chart read, instead of every app's stored report on each request.

    `latest` marks the rows of each app's latest version (workflow.latest_version), the ones that count as
    "embedded now"; `worst_rank` is SEVERITY_ORDER of the worst finding about the SDK (0: none)."""
    __tablename__ = "sdk_usages"
    __table_args__ = (UniqueConstraint("version_id", "sdk_id"), Index("ix_sdk_usages_latest_sdk", "latest", "sdk_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sdk_id: Mapped[str] = mapped_column(String(120), index=True)
    sdk_name: Mapped[str] = mapped_column(String(255))
    sdk_version: Mapped[str | None] = mapped_column(String(100))  # known for an SDK's own package only
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("app_versions.id", ondelete="CASCADE"))
    latest: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    before_consent_findings: Mapped[int] = mapped_column(Integer, default=0)
    worst_rank: Mapped[int] = mapped_column(Integer, default=0)
    pi_call_sites: Mapped[int] = mapped_column(Integer, default=0)
    startup_call_sites: Mapped[int] = mapped_column(Integer, default=0)
    # [[pi_type, api, at_startup], …]: the SDK's distinct PI call sites in this version, for its page
    calls: Mapped[list[Any]] = mapped_column(JSON, default=list)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(Text, default="")  # English plain text: the log
    # {"key", "params"} of `detail` when the platform wrote it (messages.py): rendered per reader's language
    message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    user: Mapped[User | None] = relationship()


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """An engine for `url`; SQLite gets foreign keys and a busy timeout so worker threads can share it.

    `pool_size` must cover every thread that may hold a session at once (request threads + scan workers):
    a request thread waiting for a connection while the holders wait for a thread would deadlock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=pool_size, max_overflow=0)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - exercised by every sqlite test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=pool_size, max_overflow=0, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def count_rows(db: Session, stmt: Select) -> int:
    """How many rows `stmt` selects (its ordering dropped: a count needs none)."""
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
