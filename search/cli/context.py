"""What every CLI command shares: its console, exit codes, the JSON output and the error boundary."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import click
from click.exceptions import NoArgsIsHelpError

from indexer.errors import IndexerError, os_error_reason
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

    code = "command_error"


class StdoutClosed(Exception):
    """The reader of stdout went away (``archive-search status | head -1``): not an error, the end."""


class ParameterError(click.BadParameter):
    """A request parameter's error as the option it came from, keeping the request error's code."""

    def __init__(self, exc: InvalidParameter, ctx: click.Context, param: click.Parameter) -> None:
        super().__init__(exc.reason, ctx=ctx, param=param)
        self.code = exc.code


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
        except BrokenPipeError:  # before click, which would make it exit 1
            raise StdoutClosed from None
        except InvalidParameter as exc:
            param = next((p for p in self.params if p.name == exc.name), None)
            if param is None:
                raise
            raise ParameterError(exc, ctx, param) from None


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
    With ``--json``, a failure also prints ``{"error": {"code", "message"}}`` on stdout (the HTTP
    API's shape), so stdout is one JSON document whatever happens.
    Everything the command and click print goes to ``out`` / ``err`` (``--help`` included).
    """
    fail = _Failure(out, err, _wants_json(sys.argv[1:] if argv is None else argv))
    try:
        with contextlib.redirect_stdout(out):
            status = group.main(argv, prog_name=PROG, standalone_mode=False, obj=Console(out, err))
        return EXIT_OK if status is None else int(status)
    except NoArgsIsHelpError as exc:
        return fail(EXIT_USAGE, "usage", exc.format_message(), prefix="")
    except click.UsageError as exc:
        if exc.ctx is not None:
            print(exc.ctx.get_usage(), file=err)
        return fail(EXIT_USAGE, _usage_code(exc), _usage_message(exc))
    except InvalidParameter as exc:  # a request parameter no option stands for
        return fail(EXIT_USAGE, exc.code, exc.message)
    except (IndexerError, SearchError, CommandError) as exc:
        return fail(EXIT_ERROR, exc.code, str(getattr(exc, "message", exc)))
    except click.ClickException as exc:
        return fail(exc.exit_code, "command_error", exc.format_message())
    except StdoutClosed:  # stdout closed by its reader: nothing more can be said there, and nothing went wrong
        return EXIT_OK
    except OSError as exc:  # a file the command needed and the system refused (disk full, read-only…)
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(EXIT_ERROR, "os_error", f"{where}{os_error_reason(exc)}")
    except (click.Abort, KeyboardInterrupt):
        return fail(EXIT_INTERRUPTED, "interrupted", "interrupted", prefix=f"{PROG}: ")


@dataclass(frozen=True, slots=True)
class _Failure:
    """How a failing command reports: one line on stderr, and with ``--json`` the error document on stdout."""

    out: TextIO
    err: TextIO
    as_json: bool

    def __call__(self, status: int, code: str, message: str, prefix: str = f"{PROG}: error: ") -> int:
        print(f"{prefix}{message}", file=self.err)
        if self.as_json:
            print_json({"error": {"code": code, "message": message}}, self.out)
        return status


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for ``--json`` (before any ``--``): known before click parses it,
    so that a usage error is a JSON document too."""
    args = list(argv)
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def _usage_code(exc: click.UsageError) -> str:
    """``invalid_parameter`` (or the request error's own code) for a bad value, ``usage`` for the rest."""
    if isinstance(exc, ParameterError):
        return exc.code
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter):
        return InvalidParameter.code
    return "usage"


def _usage_message(exc: click.UsageError) -> str:
    """Click's message, with a bad value's option first as in our other messages (``--limit: ...``)."""
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter) and exc.param is not None:
        return f"{option_name(exc.param)}: {exc.message}"
    return exc.format_message()
