"""Logger and Metrics, wired once for every Lambda and the API (Powertools: JSON logs, EMF metrics)."""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="chorus")
metrics = Metrics(namespace="Chorus", service="chorus")
