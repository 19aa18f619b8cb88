"""Users, API tokens, web sessions and the audit log."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.platform.db import ApiToken, AuditEvent, User, WebSession, utcnow
from hegui.platform.messages import Message, Refusal
from hegui.platform.security import hash_password, new_csrf_token, new_token, token_digest, verify_password
from hegui.platform.vocab import Role

USER_NAME = re.compile(r"[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,80}")


class AccountError(Refusal):
    """An account change the platform refuses; `str(err)` is the English reason, `err.reason(lang)` the
    reader's."""


def audit(db: Session, user: User | None, action: str, target: str = "", detail: str = "",
          message: Message | None = None) -> None:
    """Record who did what. Never pass secrets (tokens, passwords) in `detail`. A sentence the platform writes is
    passed as `message`: the log keeps its English text as `detail`, readers render it in their language."""
    if message is not None:
        detail = detail or message.english()
    db.add(AuditEvent(user_id=user.id if user else None, action=action, target=target[:80], detail=detail[:2000],
                      message=message.as_json() if message is not None else None))


def create_user(db: Session, name: str, role: str, password: str | None = None,
                by: User | None = None) -> tuple[User, str]:
    """Create a user and a first API token; returns (user, token). The token is never stored in clear.
    `by`: the regulator creating it in the web UI (None: the command line), named in the audit log."""
    if role not in tuple(Role):
        raise AccountError(Message("refused.unknown_role", {"role": role, "choices": [r.value for r in Role]}))
    if not USER_NAME.fullmatch(name):
        raise AccountError(Message("refused.user_name"))
    if db.scalar(select(User).where(User.name == name)) is not None:
        raise AccountError(Message("refused.user_exists", {"name": name}))
    user = User(name=name, role=role, password_hash=hash_password(password) if password else None)
    db.add(user)
    db.flush()
    token = issue_token(db, user)
    audit(db, by, "user.create", f"user:{user.id}", f"{name} as {role}")
    return user, token


def set_password(db: Session, user: User, password: str) -> None:
    if len(password) < 8:
        raise AccountError(Message("refused.password_short"))
    user.password_hash = hash_password(password)
    audit(db, user, "user.password", f"user:{user.id}")


def issue_token(db: Session, user: User) -> str:
    token = new_token()
    db.add(ApiToken(user_id=user.id, token_sha256=token_digest(token)))
    return token


def user_for_token(db: Session, token: str) -> User | None:
    """The enabled user holding the unrevoked API token `token`, or None."""
    return db.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id)
                     .where(ApiToken.token_sha256 == token_digest(token), ApiToken.revoked.is_(False),
                            User.disabled.is_(False)))


@dataclass(frozen=True, slots=True)
class LoginLimits:
    window_s: float = 900.0
    account_failures: int = 5   # failed logins naming one account (known or not) within the window
    address_failures: int = 20  # failed logins from one client address within the window


class LoginThrottled(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


@cache
def _dummy_hash() -> str:
    """An Argon2 hash no password matches: unknown names spend the same work as known ones (no name probing)."""
    return hash_password(new_token())


def _failures(db: Session, target: str, since: dt.datetime) -> list[dt.datetime]:
    """Times of failed logins recorded against `target` since `since`, newest first.

    Counted from the audit log, so the throttle holds across restarts and across servers on one database."""
    return list(db.scalars(select(AuditEvent.at).where(AuditEvent.action == "login.failed",
                                                       AuditEvent.target == target, AuditEvent.at >= since)
                           .order_by(AuditEvent.at.desc())))


def _locked_for(failures: list[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime) -> int:
    """Seconds until fewer than `limit` of `failures` fall in the window (0: not locked)."""
    if len(failures) < limit:
        return 0
    return max(1, math.ceil((failures[limit - 1] + window - now).total_seconds()))


def login(db: Session, name: str, password: str, hours: int, address: str = "?",
          limits: LoginLimits = LoginLimits()) -> tuple[User, str, str] | None:
    """Check a password; on success open a session and return (user, session token, csrf token).

    Raises LoginThrottled (without checking the password) while the account or the client address has too many
    recent failures; the failure that reaches a limit records a "login.locked" audit event."""
    now, window = utcnow(), dt.timedelta(seconds=limits.window_s)
    by_name, by_address = f"name:{name[:75]}", f"addr:{address[:75]}"
    name_failures = _failures(db, by_name, now - window)
    address_failures = _failures(db, by_address, now - window)
    wait = max(_locked_for(name_failures, limits.account_failures, window, now),
               _locked_for(address_failures, limits.address_failures, window, now))
    if wait:
        raise LoginThrottled(wait)
    user = db.scalar(select(User).where(User.name == name))
    usable = user is not None and user.password_hash is not None and not user.disabled
    # Unknown names, password-less and disabled users verify against a dummy hash: the same Argon2 work.
    if not verify_password(user.password_hash if usable and user else _dummy_hash(), password) or not usable:
        audit(db, None, "login.failed", by_name, f"from {address[:80]}")
        audit(db, None, "login.failed", by_address, f"name={name[:80]}")
        for target, count, limit in ((by_name, len(name_failures) + 1, limits.account_failures),
                                     (by_address, len(address_failures) + 1, limits.address_failures)):
            if count == limit:
                audit(db, None, "login.locked", target, f"{limit} failed logins within {limits.window_s:g} s")
        return None
    assert user is not None
    token, csrf = new_token(), new_csrf_token()
    db.add(WebSession(user_id=user.id, token_sha256=token_digest(token), csrf_token=csrf,
                      expires_at=utcnow() + dt.timedelta(hours=hours)))
    audit(db, user, "login", f"user:{user.id}")
    return user, token, csrf


def session_for(db: Session, token: str) -> WebSession | None:
    """The unexpired session of an enabled user opened with cookie `token`, or None."""
    row = db.scalar(select(WebSession).where(WebSession.token_sha256 == token_digest(token)))
    if row is None or row.expires_at < utcnow() or row.user.disabled:
        return None
    return row


def user_id_for(sessions: Callable[[], Session], kind: str, token: str) -> int | None:
    """The gate's lookup (gate.CredentialCache): the user id behind an API token ("api") or session cookie."""
    with sessions() as db:
        if kind == "api":
            user = user_for_token(db, token)
            return user.id if user else None
        session = session_for(db, token)
        return session.user_id if session else None


def disable_user(db: Session, name: str, by: User | None = None) -> User:
    """Disable an account: its tokens and sessions stop working (they are kept for the audit trail)."""
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(Message("refused.no_user", {"name": name}))
    user.disabled = True
    db.execute(WebSession.__table__.delete().where(WebSession.user_id == user.id))
    audit(db, by, "user.disable", f"user:{user.id}", name)
    return user


def revoke_token(db: Session, token_id: int, by: User | None = None) -> ApiToken:
    row = db.get(ApiToken, token_id)
    if row is None:
        raise AccountError(Message("refused.no_token", {"token": token_id}))
    row.revoked = True
    audit(db, by, "token.revoke", f"token:{token_id}", f"user:{row.user_id}")
    return row


def logout(db: Session, session: WebSession) -> None:
    audit(db, session.user, "logout", f"user:{session.user_id}")
    db.delete(session)
