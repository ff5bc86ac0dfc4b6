"""Scenario trees: more than two stages, decided node by node (:class:`ScenarioTree`,
:func:`tree_stages`).

A node is a :class:`~optiree.schema.Scenario` (its changes: disruptions, caps, source and
demand changes) with a ``parent``, a probability given its parent, and the period from which it
is known. The leaves' paths are the scenarios; the periods before a node's children are known
are decided alike in every leaf under it. A tree whose leaves are all children of the root is
the two-stage problem, and is solved as such.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from optiree import arguments
from optiree.disruption.scenarios import apply, for_disruption
from optiree.disruption.stochastic.stages import Decided, TwoStage, two_stage
from optiree.io import read_document
from optiree.schema import Id, Problem, Scenario, StrictModel, error_detail

TOLERANCE = 1e-9
"""How far the probabilities of a node's children may sum from 1."""


class TreeNode(Scenario):
    """A node of a scenario tree: what its branch changes, from the period it is known.

    ``probability`` is conditional on the parent: given for every child of a node or for none
    (then the children are equally likely). The root has no parent, no ``revealed``, no
    probability and no changes.
    """

    parent: Id | None = None
    """The parent node's name; None for the root."""
    revealed: Id | None = None
    """The period from which this branch is known: its changes apply from here on, and the
    decisions from here to its children's ``revealed`` are this node's. None for the root."""

    def changes(self) -> Scenario:
        """The node's changes as a scenario (no probability)."""
        fields = self.model_dump(exclude={"parent", "revealed", "probability"})
        return Scenario.model_validate(fields)


class ScenarioTree(StrictModel):
    """A scenario tree: one root, each node's children known from one period, their
    probabilities summing to 1. Validated here; its periods against a problem by
    :func:`tree_stages`."""

    nodes: Annotated[list[TreeNode], Field(min_length=2)]
    """Every node, the root among them, each naming its parent: a root and one child at
    least."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        errors = list(_tree_errors(self.nodes))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    @property
    def root(self) -> TreeNode:
        return next(n for n in self.nodes if n.parent is None)

    def children(self, name: str) -> list[TreeNode]:
        return [n for n in self.nodes if n.parent == name]

    def leaves(self) -> list[TreeNode]:
        return [n for n in self.nodes if not self.children(n.name)]

    def path(self, node: TreeNode) -> list[TreeNode]:
        """The nodes from the root's child down to ``node`` (the root left out)."""
        by_name = {n.name: n for n in self.nodes}
        path = []
        while node.parent is not None:
            path.append(node)
            node = by_name[node.parent]
        return path[::-1]

    def probability(self, node: TreeNode) -> float:
        """The node's probability: the product of the conditional ones on its path."""
        result = 1.0
        for step in self.path(node):
            result *= self.conditional(step)
        return result

    def conditional(self, node: TreeNode) -> float:
        """The node's probability given its parent (equal among siblings when none given)."""
        if node.probability is not None:
            return float(node.probability)
        return 1 / len(self.children(str(node.parent)))

    def is_two_stage(self) -> bool:
        """Whether every leaf is a child of the root."""
        return all(n.parent == self.root.name for n in self.nodes if n.parent is not None)


def load_tree(path: str | Path) -> ScenarioTree:
    """Read a tree file (YAML, or JSON when it ends in .json): its ``nodes``, as
    :class:`ScenarioTree` takes them.

    Raises:
        pydantic.ValidationError: the file does not parse or is not a valid tree.
    """
    return ScenarioTree.model_validate(read_document(arguments.path(path, "path")))


def _tree_errors(nodes: list[TreeNode]) -> Iterator[InitErrorDetails]:
    names = [n.name for n in nodes]
    yield from _duplicate_names(names)
    yield from _root_errors(nodes)
    yield from _parent_errors(nodes, set(names))
    yield from _children_errors(nodes)


def _duplicate_names(names: list[str]) -> Iterator[InitErrorDetails]:
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            yield error_detail(
                ("nodes", i, "name"), "duplicate_id", f"duplicate node {name!r}", name
            )
        seen.add(name)


def _root_errors(nodes: list[TreeNode]) -> Iterator[InitErrorDetails]:
    roots = [i for i, n in enumerate(nodes) if n.parent is None]
    if len(roots) != 1:
        found = ", ".join(repr(nodes[i].name) for i in roots) or "none"
        yield error_detail(
            ("nodes",), "tree_root", f"a tree has one root (no parent); found {found}", found
        )
    for i in roots:
        yield from _root_fields(nodes[i], i)


