"""The plugin author's kit: conformance tests for framework adapters, and shared fixtures.

Needs pytest: install ``tiffin[testing]``.
"""
