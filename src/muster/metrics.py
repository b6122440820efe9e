"""Prometheus metrics shared by the web app and the engine (one registry per process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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
