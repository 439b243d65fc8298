"""Built-in data containers: numpy arrays, Python lists, pandas frames (pandas is optional)."""

from __future__ import annotations
