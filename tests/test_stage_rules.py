"""Rules per stage and per group of countries: stage shares (at most, at least, in tonnes or
value), origin content, hand-solved on every solver with their shadow prices checked by finite
difference, properties of tightening, and the validation errors at their fields."""

import copy
from typing import Any

import pytest
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.solve import SolverName
from tests.checker import check
from tests.unique import assert_unique

Document = dict[str, Any]
SOLVERS = ["highs", "cbc"]


def _ore_to_oxide(
    material: str, mines: list[tuple[Any, ...]], plants: list[tuple[Any, ...]]
) -> Document:
    """Mines (id, country, capacity, price) selling ore to separators (id, country, capacity,
    processing cost, the mines they take from); 100 t of oxide demanded."""
    return {
        "name": "ore to oxide",
        "periods": ["P1"],
        "stages": ["ore", "oxide"],
        "materials": [{"id": material}],
        "sources": [
            {
                "id": i,
                "country": c,
                "stage": "ore",
                "capacity": {material: x},
                "prices": {material: p},
            }
            for i, c, x, p in mines
        ],
        "facilities": [
            {
                "id": i,
                "stage": "oxide",
                "country": c,
                "capacity": x,
                "processing_cost": k,
                "takes_from": f,
            }
            for i, c, x, k, f in plants
        ],
        "demand": {material: 100},
    }


SEPARATION = _ore_to_oxide(
    "NdPr",
    [("mine_cn", "CN", 50, 10), ("mine_au", "AU", 200, 30)],
    [("sep_cn", "CN", 100, 10, ["mine_cn", "mine_au"]), ("sep_my", "MY", 100, 30, ["mine_au"])],
)


def _with(document: Document, **security: Any) -> Document:
    changed = copy.deepcopy(document)
    changed["security"] = security
    return changed


def _solve(document: Document, solver: SolverName = "highs") -> Result:
    problem = Problem.model_validate(document)
    result = optiree.solve(problem, solver)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    return result


def _costs(
    document: Document, solver: SolverName, free: float, ruled: float, **rules: Any
) -> Result:
    """The plan under ``rules``, having checked the costs without (``free``) and with them."""
    assert _solve(document, solver).total_cost == pytest.approx(free)
    result = _solve(_with(document, **rules), solver)
    assert result.total_cost == pytest.approx(ruled)
    return result


def _row(result: Result, name: str) -> Any:
    return result.constraints.set_index("constraint").loc[name]


@pytest.mark.parametrize("solver", SOLVERS)
def test_stage_cap_binds_at_separation_not_at_the_mine(solver: SolverName) -> None:
    # Free: sep_cn takes 50 t of mine_cn (20/t) and 50 t of mine_au (40/t): 3,000. At most
    # 65 % from CN at every stage: sep_cn takes 65 t, sep_my 35 t of mine_au ore (60/t):
    # 1,000 + 15 x 40 + 35 x 60 = 3,700; the mine stage is 50 % CN, under the cap.
    rules = [{"country": "CN", "max_share": 0.65}]
    result = _costs(SEPARATION, solver, 3000, 3700, stage_shares=rules)
    document = _with(SEPARATION, stage_shares=rules)
    oxide = _row(result, "stage_max_share(CN,oxide,NdPr,P1)")
    ore = _row(result, "stage_max_share(CN,ore,NdPr,P1)")
    assert (oxide["value"], oxide["limit"]) == (pytest.approx(65), pytest.approx(65))
    assert (ore["value"], ore["limit"]) == (pytest.approx(50), pytest.approx(65))
    assert abs(ore["shadow_price"]) == pytest.approx(0)
    # one point looser: one tonne more through sep_cn instead of sep_my saves 60 - 40 = 20
    looser = _with(SEPARATION, stage_shares=[{"country": "CN", "max_share": 0.66}])
    saved = result.total_cost - _solve(looser, solver).total_cost
    assert saved == pytest.approx(20)
    assert oxide["cost_per_point"] == pytest.approx(saved)
    assert oxide["shadow_price"] == pytest.approx(20)
    shares = result.stage_shares.set_index(["stage", "country"])["share"]
    assert shares["oxide", "CN"] == pytest.approx(0.65)
    assert shares["ore", "CN"] == pytest.approx(0.5)
    assert_unique(Problem.model_validate(document), ["stage_max_share(CN,oxide,NdPr,P1)"])


GROUP: Document = {
    "name": "allies in value",
    "periods": ["P1"],
    "stages": ["oxide"],
    "materials": [{"id": "NdPr"}],
    "country_groups": {"allies": ["AU", "JP"]},
    "sources": [
        {"id": "lynas", "country": "AU", "capacity": {"NdPr": 200}, "prices": {"NdPr": 150}},
        {"id": "china", "country": "CN", "capacity": {"NdPr": 200}, "prices": {"NdPr": 100}},
    ],
    "demand": {"NdPr": 100},
}


