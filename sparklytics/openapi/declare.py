"""How a route says what it takes and answers: :class:`Operation`, attached by :func:`operation`.

The route table stays the source of routes: a Quart view is found through the app's
``url_map``, a raw-ASGI endpoint (collect, campaign links, pixels) lists its routes in
its ``OPERATIONS``. What the route table cannot know is declared once, next to the
view::

    @websites_bp.route("/api/websites", methods=["POST"])
    @operation("Create a website", tag="Websites", body=CreateWebsite, ok=201,
               response=Data[Website], errors=[(400, "validation_error")])
    async def create_website(): ...

Everything else is derived, so it cannot drift: path parameters from the rule,
security from :func:`sparklytics.auth.guards.access_for`, the analytics parameters from
the parser's route policy (``report="stats"`` → :mod:`sparklytics.openapi.parameters`),
the body schema from the pydantic model the handler validates with, and the common error
answers (auth, body, unknown website, wrong method) from what the route is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["OPERATION_ATTRIBUTE", "Operation", "Query", "operation"]

OPERATION_ATTRIBUTE = "__sparklytics_operation__"

ViewT = TypeVar("ViewT", bound=Callable[..., object])


@dataclass(frozen=True, slots=True)
class Query:
    """One query parameter a handler reads itself (not through the report parser)."""

    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    """What one method of one route takes and answers.

    ``ok`` is the success status; ``response`` the pydantic model of its JSON body
    (``None``: no body or not JSON, described by ``media_type``). ``body`` is the
    request's pydantic model (``body_types``: the content types it accepts). ``report``
    names the route policy of :data:`sparklytics.queries.report_query.ROUTES` (a tuple
    when one path serves several), whose parameters the parser reads. ``errors`` are the
    route's own ``(status, code)`` answers beyond those derived from what it is;
    ``other_answers`` the statuses that answer something other than the error envelope
    (``/health``'s 503 has the success body). ``name`` is the ``operationId`` (the
    function name a generated client gives it); a view's defaults to the view's name.
    """

    summary: str
    tag: str
    ok: int = 200
    response: type[BaseModel] | None = None
    media_type: str = "application/json"
    description: str = ""
    body: type[BaseModel] | None = None
    body_types: Sequence[str] = ("application/json",)
    body_is_batch: bool = False
    query: Sequence[Query] = ()
    report: str | Sequence[str] | None = None
    errors: Sequence[tuple[int, str]] = ()
    path_enums: dict[str, Sequence[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    other_answers: dict[int, str] = field(default_factory=dict)
    name: str | None = None

    @property
    def reports(self) -> tuple[str, ...]:
        if self.report is None:
            return ()
        return (self.report,) if isinstance(self.report, str) else tuple(self.report)


def operation(summary: str, *, tag: str, **details: Any) -> Callable[[ViewT], ViewT]:
    """Declare a view's :class:`Operation` (put it under the route decorator)."""
    declared = Operation(summary, tag, **details)

    def attach(view: ViewT) -> ViewT:
        setattr(view, OPERATION_ATTRIBUTE, declared)
        return view

    return attach
