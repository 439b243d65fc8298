"""Old home of the storage layer, kept so that existing imports work: use :mod:`tiffin.store`.

Each module here re-exports its counterpart in ``tiffin.store``.
"""
