"""The package version (nothing inside the package imports the package face)."""

__version__ = "0.1.0"