def _root_fields(root: TreeNode, i: int) -> Iterator[InitErrorDetails]:
    """The root is known from the start, for sure, and changes nothing."""
    if root.revealed is not None or root.probability not in (None, 1):
        yield error_detail(
            ("nodes", i), "tree_root", "the root has no 'revealed' nor a probability", root.name
        )
    if root.changes() != Scenario(name=root.name):
        yield error_detail(
            ("nodes", i), "tree_root", "the root changes nothing: change the problem", root.name
        )


def _parent_errors(nodes: list[TreeNode], names: set[str]) -> Iterator[InitErrorDetails]:
    """Parents are nodes, every node but the root is revealed, and no path goes round."""
    parent = {n.name: n.parent for n in nodes}
    for i, node in enumerate(nodes):
        if node.parent is not None:
            yield from _child_errors(i, node, names, parent)


def _child_errors(
    i: int, node: TreeNode, names: set[str], parent: Mapping[str, str | None]
) -> Iterator[InitErrorDetails]:
    if node.parent not in names:
        yield error_detail(
            ("nodes", i, "parent"), "unknown_id", f"no node {node.parent!r}", node.parent
        )
    elif node.revealed is None:
        yield error_detail(
            ("nodes", i, "revealed"), "missing", "give the period the node is known from", None
        )
    elif _circular(node.name, parent):
        yield error_detail(
            ("nodes", i, "parent"), "tree_cycle", "its ancestors go round", node.parent
        )


def _circular(name: str, parent: Mapping[str, str | None]) -> bool:
    seen = {name}
    ancestor = parent.get(name)
    while ancestor is not None and ancestor in parent:
        if ancestor in seen:
            return True
        seen.add(ancestor)
        ancestor = parent[ancestor]
    return False


def _children_errors(nodes: list[TreeNode]) -> Iterator[InitErrorDetails]:
    """Each node's children are known from one period, with probabilities for all or none,
    summing to 1."""
    for parent in dict.fromkeys(n.parent for n in nodes if n.parent is not None):
        where = [i for i, n in enumerate(nodes) if n.parent == parent]
        yield from _sibling_periods(nodes, where, str(parent))
        yield from _sibling_probabilities(nodes, where, str(parent))


def _sibling_periods(
    nodes: list[TreeNode], where: list[int], parent: str
) -> Iterator[InitErrorDetails]:
    periods = list(dict.fromkeys(nodes[i].revealed for i in where))
    if len(periods) > 1:
        yield error_detail(
            ("nodes", where[-1], "revealed"),
            "tree_stage",
            f"the children of {parent!r} are known from different periods "
            f"({', '.join(map(str, periods))}): give them one",
            periods,
        )


def _sibling_probabilities(
    nodes: list[TreeNode], where: list[int], parent: str
) -> Iterator[InitErrorDetails]:
    given = [float(p) for i in where if (p := nodes[i].probability) is not None]
    if 0 < len(given) < len(where):
        yield error_detail(
            ("nodes", where[-1], "probability"),
            "probability_missing",
            f"give a probability for every child of {parent!r} or for none",
            given,
        )
    elif given and abs(sum(given) - 1) > TOLERANCE:
        yield error_detail(
            ("nodes", where[-1], "probability"),
            "probability_sum",
            f"the probabilities of the children of {parent!r} sum to {sum(given):g}, not 1",
            given,
        )


def tree_stages(
    problem: Problem,
    tree: ScenarioTree | Mapping[str, object],
    *,
    penalty: float | Mapping[str, float] | None = None,
) -> TwoStage:
    """The leaves' problems and probabilities, and what each node decides.

    Each leaf's problem is ``for_disruption(problem, penalty)`` with the changes of every node
    on its path applied, each from the period it is revealed. A tree of two stages is
    :func:`two_stage` of its leaves.

    Raises:
        pydantic.ValidationError: a bad tree, a ``revealed`` that is not a period of the
            problem or not after its parent's (path ``nodes.<i>.revealed``), or changes the
            problem does not allow.
    """
    tree = tree if isinstance(tree, ScenarioTree) else ScenarioTree.model_validate(tree)
    _check_periods(tree, problem.periods)
    _check_changes(tree, problem.derive(scenarios=[]))
    first = tree.children(tree.root.name)[0]
    if tree.is_two_stage():
        scenarios = [n.changes().derive(probability=n.probability) for n in tree.leaves()]
        commit = problem.periods.index(str(first.revealed))
        return two_stage(problem, scenarios, commit_periods=commit, penalty=penalty)
    return _stages(problem, tree, str(first.revealed), penalty)


