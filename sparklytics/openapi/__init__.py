"""The OpenAPI 3.1 document of the HTTP API, generated from the route table.

Declare a route with :func:`operation` next to its view (or in a raw-ASGI endpoint's
``OPERATIONS``); :func:`build_document` does the rest. ``GET /api/openapi.json``
serves it (:mod:`sparklytics.api.openapi`).
"""

from sparklytics.openapi.declare import Operation, Query, operation
from sparklytics.openapi.document import build_document

__all__ = ["Operation", "Query", "build_document", "operation"]
