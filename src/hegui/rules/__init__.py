"""Judging: observations in, findings out. Knows the knowledge files, not the readers nor the web."""

from hegui.rules.engine import evaluate

__all__ = ["evaluate"]
