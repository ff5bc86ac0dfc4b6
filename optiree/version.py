"""The version of optiree (read by the package, its CLI and its reports)."""

__version__ = "0.1.0"
