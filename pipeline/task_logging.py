"""datatrove gives every task its own loguru handlers (three `logger.add` calls per task), and loguru looks up the
library folders for its tracebacks through `sysconfig` on every call: ~7 ms each, ~20 ms of CPU per task, a second
for 03_dedup's ~45 tasks on a small input. The folders do not change within a process, so they are looked up once.
Imported by the package (pipeline/__init__.py), so every process that runs the project's steps has it."""

from __future__ import annotations

import functools


def look_up_library_folders_once() -> None:
    """Caches loguru's `ExceptionFormatter._get_lib_dirs` (a pure function of sysconfig and sys.path). It is
    loguru's private code: a loguru without it keeps its own way, only slower."""
    try:
        from loguru._better_exceptions import ExceptionFormatter

        lookup = ExceptionFormatter._get_lib_dirs
    except (ImportError, AttributeError):
        return
    if not hasattr(lookup, "cache_info"):
        ExceptionFormatter._get_lib_dirs = staticmethod(functools.cache(lookup))
