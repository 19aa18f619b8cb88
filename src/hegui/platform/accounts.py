"""Users, API tokens, web sessions and the audit log."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.platform.db import ROLES, ApiToken, AuditEvent, User, WebSession, utcnow
from hegui.platform.security import hash_password, new_csrf_token, new_token, token_digest, verify_password

USER_NAME = re.compile(r"[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,80}")
STAFF_ROLES = frozenset({"regulator", "reviewer"})


class AccountError(ValueError):
    pass


def audit(db: Session, user: User | None, action: str, target: str = "", detail: str = "") -> None:
    """Record who did what. Never pass secrets (tokens, passwords) in `detail`."""
    db.add(AuditEvent(user_id=user.id if user else None, action=action, target=target[:80], detail=detail[:2000]))


def create_user(db: Session, name: str, role: str, password: str | None = None) -> tuple[User, str]:
    """Create a user and a first API token; returns (user, token). The token is never stored in clear."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (one of: {', '.join(ROLES)})")
    if not USER_NAME.fullmatch(name):
        raise AccountError("user name: 1-80 letters, digits, Chinese characters or _ . @ -")
    if db.scalar(select(User).where(User.name == name)) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password) if password else None)
    db.add(user)
    db.flush()
    token = issue_token(db, user)
    audit(db, None, "user.create", f"user:{user.id}", f"{name} as {role}")
    return user, token


def set_password(db: Session, user: User, password: str) -> None:
    if len(password) < 8:
        raise AccountError("password: at least 8 characters")
    user.password_hash = hash_password(password)
    audit(db, user, "user.password", f"user:{user.id}")


def issue_token(db: Session, user: User) -> str:
    token = new_token()
    db.add(ApiToken(user_id=user.id, token_sha256=token_digest(token)))
    return token


def user_for_token(db: Session, token: str) -> User | None:
    return db.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id)
                     .where(ApiToken.token_sha256 == token_digest(token), ApiToken.revoked.is_(False)))


def login(db: Session, name: str, password: str, hours: int) -> tuple[User, str, str] | None:
    """Check a password; on success open a session and return (user, session token, csrf token)."""
    user = db.scalar(select(User).where(User.name == name))
    if user is None or not verify_password(user.password_hash, password):
        audit(db, None, "login.failed", "", f"name={name[:80]}")
        return None
    token, csrf = new_token(), new_csrf_token()
    db.add(WebSession(user_id=user.id, token_sha256=token_digest(token), csrf_token=csrf,
                      expires_at=utcnow() + dt.timedelta(hours=hours)))
    audit(db, user, "login", f"user:{user.id}")
    return user, token, csrf


def session_for(db: Session, token: str) -> WebSession | None:
    row = db.scalar(select(WebSession).where(WebSession.token_sha256 == token_digest(token)))
    if row is None or row.expires_at < utcnow():
        return None
    return row


def logout(db: Session, session: WebSession) -> None:
    audit(db, session.user, "logout", f"user:{session.user_id}")
    db.delete(session)
