"""URL inputs: presigned object-storage URLs fetched inside each isolated scan, from a loopback server."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from hegui.batch import UrlInput, collect_inputs, download, expand_arguments, redact_url, run_batch
from hegui.batch.plan import input_key
from hegui.batch.ray_engine import TransientScanError, scan_task
from hegui.cli import app
from hegui.pipeline import ScanOptions

APK_A = "droidbench/apks/Threading/JavaThread1.apk"
APK_B = "droidbench/apks/Threading/JavaThread2.apk"
SIGNED = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=deadbeef0123"
CAP = 64 * 1024
OPTIONS = ScanOptions(time_budget_s=60)


class _Server:
    """What the loopback store serves, and how often each path was asked for."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()  # ends the slow response when the test is over
        self.base = ""


def _handler(store: _Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

        def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 — the http.server naming
            path = urlsplit(self.path).path
            store.hits[path] += 1
            if path in store.files:
                body = store.files[path]
                self._send(200, {"Content-Length": str(len(body))}, body)
            elif path.startswith("/hop/"):  # /hop/N/name: N more redirects, then /name
                _hop, hops, name = path.split("/", 3)[1:]
                left = int(hops)
                target = f"/hop/{left - 1}/{name}" if left > 1 else f"/{name}"
                self._send(302, {"Location": target + SIGNED, "Content-Length": "0"})
            elif path == "/to-file":
                self._send(302, {"Location": "file:///etc/passwd", "Content-Length": "0"})
            elif path == "/big.apk":  # announces more than the cap
                self._send(200, {"Content-Length": str(CAP + 1)}, b"\0" * (CAP + 1))
            elif path == "/stream.apk":  # no length: only counting the bytes finds it too large
                self.close_connection = True
                self._send(200, {"Connection": "close"}, b"\0" * (4 * CAP))
            elif path == "/slow.apk":
                store.release.wait(10)
                with contextlib.suppress(OSError):  # the client gave up long ago
                    self._send(200, {"Content-Length": "0"})
            else:
                self._send(404, {"Content-Length": "0"})

    return Handler


@pytest.fixture
def store(corpus: Path, monkeypatch, tmp_path: Path):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    # Download directories go here, so a test can see that none is left behind.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(download, "MAX_DOWNLOAD_BYTES", CAP * 10)
    server_state = _Server({"/a.apk": (corpus / APK_A).read_bytes(), "/b.apk": (corpus / APK_B).read_bytes()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server_state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server_state
    finally:
        server_state.release.set()
        server.shutdown()
        server.server_close()
    assert list(scratch.glob("hegui-url-*")) == []  # every download directory was removed


def _lines(output: Path) -> dict[str, dict]:
    return {line["path"]: line for line in
            (json.loads(text) for text in (output / "index.json").read_text(encoding="utf-8").splitlines())}


def _all_bytes(output: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file())


def test_redact_url_drops_userinfo_query_and_fragment():
    assert redact_url("HTTPS://key:secret@Bucket.example:9000/a/b.apk?X-Amz-Signature=1#frag") \
        == "https://bucket.example:9000/a/b.apk"
    assert redact_url("http://[::1]:8080/x.apk?sig=1") == "http://[::1]:8080/x.apk"
    assert repr(UrlInput("https://h/x.apk" + SIGNED)) == "UrlInput('https://h/x.apk')"


def test_collect_inputs_keys_urls_by_redacted_url(tmp_path: Path):
    local = tmp_path / "x.apk"
    local.write_bytes(b"x")
    inputs = collect_inputs(["https://h/a.apk?X-Amz-Signature=1", "https://h/a.apk?X-Amz-Signature=2", local])
    assert [input_key(i) for i in inputs] == [str(local), "https://h/a.apk"]
    assert inputs[1].url == "https://h/a.apk?X-Amz-Signature=1"  # the first spelling is the one fetched


def test_url_batch_records_each_outcome_and_never_the_signature(store: _Server, tmp_path: Path, corpus: Path,
                                                                report_validator):
    base = store.base
    output = tmp_path / "out"
    failing = [f"{base}/hop/4/b.apk{SIGNED}", f"{base}/missing.apk{SIGNED}", f"{base}/to-file{SIGNED}",
               f"{base}/big.apk", f"{base}/stream.apk"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(download, "MAX_DOWNLOAD_BYTES", CAP)
        result = run_batch(collect_inputs(failing, allow_private_urls=True), output, options=OPTIONS,
                           formats=["json"], jobs=2, quiet=True)
    lines = _lines(output)
    assert set(lines) == {redact_url(u) for u in failing}
    assert (result.total, result.done, result.failed) == (5, 0, 5)
    assert lines[f"{base}/big.apk"]["error"] == f"download failed: larger than {CAP} bytes"
    assert lines[f"{base}/stream.apk"]["error"] == f"download failed: larger than {CAP} bytes"
    assert lines[f"{base}/missing.apk"]["error"] == "download failed: HTTP 404 Not Found"
    assert lines[f"{base}/hop/4/b.apk"]["error"] == "download failed: more than 3 redirects"
    assert lines[f"{base}/to-file"]["error"] == "download failed: redirected to a URL that is not http or https"
    assert b"X-Amz-Signature" not in _all_bytes(output) and b"deadbeef" not in _all_bytes(output)

    # The APKs behind these URLs are scanned; a redirect chain of exactly 3 is followed (loopback: allowed).
    urls = [f"{base}/a.apk{SIGNED}", f"{base}/hop/3/b.apk{SIGNED}"]
    output2 = tmp_path / "out2"
    result = run_batch(collect_inputs(urls, allow_private_urls=True), output2, options=OPTIONS, formats=["json"], jobs=2, quiet=True)
    lines = _lines(output2)
    assert (result.done, result.failed) == (2, 0)
    for url, apk in ((urls[0], APK_A), (urls[1], APK_B)):
        line = lines[redact_url(url)]
        expected = hashlib.sha256((corpus / apk).read_bytes()).hexdigest()
        assert (line["status"], line["sha256"], line["size"]) == ("done", expected, (corpus / apk).stat().st_size)
        report = json.loads((output2 / line["report"]).read_text(encoding="utf-8"))
        report_validator(report)
        assert report["input"] == {"path": redact_url(url), "sha256": expected, "size": line["size"], "kind": "apk"}
    assert b"X-Amz-Signature" not in _all_bytes(output2)


def test_a_redirect_to_a_private_address_is_refused_unless_allowed(store: _Server, tmp_path: Path):
    """The operator named a loopback URL (allowed); its redirect to a loopback address is the server's choice."""
    base = store.base
    result = CliRunner().invoke(app, ["scan", f"{base}/hop/1/a.apk", "--output", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code != 0
    assert _lines(tmp_path / "out")[f"{base}/hop/1/a.apk"]["error"] == \
        "download failed: redirected to a non-public address (127.0.0.1); --allow-private-urls follows it"
    assert store.hits["/a.apk"] == 0  # never contacted
    allowed = CliRunner().invoke(app, ["scan", f"{base}/hop/1/a.apk", "--output", str(tmp_path / "out2"), "--quiet",
                                       "--allow-private-urls"])
    assert allowed.exit_code == 0, allowed.output
    assert _lines(tmp_path / "out2")[f"{base}/hop/1/a.apk"]["status"] == "done"


def test_redirects_are_checked_on_the_connection_too(monkeypatch, tmp_path: Path):
    """A name that resolves to a public address when the redirect is checked and to a private one when connecting
    (DNS rebinding) still never reaches the private address."""
    from hegui.policy import source

    monkeypatch.setattr(download, "_refuse_private_target", lambda url: None)  # the first check is fooled
    opener = download._opener(allow_private=False)
    request = download.urllib.request.Request("http://127.0.0.1:9/x.apk")
    request.hegui_redirected = True
    with pytest.raises(source.NonPublicAddress):
        opener.open(request, timeout=2)


def test_slow_server_fails_on_the_socket_timeout(store: _Server, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(download, "SOCKET_TIMEOUT_S", 0.5)
    output = tmp_path / "out"
    result = run_batch([UrlInput(f"{store.base}/slow.apk{SIGNED}")], output, options=OPTIONS,
                       formats=["json"], quiet=True)
    assert result.failed == 1
    assert _lines(output)[f"{store.base}/slow.apk"]["error"] == "download failed: no data for 0.5 s"


def test_resume_skips_a_done_url_even_when_signed_again(store: _Server, tmp_path: Path):
    output = tmp_path / "out"
    first = [UrlInput(f"{store.base}/a.apk{SIGNED}"), UrlInput(f"{store.base}/missing.apk{SIGNED}")]
    run_batch(first, output, options=OPTIONS, formats=["json"], quiet=True)
    index_before = (output / "index.json").read_bytes()
    hits_before = dict(store.hits)

    again = [UrlInput(f"{store.base}/a.apk?X-Amz-Signature=another"), UrlInput(f"{store.base}/missing.apk")]
    result = run_batch(again, output, options=OPTIONS, formats=["json"], quiet=True)
    assert (result.total, result.skipped_existing, result.done, result.failed) == (2, 2, 0, 0)
    assert (output / "index.json").read_bytes() == index_before
    assert dict(store.hits) == hits_before  # nothing fetched again


def test_cli_reads_urls_and_paths_from_a_list_file(store: _Server, tmp_path: Path, corpus: Path):
    local = tmp_path / "lists" / "local.apk"
    local.parent.mkdir()
    local.write_bytes((corpus / APK_B).read_bytes())
    listing = local.parent / "urls.txt"
    listing.write_text(f"# app-store drop, 2026-11\n\n{store.base}/a.apk{SIGNED}\n  local.apk  \n", encoding="utf-8")
    output = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", f"@{listing}", "--output", str(output), "--quiet"])
    assert result.exit_code == 0, result.output
    assert set(_lines(output)) == {f"{store.base}/a.apk", str(local)}
    assert {line["status"] for line in _lines(output).values()} == {"done"}


def test_unreadable_list_file_is_one_line(tmp_path: Path):
    result = CliRunner().invoke(app, ["scan", f"@{tmp_path / 'none.txt'}", "--output", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"hegui: cannot read input list {tmp_path / 'none.txt'}: No such file or directory"


def test_expand_arguments_keeps_urls_and_resolves_paths_beside_the_list(tmp_path: Path):
    listing = tmp_path / "in.txt"
    listing.write_text("# c\nhttps://h/a.apk?sig=1\nsub/b.apk\n@nested.txt\n", encoding="utf-8")
    assert expand_arguments(["x.apk", f"@{listing}"]) == [
        "x.apk", "https://h/a.apk?sig=1", str(tmp_path / "sub/b.apk"), str(tmp_path / "@nested.txt")]


def test_ray_task_raises_transient_download_errors_for_retry(store: _Server):
    refused = UrlInput("http://127.0.0.1:9/a.apk" + SIGNED)  # discard port: nothing listens on loopback
    with pytest.raises(TransientScanError) as raised:
        scan_task(refused, False, OPTIONS, ["json"], None)
    assert str(raised.value) == "download failed: Connection refused"
    outcome, _seconds = scan_task(UrlInput(f"{store.base}/missing.apk{SIGNED}"), False, OPTIONS, ["json"], None)
    assert (outcome.status, outcome.error, outcome.transient) == ("failed", "download failed: HTTP 404 Not Found",
                                                                 False)
