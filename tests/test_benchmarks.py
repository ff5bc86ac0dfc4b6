"""The benchmark instances (benchmarks/generator.py) and the floor (benchmarks/floor.py): the
generator is deterministic and makes the stated size, and the floor's LP is optiree's LP."""

import numpy as np
import pulp
import pytest

import optiree
from benchmarks import floor, generator
from optiree import handoff
from optiree.model import build
from optiree.prepare import prepare

SMALL = 1_000


def test_the_same_seed_gives_the_same_instance() -> None:
    first, again = generator.generate(SMALL, seed=3), generator.generate(SMALL, seed=3)
    assert generator.document(first) == generator.document(again)
    other = generator.generate(SMALL, seed=4)
    assert not np.array_equal(first.capacity, other.capacity)


@pytest.mark.parametrize("size", list(generator.SHAPES))
def test_the_stated_size(size: int) -> None:
    materials, sources, periods = generator.SHAPES[size]
    assert materials * sources * periods == size
    assert size < generator.columns(size) <= size * 1.15


def test_unknown_size() -> None:
    with pytest.raises(ValueError, match="choose one of 1000, 10000, 100000, 1000000"):
        generator.generate(500)


def test_the_floor_is_optiree_s_lp() -> None:
    instance = generator.generate(SMALL, seed=1)
    problem = generator.problem(instance)
    model = build(prepare(problem))
    ours = handoff.lp_arrays(model.lp).highs
    assert len(model.buy) == SMALL
    assert len(ours.cost) == generator.columns(SMALL)
    theirs = floor.build(instance)
    assert (len(theirs.cost), len(theirs.row_lower), len(theirs.value)) == (
        len(ours.cost),
        len(ours.row_lower),
        len(ours.value),
    )
    assert sorted(theirs.cost) == sorted(ours.cost)
    assert sorted(theirs.value) == pytest.approx(sorted(ours.value))
    solution = floor.solve(theirs)
    result = optiree.solve(problem)
    assert solution.status == "Optimal"
    assert result.total_cost == pytest.approx(solution.objective, rel=1e-9)


def test_the_pulp_objects_are_the_floor_s_lp() -> None:
    """What the benchmark times as the least PuLP cost is a model of the same LP."""
    lp = floor.build(generator.generate(SMALL, seed=1))
    problem = floor.pulp_objects(lp)
    arrays = handoff.lp_arrays(problem).highs
    assert (len(arrays.cost), len(arrays.row_lower), len(arrays.value)) == (
        len(lp.cost),
        len(lp.row_lower),
        len(lp.value),
    )
    assert handoff.solve(problem, pulp.HiGHS(msg=False)) == pulp.LpStatusOptimal
    assert pulp.value(problem.objective) == pytest.approx(floor.solve(lp).objective, rel=1e-9)
