"""One error hierarchy: every error a person may see derives from FulfilError and reads as one line.

    FulfilError                  a problem a person can act on, shown as one line
    ├── ConfigError              a setting or a configuration file is wrong
    ├── ForbiddenTransition      the order's status does not allow it
    ├── UnknownOrder             no order has that ID
    ├── UnreadableInput          a value from outside (a cell, a note, a file) cannot be read
    └── AdapterError             an outside system refused or failed; keeps the HTTP `status`
                                 where there is one and says whether trying again may help

Internal signals that code catches and acts on (a concurrent change to read again, a retry) are
not FulfilErrors: they never reach a person.
"""

from __future__ import annotations


class FulfilError(Exception):
    """A problem with a message meant for a person, shown as one line."""


class ForbiddenTransition(FulfilError):
    pass


class NotAllowed(FulfilError):
    """This person may not take this action (not on the staff list, not the division's lead)."""


class UnknownOrder(FulfilError):
    pass


class ConfigError(FulfilError):
    pass


class UnreadableInput(FulfilError, ValueError):
    """A value from outside cannot be read as what it should be (the caller says where it was)."""


class AdapterError(FulfilError):
    """An outside system refused or failed. `retryable` says whether trying again may help;
    `status` keeps the HTTP status when there was one (as gspread's APIError keeps its response)."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
