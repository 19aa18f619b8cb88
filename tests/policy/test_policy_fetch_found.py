"""`--fetch-policy`: a policy URL found inside the APK is downloaded only from public addresses — the URL is the
APK author's, and a scanning server must not fetch internal addresses for them (SSRF). Local servers only: the
tests widen the address check to one loopback port where they need a successful fetch."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import smali_snippets as s
from hegui.errors import InputError
from hegui.pipeline import ScanOptions
from hegui.policy import fetch_found_policy, source
from scanfixtures import COMPLETE_POLICY, app_smali, scan_app


class _Server:
    """A loopback HTTP server that counts requests: /privacy.html serves the complete policy, /away redirects
    to `redirect_to`."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.redirect_to = ""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                owner.requests.append(self.path)
                if self.path == "/away":
                    self.send_response(302)
                    self.send_header("Location", owner.redirect_to)
                    self.end_headers()
                    return
                body = COMPLETE_POLICY.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    pair = (_Server(), _Server())
    yield pair
    for server in pair:
        server.close()


@pytest.mark.parametrize(("address", "public"), [
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.9", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False), ("fd00::1", False),
    ("::ffff:127.0.0.1", False), ("8.8.8.8", True), ("2400:3200::1", True),
    # translated or tunnelled IPv4, which Python calls global: the far end may be a private host
    ("::ffff:8.8.8.8", False), ("64:ff9b::a00:1", False), ("64:ff9b::808:808", False), ("64:ff9b:1::a00:1", False),
    ("2002:7f00:1::1", False), ("2002:808:808::1", False), ("::a00:1", False),
    ("fec0::1", False),  # site-local
])
def test_only_global_addresses_are_public(address, public):
    assert source.public_address(ipaddress.ip_address(address), 443) is public


def only_port(port: int):
    return lambda ip, peer_port: ip.is_loopback and peer_port == port


def test_a_loopback_address_is_not_fetched_and_never_contacted(servers):
    server, _ = servers
    with pytest.raises(InputError) as caught:
        fetch_found_policy(f"{server.url}/privacy.html")
    assert str(caught.value) == "policy URL leads to a non-public address (127.0.0.1): not fetched"
    assert server.requests == []


def test_an_allowed_address_is_fetched(servers):
    server, _ = servers
    assert fetch_found_policy(f"{server.url}/privacy.html", address_allowed=only_port(server.port)) == (
        COMPLETE_POLICY.encode("utf-8"))


def test_a_redirect_to_a_refused_address_is_not_followed(servers):
    allowed, internal = servers
    allowed.redirect_to = f"{internal.url}/privacy.html"
    with pytest.raises(InputError, match=r"^policy URL leads to a non-public address \(127\.0\.0\.1\): not fetched$"):
        fetch_found_policy(f"{allowed.url}/away", address_allowed=only_port(allowed.port))
    assert (allowed.requests, internal.requests) == (["/away"], [])


def test_a_configured_proxy_is_not_used(servers, monkeypatch):
    target, proxy = servers
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    fetch_found_policy(f"{target.url}/privacy.html", address_allowed=only_port(target.port))
    assert (target.requests, proxy.requests) == (["/privacy.html"], [])


def test_only_http_urls_are_fetched():
    with pytest.raises(InputError, match="^policy URL is not an http\\(s\\) address$"):
        fetch_found_policy("file:///etc/passwd")


def _app_with_policy_url(tmp_path, url: str, options: ScanOptions):
    return scan_app(tmp_path, app_smali(main_on_create=s.http_url(url)), options=options)


@pytest.mark.apktool
def test_without_fetch_policy_a_found_url_is_recorded_not_fetched(servers, tmp_path, report_validator):
    server, _ = servers
    scanned = _app_with_policy_url(tmp_path, f"{server.url}/privacy.html", ScanOptions())
    report_validator(scanned.report.model_dump(mode="json"))
    assert (scanned.report.policy.found, scanned.report.policy.source) == (True, f"url:{server.url}/privacy.html")
    assert scanned.report.policy.elements == {} and server.requests == []


@pytest.mark.apktool
def test_fetch_policy_refuses_an_internal_url_and_the_scan_completes(servers, tmp_path, report_validator):
    server, _ = servers
    scanned = _app_with_policy_url(tmp_path, f"{server.url}/privacy.html", ScanOptions(fetch_policy=True))
    report_validator(scanned.report.model_dump(mode="json"))
    assert [(e.stage, e.message) for e in scanned.report.errors] == [
        ("policy", f"url:{server.url}/privacy.html: policy URL leads to a non-public address (127.0.0.1): not fetched")]
    assert server.requests == []


@pytest.mark.apktool
def test_fetch_policy_analyses_the_policy_a_found_url_serves(servers, tmp_path, report_validator, monkeypatch):
    server, _ = servers
    monkeypatch.setattr(source, "public_address", only_port(server.port))
    scanned = _app_with_policy_url(tmp_path, f"{server.url}/privacy.html", ScanOptions(fetch_policy=True))
    report_validator(scanned.report.model_dump(mode="json"))
    assert scanned.report.errors == [] and server.requests == ["/privacy.html"]
    assert scanned.report.policy.elements["complaint_channel"] is True
    assert "PI-POLICY-ABSENT" not in scanned.rules()
