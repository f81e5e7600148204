"""The routes of privacy: DELETE /ambassadors/{id} (erase a person's personal data) and GET
/ambassadors/{id}/export (everything stored about them)."""
from __future__ import annotations

from chorus import container
from chorus.advocacy.privacy.schemas import PersonalDataExport
from chorus.core.roles import EVERYONE, Principal
from chorus.http.api import Routes

routes = Routes()


@routes.route("/ambassadors/{id}", "DELETE",
              "Erase a person's personal data everywhere; id, team, roles and anonymous "
              "counts stay (a master, or the person themselves; idempotent)", roles=EVERYONE, status=204)
def erase_ambassador(principal: Principal, id: str) -> None:
    container.privacy().erase(principal, id)


@routes.route("/ambassadors/{id}/export", "GET", "Everything stored about a person, per kind of data (a master, or the "
              "person themselves)", roles=EVERYONE, response=PersonalDataExport)
def export_ambassador(principal: Principal, id: str) -> PersonalDataExport:
    return container.privacy().export(principal, id)
