"""Browser tests: the public site in headless Chromium (see conftest.py)."""
