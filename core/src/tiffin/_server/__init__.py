"""The HTTP server: a Starlette app for a service, served by uvicorn (``tiffin serve``).

Nothing is imported here: the CLI reads ``tiffin._server._options`` without paying for
Starlette, so ``tiffin --help`` stays light. Import ``tiffin._server._app`` for the app.
"""
