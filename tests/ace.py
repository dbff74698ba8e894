"""Ace by DAISY, the accessibility checker publishers use, run on a built EPUB.

Ace is an npm package (`@daisy/ace`); its puppeteer runner drives a Chromium. Debian's `chromium`
is used through PUPPETEER_EXECUTABLE_PATH (npm's own browser download is skipped when installing).
The runner already launches Chromium with `--no-sandbox`, so it works as root in CI containers.
One run takes about 6 seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def ace_command() -> str | None:
    """The `ace-puppeteer` executable, or None when Ace is not installed."""
    return shutil.which("ace-puppeteer")


def chromium() -> str | None:
    configured = os.environ.get("PUPPETEER_EXECUTABLE_PATH")
    if configured and Path(configured).exists():
        return configured
    return next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)


def ace_available() -> bool:
    return ace_command() is not None and chromium() is not None


def ace(epub_path: str | Path, timeout: int = 300) -> dict:
    """Ace's report.json for one EPUB (raises RuntimeError when Ace fails to produce one)."""
    command, browser = ace_command(), chromium()
    if command is None or browser is None:
        raise RuntimeError("Ace needs `ace-puppeteer` (npm @daisy/ace) and a Chromium")
    log = ""
    # Ace gives Chromium 5 s to start, which a loaded CI machine can miss: a minute (ACE_TIMEOUT_INITIAL,
    # read by Ace's puppeteer runner), and two more tries.
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser, "ACE_TIMEOUT_INITIAL": "60000"}
    for _attempt in range(3):
        with tempfile.TemporaryDirectory(prefix="ace-") as out:
            result = subprocess.run([command, "-f", "-o", out, str(epub_path)], capture_output=True, text=True,
                                    timeout=timeout, env=env)
            report = Path(out) / "report.json"
            if report.exists():
                return json.loads(report.read_text(encoding="utf-8"))
            log = (result.stdout + result.stderr).strip()[-2000:]
    raise RuntimeError(f"Ace wrote no report (exit {result.returncode}): {log}")


def ace_findings(report: dict) -> list[dict]:
    """Every failed check as {rule, impact, file, html}: one per failed check and document."""
    found = []
    for document in report.get("assertions", []):
        url = document.get("earl:testSubject", {}).get("url", "")
        for check in document.get("assertions", []):
            if check.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            found.append({"rule": check.get("earl:test", {}).get("dct:title", "?"),
                          "impact": check.get("earl:test", {}).get("earl:impact", "?"),
                          "file": url,
                          "html": check.get("earl:result", {}).get("html", "")})
    return found


def ace_violations(report: dict) -> list[str]:
    """Ace's violations of any impact as readable lines, `impact rule @ file: html`; empty when clean."""
    return [f"{f['impact']} {f['rule']} @ {f['file']}: {f['html'][:160]}" for f in ace_findings(report)]
