from tests.unit.connectors.fakes import no_sockets  # noqa: F401  (autouse fixture)
