"""HTTP plumbing for the Chalice app. Each feature declares its routes in its own `routes.py` with `Routes.route`:
a route's roles, body, query and response, once; `Api.include` serves them, and from the declaration the API
authenticates, validates, reads the Idempotency-Key header, maps errors to JSON and describes itself in
/openapi.json. Also here: the bodies the API answers on its own behalf (errors, /health, /me)."""
from __future__ import annotations

import hashlib
import inspect
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pydantic
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Chalice, Response
from chalice.app import Request
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chorus.core.errors import (
    ChorusError,
    Conflict,
    Forbidden,
    InvalidToken,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    ValidationError,
)
from chorus.core.observability import function_keys, logger, metrics
from chorus.core.roles import Principal

if TYPE_CHECKING:
    from chorus.http.auth import TokenVerifier

# Chalice would answer other content types itself, in its own format; the app answers them in ours (415).
ACCEPTED_CONTENT_TYPES = [
    "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"
]
STATUS_BY_ERROR: dict[type[ChorusError], int] = {
    ValidationError: 400, Forbidden: 403, NotFound: 404, Conflict: 409, PreconditionFailed: 412, Unprocessable: 422,
}
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600  # how long an Idempotency-Key stays bound to the request it first came with
THROTTLING_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}


class UnsupportedMediaType(Exception):
    pass


class ErrorDetail(pydantic.BaseModel):
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(pydantic.BaseModel):
    error: ErrorDetail


# What API Gateway answers itself, before a request reaches Chorus (infra/template.yaml GatewayResponses; the local
# runtime's gateway answers the same, chorus.local.gateway). Fixed texts: API Gateway's own messages can echo the
# Authorization header.
GATEWAY_ERRORS: dict[str, tuple[int | None, str, str]] = {  # response type: (status, or None to keep it), code, text
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "there is no such route (or it does not take this method); "
                                                      "the routes are listed at /openapi.json"),
    "THROTTLED": (429, "throttled", "too many requests; retry shortly"),
    "DEFAULT_4XX": (None, "refused", "the request was refused before it reached Chorus; check its size and form"),
    "DEFAULT_5XX": (None, "unavailable", "Chorus could not answer just now; try again shortly"),
}


def gateway_error_body(response_type: str) -> str:
    _, code, message = GATEWAY_ERRORS[response_type]
    return ErrorBody(error=ErrorDetail(code=code, message=message)).model_dump_json(exclude_none=True)


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    type: str = "string"
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None
    enum: tuple[str, ...] | None = None

    def parse(self, raw: str | None) -> Any:
        if raw is None or raw == "":
            return self.default
        if self.enum and raw not in self.enum:
            raise ValidationError(self.name, f"must be one of: {', '.join(self.enum)}")
        if self.type != "integer":
            return raw
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(self.name, "must be a whole number") from None
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise ValidationError(self.name, f"must be between {self.minimum} and {self.maximum}")
        return value

    def openapi(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type}
        for key in ("minimum", "maximum", "default"):
            if getattr(self, key) is not None:
                schema[key] = getattr(self, key)
        if self.enum:
            schema["enum"] = list(self.enum)
        return {"name": self.name, "in": "query", "required": False, "description": self.description, "schema": schema}


PAGING = (
    Query("limit", "page size", type="integer", minimum=1, maximum=100, default=50),
    Query("cursor", "next_cursor of the previous page"),
)


@dataclass(frozen=True)
class SignedLink:
    """Lets a link from an email stand in for the bearer token (a mail client cannot send one): when a request carries
    any of the link's query parameters, `signer(path_params, query_params)` names who signed it or raises Forbidden."""

    query: tuple[Query, ...]
    signer: Callable[[dict[str, str], dict[str, str]], Principal]


@dataclass
class RouteSpec:
    path: str
    method: str
    summary: str
    roles: frozenset[str] | None
    body: type[pydantic.BaseModel] | None
    response: type[pydantic.BaseModel] | None
    status: int
    query: tuple[Query, ...] = field(default_factory=tuple)
    link: SignedLink | None = None
    any_query: bool = False  # accept query parameters it does not name (a link others decorate: fbclid, trk, ...)
    idempotent: bool = False  # the view gets the Idempotency-Key header as `idempotency_key`
    versioned: bool = False  # the view gets the If-Match header's version as `expected_version` (PATCH, PUT)


