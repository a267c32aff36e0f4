"""Performance model: pure functions of validated inputs (no Pyomo, no I/O).

The optimizer calls `training_curve(...)` (T(nodes), `min_nodes`, `cuts`,
`nodes_for`), `inference_estimate(...)` (replica size, batch, tokens/s) and
`node_power(...)`; `estimate(...)` bundles them per (workload, chip, fabric).
"""

from tco.perf.estimate import Estimate, estimate, render, render_table
from tco.perf.inference import InferenceResult, inference_estimate, serve_replica
from tco.perf.memory import kv_bytes_per_token, smallest_replica, training_memory, weights_bytes
from tco.perf.power import NodePower, node_power
from tco.perf.training import (
    TrainingCurve,
    TrainingStep,
    training_curve,
    training_target_tokens_per_s,
)

__all__ = [
    "Estimate",
    "InferenceResult",
    "NodePower",
    "TrainingCurve",
    "TrainingStep",
    "estimate",
    "inference_estimate",
    "kv_bytes_per_token",
    "node_power",
    "render",
    "render_table",
    "serve_replica",
    "smallest_replica",
    "training_curve",
    "training_memory",
    "training_target_tokens_per_s",
    "weights_bytes",
]
