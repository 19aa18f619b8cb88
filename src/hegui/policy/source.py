"""Reading a policy from where it is: `--policy FILE_OR_URL`, or a policy URL found inside the APK
(hegui.policy.locate finds it there).

Nothing fetches during a scan by itself: a policy URL found in the APK is returned as a URL. An explicit
`--policy https://…` is downloaded (size- and redirect-capped); a URL found in the APK only with `--fetch-policy`,
and then only from public addresses: the URL comes from the APK, i.e. from whoever built it, and a scanning
server must not become its way into internal networks (SSRF). Every connection, redirects included, goes only to
resolved addresses that pass the check (a refused one is never contacted, and the checked address is the one
connected to, so DNS rebinding does not help), and no proxy is used.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from hegui.errors import InputError

MAX_REDIRECTS = 3


class NonPublicAddress(InputError):
    """A connection was refused because every address of the host failed the address check."""

    def __init__(self, address: str) -> None:
        super().__init__(f"policy URL leads to a non-public address ({address}): not fetched")
        self.address = address


class _LimitedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise InputError(f"policy URL redirects to a non-HTTP address ({scheme or 'no scheme'})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def load_policy_source(spec: str, *, timeout_s: float = 10.0, max_bytes: int = 5_000_000) -> tuple[bytes, str]:
    """Read `--policy`: a local file or an http(s) URL. Returns (bytes, source name)."""
    scheme = urllib.parse.urlsplit(spec).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch(spec, timeout_s=timeout_s, max_bytes=max_bytes), spec
    if scheme and len(scheme) > 1:  # "c:" on Windows is a drive, not a scheme
        raise InputError(f"policy source must be a file or an http(s) URL, not {scheme}:")
    path = Path(spec)
    if not path.is_file():
        raise InputError("policy file not found")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"policy file is larger than {max_bytes} bytes")
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise InputError(f"policy file cannot be read: {exc.strerror or type(exc).__name__}") from exc


AddressCheck = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address, int], bool]


# IPv6 ranges that reach IPv4 or old site networks through a translator or tunnel: an address in them may lead
# to a private IPv4 host (::ffff:127.0.0.1, 64:ff9b::a00:1 via NAT64, 2002:7f00:1:: via 6to4), and some Python
# versions call parts of them global. None of them is where a policy or an APK is published.
_NON_PUBLIC_V6 = tuple(ipaddress.ip_network(net) for net in (
    "::ffff:0:0/96",   # IPv4-mapped
    "64:ff9b::/96",    # NAT64 well-known prefix (RFC 6052)
    "64:ff9b:1::/48",  # NAT64 local-use prefix (RFC 8215)
    "2002::/16",       # 6to4
    "fec0::/10",       # site-local (deprecated, still routed inside some networks)
    "::/96",           # IPv4-compatible (deprecated)
))


def public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, _port: int = 0) -> bool:
    """A globally routable address that cannot lead into a private network."""
    if isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in _NON_PUBLIC_V6):
        return False
    return ip.is_global


def checked_handler(address_allowed: AddressCheck) -> urllib.request.BaseHandler:
    """An urllib handler for http and https whose connections reach only addresses `address_allowed` accepts."""
    return _CheckedHandler(address_allowed)


def fetch_found_policy(url: str, *, timeout_s: float = 10.0, max_bytes: int = 5_000_000,
                       address_allowed: AddressCheck | None = None) -> bytes:
    """Download a policy URL found inside the APK (`--fetch-policy`): as `--policy URL`, but every connection,
    redirects included, must reach an address `address_allowed` accepts (`public_address` by default)."""
    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        raise InputError("policy URL is not an http(s) address")
    return _fetch(url, timeout_s=timeout_s, max_bytes=max_bytes, address_allowed=address_allowed or public_address)


def _checked_connection(address: tuple[str, int], timeout: object = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                        source_address: tuple[str, int] | None = None, *, address_allowed: AddressCheck) -> socket.socket:
    """`socket.create_connection`, but only to resolved addresses `address_allowed` accepts: a refused address
    is never contacted, and the address checked is the one connected to (no second lookup to rebind)."""
    host, port = address
    try:
        candidates = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host}: {exc.strerror}") from None
    refused: str | None = None
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in candidates:
        ip = ipaddress.ip_address(sockaddr[0])
        if not address_allowed(ip, sockaddr[1]):
            refused = refused or str(ip)
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)  # type: ignore[arg-type]
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    if last_error is not None:
        raise last_error
    raise NonPublicAddress(refused or host)


class _CheckedHTTP(http.client.HTTPConnection):
    def __init__(self, *args, address_allowed: AddressCheck, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_checked_connection, address_allowed=address_allowed)


class _CheckedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args, address_allowed: AddressCheck, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_checked_connection, address_allowed=address_allowed)


class _CheckedHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens http and https connections whose peer address is checked before a byte is sent (TLS included)."""

    def __init__(self, address_allowed: AddressCheck) -> None:
        urllib.request.HTTPHandler.__init__(self)
        urllib.request.HTTPSHandler.__init__(self, context=ssl.create_default_context())
        self._address_allowed = address_allowed

    def http_open(self, req):
        return self.do_open(functools.partial(_CheckedHTTP, address_allowed=self._address_allowed), req)

    def https_open(self, req):
        return self.do_open(functools.partial(_CheckedHTTPS, address_allowed=self._address_allowed), req,
                            context=self._context)


def _fetch(url: str, *, timeout_s: float, max_bytes: int, address_allowed: AddressCheck | None = None) -> bytes:
    handlers: list[urllib.request.BaseHandler] = [_LimitedRedirects()]
    if address_allowed is not None:  # no proxy: it would connect for us, to addresses we never see
        handlers += [urllib.request.ProxyHandler({}), _CheckedHandler(address_allowed)]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": "hegui-policy-fetch/1", "Accept": "*/*"})
    try:
        with opener.open(request, timeout=timeout_s) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InputError(f"policy URL serves more than {max_bytes} bytes")
            data = response.read(max_bytes + 1)
    except InputError:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code in (301, 302, 303, 307, 308) and "not allowed" in str(exc.msg):
            raise InputError("policy URL redirects to a non-HTTP address") from exc
        if exc.code in (301, 302, 303, 307, 308):
            raise InputError(f"policy URL redirects more than {MAX_REDIRECTS} times") from exc
        raise InputError(f"policy URL answered HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise InputError(f"policy URL cannot be fetched: {str(exc.reason)[:120]}") from exc
    except (TimeoutError, OSError, ValueError) as exc:
        raise InputError(f"policy URL cannot be fetched: {type(exc).__name__}") from exc
    if len(data) > max_bytes:
        raise InputError(f"policy URL serves more than {max_bytes} bytes")
    return data
