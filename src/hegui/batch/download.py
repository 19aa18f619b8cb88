"""Inputs named by URL: an APK fetched over http(s) into a private temporary file inside the isolated scan.

Object storage (S3, OSS, COS, MinIO) hands out *presigned* URLs: a plain HTTPS GET whose query string
carries the signature. That signature is a secret, so a URL is shown, logged and indexed only in its
redacted form (`redact_url`: no user info, no query, no fragment); the full URL is sent to the server
and nowhere else.

The server is not trusted either: the transfer has a size cap, a socket timeout (connect and each read),
a deadline for the whole transfer, at most `MAX_REDIRECTS` redirects, and only http/https anywhere in the
chain (the opener has no file, ftp or data handlers). The module constants are the configuration.

The operator names the first address, and may name an internal one; a redirect is the server's choice, so it is
followed only to public addresses (policy.source.public_address: the target's resolved addresses are checked,
and when no proxy is in between, the address connected to is the one checked) unless the operator allowed
private addresses (`hegui scan --allow-private-urls`, `UrlInput.allow_private`).
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from hegui import __version__
from hegui.errors import InputError
from hegui.policy.source import NonPublicAddress, checked_handler, public_address

MAX_DOWNLOAD_BYTES = 2 << 30      # 2 GiB: larger than any APK a store accepts
SOCKET_TIMEOUT_S = 30.0           # connecting, and each read from the socket
DOWNLOAD_DEADLINE_S = 900.0       # the whole transfer
MAX_REDIRECTS = 3
URL_SCHEMES = ("http", "https")
_CHUNK = 1 << 16
# HTTP statuses worth another attempt (the storage was busy or briefly unavailable).
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def is_url(text: str) -> bool:
    """Whether a command-line input names a URL (http or https) rather than a path."""
    return text[:8].lower().startswith(("http://", "https://"))


def redact_url(url: str) -> str:
    """The URL without what may be secret: user info, query string (presigned signatures), fragment."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme.lower()}://{netloc}{parts.path}"


@dataclass(frozen=True, slots=True, repr=False)
class UrlInput:
    """A batch input named by URL. `url` keeps its signature; everything shown uses `key` (redacted)."""

    url: str
    allow_private: bool = False  # follow redirects to private addresses too (--allow-private-urls)

    @property
    def key(self) -> str:
        return redact_url(self.url)

    def __repr__(self) -> str:  # never the signature, even in a traceback or a debug print
        return f"UrlInput({self.key!r})"

    __str__ = __repr__


class DownloadError(InputError):
    """The URL could not be fetched. `transient`: another attempt may succeed (timeout, 5xx, refused)."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(f"download failed: {reason}")
        self.transient = transient


class _CountedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows at most `MAX_REDIRECTS` redirects, and only to http/https.

    Checked before urllib's own checks, whose messages quote the target URL (which may be signed too).
    """

    def __init__(self, allow_private: bool = False) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        followed = sum(getattr(req, "redirect_dict", {}).values())
        if followed >= MAX_REDIRECTS:
            raise DownloadError(f"more than {MAX_REDIRECTS} redirects")
        target = headers.get("location") or headers.get("uri")
        if target is not None and urlsplit(target).scheme.lower() not in (*URL_SCHEMES, ""):
            raise DownloadError("redirected to a URL that is not http or https")
        if target is not None and not self.allow_private:
            _refuse_private_target(urljoin(req.full_url, target))
        return super().http_error_302(req, fp, code, msg, headers)

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.hegui_redirected = True  # _Connections checks the address this one connects to
        return new

    # The base class binds these names to its own http_error_302, not to the override above.
    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _private_redirect(address: str) -> DownloadError:
    return DownloadError(f"redirected to a non-public address ({address}); --allow-private-urls follows it")


