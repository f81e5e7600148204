"""The local runtime and tools: `make run` on an embedded AWS with demo data, the `chorus` command, benchmarks,
classifier training, packaging and the API reference (see docs/architecture.md, The local runtime)."""