def _stages(
    problem: Problem,
    tree: ScenarioTree,
    revealed: str,
    penalty: float | Mapping[str, float] | None,
) -> TwoStage:
    """A tree of more than two stages: its leaves' problems, and what each node decides."""
    leaves = tree.leaves()
    faced = for_disruption(problem, penalty=penalty).derive(scenarios=[])
    problems = {leaf.name: _leaf_problem(faced, tree, leaf) for leaf in leaves}
    ordered = [tree.root, *(n for n in tree.nodes if n.parent is not None)]
    nodes = tuple(_decided(tree, node, problem.periods) for node in ordered)
    return TwoStage(
        problem.derive(scenarios=[]),
        problems,
        {leaf.name: tree.probability(leaf) for leaf in leaves},
        nodes[0].periods,
        revealed,
        faced,
        tuple(d for d in nodes if d.leaves),
    )


def _leaf_problem(faced: Problem, tree: ScenarioTree, leaf: TreeNode) -> Problem:
    """``faced`` with the changes of every node on the leaf's path, each from its period."""
    problem = faced
    for node in tree.path(leaf):
        problem = apply(problem, node.changes(), from_period=node.revealed)
    return problem


def _decided(tree: ScenarioTree, node: TreeNode, periods: list[str]) -> Decided:
    """What ``node`` decides: the periods from its ``revealed`` to its children's, alike in
    every leaf under it (none for a leaf)."""
    children = tree.children(node.name)
    if not children:
        return Decided(node.name, (), ())
    start = periods.index(node.revealed) if node.revealed is not None else 0
    end = periods.index(str(children[0].revealed))
    under = tuple(leaf.name for leaf in tree.leaves() if node in [tree.root, *tree.path(leaf)])
    return Decided(node.name, under, tuple(periods[start:end]))


def _check_changes(tree: ScenarioTree, problem: Problem) -> None:
    """Each node's changes name what ``problem`` has; errors at ``nodes.<i>...``."""
    errors = [
        error for i, node in enumerate(tree.nodes) for error in _changes_errors(problem, node, i)
    ]
    if errors:
        raise ValidationError.from_exception_data(type(tree).__name__, errors)


def _changes_errors(problem: Problem, node: TreeNode, i: int) -> list[InitErrorDetails]:
    try:
        problem.derive(scenarios=[node.changes()])
    except ValidationError as error:
        return [
            error_detail(_at_node(tuple(e["loc"]), i), e["type"], e["msg"], e.get("input"))
            for e in error.errors()
        ]
    return []


def _at_node(loc: tuple[str | int, ...], i: int) -> tuple[str | int, ...]:
    """A scenario's error path (``scenarios.0.disruptions...``) as node ``i``'s."""
    return ("nodes", i, *loc[2:]) if loc[:2] == ("scenarios", 0) else ("nodes", i, *loc)


def _check_periods(tree: ScenarioTree, periods: list[str]) -> None:
    errors = list(_period_errors(tree, periods))
    if errors:
        raise ValidationError.from_exception_data(type(tree).__name__, errors)


def _period_errors(tree: ScenarioTree, periods: list[str]) -> Iterator[InitErrorDetails]:
    """Every ``revealed`` is a period, later than its parent's (the root's: the first)."""
    revealed = {n.name: n.revealed for n in tree.nodes}
    for i, node in enumerate(tree.nodes):
        if node.revealed is not None:
            before = revealed.get(str(node.parent)) or periods[0]
            yield from _period_error(i, node.revealed, before, periods)


def _period_error(
    i: int, revealed: str, before: str, periods: list[str]
) -> Iterator[InitErrorDetails]:
    """Node ``i``'s ``revealed`` is a period, after ``before`` (its parent's)."""
    if revealed not in periods:
        yield error_detail(
            ("nodes", i, "revealed"),
            "unknown_id",
            f"{revealed!r} is not a period of the problem ({', '.join(periods)})",
            revealed,
        )
    elif before in periods and periods.index(revealed) <= periods.index(before):
        yield error_detail(
            ("nodes", i, "revealed"),
            "tree_stage",
            f"{revealed!r} is not after {before!r}, when its parent is known "
            "(a stage decides at least one period)",
            revealed,
        )
