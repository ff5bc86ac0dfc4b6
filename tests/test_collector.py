"""The garbage collector is paused while a wrapped function runs, and left as it was."""

import gc
from collections.abc import Iterator

import pytest

from optiree.collector import paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@paused
def seen() -> bool:
    return gc.isenabled()


@paused
def fails() -> None:
    assert not gc.isenabled()
    raise ValueError("inside")


def test_paused_while_running_and_enabled_after(collector_on: None) -> None:
    assert seen() is False
    assert gc.isenabled()


def test_enabled_again_after_an_exception(collector_on: None) -> None:
    with pytest.raises(ValueError, match="inside"):
        fails()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on: None) -> None:
    gc.disable()
    assert seen() is False
    assert not gc.isenabled()


def test_nested_pauses_enable_once_at_the_outer_end(collector_on: None) -> None:
    @paused
    def outer() -> tuple[bool, bool]:
        return seen(), gc.isenabled()

    assert outer() == (False, False)
    assert gc.isenabled()
