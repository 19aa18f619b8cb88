"""REST API routers, one per resource (included by platform/api.py)."""
