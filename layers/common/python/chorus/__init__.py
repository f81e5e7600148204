"""Chorus: the serverless command centre of an organisation's social-media team."""
