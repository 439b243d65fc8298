"""Built-in IO descriptors, registered through the same hook third parties use."""

from __future__ import annotations

from collections.abc import Callable

from tiffin.hookspecs import hookimpl


@hookimpl
def register_io_descriptors(register: Callable[[type], None]) -> None:
    from tiffin.io._file import File
    from tiffin.io._image import Image
    from tiffin.io._json import JSON
    from tiffin.io._multipart import Multipart
    from tiffin.io._numpy import NumpyNdarray
    from tiffin.io._pandas import PandasDataFrame, PandasSeries
    from tiffin.io._text import Text

    for cls in (NumpyNdarray, PandasDataFrame, PandasSeries, JSON, Text, File, Image, Multipart):
        register(cls)
