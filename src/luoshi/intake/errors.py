"""Errors raised by the intake pipeline.

Every error carries a one-line message that names the input, so a command line
tool can print it as is.
"""

from __future__ import annotations


class IntakeError(Exception):
    """Base class: the input could not be turned into a parsed document."""

    exit_code = 2

    def __init__(self, filename: str, problem: str) -> None:
        self.filename = filename or "<input>"
        self.problem = " ".join(problem.split())
        super().__init__(f"{self.filename}: {self.problem}")


class UnreadableInputError(IntakeError):
    """The bytes cannot be read as a document (base of the reading errors)."""


class EmptyInputError(UnreadableInputError):
    """The file is empty, or nothing but noise was left after cleaning."""


class FileTooLargeError(UnreadableInputError):
    """The file is larger than the documented limit."""


class BinaryInputError(UnreadableInputError):
    """The file is binary data or a format we do not read."""


class UndecodableError(UnreadableInputError):
    """The text encoding could not be determined."""


class SpamDocumentError(IntakeError):
    """The document is mostly spam and is refused."""

    exit_code = 3


class TooMuchTextError(UnreadableInputError):
    """The document holds more text than can be read within the time budget."""


class TimeBudgetError(UnreadableInputError):
    """Reading the document took longer than the time budget."""
