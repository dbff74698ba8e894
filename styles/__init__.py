"""The default theme, shipped inside the package as bookmaker.styles (this file makes it importable)."""
