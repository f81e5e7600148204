"""The ambassador programme's table (AdvocacyTable in infra/template.yaml): one table, items told apart by key prefix.

Every item type of the programme subclasses AdvocacyItem and is listed here with its keys, by the store module that
owns it (under chorus/advocacy/), so the whole layout reads in one place:

  item                          pk / sk, then the index keys it carries (gsi pk / gsi sk)
  engagement/store.py
    engagement counter          eng#<person> / c#<day>#<event>#<channel>
                                gsi1: engday#<day> / <person>#<event>#<channel>
    engagement once-marker      eng#<person> / once#<event>#<hash of key>
    report settings             eng#settings / settings
  content/store.py
    submission                  content#<id> / submission
                                gsi1: content#creator#<person> / <created_at>#<id>
                                gsi2: content#queue / <created_at>#<id> (only while submitted)
    upload handed out           content#uploads#<person> / <upload id> (TTL 3 days)
    pre-check lists             content#lists / prechecks
  pool/store.py
    offer                       offer#<id> / offer
                                gsi1: offer#all / <created_at>#<id>
                                gsi2: offer#fanout / <created_at> (until fanned out)
    offer received              offer#<id> / to#<person>
                                gsi1: offer#to#<person> / <created_at>#<offer id>
    offer notifications         offer#notify#<person> / queue
                                gsi2: offer#notify / <due_at> (while due)
    tracked link                link#<link base> / link
    share                       share#<url hash> / share
                                gsi1: share#by#<person> / <created_at>#<id>
                                gsi2: share#all / <created_at>#<id>
    share-tracker watermarks    share#watch#<person> / watch
  people/store.py
    person                      person#<id> / person
                                gsi1: people / <team>#<name>#<id>
                                gsi2: eligible#<acknowledged policy> / <team>#<id> (only opted-in, not erased
                                      publishers)
    username claim              person#user#<username> / username
    policy version              policy#<version> / policy
                                gsi1: policy#versions / <published_at>#<version>
    programme settings          advocacy#settings / settings (the current policy version)

A person is known everywhere by an opaque id (never a name or an email), so erasing a person's personal data leaves
their anonymous counts intact."""
from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

# The item type an index's queries return: the subclass that declares it (see AdvocacyItem).
_Item = TypeVar("_Item", bound="AdvocacyItem")


class Gsi1(GlobalSecondaryIndex[_Item]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[_Item]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class AdvocacyItem(Model):
    """The keys every item of the table has. A subclass adds its attributes, sets Meta.table_name "unbound", is
    decorated with `@table("advocacy_table")` (chorus.aws.tables.bind then binds it like every model) and, to query
    an index, declares its own `gsi1: Gsi1[ThatItem] = Gsi1()` (PynamoDB ties an index to the class that declares
    it, and the annotation types what its queries return)."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds), for items that should not live for ever

    gsi1: Gsi1[Any] = Gsi1()
    gsi2: Gsi2[Any] = Gsi2()
