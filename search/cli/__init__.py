"""The ``archive-search`` command: the editors', searchers' and evaluators' commands in one group."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

import click

from search.cli import analytics, editors, evaluation, importing, searching
from search.cli.context import CONTEXT_SETTINGS, invoke


def commands() -> click.Group:
    """The command group (``archive-search COMMAND``)."""
    group = click.Group(
        "archive-search",
        help="Search the Belarus newsletter archive: build and inspect the index.",
        epilog="Settings come from ARCHIVE_SEARCH_* environment variables (see the README).",
        context_settings=CONTEXT_SETTINGS,
    )
    for command in (
        *editors.COMMANDS,
        *importing.COMMANDS,
        *searching.COMMANDS,
        *evaluation.COMMANDS,
        *analytics.COMMANDS,
    ):
        group.add_command(command)
    return group


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the CLI; returns the exit status instead of exiting (the console script exits with it)."""
    return invoke(commands(), argv, stdout or sys.stdout, stderr or sys.stderr)


def run() -> None:
    """Console-script entry point. A reader that closes stdout early (``archive-search status | head -1``)
    ends the command quietly with status 0, as ``git log | head`` does."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # nothing more can be written there, and Python's own flush at exit must not complain either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    sys.exit(status)
