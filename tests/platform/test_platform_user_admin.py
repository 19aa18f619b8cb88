"""User administration by regulators in the web UI (/users): list, create, disable and enable, reset a password,
revoke tokens; CSRF-checked forms, audited under the regulator, refused to every other role."""

from __future__ import annotations

import re

import pytest
from platform_kit import PASSWORD, web_login
from sqlalchemy import select

from hegui.platform.accounts import login
from hegui.platform.db import AuditEvent, User, WebSession


def _post(p, who: str, path: str, data: dict, csrf: str | None = None):
    token, real_csrf = web_login(p, who)
    return p.client.post(path, data={"csrf_token": real_csrf if csrf is None else csrf, **data},
                         cookies={"hegui_session": token}, follow_redirects=False)


def _audit(p, action: str) -> list[tuple[str | None, str, str]]:
    with p.sessions() as db:
        rows = db.execute(select(User.name, AuditEvent.target, AuditEvent.detail)
                          .outerjoin(User, User.id == AuditEvent.user_id)
                          .where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return [tuple(r) for r in rows]


def _api_status(p, token: str) -> int:
    return p.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_regulator_lists_every_user_with_role_status_and_active_tokens(platform):
    token, _csrf = web_login(platform, "regulator")
    html = platform.client.get("/users", cookies={"hegui_session": token}).text
    rows = re.findall(r'<tr id="user-\d+"><td>([^<]+)</td><td>([^<]+)</td>\s*<td>([^<]+)</td>.*?'
                      r'<td class="tokens">(\d+)</td>', html, re.S)
    assert rows == [("dev", "开发者", "正常", "1"), ("dev2", "开发者", "正常", "1"),
                    ("regulator", "监管人员", "正常", "1"), ("reviewer", "审核人员", "正常", "1"),
                    ("vendor", "SDK 厂商", "正常", "1")]
    assert '<a href="/users">' in html
    developers = platform.client.get("/users", params={"role": "developer"}, cookies={"hegui_session": token}).text
    assert re.findall(r'<tr id="user-\d+"><td>([^<]+)</td>', developers) == ["dev", "dev2"]


@pytest.mark.parametrize("who", ["reviewer", "dev", "vendor"])
def test_no_other_role_may_see_or_change_users(sqlite_platform, who):
    p = sqlite_platform
    token, _csrf = web_login(p, who)
    assert p.client.get("/users", cookies={"hegui_session": token}).status_code == 403
    res = _post(p, who, f"/users/{p.users['dev2'].id}/disable", {})
    assert res.status_code == 403
    assert _api_status(p, p.users["dev2"].token) == 200


def test_a_regulator_creates_a_user_whose_token_is_shown_once_and_works(sqlite_platform):
    p = sqlite_platform
    res = _post(p, "regulator", "/users", {"name": "审核员乙", "role": "reviewer", "password": "a long password"})
    assert res.status_code == 201
    token = re.search(r'<code id="new-token-value">([^<]+)</code>', res.text).group(1)
    assert p.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "reviewer"
    with p.sessions() as db:
        assert login(db, "审核员乙", "a long password", 1) is not None
    assert _audit(p, "user.create")[-1][0::2] == ("regulator", "审核员乙 as reviewer")
    again = _post(p, "regulator", "/users", {"name": "审核员乙", "role": "reviewer"})
    assert (again.status_code, "用户 审核员乙 已存在" in again.text, "new-token-value" in again.text) == (409, True, False)


def test_a_new_user_with_an_unknown_role_or_short_password_is_refused(sqlite_platform):
    p = sqlite_platform
    assert _post(p, "regulator", "/users", {"name": "x1", "role": "admin"}).status_code == 409
    assert _post(p, "regulator", "/users", {"name": "x2", "role": "developer", "password": "short"}).status_code == 409
    with p.sessions() as db:
        assert db.scalars(select(User.name).where(User.name.in_(["x1", "x2"]))).all() == []


def test_disabling_a_user_stops_their_token_and_sessions_and_enabling_restores_the_token(platform):
    p = platform
    dev2 = p.users["dev2"]
    web_login(p, "dev2")
    assert _post(p, "regulator", f"/users/{dev2.id}/disable", {}).status_code == 303
    assert _api_status(p, dev2.token) == 401
    with p.sessions() as db:
        assert db.scalars(select(WebSession).where(WebSession.user_id == dev2.id)).all() == []
    assert _post(p, "regulator", f"/users/{dev2.id}/enable", {}).status_code == 303
    assert _api_status(p, dev2.token) == 200
    assert [(who, target) for who, target, _d in _audit(p, "user.disable") + _audit(p, "user.enable")] == [
        ("regulator", f"user:{dev2.id}"), ("regulator", f"user:{dev2.id}")]


def test_a_password_reset_replaces_the_password_and_ends_the_sessions(sqlite_platform):
    p = sqlite_platform
    dev = p.users["dev"]
    web_login(p, "dev")
    assert _post(p, "regulator", f"/users/{dev.id}/password", {"password": "a new long password"}).status_code == 303
    with p.sessions() as db:
        assert db.scalars(select(WebSession).where(WebSession.user_id == dev.id)).all() == []
        assert login(db, "dev", PASSWORD, 1) is None
        assert login(db, "dev", "a new long password", 1) is not None
    assert _audit(p, "user.password_reset") == [("regulator", f"user:{dev.id}", "dev")]
    assert _post(p, "regulator", f"/users/{dev.id}/password", {"password": "short"}).status_code == 409


def test_revoking_a_users_tokens_refuses_them_and_counts_none_left(sqlite_platform):
    p = sqlite_platform
    vendor = p.users["vendor"]
    assert _post(p, "regulator", f"/users/{vendor.id}/revoke-tokens", {}).status_code == 303
    assert _api_status(p, vendor.token) == 401
    token, _csrf = web_login(p, "regulator")
    html = p.client.get("/users", cookies={"hegui_session": token}).text
    assert re.search(rf'<tr id="user-{vendor.id}">.*?<td class="tokens">(\d+)</td>', html, re.S).group(1) == "0"
    assert _audit(p, "token.revoke_all") == [("regulator", f"user:{vendor.id}", "vendor: 1 tokens")]


def test_a_form_without_the_sessions_csrf_token_changes_nothing(sqlite_platform):
    p = sqlite_platform
    dev2 = p.users["dev2"]
    for path in (f"/users/{dev2.id}/disable", f"/users/{dev2.id}/revoke-tokens", "/users"):
        res = _post(p, "regulator", path, {"name": "forged", "role": "regulator"}, csrf="forged")
        assert res.status_code == 403
    assert _api_status(p, dev2.token) == 200
    with p.sessions() as db:
        assert db.scalar(select(User).where(User.name == "forged")) is None


def test_a_regulator_cannot_disable_their_own_account_or_revoke_their_own_tokens(sqlite_platform):
    p = sqlite_platform
    me = p.users["regulator"]
    assert _post(p, "regulator", f"/users/{me.id}/disable", {}).status_code == 409
    assert _post(p, "regulator", f"/users/{me.id}/revoke-tokens", {}).status_code == 409
    assert _api_status(p, me.token) == 200
    assert _post(p, "regulator", "/users/9999/disable", {}).status_code == 404
