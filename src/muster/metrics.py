"""Prometheus metrics shared by the web app and the engine (one registry per process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "muster_http_requests_total",
    "HTTP requests answered, by method, route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "muster_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
ENGINE_RUNS = Counter(
    "muster_engine_module_runs_total",
    "Engine module runs, by module.",
    ["module"],
    registry=REGISTRY,
)
ENGINE_ERRORS = Counter(
    "muster_engine_module_errors_total",
    "Engine module runs that raised, by module.",
    ["module"],
    registry=REGISTRY,
)
ENGINE_ITEMS = Counter(
    "muster_engine_module_items_total",
    "Rows an engine module acted on, by module.",
    ["module"],
    registry=REGISTRY,
)
ENGINE_DURATION = Histogram(
    "muster_engine_module_duration_seconds",
    "Time one engine module run took, by module.",
    ["module"],
    registry=REGISTRY,
)

INGEST_RECEIVED = Counter(
    "muster_ingest_alerts_total",
    "Inbound alert events accepted, by integration, type and outcome "
    "(created, deduplicated, suppressed, dropped, acknowledged, resolved, ignored).",
    ["integration", "type", "outcome"],
    registry=REGISTRY,
)
INGEST_REJECTED = Counter(
    "muster_ingest_rejected_total",
    "Inbound requests refused, by integration type and reason.",
    ["type", "reason"],
    registry=REGISTRY,
)
INGEST_LATENCY = Histogram(
    "muster_ingest_accept_seconds",
    "From request received to committed answer, by integration type.",
    ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
INGEST_BATCH = Histogram(
    "muster_ingest_batch_size",
    "Requests committed together by the ingest writer.",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500),
    registry=REGISTRY,
)

MQTT_CONNECTED = Gauge(
    "muster_mqtt_connected",
    "Whether the MQTT subscriber of an integration is connected to its broker (1) or not (0).",
    ["integration"],
    registry=REGISTRY,
)
MQTT_MESSAGES = Counter(
    "muster_mqtt_messages_total",
    "MQTT messages handled, by integration and outcome.",
    ["integration", "outcome"],
    registry=REGISTRY,
)
