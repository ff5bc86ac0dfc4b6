"""The exceptions optiree raises.

Invalid input is reported as :class:`pydantic.ValidationError`, whose ``loc`` names the offending
field (``sources.2.capacity.Dy``); everything else optiree raises is a subclass of
:class:`OptireeError`.
"""


class OptireeError(Exception):
    """Base class of every exception optiree raises (other than pydantic's ValidationError)."""


class SolverError(OptireeError):
    """A solver is unknown, not installed, or failed in a way that left no usable answer."""


class OutputError(OptireeError):
    """Results could not be written where they were asked to go."""


class OutputTakenError(OutputError):
    """The output's path is taken: a file or results are there already and may not be
    replaced (no ``overwrite``), or a folder on the path is a file. Exit 2 on the command
    line, like any other usage mistake."""


class ArgumentError(OptireeError, ValueError):
    """An argument to an optiree function does not fit: the message says which and why."""


class ScenarioError(ArgumentError):
    """A scenario cannot be applied to the problem as written (the message says how to
    rewrite it)."""


class SolverChoiceError(SolverError, ArgumentError):
    """A solver name or solver option (``time_limit``) that does not fit: an argument mistake
    about the solver, caught as either."""


class StressError(ArgumentError):
    """A stress test was asked for with arguments that do not fit together."""


class StochasticError(ArgumentError):
    """The stochastic problem is not well posed: no scenarios, ``commit_periods`` out of range,
    a fixed stock for an unknown material."""


class MissingDependencyError(OptireeError, ImportError):
    """An optional dependency is not installed: matplotlib (figures, the report), dask
    (distributed sweeps) or pyarrow (Parquet files). The message says what to install."""


class PlotError(OptireeError, ValueError):
    """The data cannot be drawn: no optimal plan, or a frontier table without its columns."""
