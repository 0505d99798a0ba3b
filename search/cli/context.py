"""What every CLI command shares: its console, exit codes, the JSON output and the error boundary."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import click
from click.exceptions import NoArgsIsHelpError

from indexer.errors import IndexerError
from indexer.settings import Settings
from search.errors import InvalidParameter, SearchError

EXIT_OK = 0
EXIT_ERROR = 1  # a domain error: one line on stderr
EXIT_USAGE = 2  # bad usage, including bad option values
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

PROG = "archive-search"
#: Every command: ``-h`` as well as ``--help``, defaults shown, help up to 100 columns wide.
CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "show_default": True,
    "max_content_width": 100,
}


class CommandError(Exception):
    """A user-facing failure of a command that is neither an indexer nor a query-side error."""


@dataclass(frozen=True, slots=True)
class Console:
    """Where a command writes (its stdout and stderr) and where it reads its settings from."""

    out: TextIO
    err: TextIO

    def settings(self) -> Settings:
        """The settings from ``ARCHIVE_SEARCH_*`` (read when a command runs, so ``--help`` never fails)."""
        return Settings.from_env()


pass_console = click.make_pass_decorator(Console)

#: ``--json``, the same on every command that has it (the command function gets ``as_json``).
json_option = click.option("--json", "as_json", is_flag=True, help="print one JSON document on stdout")


def print_json(doc: Mapping[str, Any], out: TextIO) -> None:
    """``doc`` as one line of JSON: with ``--json``, the only thing a command prints on stdout."""
    out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def option_name(param: click.Parameter) -> str:
    """A parameter as the user types it: ``--limit``, or an argument's metavar (``TEXT`` for ``[TEXT]``)."""
    return param.opts[0] if isinstance(param, click.Option) else param.human_readable_name.strip("[].")


class Command(click.Command):
    """A command whose request-validation errors name the option they came from.

    A request parameter's error (``InvalidParameter``) becomes click's ``BadParameter`` for the
    command's parameter of the same name (the commands name their parameters as the requests do,
    e.g. ``--limit`` is ``size``), so it is reported like any bad option value.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidParameter as exc:
            param = next((p for p in self.params if p.name == exc.name), None)
            if param is None:
                raise
            raise click.BadParameter(exc.reason, ctx=ctx, param=param) from None


def command(name: str, short_help: str) -> Callable[[Callable[..., int]], click.Command]:
    """Declare a sub-command (a :class:`Command`): its function gets the :class:`Console` first, then
    the parameters, and returns the exit status; its docstring is the help."""

    def declare(function: Callable[..., int]) -> click.Command:
        return click.command(name, cls=Command, short_help=short_help)(pass_console(function))

    return declare


def invoke(group: click.Group, argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    """Run ``group`` on ``argv`` and return the exit status: the CLI's one error boundary.

    Bad usage (click's errors and request validation) → 2 with the usage line and one message that
    names the option; indexer, query-side and command errors → 1 with one line; Ctrl-C → 130.
    Everything the command and click print goes to ``out`` / ``err`` (``--help`` included).
    """
    try:
        with contextlib.redirect_stdout(out):
            status = group.main(argv, prog_name=PROG, standalone_mode=False, obj=Console(out, err))
        return EXIT_OK if status is None else int(status)
    except NoArgsIsHelpError as exc:
        print(exc.format_message(), file=err)
        return EXIT_USAGE
    except click.UsageError as exc:
        if exc.ctx is not None:
            print(exc.ctx.get_usage(), file=err)
        print(f"{PROG}: error: {_usage_message(exc)}", file=err)
        return EXIT_USAGE
    except InvalidParameter as exc:  # a request parameter no option stands for
        print(f"{PROG}: error: {exc.message}", file=err)
        return EXIT_USAGE
    except (IndexerError, SearchError, CommandError) as exc:
        print(f"{PROG}: error: {getattr(exc, 'message', exc)}", file=err)
        return EXIT_ERROR
    except click.ClickException as exc:
        print(f"{PROG}: error: {exc.format_message()}", file=err)
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        print(f"{PROG}: interrupted", file=err)
        return EXIT_INTERRUPTED


def _usage_message(exc: click.UsageError) -> str:
    """Click's message, with a bad value's option first as in our other messages (``--limit: ...``)."""
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter) and exc.param is not None:
        return f"{option_name(exc.param)}: {exc.message}"
    return exc.format_message()
