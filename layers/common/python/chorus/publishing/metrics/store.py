"""The PostMetricsTable: one small item per (post, channel) with the latest reading. The metrics live apart from the
post: a reading never writes the post, so it never changes the post's version (editors' If-Match stays valid) and
never pays for the post's three indexes with projection ALL.

Access patterns (the table is defined in infra/template.yaml; see docs/data-model.md):
  the readings of posts' channels ....... key post_id + channel_id              BatchGetItem (100 keys a request)
  store a reading ........................ key post_id + channel_id              Put, only over an older reading"""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chorus.aws.tables import is_condition_failure, table
from chorus.publishing.metrics.schemas import ChannelMetrics


@table("post_metrics_table")
class PostMetricsItem(Model):
    class Meta:
        table_name = "unbound"

    post_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)
    platform = UnicodeAttribute()
    replies = NumberAttribute(default=0)
    reposts = NumberAttribute(default=0)
    likes = NumberAttribute(default=0)
    quotes = NumberAttribute(null=True)
    impressions = NumberAttribute(null=True)
    link_clicks = NumberAttribute(null=True)
    read_at = UnicodeAttribute()
    missing_since = UnicodeAttribute(null=True)

    def to_metrics(self) -> ChannelMetrics:
        data = {name: getattr(self, name) for name in self.get_attributes() if name not in ("post_id", "channel_id")}
        return ChannelMetrics.model_validate(
            {k: int(v) if isinstance(v, float) else v for k, v in data.items()})


class PostMetricsRepository:
    def read(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ChannelMetrics]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        return {(item.post_id, item.channel_id): item.to_metrics() for item in PostMetricsItem.batch_get(wanted)}

    def write(self, post_id: str, channel_id: str, metrics: ChannelMetrics) -> bool:
        """Store a reading; False when a later one is stored already (two runs overlapped): the later one stands."""
        item = PostMetricsItem(post_id, channel_id, **metrics.model_dump())
        try:
            item.save(condition=PostMetricsItem.read_at.does_not_exist() | (PostMetricsItem.read_at < metrics.read_at))
        except PutError as error:
            if is_condition_failure(error):
                return False
            raise
        return True
