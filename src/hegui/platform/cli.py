"""`hegui serve` and `hegui user add` (CONTRACT.md "Platform"). FastAPI and friends are imported inside the
commands, so `hegui scan` starts fast and works without the `platform` extra."""

from __future__ import annotations

import getpass
import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from hegui.platform.defaults import (  # stdlib-only module: safe without the platform extra
    DEFAULT_KEEP_ALIVE_S,
    DEFAULT_SCAN_LEASE_S,
    DEFAULT_SCAN_WORKERS,
    MIN_SCAN_LEASE_S,
)

ROLE_HELP = "regulator | reviewer | developer | sdk_vendor"


def _fail(message: str) -> None:
    typer.echo(f"hegui: {message}", err=True)
    raise typer.Exit(2)


# What the `platform` extra installs; checked before any command so a missing one is one line, not a traceback.
_PLATFORM_MODULES = ("fastapi", "sqlalchemy", "alembic", "uvicorn", "argon2", "chinese_calendar", "multipart",
                     "pydantic_settings")


def _settings(db: str | None, data_dir: Path | None, **overrides):
    """The settings from HEGUI_* variables, the command's own flags (None: not given) winning."""
    try:
        for module in _PLATFORM_MODULES:
            importlib.import_module(module)
        from hegui.platform.config import Settings
    except ImportError as err:  # the platform extra is missing
        _fail(f"the platform needs extra packages: pip install 'hegui[platform]' ({err.name} missing)")
    try:
        return Settings.from_env(db_url=db, data_dir=data_dir, **overrides)
    except ValueError as err:  # a malformed HEGUI_* variable
        _fail(str(err))


def serve(
    db: Annotated[str | None, typer.Option(help="database URL (default: HEGUI_DB, else a SQLite file)")] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data_dir: Annotated[Path | None, typer.Option(help="uploads and default database (HEGUI_DATA_DIR)")] = None,
    workers: Annotated[int | None, typer.Option(help=f"scans running at once (HEGUI_SCAN_WORKERS, default "
                                                     f"{DEFAULT_SCAN_WORKERS})")] = None,
    max_upload_mb: Annotated[int | None, typer.Option(help="upload size limit (HEGUI_MAX_UPLOAD_MB)")] = None,
    keep_alive: Annotated[int | None, typer.Option(min=1, help="seconds an idle keep-alive connection stays open; keep "
                                                          "it above the idle timeout of any proxy in front "
                                                          f"(HEGUI_KEEP_ALIVE_S, default {DEFAULT_KEEP_ALIVE_S})")] = None,
    holidays: Annotated[Path | None, typer.Option(help="holiday schedules for years chinese-calendar lacks, YAML/JSON "
                                                     "(HEGUI_HOLIDAYS)")] = None,
    fetch_policy: Annotated[bool, typer.Option("--fetch-policy", help="scans download a privacy-policy URL found "
                                               "in the APK, public addresses only (HEGUI_FETCH_POLICY=1)")] = False,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="mark cookies Secure, for a deployment "
                                                 "served over HTTPS (HEGUI_SECURE_COOKIES=1)")] = False,
    scan_lease: Annotated[float | None, typer.Option(
        min=MIN_SCAN_LEASE_S, help=f"seconds a running scan stays this server's unless renewed; a killed server's scans are "
                      f"retried by another after this (HEGUI_SCAN_LEASE_S, default {DEFAULT_SCAN_LEASE_S:g})")] = None,
) -> None:
    """Start the supervision platform (web UI + REST API); runs database migrations first."""
    # A switch given on the command line turns its setting on; left out, the environment decides.
    settings = _settings(db, data_dir, scan_workers=max(1, workers) if workers is not None else None,
                         max_upload_mb=max_upload_mb, keep_alive_s=keep_alive, holidays_file=holidays,
                         scan_lease_s=scan_lease, fetch_policy=fetch_policy or None,
                         secure_cookies=secure_cookies or None)
    import logging

    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from hegui.platform.app import create_app, server_options
    from hegui.platform.workdays import HolidayFileError

    try:
        app = create_app(settings)
    except HolidayFileError as err:
        _fail(str(err))
    except (SQLAlchemyError, OSError) as err:
        _fail(f"cannot open the database: {str(err).splitlines()[0][:200]}")
    typer.echo(f"hegui platform on http://{host}:{port} (data: {settings.data_dir})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", **server_options(settings))


