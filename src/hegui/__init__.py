"""hegui (合规): detect, prove and supervise Chinese personal-information violations in mobile apps."""

__version__ = "0.1.0"
