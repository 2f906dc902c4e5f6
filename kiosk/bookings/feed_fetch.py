"""Fetching a calendar feed: the address rule, the refusal of internal
addresses (after every lookup and redirect, unless KIOSK_FEED_ALLOWED_HOSTS
lists the host), the whole-read deadline, the size cap, the per-process limit
on reads at once, and validators too long to keep. Errors are fixed keys
(``ERRORS``), never the server's text. kiosk/bookings/feeds.py uses it.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from .. import validate
from ..errors import KeyedError
from . import service

URL_MAX = 2000
ETAG_MAX = 200
LAST_MODIFIED_MAX = 64
ERRORS = ("bad-url", "refused-address", "unreachable", "timeout", "http", "too-large", "too-many", "invalid",
          "unreadable", "shrunk", "busy", "internal")


class FeedError(KeyedError):
    """A feed that cannot be read; ``key`` is one of ``ERRORS``."""


def check_url(raw: str | None) -> str:
    """An http(s) address with a host; anything else (file:, ftp:, data:) is refused."""
    url = (raw or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise service.BookingError("bookings.feed.bad_url") from None
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.hostname:
        raise service.BookingError("bookings.feed.bad_url")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise service.BookingError("bookings.feed.bad_url")
    return url


def allowed_hosts(config) -> frozenset[str]:
    """KIOSK_FEED_ALLOWED_HOSTS: "host" or "host:port" entries (a list, or text
    separated by commas or spaces) that may be read though they resolve to a
    loopback, private, link-local or multicast address."""
    raw = config.get("FEED_ALLOWED_HOSTS") or ()
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    return frozenset(str(h).strip().lower() for h in raw if str(h).strip())


@dataclass(frozen=True)
class FetchSettings:
    """The limits of one read, taken from the app's config (a worker thread has no app)."""

    max_bytes: int
    timeout: float
    deadline: float
    allowed: frozenset[str]
    max_instances: int
    concurrent: int

    @classmethod
    def from_config(cls, config) -> FetchSettings:
        return cls(int(config["FEED_MAX_BYTES"]), float(config["FEED_TIMEOUT_SECONDS"]),
                   float(config["FEED_DEADLINE_SECONDS"]), allowed_hosts(config),
                   int(config["FEED_MAX_INSTANCES"]), max(1, int(config["FEED_MAX_CONCURRENT"])))


class _Refused(OSError):
    """An address the kiosk does not read (an internal network)."""


class _Watch:
    """One read's sockets and its deadline: when the deadline passes, the
    sockets are shut, whatever phase (connect, headers, body) the read is in."""

    def __init__(self, seconds: float):
        self.sockets: list[socket.socket] = []
        self.expired = False
        self._seconds = seconds
        self._due = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._due = time.monotonic() + self._seconds
        self._timer.start()
        return self

    def passed(self) -> bool:
        """Past the deadline: by the timer, or by the clock where the read is
        ours to loop. A thread's timed wait cannot always be trusted (under a
        moved clock, libfaketime's, it never wakes), and a feed sending a byte
        now and then must still be cut at the deadline."""
        return self.expired or time.monotonic() >= self._due

    def __exit__(self, *exc):
        self._timer.cancel()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError
            self.sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _guarded_socket(host: str, port: int, timeout: float, settings: FetchSettings, watch: _Watch) -> socket.socket:
    """Resolve the name, refuse internal addresses (unless the host is allowed),
    and connect to an address that was checked - not to a second lookup."""
    allowed = host.lower() in settings.allowed or f"{host.lower()}:{port}" in settings.allowed
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not allowed and any(not _public(info[4][0]) for info in infos):
        raise _Refused("internal address")
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            watch.add(sock)
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError("no address")


class _GuardedHTTP(http.client.HTTPConnection):
    def __init__(self, *args, settings: FetchSettings, watch: _Watch, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings, self._watch = settings, watch

    def connect(self):
        self.sock = _guarded_socket(self.host, self.port, self.timeout, self._settings, self._watch)


class _GuardedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args, settings: FetchSettings, watch: _Watch, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings, self._watch = settings, watch

    def connect(self):
        sock = _guarded_socket(self.host, self.port, self.timeout, self._settings, self._watch)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, settings: FetchSettings, watch: _Watch):
        super().__init__()
        self._kw = {"settings": settings, "watch": watch}

    def http_open(self, req):
        return self.do_open(functools.partial(_GuardedHTTP, **self._kw), req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, settings: FetchSettings, watch: _Watch):
        super().__init__()
        self._kw = {"settings": settings, "watch": watch}

    def https_open(self, req):
        return self.do_open(functools.partial(_GuardedHTTPS, **self._kw), req, context=self._context)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow ftp:); every
    redirect's address is checked again when it is connected to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FeedError("bad-url")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_gates: dict[int, threading.BoundedSemaphore] = {}
_gates_lock = threading.Lock()


def _gate(size: int) -> threading.BoundedSemaphore:
    """At most FEED_MAX_CONCURRENT feeds are read at once in this process
    (the timer's run and every "read now" together)."""
    with _gates_lock:
        return _gates.setdefault(size, threading.BoundedSemaphore(size))


def _validator(value: str | None, limit: int) -> str | None:
    """An ETag or Last-Modified as kept: one that does not fit its column is
    dropped (the next read is a full one), never stored cut."""
    if not value or len(value) > limit:
        return None
    return value


def fetch(url: str, etag: str | None = None, last_modified: str | None = None,
          settings: FetchSettings | None = None) -> tuple[bytes | None, str | None, str | None]:
    """GET the feed: (body, etag, last-modified), body None when unchanged (304).
    At most ``max_bytes`` are read, within ``deadline`` seconds for the whole read."""
    settings = settings or FetchSettings.from_config(current_app.config)
    check_url_or_fail(url)
    request = urllib.request.Request(url, headers={"Accept": "text/calendar", "User-Agent": "Vardmoteskiosk"})
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    cap = settings.max_bytes
    with _Watch(settings.deadline) as watch:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HttpHandler(settings, watch),
                                             _HttpsHandler(settings, watch), _HttpOnlyRedirects())
        try:
            with opener.open(request, timeout=settings.timeout) as response:
                length = response.headers.get("Content-Length")
                length = validate.number(length, 20)
                if length is not None and length > cap:
                    raise FeedError("too-large")
                chunks, size = [], 0
                while True:
                    chunk = response.read1(65536)
                    if watch.passed():
                        raise FeedError("timeout")
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > cap:
                        raise FeedError("too-large")
                    chunks.append(chunk)
                return (b"".join(chunks), _validator(response.headers.get("ETag"), ETAG_MAX),
                        _validator(response.headers.get("Last-Modified"), LAST_MODIFIED_MAX))
        except FeedError:
            raise
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return None, etag, last_modified
            raise FeedError("http") from None
        except (TimeoutError, socket.timeout):
            raise FeedError("timeout") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, _Refused):
                raise FeedError("refused-address") from None
            if isinstance(exc.reason, (TimeoutError, socket.timeout)) or watch.passed():
                raise FeedError("timeout") from None
            raise FeedError("unreachable") from None
        except (OSError, ValueError, http.client.HTTPException):
            if watch.expired:
                raise FeedError("timeout") from None
            raise FeedError("unreachable") from None


def check_url_or_fail(url: str) -> None:
    try:
        check_url(url)
    except service.BookingError:
        raise FeedError("bad-url") from None
