"""The AWS plumbing the features' stores use: table binding (`@table`), cursors, the state table, SNS and SQS
messaging, and channel credentials from Secrets Manager (see docs/architecture.md and docs/data-model.md)."""
