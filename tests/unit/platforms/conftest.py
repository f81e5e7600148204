from tests.unit.platforms.fakes import no_sockets  # noqa: F401  (autouse fixture)
