"""Built-in IO descriptors, registered through the same hook third parties use."""

from __future__ import annotations
