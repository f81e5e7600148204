"""Content from creators: uploads, submissions, the editors' decisions and suggestions, and the pre-share check
(see docs/advocacy.md)."""
