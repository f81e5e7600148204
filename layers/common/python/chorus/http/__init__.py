"""The HTTP layer of the REST API: route declaration (`Routes`, `Api`), token verification, signed acknowledge links
and the HTML pages behind them (see docs/architecture.md; the routes are listed in docs/api.md)."""
