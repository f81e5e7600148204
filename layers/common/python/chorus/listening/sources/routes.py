"""The routes of sources: GET and POST /sources, and GET, PUT and DELETE /sources/{id}."""
from __future__ import annotations

from chorus import container
from chorus.core.roles import LISTENERS, Principal
from chorus.http.api import Routes
from chorus.listening.sources.rules import SOURCE_ADMINS
from chorus.listening.sources.schemas import SourceCreate, SourceFields, SourceList, SourceView

routes = Routes()


@routes.route("/sources", "GET", "What Chorus listens to, with each source's fetch state", roles=LISTENERS,
              response=SourceList)
def list_sources(principal: Principal) -> SourceList:
    return SourceList(items=container.sources().all())


@routes.route("/sources", "POST", "Add a source (a feed, an account, a search); it is polled within a minute",
              roles=SOURCE_ADMINS, body=SourceCreate, response=SourceView, status=201)
def create_source(principal: Principal, body: SourceCreate) -> SourceView:
    return container.sources().create(body, principal)


@routes.route("/sources/{id}", "GET", "One source: its settings and its fetch state", roles=LISTENERS,
              response=SourceView)
def get_source(principal: Principal, id: str) -> SourceView:
    return container.sources().get(id)


@routes.route("/sources/{id}", "PUT", "Replace a source's settings (all fields; its watermark is kept unless what it "
              "fetches changes); with If-Match only the version you read", roles=SOURCE_ADMINS, body=SourceFields,
              response=SourceView, versioned=True)
def replace_source(principal: Principal, id: str, body: SourceFields, expected_version: int | None) -> SourceView:
    return container.sources().replace(id, body, principal, expected_version)


@routes.route("/sources/{id}", "DELETE", "Stop listening to a source", roles=SOURCE_ADMINS, status=204)
def delete_source(principal: Principal, id: str) -> None:
    container.sources().delete(id)
