"""YAML → frozen-free dataclasses with type checks, defaults and dotted command-line overrides.

One loader for every config in the project (pipeline runs, tokenizer, trainer), so that an unknown key
or a wrong type is always reported the same way: with the key's dotted path and the file it came from.
"""

from __future__ import annotations

import dataclasses
import re
import types
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

from pipeline.errors import UserError

T = TypeVar("T")


class ConfigError(UserError):
    """A config file or override that does not fit its dataclass."""


def load_config(cls: type[T], path: str | Path | None, overrides: list[str] | None = None) -> T:
    """Load `path` (YAML) into `cls`, then apply `KEY=VALUE` overrides (dotted keys, YAML values)."""
    origin = str(path) if path else "<defaults>"
    raw: dict[str, Any] = {}
    if path:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"{path} is not valid YAML: {err}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(raw).__name__}")
    for override in overrides or []:
        apply_override(raw, override)
    return from_dict(cls, raw, origin)


def cli_overrides(arguments: list[str]) -> list[str]:
    """`--KEY=VALUE` command-line arguments as `KEY=VALUE` overrides; anything else is an error that says so."""
    overrides = []
    for item in arguments:
        if not (item.startswith("--") and "=" in item):
            raise ConfigError(f"unrecognised argument {item!r}; overrides look like --KEY=VALUE")
        overrides.append(item[2:])
    return overrides


def apply_override(raw: dict[str, Any], override: str) -> None:
    """Set `a.b.c=value` in a nested dict; the value is parsed as YAML (so 3 → int, true → bool)."""
    key, sep, value = override.partition("=")
    if not sep or not key:
        raise ConfigError(
            f"override {override!r} must look like KEY=VALUE (for example stages.ingest.strict=true)"
        )
    node = raw
    parts = key.lstrip("-").split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {override!r}: {part!r} is not a section")
    node[parts[-1]] = yaml.safe_load(value) if value != "" else ""


def from_dict(cls: type[T], raw: Any, origin: str, prefix: str = "") -> T:
    """Build dataclass `cls` from a mapping, recursively, checking keys and types."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: {prefix or 'top level'} must be a mapping, got {raw!r}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        where = ", ".join(f"{prefix}{k}" for k in unknown)
        raise ConfigError(f"{origin}: unknown key {where}; known keys here: {', '.join(sorted(fields))}")
    values = {
        name: _coerce(hints[name], raw[name], origin, f"{prefix}{name}") for name in fields if name in raw
    }
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{origin}: {prefix or 'config'}: {err}") from None


_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _coerce(hint: Any, value: Any, origin: str, key: str) -> Any:
    kind = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value if value is not None else {}, origin, key + ".")
    if kind in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _coerce(option, value, origin, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0])
    if kind is Literal:
        if value not in get_args(hint):
            choices = ", ".join(repr(c) for c in get_args(hint))
            raise ConfigError(f"{origin}: {key} must be one of {choices}, got {value!r}")
        return value
    if kind in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{origin}: {key} must be a list, got {value!r}")
        (item,) = get_args(hint)[:1] or (Any,)
        return [_coerce(item, v, origin, f"{key}[{i}]") for i, v in enumerate(value)]
    if kind is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{origin}: {key} must be a mapping, got {value!r}")
        return dict(value)
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value)  # YAML 1.1 reads 1e-4 (no dot) as a string
    if hint is bool and not isinstance(value, bool):
        raise ConfigError(f"{origin}: {key} must be true or false, got {value!r}")
    if hint in (int, float, str) and (
        not isinstance(value, hint) or isinstance(value, bool) and hint is not bool
    ):
        raise ConfigError(f"{origin}: {key} must be {hint.__name__}, got {value!r}")
    return value
