"""The rule catalogue: every kind of constraint row, declared once.

Each :class:`Rule` has one :class:`RuleSpec` in :data:`CATALOGUE`: what its row counts, its
family, the input field that sets it, the unit of its parameter, the direction that loosens
it and whether a frontier can sweep it. The model names its rows by ``Rule``; results, verify,
diagnose, frontier, plots and the CLI read the declaration instead of keeping their own idea
of a rule. Adding a rule means a member here, its input field in ``schema.py``, its row (and,
for a rule that can give, the input number behind it, :data:`optiree.model.SETTINGS`) in
``model.py`` and its check in ``verify.py``. A diagnosis reads the family and the direction
from here and the setting from the model; a rule a frontier sweeps also needs its way of being
set and read off a plan in ``frontier.py``.
"""

from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    """The kinds of constraint rows, as they appear in the ``rule`` column of results."""

    BALANCE = "balance"
    NET_DEMAND = "net_demand"
    MAX_SHARE = "max_share"
    COVER_WITHOUT = "cover_without"
    STOCK_COVER = "stock_cover"
    STOCK_END = "stock_end"
    CAP = "cap"
    CONTRACT = "contract"
    SEPARATION = "separation"
    RAMP = "ramp"
    SUB_SHARE = "sub_share"
    CAPACITY = "capacity"
    BUILD_LIMIT = "build_limit"
    BUDGET = "budget"
    UNIT_SIZE = "unit_size"
    USE = "use"
    MIN_LOT = "min_lot"
    QUALIFICATION = "qualification"
    MAX_SUPPLIERS = "max_suppliers"
    MIN_SUPPLIERS = "min_suppliers"
    DISCOUNT = "discount"
    DISCOUNT_TOP = "discount_top"
    DISCOUNT_FROM = "discount_from"
    CHAIN = "chain"
    FACILITY = "facility"
    STAGE_MAX = "stage_max_share"
    STAGE_MIN = "stage_min_share"
    ORIGIN = "origin_share"
    ORIGIN_MIN = "origin_min_share"


class Family(StrEnum):
    """What a rule is for, which decides how a diagnosis treats it."""

    DEMAND = "demand"
    """Demand must be met (the balance row)."""
    PHYSICAL = "physical"
    """What the world allows: the flows add up, plants have a size, lines ramp up."""
    COMMERCIAL = "commercial"
    """Caps and contracts: what was agreed or imposed on purchases."""
    SECURITY = "security"
    """Security rules the buyer sets itself: shares, cover without a country, stock cover."""


@dataclass(frozen=True)
class RuleSpec:
    """One rule, declared."""

    rule: Rule
    family: Family
    counts: str
    """What the row counts, in words (the left-hand side against the limit)."""
    subject: str
    """What the ``subject`` column of its rows names ("" when rows have no subject)."""
    field: str
    """The input field that sets it, as a dotted path of the problem file."""
    unit: str
    """The unit of its parameter (the share, cover or limit it enforces)."""
    loosens: int
    """+1 when a higher parameter loosens it (a largest share, a cap, a plant's size), -1 when
    a lower one does (demand, a least cover or stock, a contract's tonnes), 0 when it has no
    parameter to move."""
    limits: bool
    """A cap, contract, limit or security rule (reported among the binding rules); False for
    the rows that hold the plan together (balance, net demand, stock at the end)."""
    frontier_axis: str | None = None
    """The label of its level on a frontier's axis ({subject} filled in), None when no frontier
    sweeps it."""
    frontier_level: str = ""
    """What a frontier's level is, in words ({subject} filled in): the title of its table."""

    @property
    def in_percent(self) -> bool:
        """Its level is a share, shown in percent."""
        return self.unit == "share"

    @property
    def in_money(self) -> bool:
        """Its level is money (a budget): a frontier's cost per unit of it, not per point."""
        return self.unit == "money"

    @property
    def tightest(self) -> float | None:
        """The level no plan can be tighter than: 0 for a largest share or a budget, 1 for a
        least share, None when there is no such bound (a cover in periods of demand)."""
        if self.in_money:
            return 0.0
        if not self.in_percent:
            return None
        return 0.0 if self.loosens > 0 else 1.0