def _refuse_private_target(url: str) -> None:
    """Refuse a redirect target whose host resolves to any non-public address (also when a proxy connects)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme.lower() == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        return  # unresolvable here: the connection fails, or the proxy resolves it (and is the operator's)
    for *_rest, sockaddr in infos:
        if not public_address(ipaddress.ip_address(sockaddr[0].split("%", 1)[0])):
            raise _private_redirect(sockaddr[0])


class _Connections(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """http and https; a redirected request made without a proxy connects only to public addresses."""

    def __init__(self, allow_private: bool) -> None:
        urllib.request.HTTPHandler.__init__(self)
        urllib.request.HTTPSHandler.__init__(self, context=ssl.create_default_context())
        self._checked = None if allow_private else checked_handler(public_address)

    def _check(self, req: urllib.request.Request) -> bool:
        direct = not req.has_proxy() and not getattr(req, "_tunnel_host", None)
        return self._checked is not None and direct and getattr(req, "hegui_redirected", False)

    def http_open(self, req):  # type: ignore[no-untyped-def]
        return self._checked.http_open(req) if self._check(req) else super().http_open(req)  # type: ignore[union-attr]

    def https_open(self, req):  # type: ignore[no-untyped-def]
        if self._check(req):
            return self._checked.https_open(req)  # type: ignore[union-attr]
        return urllib.request.HTTPSHandler.https_open(self, req)


def _opener(allow_private: bool = False) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(),  # proxies from the environment, as other clients do
                    _Connections(allow_private),
                    _CountedRedirects(allow_private),
                    urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def _timed_out() -> DownloadError:
    return DownloadError(f"no data for {SOCKET_TIMEOUT_S:g} s", transient=True)


def _too_large() -> DownloadError:
    return DownloadError(f"larger than {MAX_DOWNLOAD_BYTES} bytes")


def fetch(url: str, dest: Path, *, allow_private: bool = False) -> tuple[str, int]:
    """Download `url` into the new file `dest`; (sha256 of the bytes, size). Raises `DownloadError`.

    Redirects lead only to public addresses unless `allow_private`.

    On failure `dest` may hold a partial file: the caller owns the private directory it lives in.
    """
    if urlsplit(url).scheme.lower() not in URL_SCHEMES:
        raise DownloadError("only http and https URLs are fetched")
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_S
    request = urllib.request.Request(url, headers={"User-Agent": f"hegui/{__version__}",
                                                   "Accept-Encoding": "identity"})
    digest = hashlib.sha256()
    size = 0
    try:
        with _opener(allow_private).open(request, timeout=SOCKET_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > MAX_DOWNLOAD_BYTES:
                raise _too_large()
            with dest.open("xb") as fh:
                while chunk := response.read1(_CHUNK):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise _too_large()
                    if time.monotonic() > deadline:
                        raise DownloadError(f"not finished within {DOWNLOAD_DEADLINE_S:g} s", transient=True)
                    digest.update(chunk)
                    fh.write(chunk)
    except DownloadError:
        raise
    except NonPublicAddress as err:
        raise _private_redirect(err.address) from None
    except urllib.error.HTTPError as err:
        raise DownloadError(f"HTTP {err.code} {err.reason}", transient=err.code in _TRANSIENT_STATUS) from None
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, TimeoutError):
            raise _timed_out() from None
        if isinstance(reason, ssl.SSLError):
            raise DownloadError(f"TLS: {getattr(reason, 'reason', None) or reason}") from None
        if isinstance(reason, OSError):
            raise DownloadError(reason.strerror or type(reason).__name__, transient=True) from None
        raise DownloadError(str(reason)) from None
    except TimeoutError:
        raise _timed_out() from None
    except http.client.HTTPException as err:  # e.g. the connection closed mid-body
        raise DownloadError(f"broken response: {type(err).__name__}", transient=True) from None
    except OSError as err:
        raise DownloadError(err.strerror or type(err).__name__, transient=True) from None
    return digest.hexdigest(), size
