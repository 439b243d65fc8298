"""The IO descriptor contract, for the plugin's sample descriptor IntList."""

from __future__ import annotations

from typing import Any

from tiffin.testing import IODescriptorContract


class TestIntListContract(IODescriptorContract):
    def descriptor(self) -> Any:
        from tiffin_example._io import IntList

        return IntList(max_items=5)

    def samples(self) -> list[Any]:
        return [[1, -2, 30], []]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [(b"1,x", "text/csv"), (b"1,2,3,4,5,6", "text/csv")]
