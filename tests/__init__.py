"""The kiosk's tests, by subject; tests/browser/ drives Chromium.

PLUGINS are the support modules pytest loads as plugins (conftest.py). Test
modules and conftest.py import them too, sometimes before pytest does:
registered here, before any of them is imported, their asserts are rewritten
all the same."""

import pytest

PLUGINS = ["tests.speedups", "tests.database_support", "tests.moment", "tests.browser_support",
           "tests.admin_support"]
pytest.register_assert_rewrite(*PLUGINS)
