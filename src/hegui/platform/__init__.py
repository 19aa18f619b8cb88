"""The supervision platform: web UI and REST API over hegui's scanner (GitHub issue 5).

Layers: `db` (SQLAlchemy tables) → `services` (workflow rules: scans, cases, complaints, listings) →
`api` (REST, Bearer tokens) and `web` (Jinja2 pages, session cookies + CSRF). `worker` runs each scan in
its own child process so a hostile APK cannot take the server down. Nothing outside `hegui.platform`,
`hegui.cli` imports this package.
"""
