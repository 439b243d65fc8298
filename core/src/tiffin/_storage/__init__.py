"""The storage layer: tags, versioned stores, manifests and archives, in one place.

``tag`` names a stored thing, ``home`` finds ``$TIFFIN_HOME``, ``manifest`` lists a version's
files with their sha256, ``stored`` is what a stored model and a stored bento share, ``store``
writes and reads versions crash-safely, ``bento_store`` is the store of bentos (the model store
lives in ``tiffin.models``), and ``archive`` moves versions through tar streams at any fsspec URL.

Nothing is imported here, so that importing one of these modules costs only that module.
"""
