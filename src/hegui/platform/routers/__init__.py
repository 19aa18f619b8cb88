"""One APIRouter per resource, included by the application (app.py)."""