CATALOGUE: dict[Rule, RuleSpec] = {
    spec.rule: spec
    for spec in (
        RuleSpec(
            Rule.BALANCE,
            Family.DEMAND,
            "supply + stock drawn + substitution + shortage against demand [t]",
            "",
            "demand",
            "t",
            -1,
            limits=False,
        ),
        RuleSpec(
            Rule.NET_DEMAND,
            Family.PHYSICAL,
            "substitution + shortage against demand [t]",
            "",
            "demand",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.MAX_SHARE,
            Family.SECURITY,
            "purchases from the country against a share of all purchases [t]",
            "country",
            "security.max_country_share",
            "share",
            +1,
            limits=True,
            frontier_axis="Largest share of purchases from {subject} [%]",
            frontier_level="% bought from {subject}",
        ),
        RuleSpec(
            Rule.COVER_WITHOUT,
            Family.SECURITY,
            "opening stock + supply from other countries + substitution against a share of "
            "demand [t]",
            "country",
            "security.min_cover_without",
            "share",
            -1,
            limits=True,
            frontier_axis="Share of demand covered without {subject} [%]",
            frontier_level="% of demand coverable without {subject}",
        ),
        RuleSpec(
            Rule.STOCK_COVER,
            Family.SECURITY,
            "closing stock (+ its gap and shortage for a strategic stock) against the target [t]",
            "",
            "security.min_stock_cover",
            "periods of demand",
            -1,
            limits=True,
            frontier_axis="Stock cover of {subject} [periods of demand]",
            frontier_level="closing stock in periods of demand",
        ),
        RuleSpec(
            Rule.STOCK_END,
            Family.PHYSICAL,
            "closing stock of the last period + tonnes below target at the end [t]",
            "",
            "security.min_stock_cover",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.CAP,
            Family.COMMERCIAL,
            "purchases from the capped sources, countries, materials and periods [t]",
            "cap",
            "caps",
            "t (max_tonnes) or share (max_share_of_capacity)",
            +1,
            limits=True,
        ),
        RuleSpec(
            Rule.CONTRACT,
            Family.COMMERCIAL,
            "purchases under the contract (+ tonnes paid for but not taken) [t]",
            "contract",
            "contracts",
            "t",
            -1,
            limits=True,
        ),
        RuleSpec(
            Rule.SEPARATION,
            Family.PHYSICAL,
            "feed a source separates against its plant's size [t feed]",
            "source",
            "sources.separation_capacity",
            "t feed",
            +1,
            limits=True,
        ),
        RuleSpec(
            Rule.RAMP,
            Family.PHYSICAL,
            "units of a substitute against last period's and its ramp [units]",
            "substitute",
            "substitutes.ramp",
            "units",
            +1,
            limits=True,
        ),
        RuleSpec(
            Rule.SUB_SHARE,
            Family.PHYSICAL,
            "demand a substitute replaces against its largest share of demand [t]",
            "substitute",
            "substitutes.max_share_of_demand",
            "share",
            +1,
            limits=True,
        ),
        RuleSpec(
            Rule.CAPACITY,
            Family.PHYSICAL,
            "tonnes (units) used less new capacity serving, against the capacity there was "
            "[t, t of feed for a feed, units for a substitute]",
            "source",
            "investments",
            "t",
            +1,
            limits=True,
        ),
        RuleSpec(
            Rule.BUILD_LIMIT,
            Family.PHYSICAL,
            "yearly capacity an option builds over the horizon against its largest size [t/yr]",
            "investment",
            "investments.max_size",
            "t/yr",
            +1,
            limits=True,
        ),
        RuleSpec(
            Rule.BUDGET,
            Family.COMMERCIAL,
            "capital of the investments decided against the budget [money]",
            "investor",
            "budgets",
            "money",
            +1,
            limits=True,
            frontier_axis="Capital budget of {subject} [money]",
            frontier_level="capital budget of {subject}",
        ),
        RuleSpec(
            Rule.CHAIN,
            Family.PHYSICAL,
            "tonnes sent down a source's paths less the tonnes it delivers at its stage [t]",
            "source",
            "sources.stage",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.FACILITY,
            Family.PHYSICAL,
            "tonnes a facility takes in, of every path through it, against its capacity [t in]",
            "facility",
            "facilities.capacity",
            "t in",
            +1,
            limits=True,
        ),
        RuleSpec(
            Rule.STAGE_MAX,
            Family.SECURITY,
            "tonnes (or value) of a stage from the country or group against a share of the "
            "stage's [t or money]",
            "stage rule",
            "security.stage_shares.max_share",
            "share",
            +1,
            limits=True,
            frontier_axis="Largest share of a stage (rule {subject}) [%]",
            frontier_level="% of the stage from the country or group of rule {subject}",
        ),
        RuleSpec(
            Rule.STAGE_MIN,
            Family.SECURITY,
            "tonnes (or value) of a stage from the country or group against a share of the "
            "stage's [t or money]",
            "stage rule",
            "security.stage_shares.min_share",
            "share",
            -1,
            limits=True,
            frontier_axis="Least share of a stage (rule {subject}) [%]",
            frontier_level="% of the stage from the country or group of rule {subject}",
        ),
        RuleSpec(
            Rule.ORIGIN,
            Family.SECURITY,
            "tonnes (or value) reaching the last stage whose path passed through the country or "
            "group against a share of all [t or money]",
            "origin rule",
            "security.origin_shares.max_share",
            "share",
            +1,
            limits=True,
            frontier_axis="Largest share of content through a country (rule {subject}) [%]",
            frontier_level="% of content that passed through the country or group of rule "
            "{subject}",
        ),
        RuleSpec(
            Rule.ORIGIN_MIN,
            Family.SECURITY,
            "tonnes (or value) reaching the last stage whose path passed through the country or "
            "group against a share of all [t or money]",
            "origin rule",
            "security.origin_shares.min_share",
            "share",
            -1,
            limits=True,
            frontier_axis="Least share of content through a country (rule {subject}) [%]",
            frontier_level="% of content that passed through the country or group of rule "
            "{subject}",
        ),
        # integer rules: their rows hold binaries or integers, physical so that a diagnosis
        # keeps them and relaxes the LP rules around them
        RuleSpec(
            Rule.UNIT_SIZE,
            Family.PHYSICAL,
            "yearly capacity decided less the size of the whole units built [t/yr]",
            "investment",
            "investments.unit_size",
            "t/yr",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.USE,
            Family.PHYSICAL,
            "tonnes delivered less the most deliverable if the source is used there [t]",
            "source",
            "sources.min_lot",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.MIN_LOT,
            Family.PHYSICAL,
            "tonnes delivered less the minimum lot if the source is used there [t]",
            "source",
            "sources.min_lot",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.QUALIFICATION,
            Family.PHYSICAL,
            "tonnes delivered over the horizon less the most deliverable if the source is "
            "qualified [t]",
            "source",
            "sources.qualification_cost",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.MAX_SUPPLIERS,
            Family.PHYSICAL,
            "sources delivering the material in the period against the most allowed [sources]",
            "",
            "security.max_suppliers",
            "sources",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.MIN_SUPPLIERS,
            Family.PHYSICAL,
            "sources delivering at least their lot of the material against the least allowed "
            "[sources]",
            "",
            "security.min_suppliers",
            "sources",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.DISCOUNT,
            Family.PHYSICAL,
            "tonnes bought at the first discount band's price, plus its top for each later "
            "band chosen, against its top: the first band only if no other, one at most [t]",
            "source",
            "sources.discounts",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.DISCOUNT_TOP,
            Family.PHYSICAL,
            "tonnes bought at a discount band's price less its top if the band is chosen [t]",
            "source",
            "sources.discounts",
            "t",
            0,
            limits=False,
        ),
        RuleSpec(
            Rule.DISCOUNT_FROM,
            Family.PHYSICAL,
            "tonnes bought at a discount band's price less its start if the band is chosen [t]",
            "source",
            "sources.discounts",
            "t",
            0,
            limits=False,
        ),
    )
}

INTEGER_RULES = (
    Rule.UNIT_SIZE,
    Rule.USE,
    Rule.MIN_LOT,
    Rule.QUALIFICATION,
    Rule.MAX_SUPPLIERS,
    Rule.MIN_SUPPLIERS,
    Rule.DISCOUNT,
    Rule.DISCOUNT_TOP,
    Rule.DISCOUNT_FROM,
)
"""The rules whose rows hold integer decisions (a problem with any of them is a MILP)."""

LIMITS = tuple(rule for rule, spec in CATALOGUE.items() if spec.limits)
"""The caps, contracts, limits and security rules (the other rows, balance, net_demand and
stock_end, hold the plan together)."""

FRONTIER_RULES = tuple(rule for rule, spec in CATALOGUE.items() if spec.frontier_axis)
"""The rules a frontier can sweep."""


def family(rule: Rule) -> Family:
    """The family of ``rule``."""
    return CATALOGUE[rule].family
