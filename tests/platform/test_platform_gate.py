"""Attacks by clients without an account on a real `hegui serve` (127.0.0.1), each refused before the request
body is read, while an authenticated request keeps answering within a second (issue 10, items 1 and 2)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from platform_kit import free_port, hegui, start_server

MB = 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """(port, regulator's API token) of a `hegui serve` with the default limits (300 MB uploads)."""
    env = {**os.environ, "HEGUI_DATA_DIR": str(tmp_path / "data")}
    token = hegui("user", "add", "regulator", "--role", "regulator", env=env).stdout.strip()
    port = free_port()
    proc = start_server(env, port, tmp_path / "server.log")
    yield port, token
    proc.kill()
    proc.wait(10)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def send_until_answered(port: int, head: bytes, chunk: bytes, total: int, timeout: float = 30) -> tuple[int, int]:
    """Send `head`, then `chunk` again and again (up to `total` bytes) until the server answers, as a client
    streaming a large body does. Returns (HTTP status, body bytes sent before the answer arrived)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        sent, deadline = 0, time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sent < total else [], [], 1)
            if readable:
                return status_of(sock.recv(65536)), sent
            if writable:
                with contextlib.suppress(BlockingIOError, InterruptedError):
                    sent += sock.send(chunk[: total - sent])
        raise AssertionError(f"no answer after sending {sent} bytes")


def upload_head(port: int, length: int, authorization: str) -> bytes:
    return (f"POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {authorization}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
            "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.apk\"\r\n\r\n").encode()


def test_slow_anonymous_clients_cannot_delay_an_authenticated_request(server):
    port, token = server
    head = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000\r\n\r\nname=").encode()
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
    answers: dict[int, int] = {}
    try:
        started = time.monotonic()
        for sock in slow:
            sock.sendall(head)
        latencies = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as me:
            while len(answers) < len(slow) and time.monotonic() - started < 20:
                t0 = time.monotonic()
                assert me.get("/api/v1/me", timeout=5).json()["name"] == "regulator"
                latencies.append(time.monotonic() - t0)
                for i, sock in enumerate(slow):
                    if i not in answers and select.select([sock], [], [], 0)[0]:
                        answers[i] = status_of(sock.recv(65536))
                    elif i not in answers:
                        sock.send(b"a")  # one byte per round: far below the minimum body rate
                time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        for sock in slow:
            sock.close()
    counts = {status: list(answers.values()).count(status) for status in set(answers.values())}
    # 16 in flight per client address (the rest 429 at once); 4 anonymous slots, whose holders fail the body
    # clock after its 10 s grace (408); the 12 waiting for a slot give up after 5 s (503).
    assert counts == {429: 34, 503: 12, 408: 4}
    assert max(latencies) < 1.0, latencies
    assert elapsed < 15


def test_made_up_token_is_refused_before_a_300_mb_upload_is_sent(server):
    port, _token = server
    total = 300 * MB
    status, sent = send_until_answered(port, upload_head(port, total, "Bearer hg_made_up"), b"\0" * 65536, total)
    assert status == 401
    assert sent < 8 * MB


def test_upload_past_the_size_limit_answers_413(tmp_path: Path):
    env = {**os.environ, "HEGUI_DATA_DIR": str(tmp_path / "data")}
    token = hegui("user", "add", "dev", "--role", "developer", env=env).stdout.strip()
    port = free_port()
    proc = start_server(env, port, tmp_path / "server.log", "--max-upload-mb", "1")
    try:
        declared = send_until_answered(port, upload_head(port, 300 * MB, f"Bearer {token}"), b"\0" * 65536, 300 * MB)
        assert declared[0] == 413 and declared[1] < 8 * MB
        # No declared length: the body is counted as it streams in (multipart, chunked transfer encoding).
        head = upload_head(port, 0, f"Bearer {token}").replace(b"Content-Length: 0", b"Transfer-Encoding: chunked")
        part_head, _, part_body = head.partition(b"\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b"\0" * 65536)
        first = b"%x\r\n%s\r\n" % (len(part_body), part_body)
        streamed = send_until_answered(port, part_head + b"\r\n\r\n" + first, chunk, 300 * MB)
        assert streamed[0] == 413 and MB < streamed[1] < 8 * MB
    finally:
        proc.kill()
        proc.wait(10)


@contextlib.contextmanager
def in_process_server(tmp_path: Path, **limits) -> Iterator[tuple[int, str]]:
    """The app under uvicorn in this process with `limits` as settings: (port, a developer's API token)."""
    import threading

    import uvicorn

    from hegui.platform.accounts import create_user
    from hegui.platform.app import create_app, server_options
    from hegui.platform.config import Settings

    settings = Settings(db_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", data_dir=tmp_path / "data", start_worker=False,
                        **limits)
    app = create_app(settings)
    with app.state.sessions() as db:
        _user, token = create_user(db, "dev", "developer")
        db.commit()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           **server_options(settings)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield port, token
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def quick_clock_server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """Body clocks short enough to watch: 1 s idle, 64 KB/s after a 1 s grace."""
    with in_process_server(tmp_path, body_idle_s=1.0, body_grace_s=1.0, body_min_rate=64 * 1024) as server:
        yield server


def test_an_authenticated_body_that_stalls_or_trickles_answers_408(quick_clock_server):
    port, token = quick_clock_server
    head = upload_head(port, 4 * MB, f"Bearer {token}")
    with socket.create_connection(("127.0.0.1", port)) as sock:  # sends 64 KB, then nothing
        sock.sendall(head + b"\0" * 65536)
        sock.settimeout(10)
        t0 = time.monotonic()
        assert status_of(sock.recv(65536)) == 408
        assert 0.5 < time.monotonic() - t0 < 5
    with socket.create_connection(("127.0.0.1", port)) as sock:  # 8 KB every 0.25 s: 32 KB/s, half the minimum
        sock.sendall(head)
        t0 = time.monotonic()
        answer = b""
        while not answer and time.monotonic() - t0 < 10:
            sock.sendall(b"\0" * 8192)
            if select.select([sock], [], [], 0.25)[0]:
                answer = sock.recv(65536)
        assert status_of(answer) == 408
        assert 0.9 < time.monotonic() - t0 < 5


def test_a_token_revoked_a_moment_ago_cannot_start_an_upload(server, tmp_path: Path):
    port, token = server
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers=auth).status_code == 200  # the gate caches it
    env = {**os.environ, "HEGUI_DATA_DIR": str(tmp_path / "data")}
    assert hegui("token", "revoke", "1", env=env).returncode == 0
    status, sent = send_until_answered(port, upload_head(port, 300 * MB, f"Bearer {token}"), b"\0" * 65536, 300 * MB)
    assert status == 401 and sent < 8 * MB
    assert httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers=auth).status_code == 401


def test_uploads_take_only_their_own_slots(tmp_path: Path):
    """One upload slot: a second upload waits, then 503, while other authenticated requests still answer."""
    with in_process_server(tmp_path, upload_requests=1, anonymous_wait_s=1.0) as (port, token):
        first = socket.create_connection(("127.0.0.1", port))
        try:
            first.sendall(upload_head(port, 4 * MB, f"Bearer {token}") + b"\0" * 65536)  # holds the upload slot
            time.sleep(0.5)  # sendall returns before the server admits it: on a loaded machine the second came first
            t0 = time.monotonic()
            status, _sent = send_until_answered(port, upload_head(port, 4 * MB, f"Bearer {token}"), b"\0" * 4096,
                                                32 * 1024)
            assert status == 503 and 0.9 < time.monotonic() - t0 < 5
            me = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.json()["name"] == "dev"
        finally:
            first.close()
