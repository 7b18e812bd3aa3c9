"""The one user-error base class. A user error is input, settings or files a user gave that cannot be used, and its
message says what to change; every command line prints it as one line (`error: ...`, exit 2). Anything else is a
bug and keeps its traceback.

`model/` imports nothing of the project, so its ModelInputError cannot derive from this class: the command lines
above the model (trainer, evaluation, webapp) pass it to `cli_errors` as well.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class UserError(ValueError):
    """A user's input, setting or file that cannot be used; the message names it and says what to change."""


def cli_errors(run: Callable[[], int | None], *also: type[BaseException]) -> int:
    """`run()`'s exit status, or 2 with a one-line message for a user error (UserError, a missing file, `also`)."""
    try:
        return run() or 0
    except (UserError, FileNotFoundError, *also) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
