"""The suite's speed-ups reach into Werkzeug's and Flask-SQLAlchemy's internals
(tests/speedups.py), so they run only on the versions they were written for."""

import re

import pytest

from tests import speedups
from tests.paths import ROOT


def test_the_speedups_are_written_for_the_pinned_versions():
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for name, version in speedups.PINNED.items():
        assert re.search(rf"^{re.escape(name)}=={re.escape(version)}$", lock, re.M | re.I), (name, version)


def test_the_speedups_refuse_another_version(monkeypatch):
    monkeypatch.setitem(speedups.PINNED, "Flask-SQLAlchemy", "2.5.1")
    with pytest.raises(pytest.UsageError, match=r"this is Flask-SQLAlchemy 3\.1\.1 \(the patches were written for "
                                                r"2\.5\.1\)\. Read the patched functions"):
        speedups.pytest_configure(None)