@dataclass
class Stored:
    """What a view answers when a request may repeat an earlier one (a retry with the same Idempotency-Key, the same
    share URL): the resource, and whether this request created it (201) or found it (200)."""

    body: Any
    created: bool


@dataclass
class Reply:
    """A view's answer when it needs more than a body: another status, extra headers. A `str` body goes out as it is
    (a page, with its Content-Type in `headers`)."""

    body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Routes:
    """One feature's routes. `route` declares a route; `Api.include` serves the declared routes."""

    def __init__(self) -> None:
        self.declared: list[tuple[RouteSpec, Callable[..., Any]]] = []

    def route(
        self,
        path: str,
        method: str,
        summary: str,
        *,
        roles: frozenset[str] | None,
        body: type[pydantic.BaseModel] | None = None,
        response: type[pydantic.BaseModel] | None = None,
        status: int = 200,
        query: tuple[Query, ...] = (),
        link: SignedLink | None = None,
        any_query: bool = False,
        idempotent: bool = False,
        versioned: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """`roles=None` makes a public route; otherwise the caller needs a valid token and one of the roles, or
        a valid signed `link`. The view is called with the path parameters, and, when declared: `principal`, `body`,
        each query parameter, `idempotency_key` (with `idempotent=True`) and `request` (if the view names it)."""
        spec = RouteSpec(path, method.upper(), summary, roles, body, response, status, tuple(query), link, any_query,
                         idempotent, versioned)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            self.declared.append((spec, view))
            return view

        return decorator


class IdempotencyKeys(Protocol):
    """Where a key's first request is remembered (chorus.aws.state.StateRepository)."""

    def remember(self, name: str, value: dict[str, Any], expires_at: int) -> dict[str, Any]: ...


class Api:
    def __init__(self, app: Chalice, verifier: Callable[[], TokenVerifier], title: str, version: str,
                 idempotency_keys: Callable[[], IdempotencyKeys]) -> None:
        self.app = app
        self.verifier = verifier
        self.idempotency_keys = idempotency_keys
        self.title = title
        self.version = version
        self.routes: list[RouteSpec] = []

    def include(self, routes: Routes) -> None:
        for spec, view in routes.declared:
            self._serve(spec, view)

    def _serve(self, spec: RouteSpec, view: Callable[..., Any]) -> None:
        self.routes.append(spec)
        wants_request = "request" in inspect.signature(view).parameters

        def handle(**path_params: str) -> Response:
            with function_keys(self.app.lambda_context):
                return self._handle(spec, view, path_params, wants_request)

        handle.__name__ = view.__name__
        handle.__doc__ = view.__doc__
        self.app.route(spec.path, methods=[spec.method], content_types=ACCEPTED_CONTENT_TYPES)(handle)

    # ------------------------------------------------------------------ request handling
    def _handle(self, spec: RouteSpec, view: Callable[..., Any], path_params: dict[str, str],
                wants_request: bool) -> Response:
        request = self.app.current_request
        if request is None:  # Chalice sets it before it calls a route's handler
            raise RuntimeError("no current request")
        started = time.perf_counter()
        user = None
        try:
            kwargs: dict[str, Any] = dict(path_params)
            # A repeated parameter counts with its last value, as Chalice's MultiDict reads it.
            params: dict[str, str] = dict(request.query_params or {})
            link_query = spec.link.query if spec.link else ()
            if spec.roles is not None:
                if spec.link is not None and any(q.name in params for q in link_query):
                    principal = spec.link.signer(path_params, params)
                else:
                    principal = self._authenticate(request.headers.get("authorization"), spec.roles)
                user = principal.username
                kwargs["principal"] = principal
            if spec.body is not None:
                content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
                if content_type != "application/json" and request.raw_body:
                    raise UnsupportedMediaType(
                        f"send the body as JSON with Content-Type: application/json, not {content_type or 'none'}"
                    )
                kwargs["body"] = self._parse_body(request.raw_body, spec.body)
            accepted = (*spec.query, *link_query)
            unknown = sorted(set(params) - {q.name for q in accepted})
            if unknown and not spec.any_query:
                takes = ", ".join(q.name for q in accepted) or "none"
                raise ValidationError(unknown[0], f"unknown query parameter; this route takes: {takes}")
            for q in spec.query:
                kwargs[q.name] = q.parse(params.get(q.name))
            if spec.idempotent:
                kwargs["idempotency_key"] = self._idempotency_key(spec, request, kwargs)
            if spec.versioned:
                kwargs["expected_version"] = expected_version(request.headers.get("if-match"))
            if wants_request:
                kwargs["request"] = request
            result = view(**kwargs)
            response = self._ok(spec, result)
        except UnsupportedMediaType as error:
            response = _error(415, "unsupported_media_type", str(error))
        except InvalidToken as error:
            response = _error(401, "unauthorized", str(error), headers={"WWW-Authenticate": 'Bearer realm="chorus"'})
        except pydantic.ValidationError as error:
            response = _pydantic_error(error)
        except ChorusError as error:
            status = next((STATUS_BY_ERROR[kind] for kind in type(error).__mro__ if kind in STATUS_BY_ERROR), 400)
            response = _error(status, error.code, error.message, getattr(error, "field", None), error.details)
        except Exception as error:  # noqa: BLE001 - the last line of defence must answer JSON
            if _is_throttling(error):
                response = _error(429, "throttled", "too many requests; retry shortly", headers={"Retry-After": "1"})
            else:
                logger.exception("unhandled error", extra={"path": spec.path, "method": spec.method})
                response = _error(500, "internal_error", "something went wrong on our side; it has been logged")
        if response.status_code >= 400:
            name = "ServerErrors" if response.status_code >= 500 else "ClientErrors"
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        if metrics.metric_set:
            metrics.flush_metrics()
        logger.info(
            "request",
            extra={
                "method": spec.method,
                "route": spec.path,
                "status": response.status_code,
                "user": user,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response

    def _idempotency_key(self, spec: RouteSpec, request: Request, kwargs: dict[str, Any]) -> str | None:
        """The request's Idempotency-Key, once it is known to belong to this very request: the same key with another
        body (a client bug) is refused with 422 instead of silently answering the first request's result."""
        key = request.headers.get("idempotency-key")
        if not key:
            return None
        principal, body = kwargs.get("principal"), kwargs.get("body")
        user = principal.username if isinstance(principal, Principal) else ""
        scope = hashlib.sha256(f"{user}\n{spec.method} {spec.path}\n{key}".encode()).hexdigest()
        sent = body.model_dump(mode="json", by_alias=True) if isinstance(body, BaseModel) else None
        fingerprint = hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()
        first = self.idempotency_keys().remember(f"idempotency#{scope}", {"request": fingerprint},
                                                  int(time.time()) + IDEMPOTENCY_WINDOW_SECONDS)
        if first.get("request") != fingerprint:
            raise Unprocessable("this Idempotency-Key was used for a different request; use a new key for a new "
                                "request")
        return key

    def _authenticate(self, authorization: str | None, roles: frozenset[str]) -> Principal:
        principal = self.verifier().principal(authorization)
        if not principal.has_any(roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(sorted(roles))}")
        return principal

    @staticmethod
    def _parse_body(raw: str | bytes | None, model: type[pydantic.BaseModel]) -> pydantic.BaseModel:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        text = (raw or "").strip()
        try:
            data = json.loads(text) if text else {}
        except json.JSONDecodeError as error:
            raise ValidationError("body", f"is not valid JSON: {error.msg} at position {error.pos}") from None
        if not isinstance(data, dict):
            raise ValidationError("body", "must be a JSON object")
        return model.model_validate(data)

    @staticmethod
    def _ok(spec: RouteSpec, result: Any) -> Response:
        if isinstance(result, Stored):
            result = Reply(result.body, status=spec.status if result.created else 200)
        reply = result if isinstance(result, Reply) else Reply(result)
        status = reply.status or spec.status
        headers: dict[str, str | list[str]] = {"Content-Type": "application/json", **reply.headers}
        version = getattr(reply.body, "version", None)
        if isinstance(version, int) and not isinstance(version, bool):
            headers.setdefault("ETag", f'"{version}"')  # If-Match with it makes a change safe against lost updates
        if reply.body is None:
            return Response(body="", status_code=status, headers=headers)
        if isinstance(reply.body, str):
            return Response(body=reply.body, status_code=status, headers=headers)
        if isinstance(reply.body, pydantic.BaseModel):
            body = reply.body.model_dump_json(by_alias=True)
        else:
            body = json.dumps(reply.body)
        return Response(body=body, status_code=status, headers=headers)

    # ------------------------------------------------------------------ OpenAPI
    def openapi(self) -> dict[str, Any]:
        models: set[type[BaseModel]] = {ErrorBody}
        for spec in self.routes:
            models.update(m for m in (spec.body, spec.response) if m is not None)
        modes: tuple[JsonSchemaMode, ...] = ("validation", "serialization")
        keyed = sorted(((m, mode) for m in models for mode in modes), key=lambda x: (x[0].__name__, x[1]))
        refs, defs = models_json_schema(keyed, ref_template="#/components/schemas/{model}", by_alias=True)
        paths: dict[str, Any] = {}
        for spec in self.routes:
            path_id = spec.path.strip("/").replace("/", "_").replace("{", "").replace("}", "") or "root"
            operation: dict[str, Any] = {"summary": spec.summary, "operationId": f"{spec.method.lower()}_{path_id}"}
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _path_names(spec.path)
            ] + [q.openapi() for q in (*spec.query, *(spec.link.query if spec.link else ()))]
            if spec.versioned:
                parameters.append({
                    "name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                    "description": "the ETag of the version the change was made on; 412 when someone changed it since"})
            if spec.idempotent:
                parameters.append({
                    "name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
                    "description": "any unique text per intended request: a retry with the same key and body answers "
                                   "the first result (200), the same key with another body is a 422 (24 hours)"})
            if parameters:
                operation["parameters"] = parameters
            if spec.body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
                }
            ok: dict[str, Any] = {"description": "OK" if spec.status < 300 else "Redirect"}
            if spec.response is not None:
                ok["content"] = {"application/json": {"schema": refs[(spec.response, "serialization")]}}
            responses: dict[str, Any] = {str(spec.status): ok}
            error_ref = {"content": {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}}
            if spec.body is not None or spec.query or _path_names(spec.path):
                responses["400"] = {"description": "Bad input; `error.field` names the field", **error_ref}
            if spec.body is not None:
                responses["415"] = {"description": "The body is not sent as application/json", **error_ref}
            if spec.versioned:
                stale = "If-Match names a version that is no longer current; `error.details` has the current one"
                responses["412"] = {"description": stale, **error_ref}
            if spec.idempotent:
                responses["422"] = {"description": "The Idempotency-Key was used before for a different request",
                                    **error_ref}
            if spec.roles is not None:
                operation["security"] = [{"bearer": []}]
                responses["401"] = {"description": "Missing, invalid or expired token", **error_ref}
                responses["403"] = {"description": f"Needs one of the roles: {', '.join(sorted(spec.roles))}"
                                    + (" (or a valid, unexpired signed link)" if spec.link else ""), **error_ref}
            if _path_names(spec.path):
                responses["404"] = {"description": "Not found", **error_ref}
            if spec.method != "GET":
                responses["409"] = {"description": "Not allowed in the resource's current state", **error_ref}
            responses["429"] = {"description": "Throttled; retry after the Retry-After header", **error_ref}
            operation["responses"] = responses
            paths.setdefault(spec.path, {})[spec.method.lower()] = operation
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {
                "schemas": defs.get("$defs", {}),
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (Cognito access token)"}
                },
            },
        }


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _error(
    status: int,
    code: str,
    message: str,
    field_name: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    extra = {k: v for k, v in (details or {}).items() if k != "field"}
    detail = ErrorDetail(code=code, message=message, field=field_name, details=extra or None)
    response_headers: dict[str, str | list[str]] = {"Content-Type": "application/json", **(headers or {})}
    return Response(
        body=ErrorBody(error=detail).model_dump_json(exclude_none=True),
        status_code=status,
        headers=response_headers,
    )


def _pydantic_error(error: pydantic.ValidationError) -> Response:
    problems = [{"field": ".".join(str(part) for part in e["loc"]) or "body", "message": plain_message(e)}
                for e in error.errors(include_url=False)]
    first = problems[0]
    message = f"{first['field']}: {first['message']}"
    return _error(400, "validation_error", message, first["field"], {"problems": problems})


# What a pattern in a schema asks for, in words: a regular expression is no message for a communications team.
PATTERN_WORDS = {
    r"^https?://": "must be a web address starting with https://",
    r"^\S+$": "must not contain spaces",
    r"^([01]\d|2[0-3]):[0-5]\d$": "must be a time of day as HH:MM, e.g. 09:30",
    r"^([01]\d|2[0-3]):(00|15|30|45)$": "must be a quarter of an hour as HH:MM, e.g. 09:15",
    r"^[a-z0-9][a-z0-9-]{0,39}$": "must be a short name of at most 40 lowercase letters, digits and hyphens, "
                                   "e.g. mastodon-main",
}


def plain_message(problem: Mapping[str, Any]) -> str:
    """pydantic's message for one problem, in words: no "Value error, " prefix, no regular expressions, no Python."""
    kind, context, raw = problem["type"], problem.get("ctx") or {}, str(problem["msg"])
    limit = context.get("max_length", context.get("min_length"))
    words: dict[str, str] = {
        "missing": "is required",
        "extra_forbidden": "is not a field of this request; check its spelling",
        "string_type": "must be text",
        "int_type": "must be a whole number", "int_parsing": "must be a whole number",
        "float_type": "must be a number", "float_parsing": "must be a number",
        "bool_type": "must be true or false", "bool_parsing": "must be true or false",
        "list_type": "must be a list", "dict_type": "must be an object", "model_type": "must be an object",
        "string_too_short": "must not be empty" if limit == 1 else f"must be at least {limit} characters",
        "string_too_long": f"may be at most {limit} characters",
        "too_short": f"must have at least {limit} item{'' if limit == 1 else 's'}",
        "too_long": f"may have at most {limit} item{'' if limit == 1 else 's'}",
        "greater_than_equal": f"must be at least {context.get('ge')}",
        "less_than_equal": f"may be at most {context.get('le')}",
        "greater_than": f"must be more than {context.get('gt')}",
        "less_than": f"must be less than {context.get('lt')}",
        "string_pattern_mismatch": PATTERN_WORDS.get(str(context.get("pattern")), "is not in a form this field takes"),
    }
    if kind in ("literal_error", "enum"):
        return f"must be one of: {context.get('expected', '').replace(' or ', ', ')}".replace("'", "")
    if kind == "value_error":
        return raw.removeprefix("Value error, ")
    return words.get(kind, raw)


def _is_throttling(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)
        code = (response or {}).get("Error", {}).get("Code") if isinstance(response, dict) else None
        if code in THROTTLING_CODES or getattr(seen, "cause_response_code", None) in THROTTLING_CODES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Health(BaseModel):
    status: str
    version: str


class Me(BaseModel):
    username: str
    roles: list[str]


def public_base_url(request: Request, configured: str | None) -> str:
    """Where people reach this API, for links it hands out: `configured` (CHORUS_PUBLIC_API_URL, a custom domain),
    else this request's own host (API Gateway's execute-api host carries the stage in the path)."""
    if configured:
        return configured
    host = request.headers.get("host") or "localhost"
    if host.endswith(".amazonaws.com"):
        return f"https://{host}/{request.context.get('stage', 'api')}"
    local = host.startswith(("localhost", "127.0.0.1"))
    scheme = request.headers.get("x-forwarded-proto") or ("http" if local else "https")
    return f"{scheme}://{host}"


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names (the ETag a GET answered: `"7"`); None without the header."""
    if not if_match:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ValidationError("If-Match", 'must be the ETag a GET answered, e.g. "7"')
    return int(tag)
