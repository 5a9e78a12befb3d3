"""Headless Chromium for the tests that open pages (viz's offline HTML, the docs site).

Tests skip cleanly when no Chromium is installed (.ci/run installs the apt package).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _chromium() -> str | None:
    """The Chromium (or Chrome) executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium_flags(exe: str, profile: Path, *, offline: bool = False) -> list[str]:
    """The command line of one headless run, console messages logged to stderr.

    ``offline=True`` makes every host name other than 127.0.0.1/localhost unresolvable, so a
    page that still fetches something from the internet logs a console error.
    """
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
    if offline:
        flags.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, "
                     "EXCLUDE localhost")
    return flags


def console_errors(stderr: str) -> list[str]:
    """The lines of Chromium's log that report a page error: uncaught exceptions, console
    errors, resources that failed to load."""
    return [line for line in stderr.splitlines()
            if "Uncaught" in line or "Failed to load resource" in line
            or ("CONSOLE" in line and "error" in line.lower())]


def run_chromium(flags: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run Chromium; skip the test when it does not finish in time (an overloaded machine)."""
    try:
        return subprocess.run(flags, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not finish in time")
