"""Chorus REST API (Chalice). This file only builds the API: each feature declares its routes in its own `routes.py`
(see docs/api.md for the reference and chorus.http.api for how a route is declared)."""
from __future__ import annotations

from chalice import Chalice

from chorus import container
from chorus.advocacy.content.routes import routes as content_routes
from chorus.advocacy.engagement.routes import routes as engagement_routes
from chorus.advocacy.people.routes import routes as people_routes
from chorus.advocacy.pool.routes import routes as pool_routes
from chorus.advocacy.privacy.routes import routes as privacy_routes
from chorus.calendar.routes import routes as calendar_routes
from chorus.core.roles import EVERYONE, Principal
from chorus.http.api import Api, Health, Me, Routes
from chorus.inbox.routes import routes as inbox_routes
from chorus.inbox.saved.routes import routes as saved_reply_routes
from chorus.listening.routes import routes as listening_routes
from chorus.listening.sources.routes import routes as sources_routes
from chorus.listening.spikes.routes import routes as spikes_routes
from chorus.publishing.routes import routes as publishing_routes
from chorus.reports.routes import routes as report_routes

VERSION = "0.1.0"

app = Chalice(app_name="chorus", configure_logs=False)
api = Api(app, container.token_verifier, title="Chorus", version=VERSION,
          idempotency_keys=container.idempotency_keys)
own = Routes()


@own.route("/health", "GET", "Liveness check", roles=None, response=Health)
def health() -> Health:
    return Health(status="ok", version=VERSION)


@own.route("/openapi.json", "GET", "This API's OpenAPI 3.1 description", roles=None)
def openapi() -> dict:
    return api.openapi()


@own.route("/me", "GET", "Who the token belongs to and which roles it carries", roles=EVERYONE, response=Me)
def me(principal: Principal) -> Me:
    return Me(username=principal.username, roles=sorted(principal.roles))


for routes in (own, calendar_routes, publishing_routes, listening_routes, inbox_routes, spikes_routes, sources_routes,
               people_routes, privacy_routes, content_routes, pool_routes, engagement_routes, saved_reply_routes,
               report_routes):
    api.include(routes)
