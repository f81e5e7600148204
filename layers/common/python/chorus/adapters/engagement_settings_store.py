"""The engagement report's settings in the AdvocacyTable: one item (eng#settings / settings), replaced as a whole by
the social master. Missing means the defaults: the leaderboard is off."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chorus.adapters.advocacy_store import AdvocacyItem
from chorus.domain.engagement_report import ReportSettings

PARTITION = "eng#settings"
SORT = "settings"


class ReportSettingsItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    leaderboard_enabled = BooleanAttribute(default=False)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class ReportSettingsRepository:
    def get(self) -> ReportSettings:
        try:
            item = ReportSettingsItem.get(PARTITION, SORT, consistent_read=True)
        except ReportSettingsItem.DoesNotExist:
            return ReportSettings(leaderboard_enabled=False)
        return ReportSettings(leaderboard_enabled=bool(item.leaderboard_enabled), updated_at=item.updated_at,
                              updated_by=item.updated_by)

    def put(self, settings: ReportSettings) -> None:
        ReportSettingsItem(PARTITION, SORT, **settings.model_dump()).save()
