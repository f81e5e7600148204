"""The ambassador programme's table (AdvocacyTable in infra/template.yaml): one table, items told apart by key prefix.

Every item type of the programme subclasses AdvocacyItem and is listed here with its keys, so the whole layout reads
in one place (the adapters that own the types are named):

  item                                  pk                    sk                              gsi1 / gsi2
  engagement counter (engagement_store) eng#<person>          c#<day>#<event>#<channel>       gsi1: engday#<day> / <person>#<event>#<channel>
  engagement once-marker                eng#<person>          once#<event>#<hash of key>      -
  engagement report settings            eng#settings          settings                        -
    (engagement_settings_store)
  submission (content_store)            content#<id>          submission                      gsi1: content#creator#<person> / <created_at>#<id>
                                                                                              gsi2: content#queue / <created_at>#<id> (only while submitted)
  upload handed out (content_store)     content#uploads#<person>  <upload id>                 -  (TTL 3 days)
  pre-check lists (content_store)       content#lists         prechecks                       -
  offer (pool_store)                    offer#<id>            offer                           gsi1: offer#all / <created_at>#<id>
                                                                                              gsi2: offer#fanout / <created_at> (until fanned out)
  offer received (pool_store)           offer#<id>            to#<person>                     gsi1: offer#to#<person> / <created_at>#<offer id>
  offer notifications (pool_store)      offer#notify#<person> queue                           gsi2: offer#notify / <due_at> (while due)
  tracked link (pool_store)             link#<link base>      link                            -
  share (pool_store)                    share#<url hash>      share                           gsi1: share#by#<person> / <created_at>#<id>
                                                                                              gsi2: share#all / <created_at>#<id>
  share-tracker watermarks (pool_store) share#watch#<person>  watch                           -
  person (people_store)                 person#<id>           person                          gsi1: people / <team>#<name>#<id>
                                                                                              gsi2: eligible#<acknowledged policy> / <team>#<id>
                                                                                                    (only opted-in, not erased publishers)
  username claim (people_store)         person#user#<username>  username                      -
  policy version (people_store)         policy#<version>      policy                          -
  programme settings (people_store)     advocacy#settings     settings                        -  (the current policy version)

A person is known everywhere by an opaque id (never a name or an email), so erasing a person's personal data leaves
their anonymous counts intact."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class Gsi1(GlobalSecondaryIndex["AdvocacyItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["AdvocacyItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class AdvocacyItem(Model):
    """The keys every item of the table has. A subclass adds its attributes, sets Meta.table_name "unbound" (bound
    by chorus.aws.tables.bind like every model: add it there) and, to query an index, declares its own
    `gsi1 = Gsi1()` (PynamoDB ties an index to the class that declares it)."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds), for items that should not live for ever

    gsi1 = Gsi1()
    gsi2 = Gsi2()
