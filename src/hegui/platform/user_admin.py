"""User administration by regulators (the web UI's /users): list, create, disable and enable, reset a password,
revoke every API token. Built on accounts.py; each step is audited under the regulator who took it.

A regulator cannot disable their own account nor revoke their own tokens here (the platform must keep a
regulator who can undo it); the command line (`hegui user …`) remains for that."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from hegui.platform import lists
from hegui.platform.accounts import AccountError, audit, create_user, disable_user
from hegui.platform.db import ApiToken, User, WebSession
from hegui.platform.messages import Message
from hegui.platform.security import hash_password
from hegui.platform.vocab import Role


@dataclass(frozen=True, slots=True)
class UserRow:
    user: User
    active_tokens: int


def _users(_viewer: User) -> Select:
    return select(User)


USERS = lists.ListSpec(
    base=_users,
    search=(User.name,),
    sorts={"name": User.name, "role": User.role, "created": User.created_at, "id": User.id},
    default_sort="name",
    filters={"role": lambda s, v: s.where(User.role == lists._one_of("role", v, frozenset(Role))),
             "disabled": lambda s, v: s.where(User.disabled.is_(v in ("1", "true", "yes")))},
)


def user_page(db: Session, viewer: User, query: lists.ListQuery) -> lists.Page:
    """One page of users with how many unrevoked API tokens each holds."""
    page = USERS.run(db, viewer, query)
    ids = [u.id for u in page.rows]
    tokens = dict(db.execute(select(ApiToken.user_id, func.count()).where(ApiToken.user_id.in_(ids),
                                                                          ApiToken.revoked.is_(False))
                             .group_by(ApiToken.user_id)).all()) if ids else {}
    return lists.Page(rows=[UserRow(u, tokens.get(u.id, 0)) for u in page.rows], total=page.total, query=page.query)


def create(db: Session, by: User, name: str, role: str, password: str) -> tuple[User, str]:
    """A new account (with a password to log in, if given) and its first API token, shown once."""
    if password and len(password) < 8:
        raise AccountError(Message("refused.password_short"))
    return create_user(db, name.strip(), role, password or None, by=by)


def _other(by: User, user: User, refusal: str) -> None:
    if user.id == by.id:
        raise AccountError(Message(refusal))


def disable(db: Session, by: User, user: User) -> None:
    """Disable an account: its sessions end, its tokens stop working (kept for the audit trail)."""
    _other(by, user, "refused.own_account_disable")
    disable_user(db, user.name, by=by)


def enable(db: Session, by: User, user: User) -> None:
    user.disabled = False
    audit(db, by, "user.enable", f"user:{user.id}", user.name)


def reset_password(db: Session, by: User, user: User, password: str) -> None:
    """Set a new password and end the account's web sessions (whoever knew the old one is logged out)."""
    if len(password) < 8:
        raise AccountError(Message("refused.password_short"))
    user.password_hash = hash_password(password)
    db.execute(WebSession.__table__.delete().where(WebSession.user_id == user.id))
    audit(db, by, "user.password_reset", f"user:{user.id}", user.name)


def revoke_tokens(db: Session, by: User, user: User) -> int:
    """Revoke every unrevoked API token of the account; returns how many."""
    _other(by, user, "refused.own_account_revoke")
    done = db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                      .values(revoked=True))
    audit(db, by, "token.revoke_all", f"user:{user.id}", f"{user.name}: {done.rowcount} tokens")
    return done.rowcount
