"""The argument checks of every public entry point, in one place.

Each check takes the value and the name of the argument, returns the value (converted where
the conversion cannot lose anything: a str path to a :class:`~pathlib.Path`, a mapping to a
validated model) and raises :class:`~optiree.errors.ArgumentError` naming the argument and
what it accepts. An entry point calls them first, before any work, so that a wrong argument
never reaches the model or the solver as a raw Python exception.

The checks know no optiree class: a caller passes the class (``model(value, "problem",
Problem)``), which keeps this module in the base layer.
"""

import math
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from optiree.errors import ArgumentError
from optiree.words import refusal

T = TypeVar("T")
Error = type[ArgumentError]


def refuse(name: str, accepts: str, value: object, error: Error = ArgumentError) -> ArgumentError:
    """The error for ``name``: what it accepts and what it was given."""
    return error(refusal(name, accepts, value))


def instance(value: Any, name: str, kind: type[T], accepts: str) -> T:
    """``value`` if it is a ``kind``."""
    if not isinstance(value, kind):
        raise refuse(name, accepts, value)
    return value


def model(value: Any, name: str, kind: type[T]) -> T:
    """``value`` if it is a ``kind`` (a pydantic model); a mapping is validated into one
    (pydantic's ValidationError names the field); anything else is refused."""
    if isinstance(value, Mapping):
        validated: T = kind.model_validate(dict(value))  # type: ignore[attr-defined]
        return validated
    return instance(value, name, kind, f"an optiree.{kind.__name__} or a mapping of its fields")


def boolean(value: Any, name: str) -> bool:
    """``value`` if it is True or False."""
    return instance(value, name, bool, "True or False")


def text(value: Any, name: str) -> str:
    """``value`` if it is a str."""
    return instance(value, name, str, "a str")


def whole(value: Any, name: str, low: int = 1, high: float = math.inf) -> int:
    """``value`` if it is an int (not a bool) from ``low`` to ``high``."""
    fits = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if not fits:
        upto = "" if high == math.inf else f" to {int(high)}"
        raise refuse(name, f"a whole number from {low}{upto}", value)
    return int(value)


def integer(value: Any, name: str) -> int:
    """``value`` if it is an int (not a bool); its range is the caller's to check."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(name, "a whole number", value)
    return value


def positive_int(value: Any, name: str) -> int:
    """``value`` if it is a whole number of at least 1."""
    return whole(value, name, 1)


def number(value: Any, name: str) -> float:
    """``value`` if it is a finite real number (not a bool)."""
    real = isinstance(value, int | float) and not isinstance(value, bool)
    if not (real and math.isfinite(value)):
        raise refuse(name, "a finite number", value)
    return float(value)


def finite_positive(
    value: Any, name: str, accepts: str = "a finite number above 0", error: Error = ArgumentError
) -> float:
    """``value`` if it is a finite number above 0 (not a bool)."""
    real = isinstance(value, int | float) and not isinstance(value, bool)
    if not (real and math.isfinite(value) and value > 0):
        raise refuse(name, accepts, value, error)
    return float(value)


def optional(check: Callable[..., T], value: Any, name: str, *args: Any, **kwargs: Any) -> T | None:
    """``check(value, name, *args, **kwargs)`` for an argument that may be left out: None
    stays None."""
    return None if value is None else check(value, name, *args, **kwargs)


def one_of(value: Any, name: str, choices: Iterable[T], error: Error = ArgumentError) -> T:
    """``value`` if it equals one of ``choices`` (an unhashable value is refused, not a
    TypeError)."""
    listed = list(choices)
    if not any(_alike(value, c) and value == c for c in listed):
        *most, last = [str(c) for c in listed] or ["nothing"]
        accepts = f"one of {', '.join(most)} or {last}" if most else last
        raise refuse(name, accepts, value, error)
    return value  # type: ignore[no-any-return]


def _alike(value: Any, choice: Any) -> bool:
    """Whether ``value`` and ``choice`` are of one kind (a str and a str enum are), so that
    comparing them is safe and means what it says."""
    return isinstance(value, type(choice)) or isinstance(choice, type(value))


def path(value: Any, name: str) -> Path:
    """``value`` as a :class:`~pathlib.Path` if it is a str or an os.PathLike of str."""
    if isinstance(value, str | os.PathLike) and isinstance(os.fspath(value), str):
        return Path(value)
    raise refuse(name, "a path (a str or a pathlib.Path)", value)


def mapping_of(
    value: Any, name: str, check: Callable[[Any, str], T], keys: Collection[str] | None = None
) -> dict[str, T]:
    """``value`` as a dict if it is a non-empty mapping of str keys (among ``keys`` when given)
    whose values pass ``check``; each value is named ``name[key]``."""
    accepts = "a non-empty mapping of names" + (f" among {', '.join(keys)}" if keys else "")
    if not isinstance(value, Mapping) or not value:
        raise refuse(name, accepts, value)
    for key in value:
        if not isinstance(key, str) or (keys is not None and key not in keys):
            raise refuse(f"a key of {name}", accepts, key)
    return {key: check(item, f"{name}[{key}]") for key, item in value.items()}


def listed(value: Any, name: str, check: Callable[[Any, str], T], minimum: int = 1) -> list[T]:
    """``value`` as a list if it is an iterable (not a str, bytes or mapping) of at least
    ``minimum`` items that pass ``check``; each item is named ``name[i]``."""
    accepts = "a list" if minimum < 1 else "a non-empty list"
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise refuse(name, accepts, value)
    items = list(value)
    if len(items) < minimum:
        raise refuse(name, accepts, value)
    return [check(item, f"{name}[{i}]") for i, item in enumerate(items)]


def pair(value: Any, name: str) -> tuple[float, float]:
    """``value`` as a tuple if it is a sequence of exactly two finite numbers."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise refuse(name, "a pair of numbers (low, high)", value)
    items = list(value)
    if len(items) != 2:
        raise refuse(name, "a pair of numbers (low, high)", value)
    return number(items[0], f"{name}[0]"), number(items[1], f"{name}[1]")


def penalty(value: Any, name: str, materials: Collection[str]) -> Any:
    """``value`` if it is None, a number at least 0, or a mapping of material ids among
    ``materials`` to such numbers."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return mapping_of(value, name, _at_least_0, materials)
    return _at_least_0(value, name)


def _at_least_0(value: Any, name: str) -> float:
    real = isinstance(value, int | float) and not isinstance(value, bool)
    if not (real and math.isfinite(value) and value >= 0):
        raise refuse(name, "a finite number at least 0", value)
    return float(value)
