"""Suite-wide isolation: caches and homes point into a temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("NEMOTRON_CACHE_DIR", str(tmp_path_factory.mktemp("nrs-cache")))