@pytest.mark.parametrize("solver", SOLVERS)
def test_group_least_share_in_value_and_in_tonnes(solver: SolverName) -> None:
    # tonnes: a >= 50 -> 50 x 150 + 50 x 100 = 12,500; value: 150 a >= 0.5 (150 a + 100 (100
    # - a)) -> a = 40 -> 40 x 150 + 60 x 100 = 12,000
    rule = {"group": "allies", "min_share": 0.5}
    by_tonnes = _solve(_with(GROUP, stage_shares=[rule]), solver)
    by_value = _solve(_with(GROUP, stage_shares=[{**rule, "measure": "value"}]), solver)
    assert by_tonnes.total_cost == pytest.approx(12500)
    assert by_value.total_cost == pytest.approx(12000)
    tonnes = by_value.supply.set_index("source")["tonnes"]
    assert tonnes["lynas"] == pytest.approx(40)
    row = _row(by_value, "stage_min_share(allies,oxide,NdPr,P1)")
    assert row["value"] == pytest.approx(6000)
    assert row["limit"] == pytest.approx(6000)
    # one point less (49 %): 150 a = 0.49 (50 a + 10,000) -> a = 4900 / 125.5; finite difference
    looser = _with(GROUP, stage_shares=[{**rule, "measure": "value", "min_share": 0.49}])
    saved = by_value.total_cost - _solve(looser, solver).total_cost
    assert abs(row["cost_per_point"]) == pytest.approx(saved, rel=0.03)
    assert_unique(
        Problem.model_validate(_with(GROUP, stage_shares=[{**rule, "measure": "value"}])), []
    )


ORIGIN = _ore_to_oxide(
    "Dy",
    [("mine_cn", "CN", 200, 10), ("mine_au", "AU", 200, 30)],
    [("sep_my", "MY", 200, 10, ["mine_cn", "mine_au"])],
)


@pytest.mark.parametrize("solver", SOLVERS)
def test_origin_cap_at_zero_forces_a_path_without_china(solver: SolverName) -> None:
    rules = [{"country": "CN", "max_share": 0.0}]
    result = _costs(ORIGIN, solver, 2000, 4000, origin_shares=rules)
    tonnes = result.supply.set_index("source")["tonnes"]
    assert tonnes["mine_au"] == pytest.approx(100)
    # At 0 the row and the flow's bound at 0 coincide (its shadow price is not unique); at
    # 10 % it is: a tonne more of Chinese content saves 40 - 20 = 20.
    tenth = _with(ORIGIN, origin_shares=[{"country": "CN", "max_share": 0.1}])
    result = _solve(tenth, solver)
    assert result.total_cost == pytest.approx(10 * 20 + 90 * 40)
    row = _row(result, "origin_share(CN,Dy,P1)")
    assert row["shadow_price"] == pytest.approx(20)
    looser = _with(ORIGIN, origin_shares=[{"country": "CN", "max_share": 0.11}])
    assert result.total_cost - _solve(looser, solver).total_cost == pytest.approx(20)
    assert row["cost_per_point"] == pytest.approx(20)
    assert_unique(Problem.model_validate(tenth), ["origin_share(CN,Dy,P1)"])


@pytest.mark.parametrize("share", [1.0])
def test_a_rule_at_its_loosest_changes_nothing(share: float) -> None:
    free = _solve(SEPARATION)
    for rule in ({"country": "CN", "max_share": share}, {"country": "CN", "min_share": 0.0}):
        result = _solve(_with(SEPARATION, stage_shares=[rule]))
        assert result.total_cost == pytest.approx(free.total_cost)
    result = _solve(_with(SEPARATION, origin_shares=[{"country": "CN", "max_share": share}]))
    assert result.total_cost == pytest.approx(free.total_cost)


def test_tightening_never_lowers_the_cost() -> None:
    costs = [
        _solve(_with(SEPARATION, stage_shares=[{"country": "CN", "max_share": s}])).total_cost
        for s in (0.9, 0.8, 0.7, 0.65, 0.5, 0.3)
    ]
    assert costs == sorted(costs)
    costs = [
        _solve(
            _with(GROUP, stage_shares=[{"group": "allies", "min_share": s, "measure": "value"}])
        ).total_cost
        for s in (0.1, 0.3, 0.5, 0.8)
    ]
    assert costs == sorted(costs)


def _errors(document: Document) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as error:
        Problem.model_validate(document)
    return [tuple(e["loc"]) for e in error.value.errors()]


