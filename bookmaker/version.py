"""bookmaker's version, as installed (a source tree never installed says 0.0.0): read from the
package's metadata when first asked for (importlib.metadata costs 50 ms, which a no-op build, whose
whole budget is 0.25 s, never needs)."""

DISTRIBUTION = "bookmaker-ebooks"  # the name on PyPI ("bookmaker" there is another project)
WHEEL_NAME = DISTRIBUTION.replace("-", "_")  # as wheel and .dist-info names spell it


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"


def __getattr__(name: str) -> str:
    if name == "__version__":
        globals()["__version__"] = value = installed_version()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
