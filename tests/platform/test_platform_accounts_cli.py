"""`hegui user disable`, `hegui token list|revoke` and `--secure-cookies` (issue 10 item 7): a revoked token and a
disabled user are refused on the very next request, even though the gate remembered them moments before."""

from __future__ import annotations

import re

import typer
import uvicorn
from platform_kit import PASSWORD
from sqlalchemy import select
from typer.testing import CliRunner

from hegui.platform import cli as platform_cli
from hegui.platform.accounts import issue_token
from hegui.platform.config import Settings
from hegui.platform.db import AuditEvent, User


def run(platform, *args: str):
    app = typer.Typer()
    platform_cli.register(app)
    return CliRunner().invoke(app, [*args, "--db", platform.settings.database_url,
                                    "--data-dir", str(platform.settings.data_dir)])


def form_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, name: str):
    token = form_csrf(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token},
                       follow_redirects=False)


def test_revoked_token_is_refused_on_the_next_request(sqlite_platform):
    p, c = sqlite_platform, sqlite_platform.client
    dev = p.users["dev"]
    with p.sessions() as db:
        spare = issue_token(db, db.get(User, dev.id))
        db.commit()
    assert c.get("/api/v1/me", headers=dev.auth).status_code == 200  # now in the gate's cache
    listing = run(p, "token", "list", "dev")
    assert listing.exit_code == 0, listing.output
    ids = [int(line.split("\t")[0]) for line in listing.stdout.splitlines()]
    assert [line.split("\t")[3] for line in listing.stdout.splitlines()] == ["active", "active"]
    assert run(p, "token", "revoke", str(ids[0])).exit_code == 0
    assert c.get("/api/v1/me", headers=dev.auth).status_code == 401
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {spare}"}).json()["name"] == "dev"
    assert [line.split("\t")[3] for line in run(p, "token", "list", "dev").stdout.splitlines()] == ["revoked", "active"]
    unknown = run(p, "token", "revoke", "999")
    assert (unknown.exit_code, unknown.stderr.strip()) == (2, "hegui: no API token 999")


def test_disabled_user_loses_tokens_sessions_and_login(sqlite_platform):
    p, c = sqlite_platform, sqlite_platform.client
    dev = p.users["dev"]
    assert log_in(c, "dev").status_code == 303
    assert c.get("/").status_code == 200
    assert c.get("/api/v1/me", headers=dev.auth).status_code == 200
    assert run(p, "user", "disable", "dev").exit_code == 0
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    assert c.get("/api/v1/me", headers=dev.auth).status_code == 401
    assert log_in(c, "dev").status_code == 401
    assert c.get("/api/v1/me", headers=p.users["dev2"].auth).status_code == 200
    with p.sessions() as db:
        assert db.scalars(select(AuditEvent.action).where(AuditEvent.target == f"user:{dev.id}")
                          .order_by(AuditEvent.id)).all()[-1] == "user.disable"
    assert run(p, "user", "disable", "nobody").exit_code == 2


def test_secure_cookies_from_the_option_and_the_environment(sqlite_platform, monkeypatch, tmp_path):
    p, c = sqlite_platform, sqlite_platform.client
    assert "secure" not in log_in(c, "dev").headers["set-cookie"].lower()
    p.settings.secure_cookies = True
    form = c.get("/login")
    assert "Secure" in form.headers["set-cookie"]
    # The test client is on http: it would not send a Secure cookie back, so the form's cookie is given by hand.
    token = form_csrf(form.text)
    c.cookies.clear()
    ok = c.post("/login", data={"name": "dev2", "password": PASSWORD, "csrf_token": token},
                cookies={"hegui_login_csrf": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert ok.headers["set-cookie"].startswith("hegui_session=") and "Secure" in ok.headers["set-cookie"]

    monkeypatch.setenv("HEGUI_SECURE_COOKIES", "1")
    assert Settings.from_env(data_dir=tmp_path).secure_cookies is True
    monkeypatch.delenv("HEGUI_SECURE_COOKIES")
    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(settings=app.state.settings))
    app = typer.Typer()
    platform_cli.register(app)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path / "d"), "--secure-cookies"])
    assert result.exit_code == 0, result.output
    assert seen["settings"].secure_cookies is True