@pytest.mark.parametrize(
    ("rule", "loc"),
    [
        ({"country": "XX", "max_share": 0.5}, ("country",)),
        ({"group": "nope", "max_share": 0.5}, ("group",)),
        ({"country": "CN", "stage": "metal", "max_share": 0.5}, ("stage",)),
        ({"country": "CN", "max_share": 0.5, "materials": ["Dy"]}, ("materials", 0)),
        ({"country": "CN", "max_share": {"P9": 0.5}}, ("max_share", "by_period", "P9")),
    ],
)
def test_bad_stage_rules_name_their_field(rule: Document, loc: tuple[Any, ...]) -> None:
    document = _with(SEPARATION, stage_shares=[rule])
    assert ("security", "stage_shares", 0, *loc) in _errors(document)


def test_bad_rules_name_their_field() -> None:
    both = _with(SEPARATION, stage_shares=[{"country": "CN", "group": "g", "max_share": 0.5}])
    assert any(loc[:3] == ("security", "stage_shares", 0) for loc in _errors(both))
    twice = _with(SEPARATION, stage_shares=[{"country": "CN", "max_share": 0.5}] * 2)
    assert ("security", "stage_shares", 1, "id") in _errors(twice)
    plain = copy.deepcopy(GROUP)
    del plain["stages"]
    plain["security"] = {"origin_shares": [{"country": "CN", "max_share": 0.0}]}
    assert ("security", "origin_shares") in _errors(plain)
    named = copy.deepcopy(GROUP)
    named["country_groups"] = {"CN": ["AU"]}
    assert ("country_groups", "CN") in _errors(named)


def test_the_shares_the_rules_read_agree_with_the_stage_shares_table() -> None:
    """Every stage rule row's value / (limit / share) is the country's share in stage_shares,
    at every stage (with a source at the last stage counted at every stage before it)."""
    document = copy.deepcopy(SEPARATION)
    document["sources"].append(
        {"id": "oxide_cn", "country": "CN", "capacity": {"NdPr": 30}, "prices": {"NdPr": 25}}
    )
    result = _solve(_with(document, stage_shares=[{"country": "CN", "max_share": 0.7}]))
    shares = result.stage_shares.set_index(["stage", "country"])["share"]
    for stage in ("ore", "oxide"):
        row = _row(result, f"stage_max_share(CN,{stage},NdPr,P1)")
        assert row["value"] / (row["limit"] / 0.7) == pytest.approx(shares[stage, "CN"])
    # the Chinese oxide counts at the ore stage too, in China
    ore = result.stage_shares.set_index(["stage", "country"])["tonnes"]
    bought = result.supply.set_index("source")["tonnes"]
    assert ore["ore", "CN"] == pytest.approx(bought["mine_cn"] + bought["oxide_cn"])


def test_diagnose_names_a_stage_rule_and_relaxes_it() -> None:
    # Kuantan takes 30 t at most: with at most half of the oxide from China, 80 t of oxide
    # can be made; 70 % lets Baotou make the 70 t needed.
    document = copy.deepcopy(SEPARATION)
    document["facilities"][1]["capacity"] = 30
    document = _with(document, stage_shares=[{"country": "CN", "stage": "oxide", "max_share": 0.5}])
    problem = Problem.model_validate(document)
    assert optiree.solve(problem).status == "infeasible"
    diagnosis = optiree.diagnose(problem)
    rules = diagnosis.rules.set_index("field")
    assert list(rules.index) == ["security.stage_shares.0.max_share"]
    assert rules.loc["security.stage_shares.0.max_share", "sufficient"] == pytest.approx(
        0.7, abs=1e-3
    )
    assert "stage_shares.0.max_share must be at least" in diagnosis.summary()
    fixed = diagnosis.apply(problem)
    assert optiree.solve(fixed).status == "optimal"


@pytest.mark.parametrize("solver", SOLVERS)
def test_frontier_of_a_stage_share(solver: SolverName) -> None:
    """China's share of the oxide stage: 20 a point down to 50 % (Australian ore moves from
    Baotou to Kuantan), 40 a point below (Chinese ore gives way to Australian ore separated in
    Malaysia); at 0 every tonne goes Mt Weld > Kuantan: 100 x 60."""
    problem = Problem.model_validate(SEPARATION)
    curve = optiree.frontier(
        problem, "CN", "stage_max_share", stage="oxide", points=3, solver=solver
    )
    table = curve.table.set_index("level")
    assert curve.subject == "CN.oxide"
    assert table.loc[1.0, "total_cost"] == pytest.approx(3000)
    assert table.loc[0.5, "total_cost"] == pytest.approx(4000)
    assert table.loc[0.5, "breakpoint"]
    assert table.loc[0.0, "total_cost"] == pytest.approx(6000)
    origin = optiree.frontier(problem, "CN", "origin_share", points=1, solver=solver)
    assert origin.table["total_cost"].max() == pytest.approx(6000)


