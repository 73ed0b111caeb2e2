"""Reusable test helpers (importable as ``tests.helpers``)."""
