"""Small problem documents shared by the validation, file and command-line tests."""

import copy
import math
from pathlib import Path
from typing import Any

import pandas as pd

from optiree.frontier import Frontier
from optiree.rules import Rule

JAPAN = Path(__file__).resolve().parents[1] / "examples" / "japan_2026.yaml"
JAPAN_STAGES = JAPAN.with_name("japan_2026_stages.yaml")
"""The Japan case as a chain of stages (concentrate, oxide, magnet)."""


def stockpile() -> dict[str, Any]:
    """A strategic stockpile drawn in a two-period embargo and rebuilt after it, worked out by
    hand in docs/formulation.md and tests/test_common_sense.py: 4,040 without the embargo,
    10,226 with it."""
    return copy.deepcopy(
        {
            "name": "stockpile",
            "periods": ["A", "B", "C", "D"],
            "materials": [{"id": "X"}],
            "sources": [
                {"id": "cn", "country": "CN", "capacity": {"X": 10}, "prices": {"X": 100}},
                {
                    "id": "alt",
                    "country": "AU",
                    "capacity": {"X": {"B": 4, "C": 4}},
                    "prices": {"X": 300},
                },
                {
                    "id": "recycling",
                    "country": "JP",
                    "capacity": {"X": 10},
                    "prices": {"X": 200},
                    "available_from": "D",
                },
            ],
            "demand": {"X": 10},
            "stock": {
                "initial": {"X": 10},
                "holding_cost": {"X": 1},
                "below_target_cost": {"X": 150},
            },
            "shortage_penalty": {"X": 1000},
            "security": {"min_stock_cover": {"X": 1.0}},
            "scenarios": [
                {"name": "embargo", "disruptions": [{"country": "CN", "start": "B", "length": 2}]}
            ],
        }
    )


def two_country() -> dict[str, Any]:
    """China at 100/t and Lynas at 1.5x for Dy; at most 60% from China.

    By hand: demand 50 t, so China 30 t x 100 + Lynas 20 t x 150 = 6,000.
    """
    return copy.deepcopy(
        {
            "name": "two country",
            "materials": [{"id": "Dy", "name": "Dysprosium oxide"}],
            "reference_prices": {"Dy": 100},
            "sources": [
                {"id": "china", "country": "CN", "capacity": {"Dy": 100}},
                {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 100}},
            ],
            "demand": {"Dy": 50},
            "security": {"max_country_share": {"CN": 0.6}},
        }
    )


def full() -> dict[str, Any]:
    """A document that uses every input field once (valid)."""
    return copy.deepcopy(
        {
            "name": "full",
            "description": "every field",
            "currency": "USD",
            "periods": ["A", "B"],
            "materials": [{"id": "Dy"}, {"id": "Tb"}],
            "reference_prices": {"Dy": 100, "Tb": {"A": 200, "B": 210}},
            "sources": [
                {"id": "china", "country": "CN", "capacity": {"Dy": 100, "Tb": 10}},
                {
                    "id": "lynas",
                    "country": "AU",
                    "price_multiplier": 1.5,
                    "capacity": {"Dy": {"B": 5}},
                    "prices": {"Dy": 140},
                    "available_from": "B",
                },
            ],
            "substitutes": [{"id": "ferrite", "saves": {"Dy": 0.1}, "cost": 5, "capacity": 10}],
            "demand": {"Dy": 50, "Tb": {"A": 1, "B": 2}},
            "stock": {"initial": {"Dy": 5}, "holding_cost": {"Dy": 1}},
            "shortage_penalty": {"Tb": 1000},
            "caps": [{"id": "dy_quota", "country": "CN", "materials": ["Dy"], "max_tonnes": 60}],
            "security": {
                "max_country_share": {"CN": 0.9},
                "min_cover_without": [{"country": "CN", "share": 0.05, "materials": ["Dy"]}],
                "min_stock_cover": {"Dy": 0.1},
            },
        }
    )


def frontier_table(rule: str = "max_share", subject: str = "CN") -> pd.DataFrame:
    """A frontier by hand: free down to 60%, then 2,000 per point to 50%, then 6,000 per point
    to 40%; no plan at 30%. Levels fall by 10 points a row, so costs rise by 20,000 and 60,000.
    """
    frame = pd.DataFrame(
        {
            "rule": rule,
            "subject": subject,
            "level": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3],
            "total_cost": [1e5, 1e5, 1e5, 1e5, 1e5, 1.2e5, 1.8e5, math.nan],
            "marginal_cost_per_point": [0.0, 0.0, 0.0, 0.0, 2000.0, 6000.0, math.nan, math.nan],
            "breakpoint": [False, False, False, False, True, True, False, False],
            "status": ["optimal"] * 7 + ["infeasible"],
        }
    )
    return frame


def frontier_result() -> Frontier:
    """:func:`frontier_table` as what :func:`optiree.frontier` returns, in EUR."""
    return Frontier(frontier_table(), Rule.MAX_SHARE, "CN", "EUR", solves=8)
