"""Fixtures of tests/knowledge: the edited-knowledge-folder fixtures shared with the other knowledge tests."""

from knowledgekit import edited, load_from  # noqa: F401 - fixtures, found by pytest here
