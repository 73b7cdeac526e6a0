"""Helpers shared by the test suites (and importable by the local stack)."""
