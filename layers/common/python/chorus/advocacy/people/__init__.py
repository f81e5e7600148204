"""The programme's people: their profiles and consent, the social-media policy they acknowledge, and the inventory
of where they are active (see docs/advocacy.md)."""
