"""One exception hierarchy for friendshore.

Every error says what went wrong, where (file, line, field) and, where it can,
what to do. Interfaces map :class:`InputError` subclasses to exit code 2 (CLI)
and HTTP 4xx (API).
"""

from __future__ import annotations

from pathlib import Path


class FriendshoreError(Exception):
    """Base class of every error raised by friendshore."""


class InputError(FriendshoreError):
    """Bad input from the user: a file, a parameter or a query (CLI exit code 2)."""


class DataError(InputError):
    """A data file is malformed or inconsistent.

    Parameters
    ----------
    message
        What is wrong, in words a user can act on.
    file
        The file at fault.
    line
        1-based physical line number in ``file`` (the header is line 1).
    field
        Column or field name at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class UnknownCountryError(DataError):
    """A country name or code does not resolve to an ISO 3166 alpha-3 code."""


class ValidationError(InputError):
    """A parameter or model (scenario, zone, query) is invalid."""


class StoreError(FriendshoreError):
    """The store is missing, locked or from an incompatible version."""


class InfeasibleError(FriendshoreError):
    """An optimisation has no feasible solution."""
