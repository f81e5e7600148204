"""docs/api.md is generated from the declared routes (chorus.local.apidoc): the committed file must be the render."""
from __future__ import annotations

from pathlib import Path

from chorus.local import apidoc

REPOSITORY = Path(__file__).resolve().parents[3]


def test_committed_api_reference_matches_the_declared_routes() -> None:
    from app import api

    committed = (REPOSITORY / "docs" / "api.md").read_text(encoding="utf-8")
    assert committed == apidoc.render(api.openapi()), (
        "docs/api.md differs from the routes the API declares: run `make docs` and commit docs/api.md"
    )


def test_render_groups_routes_by_feature_with_roles_parameters_schemas_and_statuses() -> None:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    openapi = {
        "openapi": "3.1.0",
        "info": {"title": "Demo", "version": "9.9"},
        "paths": {
            "/posts": {
                "get": {
                    "summary": "The calendar | paged",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                                     "default": 50}},
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["draft", "held"]}},
                    ],
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": {"description": "OK", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/PostPage-Output"}}}},
                        "403": {"description": "Needs one of the roles: editor, master", **error},
                        "401": {"description": "Missing, invalid or expired token", **error},
                    },
                },
            },
            "/widgets/{id}": {
                "post": {
                    "summary": "Poke a widget",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "requestBody": {"content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Poke-Input"}}}},
                    "responses": {"204": {"description": "OK"}, "404": {"description": "Not found", **error}},
                },
            },
        },
    }

    markdown = apidoc.render(openapi)

    assert markdown.startswith("# Demo API reference\n")
    assert "Version 9.9: 2 operations on 2 paths." in markdown
    assert "### Calendar and publishing\n\nExplained in [calendar](calendar.md), [publishing](publishing.md)." \
        in markdown
    assert ("| GET | `/posts` | editor, master | The calendar \\| paged | `limit` (1-100, default 50), "
            "`status` (draft/held) | - | PostPage | 200, 401, 403 |") in markdown
    assert "### `/widgets`" in markdown
    assert "| POST | `/widgets/{id}` | public (no token) | Poke a widget | - | Poke | - | 204, 404 |" in markdown
    assert markdown.index("### Calendar and publishing") < markdown.index("### `/widgets`")
