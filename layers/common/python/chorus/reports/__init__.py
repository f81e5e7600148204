"""The weekly report for the team's meeting: built on a schedule, stored as JSON and HTML in S3, mailed to the
`report` team (see docs/reports.md)."""
