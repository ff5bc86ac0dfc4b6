"""Python's cyclic garbage collector, paused while optiree builds or reads a large model.

A model of a million variables is several million Python objects (PuLP's variables, the
dictionaries of its expressions, the rows of the results tables) that live as long as the
model. The collector runs a full pass over every live object each time enough new ones have
been made, so a build triggers pass after pass over all that it has built so far: about a
third of the time of building and reading a plan of 1e5 variables (docs/performance.md).
Nothing optiree makes there is garbage in a cycle, and reference counting frees everything
else as usual; any cycle made meanwhile (by other threads too) is collected once the collector
runs again.
"""

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def paused(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run with the collector disabled, and enabled again after if it was on."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():  # already paused (a caller's pause, or the user's own choice)
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return run
