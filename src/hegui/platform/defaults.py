"""Defaults of the platform settings that `hegui serve --help` shows. Standard library only: the command line
imports this without the `platform` extra, so `hegui scan` starts fast and works without it."""

from __future__ import annotations

DEFAULT_MAX_UPLOAD_MB = 300
DEFAULT_SCAN_WORKERS = 2
# Idle keep-alive connections are closed by the server after this long. It must exceed every client's and proxy's
# own idle-pool time (httpx 5 s, aiohttp 15 s, nginx upstream keepalive_timeout 60 s): with uvicorn's default of
# 5 s, a client reusing a connection idle for ~5 s races the server's close and gets a connection reset.
DEFAULT_KEEP_ALIVE_S = 75
# A running scan is its server's for this long unless renewed (every third of it); a killed server's scans are
# taken over by another server after this. Longer: slower recovery; shorter: more renewals, and a server that
# cannot reach the database for this long loses its scans.
DEFAULT_SCAN_LEASE_S = 60.0
MIN_SCAN_LEASE_S = 0.5
