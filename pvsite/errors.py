"""Errors that pvsite reports to its users.

Every message names the file or option, what was expected, what was found,
and the fix.  The CLI turns these into a one-paragraph message and exit
code; a traceback is shown only with ``-v``.
"""

from __future__ import annotations


class PvsiteError(Exception):
    """Base class of every error pvsite reports to a user.

    Parameters
    ----------
    message : str
        What went wrong, naming the file/option and the feature.
    fix : str, optional
        What the user can do about it.
    """

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None):
        self.message = message
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message}\nFix: {self.fix}"
        return self.message


class InputError(PvsiteError):
    """An input file (footprints, weather, streets, registry) cannot be used."""

    exit_code = 2


class ConfigError(PvsiteError):
    """A configuration file, preset or option value is wrong."""

    exit_code = 3


class OutputError(PvsiteError):
    """The output cannot be written (exists, unwritable, ...)."""

    exit_code = 4


class SelectionError(PvsiteError):
    """A selection (street, bbox, ...) is unknown or selects nothing."""

    exit_code = 5
