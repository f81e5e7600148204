"""A person's right to see and to erase what the programme stores about them (issue 5 item 9).

Each kind of data the programme keeps about a person is one PersonalData section (people, content, pool, ...),
listed in `chorus.advocacy.wiring.privacy()`. Export asks every section; erase asks every section to remove or blank
what identifies the person and to keep anonymous counts. Erasing is idempotent and always runs every section, so a
request that failed half-way is completed by sending it again."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PersonalDataExport(BaseModel):
    person_id: str
    exported_at: str
    sections: dict[str, list[dict[str, Any]]] = Field(description="every kind of data stored about the person")
