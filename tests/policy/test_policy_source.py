"""Where the policy comes from: --policy FILE_OR_URL (local HTTP server only) and the APK's own files/strings."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hegui.errors import InputError
from hegui.policy import PolicyCandidate, find_policy_in_apk, load_policy_source

POLICY_HTML = "<html><body><h1>隐私政策</h1><p>我们会收集您的手机号码。</p></body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        path = self.path
        if path == "/privacy.html":
            self._send(200, POLICY_HTML)
        elif path.startswith("/hop/"):
            remaining = int(path.rsplit("/", 1)[1])
            self.send_response(302)
            self.send_header("Location", "/privacy.html" if remaining == 0 else f"/hop/{remaining - 1}")
            self.end_headers()
        elif path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
        elif path == "/big":
            self._send(200, b"x" * 5000)
        else:
            self._send(404, b"not here")

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_local_file(tmp_path):
    path = tmp_path / "policy.html"
    path.write_bytes(POLICY_HTML)
    assert load_policy_source(str(path)) == (POLICY_HTML, str(path))


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(InputError, match="^policy file not found$"):
        load_policy_source(str(tmp_path / "nope.html"))


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 200)
    with pytest.raises(InputError, match="larger than 100 bytes"):
        load_policy_source(str(path), max_bytes=100)


def test_other_url_schemes_are_refused():
    with pytest.raises(InputError, match="file or an http"):
        load_policy_source("ftp://example.cn/privacy.html")


def test_url_is_fetched(server):
    assert load_policy_source(f"{server}/privacy.html") == (POLICY_HTML, f"{server}/privacy.html")


def test_three_redirects_are_followed(server):
    data, source = load_policy_source(f"{server}/hop/2")
    assert data == POLICY_HTML
    assert source == f"{server}/hop/2"


def test_a_fourth_redirect_is_refused(server):
    with pytest.raises(InputError, match="redirects more than 3 times"):
        load_policy_source(f"{server}/hop/3")


def test_redirect_to_a_local_file_is_refused(server):
    with pytest.raises(InputError, match="non-HTTP address"):
        load_policy_source(f"{server}/to-file")


def test_http_error_is_reported(server):
    with pytest.raises(InputError, match="^policy URL answered HTTP 404$"):
        load_policy_source(f"{server}/missing")


def test_size_cap_applies_to_urls(server):
    with pytest.raises(InputError, match="more than 1000 bytes"):
        load_policy_source(f"{server}/big", max_bytes=1000)


def test_unreachable_url_is_a_one_line_error():
    with pytest.raises(InputError) as err:
        load_policy_source("http://127.0.0.1:9/privacy.html", timeout_s=2)
    assert "\n" not in str(err.value)


# --- inside the APK ---------------------------------------------------------------------------------------------

def _reader(entries: dict[str, bytes]):
    return entries.__getitem__


def test_policy_asset_is_preferred_over_other_html():
    entries = {
        "assets/help.html": "<p>帮助中心</p>".encode(),
        "assets/web/privacy.html": "<h1>隐私政策</h1><p>我们收集您的个人信息。</p>".encode(),
        "res/layout/main.xml": b"\x03\x00\x08\x00",
    }
    found = find_policy_in_apk(list(entries), _reader(entries), [], [])
    assert found == PolicyCandidate(source="assets/web/privacy.html", data=entries["assets/web/privacy.html"], url=None)


def test_raw_resource_with_an_unhelpful_name_is_found_by_its_content():
    text = "用户隐私协议\n我们会收集您的设备信息。".encode("gbk")
    entries = {"res/raw/a1.txt": text}
    found = find_policy_in_apk(list(entries), _reader(entries), [], [])
    assert found is not None and found.source == "res/raw/a1.txt"


def test_long_string_resource_with_policy_text():
    policy = "隐私政策：" + "我们会收集您的个人信息用于提供服务。" * 60
    found = find_policy_in_apk([], _reader({}), [("app_name", "商城"), ("privacy_content", policy)], [])
    assert found == PolicyCandidate(source="string:privacy_content", data=policy.encode("utf-8"), url=None)


def test_policy_url_in_dex_strings_is_returned_not_fetched():
    dex_strings = ["https://cdn.example.cn/logo.png", "https://www.example.cn/agreement/privacy.html?v=2"]
    found = find_policy_in_apk(["classes.dex"], _reader({}), [], dex_strings)
    assert found == PolicyCandidate(source="url:https://www.example.cn/agreement/privacy.html?v=2", data=None,
                                    url="https://www.example.cn/agreement/privacy.html?v=2")


def test_nothing_policy_like_gives_none():
    entries = {"assets/index.html": "<p>欢迎使用</p>".encode()}
    assert find_policy_in_apk(list(entries), _reader(entries), [("app_name", "商城")],
                              ["https://cdn.example.cn/a.png"]) is None


def test_unreadable_entry_is_skipped():
    def broken(name: str) -> bytes:
        raise ValueError("bad zip entry")

    assert find_policy_in_apk(["assets/privacy.html"], broken, [], []) is None
