"""bookmaker's version, as installed (a source tree never installed says 0.0.0)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bookmaker")
except PackageNotFoundError:
    __version__ = "0.0.0"
