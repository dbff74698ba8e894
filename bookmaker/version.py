"""bookmaker's version, as installed (a source tree never installed says 0.0.0)."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "bookmaker-ebooks"  # the name on PyPI ("bookmaker" there is another project)
WHEEL_NAME = DISTRIBUTION.replace("-", "_")  # as wheel and .dist-info names spell it

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:
    __version__ = "0.0.0"
