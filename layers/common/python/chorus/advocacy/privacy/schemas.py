"""The shape of a person's personal-data export (GET /ambassadors/{id}/export): what every PersonalData section of
chorus.advocacy.privacy.service stores about them."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PersonalDataExport(BaseModel):
    person_id: str
    exported_at: str
    sections: dict[str, list[dict[str, Any]]] = Field(description="every kind of data stored about the person")
