"""Login throttle (issue 10 item 5): failed logins per account and per client address answer 429 with Retry-After
once over the limit, lockouts are in the audit log, and an unknown user name costs the same Argon2 work as a known
one, so names cannot be probed by timing."""

from __future__ import annotations

import re
import statistics
import time

from platform_kit import PASSWORD
from sqlalchemy import select

from hegui.platform.db import AuditEvent


def form_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def attempt(client, name: str, password: str):
    token = form_csrf(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                       follow_redirects=False)


def lockouts(platform) -> list[tuple[str, str]]:
    with platform.sessions() as db:
        return [tuple(row) for row in db.execute(select(AuditEvent.action, AuditEvent.target)
                                                 .where(AuditEvent.action == "login.locked"))]


def test_unknown_name_takes_as_long_as_a_wrong_password(sqlite_platform):
    c = sqlite_platform.client

    def seconds(name: str) -> float:
        t0 = time.perf_counter()
        assert attempt(c, name, "wrong password").status_code == 401
        return time.perf_counter() - t0

    known = statistics.median(seconds("dev") for _ in range(3))
    unknown = statistics.median(seconds(f"nobody{i}") for i in range(3))
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_bad_guesses_lock_the_account_then_the_lock_expires(sqlite_platform):
    p, c = sqlite_platform, sqlite_platform.client
    # Five Argon2 checks must fit in the window, also on a loaded 2-core runner (they take ~2 s there)
    p.settings.login_window_s = 6.0
    assert [attempt(c, "dev", f"guess {i}").status_code for i in range(5)] == [401] * 5
    locked = attempt(c, "dev", PASSWORD)  # the right password no longer helps: it is not even checked
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 6
    assert 'id="login-throttled"' in locked.text
    assert lockouts(p) == [("login.locked", "name:dev")]
    assert attempt(c, "dev2", PASSWORD).status_code == 303  # other accounts from this address still log in
    time.sleep(int(locked.headers["Retry-After"]) + 0.2)
    assert attempt(c, "dev", PASSWORD).status_code == 303


def test_unknown_names_are_locked_like_known_ones(sqlite_platform):
    c = sqlite_platform.client
    codes = [attempt(c, "ghost", f"guess {i}").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]  # the same answers as for a real account: nothing tells them apart


def test_guesses_from_one_address_across_names_lock_the_address(sqlite_platform):
    p, c = sqlite_platform, sqlite_platform.client
    p.settings.login_address_failures = 3
    assert [attempt(c, name, "wrong").status_code for name in ("dev", "dev2", "reviewer")] == [401] * 3
    refused = attempt(c, "regulator", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert lockouts(p) == [("login.locked", "addr:testclient")]
