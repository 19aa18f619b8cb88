"""Errors that carry a one-line, user-facing reason."""


class InputError(Exception):
    """The input cannot be read at all. `str(err)` is one line naming the reason (the caller adds the path)."""


class BudgetExceeded(Exception):
    """A scan ran past its time or memory budget."""
