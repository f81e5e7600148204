"""The local API Gateway: chalice's LocalGateway, answering as API Gateway does with the template's gateway responses
(chorus.http.api.GATEWAY_ERRORS): an unknown route is a 404 in the API's error shape, never chalice's SigV4 message
that echoes the Authorization header, and a method a route does not take is a 405 with an Allow header (API Gateway
itself answers that with the same 404)."""
from __future__ import annotations

from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.local import LocalGateway, RouteMatcher

from chorus.http.api import ErrorBody, ErrorDetail, gateway_error_body


class ApiGateway(LocalGateway):
    def __init__(self, app_object: Chalice, config: Config) -> None:
        super().__init__(app_object, config)
        self._routes = RouteMatcher(list(app_object.routes))

    def declares(self, path: str) -> bool:
        """Whether the API has a route for this path (the dashboard's static files never shadow one)."""
        try:
            self._routes.match_route(path)
        except ValueError:
            return False
        return True

    def handle_request(self, method: str, path: str, headers: dict[str, Any], body: bytes | None) -> dict[str, Any]:
        try:
            route = self._routes.match_route(path).route
        except ValueError:
            return _answer(404, gateway_error_body("MISSING_AUTHENTICATION_TOKEN"))
        methods = sorted(self._app_object.routes[route])
        if method.upper() not in methods and method.upper() != "OPTIONS":
            refusal = ErrorBody(error=ErrorDetail(code="method_not_allowed",
                                                  message=f"{route} takes {', '.join(methods)}, not {method.upper()}"))
            return _answer(405, refusal.model_dump_json(exclude_none=True), Allow=", ".join(methods))
        answer: dict[str, Any] = super().handle_request(method, path, headers, body)
        return answer


def _answer(status: int, body: str, **headers: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", **headers},
            "multiValueHeaders": {}, "body": body}
