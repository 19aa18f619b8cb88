"""Spreadsheet cells built from APK-controlled text (labels, developer names, evidence)."""

from __future__ import annotations

# A cell starting with one of these is read as a formula by Excel/LibreOffice (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Text that would start a formula gets a leading apostrophe; other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