def test_frontier_of_a_group_and_refusals() -> None:
    problem = Problem.model_validate(GROUP)
    curve = optiree.frontier(problem, rule="stage_min_share", group="allies", points=1)
    assert curve.table["total_cost"].iloc[0] == pytest.approx(10000)  # all from China
    assert curve.table["total_cost"].iloc[-1] == pytest.approx(15000)  # all allied
    with pytest.raises(optiree.ArgumentError, match="unknown group"):
        optiree.frontier(problem, rule="stage_min_share", group="nato")
    with pytest.raises(optiree.ArgumentError, match="unknown stage"):
        optiree.frontier(problem, rule="stage_max_share", stage="magnet")


@pytest.mark.parametrize("solver", SOLVERS)
def test_cover_without_a_country_at_a_stage(solver: SolverName) -> None:
    """40 % of demand coverable without China at the oxide stage: Kuantan separates 40 t of
    Mt Weld ore (60/t), Baotou 50 t of Chinese and 10 t of Australian ore: 3,800; a tonne more
    of cover costs 60 - 40 = 20. At the ore stage (60 %): Mt Weld sells 60 t, all separated in
    Baotou (40/t), Chinese ore 40 t (20/t): 3,200, a tonne more of cover 40 - 20 = 20."""
    oxide = [{"country": "CN", "share": 0.4, "stage": "oxide"}]
    result = _solve(_with(SEPARATION, min_cover_without=oxide), solver)
    assert result.total_cost == pytest.approx(3800)
    assert _row(result, "cover_without(CN,NdPr,P1)")["shadow_price"] == pytest.approx(20)
    ore = [{"country": "CN", "share": 0.6, "stage": "ore"}]
    result = _solve(_with(SEPARATION, min_cover_without=ore), solver)
    assert result.total_cost == pytest.approx(3200)
    assert _row(result, "cover_without(CN,NdPr,P1)")["shadow_price"] == pytest.approx(20)
    tonnes = result.supply.set_index("source")["tonnes"]
    assert tonnes["mine_au"] == pytest.approx(60)
    assert_unique(
        Problem.model_validate(_with(SEPARATION, min_cover_without=oxide)),
        ["cover_without(CN,NdPr,P1)"],
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_facility_country_at_a_stage(solver: SolverName) -> None:
    """Malaysia only separates (sep_my): a rule at a stage may name it. At most half of the
    oxide stage from China and at least half of demand coverable without Malaysia there: 50 t
    through each separator, Chinese ore in China (20/t) and Mt Weld's in Malaysia (60/t):
    4,000. Without a stage the cover rule counts the sources' countries, and Malaysia has
    none: refused, at the field."""
    stage_cn = [{"country": "CN", "max_share": 0.5, "stage": "oxide"}]
    cover_my = [{"country": "MY", "share": 0.5, "stage": "oxide"}]
    both = _with(SEPARATION, stage_shares=stage_cn, min_cover_without=cover_my)
    result = _solve(both, solver)
    assert result.total_cost == pytest.approx(4000)
    flows = result.flows[result.flows["step"] == 1].groupby("node")["tonnes_in"].sum()
    assert flows.to_dict() == {"sep_cn": pytest.approx(50), "sep_my": pytest.approx(50)}
    no_stage = _with(SEPARATION, min_cover_without=[{"country": "MY", "share": 0.5}])
    assert ("security", "min_cover_without", 0, "country") in _errors(no_stage)


def test_a_rule_that_cannot_be_tightened_has_a_frontier_of_one_level() -> None:
    """Malaysia's largest share of the oxide stage is 0 without the rule (Baotou separates all
    100 t for 3,000), and no plan has less: one row, not levels apart by the solver's
    tolerance alone, and the summary says so. An unknown country is refused by name."""
    problem = Problem.model_validate(SEPARATION)
    curve = optiree.frontier(problem, "MY", "stage_max_share", stage="oxide")
    assert curve.table["level"].tolist() == [0.0]
    assert curve.table["total_cost"].tolist() == pytest.approx([3000])
    assert "the rule cannot be tightened" in curve.summary()
    with pytest.raises(optiree.ArgumentError, match=r"unknown country 'XX'.*CN, AU, MY"):
        optiree.frontier(problem, "XX", "stage_max_share")


def test_cover_rule_stage_is_known() -> None:
    rules = [{"country": "CN", "share": 0.4, "stage": "metal"}]
    document = _with(SEPARATION, min_cover_without=rules)
    assert ("security", "min_cover_without", 0, "stage") in _errors(document)