user_app = typer.Typer(help="Manage platform users.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    db: Annotated[str | None, typer.Option(help="database URL (default: HEGUI_DB, else a SQLite file)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="platform data folder (HEGUI_DATA_DIR)")] = None,
    password: Annotated[bool, typer.Option("--password/--no-password",
                                           help="ask for a web password (or read HEGUI_PASSWORD)")] = False,
) -> None:
    """Create a user; prints the user's API token last (shown once, stored only hashed)."""
    settings = _settings(db, data_dir)
    from hegui.platform.accounts import AccountError, create_user, set_password
    from hegui.platform.db import make_engine, session_factory
    from hegui.platform.migrate import upgrade_head

    secret = os.environ.get("HEGUI_PASSWORD")
    if password and not secret:
        secret = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        upgrade_head(engine)
        with session_factory(engine)() as session:
            user, token = create_user(session, name, role)
            if secret:
                set_password(session, user, secret)
            session.commit()
    except AccountError as err:
        _fail(str(err))
    finally:
        engine.dispose()
    typer.echo(f"created {role} {name}" + (" (web password set)" if secret else ""), err=True)
    typer.echo(token)


def _with_db(db: str | None, data_dir: Path | None, change) -> object:
    """Run `change(session)` on the migrated database and commit; an AccountError is one line, exit 2."""
    settings = _settings(db, data_dir)
    from hegui.platform.accounts import AccountError
    from hegui.platform.db import make_engine, session_factory
    from hegui.platform.migrate import upgrade_head

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        upgrade_head(engine)
        with session_factory(engine)() as session:
            result = change(session)
            session.commit()
            return result
    except AccountError as err:
        _fail(str(err))
    finally:
        engine.dispose()


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="login name")],
    db: Annotated[str | None, typer.Option(help="database URL (default: HEGUI_DB, else a SQLite file)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="platform data folder (HEGUI_DATA_DIR)")] = None,
) -> None:
    """Disable a user: web login, sessions and API tokens are refused from now on (within seconds on running
    servers); records and the audit trail are kept."""
    from hegui.platform.accounts import disable_user

    _with_db(db, data_dir, lambda session: disable_user(session, name))
    typer.echo(f"disabled {name}", err=True)


token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@token_app.command("list")
def token_list(
    name: Annotated[str | None, typer.Argument(help="only this user's tokens")] = None,
    db: Annotated[str | None, typer.Option(help="database URL (default: HEGUI_DB, else a SQLite file)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="platform data folder (HEGUI_DATA_DIR)")] = None,
) -> None:
    """One line per token: id, user, created, revoked (the tokens themselves are never stored)."""
    from sqlalchemy import select

    from hegui.platform.db import ApiToken, User

    def rows(session) -> list[tuple]:
        query = select(ApiToken.id, User.name, ApiToken.created_at, ApiToken.revoked).join(User).order_by(ApiToken.id)
        return list(session.execute(query.where(User.name == name) if name else query))

    for token_id, user, created, revoked in _with_db(db, data_dir, rows):
        typer.echo(f"{token_id}\t{user}\t{created:%Y-%m-%d %H:%M}\t{'revoked' if revoked else 'active'}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="token id (see `hegui token list`)")],
    db: Annotated[str | None, typer.Option(help="database URL (default: HEGUI_DB, else a SQLite file)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="platform data folder (HEGUI_DATA_DIR)")] = None,
) -> None:
    """Revoke an API token: refused from now on (within seconds on running servers)."""
    from hegui.platform.accounts import revoke_token

    _with_db(db, data_dir, lambda session: revoke_token(session, token_id))
    typer.echo(f"revoked token {token_id}", err=True)


def register(app: typer.Typer) -> None:
    """Add `serve` and the `user` and `token` sub-apps to hegui's command line."""
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
