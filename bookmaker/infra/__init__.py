"""Shared infrastructure under every stage: the cache (cache.py), worker processes and temporary folders
(processes.py), atomic outputs (output.py) and the build's date (dates.py)."""
