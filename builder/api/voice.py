"""Live voice figures: the voice node's ports and calls, as JSON and for Prometheus (`/metrics`)."""

from __future__ import annotations

from flask import Blueprint, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from runtime.ports.figures import read_figures

from ..auth import requires
from . import current_runtime, json_response

bp = Blueprint("voice", __name__)
metrics_bp = Blueprint("metrics", __name__)
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def figures() -> dict:
    """Return the voice node's last figures for the app's workspace."""
    root = current_runtime().workspace.root
    return read_figures(root)


@bp.get("/voice")
@requires("viewer")
def voice_figures() -> Response:
    """Return the ports per backend and what calls did since the voice node started."""
    return json_response(figures())


@metrics_bp.get("/metrics")
@requires("viewer")
def metrics() -> Response:
    """Return the live figures in Prometheus's text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(figures()))
    return Response(generate_latest(registry), mimetype=None, content_type=PROMETHEUS_TYPE)


class _Snapshot:
    """A Prometheus collector over one snapshot of the voice node's figures."""

    def __init__(self, snapshot: dict) -> None:
        self.snapshot = snapshot

    def collect(self):
        """Yield the metric families of the snapshot."""
        live = GaugeMetricFamily("callwright_voice_node_up",
                                 "1 while a voice node reports its figures, else 0")
        live.add_metric([], 1.0 if self.snapshot.get("live") else 0.0)
        yield live
        ports = GaugeMetricFamily("callwright_ports", "Ports per backend", labels=["backend"])
        busy = GaugeMetricFamily("callwright_ports_busy", "Ports carrying a call now",
                                 labels=["backend"])
        for name, backend in sorted((self.snapshot.get("backends") or {}).items()):
            ports.add_metric([name], backend.get("ports", 0))
            busy.add_metric([name], backend.get("busy", 0))
        yield ports
        yield busy
        calls = self.snapshot.get("calls") or {}
        for key, help_text in (("offered", "Calls offered, per routed flow ('' unrouted)"),
                               ("answered", "Calls answered, per flow"),
                               ("blocked", "Calls refused for want of a free port, per flow"),
                               ("abandoned", "Callers gone before the answer, per flow"),
                               ("failed", "Calls whose handling failed, per flow")):
            family = CounterMetricFamily(f"callwright_calls_{key}", help_text, labels=["flow"])
            for flow, count in sorted((calls.get(key) or {}).items()):
                family.add_metric([flow], count)
            yield family
        unrouted = CounterMetricFamily("callwright_calls_unrouted",
                                       "Calls refused: no flow routed for the number")
        unrouted.add_metric([], calls.get("unrouted", 0))
        yield unrouted
        completed = CounterMetricFamily("callwright_calls_completed",
                                        "Calls whose session ended, per flow and disposition",
                                        labels=["flow", "disposition"])
        for row in calls.get("completed") or ():
            completed.add_metric([row["flow"], row["disposition"]], row["calls"])
        yield completed
