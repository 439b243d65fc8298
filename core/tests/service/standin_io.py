"""A minimal IO descriptor written against the interface only (as a third party would).

Tests copy this file next to the service files they serve, so the server's behaviour is tested
independently of the built-in descriptors.
"""

import json

from tiffin.exceptions import BadInput


class Echo:
    input_kwargs = False

    def __init__(self, example=None):
        self.example = example

    async def from_http(self, request):
        return self.from_cli(await request.body(), None)

    def from_cli(self, data, filename):
        try:
            return json.loads(data or b"null")
        except ValueError as exc:
            raise BadInput(f"request body is not valid JSON: {exc}") from None

    async def to_http(self, value):
        from starlette.responses import Response

        return Response(self.to_cli(value), media_type="application/json")

    def to_cli(self, value):
        return json.dumps(value).encode()

    def openapi_schema(self):
        return {}

    def openapi_request_body(self):
        media = {"schema": {}}
        if self.example is not None:
            media["example"] = self.example
        return {"content": {"application/json": media}, "required": True}

    def openapi_responses(self):
        return {"description": "OK", "content": {"application/json": {"schema": {}}}}

    def to_spec(self):
        return {"type": "Echo", "args": {}}
