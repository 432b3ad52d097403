"""Ray executor for ground-truth generation (``nasbench generate --executor ray``).

``run(cfg, todo)`` connects to the Ray cluster at ``cfg.ray_address`` (``None`` starts a local
Ray with ``cfg.workers`` CPUs), runs ``ground_truth._train_one_ray(cfg, index)`` as one remote
task per architecture (1 CPU each; 0.25 GPU each when ``cfg.device`` asks for CUDA and the
cluster has GPUs) and yields each :class:`~nasbench.io.records.Record` as soon as its task
finishes (``ray.wait``).  The driver writes the records, so crash safety and resuming are those
of the local executor: a killed driver loses only the tasks in flight.  At most twice the
cluster's task slots are submitted at a time; closing the generator cancels the rest.  No
cluster code of our own: scheduling, placement and retries are Ray's.
"""
from __future__ import annotations

from typing import Iterator, Sequence

__all__ = ["run", "GPU_FRACTION"]

#: GPU share per training task when CUDA is used (four small NB201 trainings per GPU)
GPU_FRACTION = 0.25


def _import_ray():
    try:
        import ray
    except ImportError as err:
        raise ImportError("executor='ray' needs Ray: pip install 'nasbench[ray]' (ray>=2.9)") from err
    return ray


def _wants_cuda(device: str) -> bool:
    return device == "auto" or str(device).startswith("cuda")


def run(cfg, todo: Sequence[int]) -> Iterator:
    """Train the architectures ``todo`` on Ray; yields Records in completion order."""
    ray = _import_ray()
    from nasbench.jobs import ground_truth

    started = False
    if not ray.is_initialized():
        kwargs = {"include_dashboard": False, "log_to_driver": False}
        if cfg.ray_address is None:
            kwargs["num_cpus"] = max(1, int(cfg.workers))
        ray.init(address=cfg.ray_address, **kwargs)
        started = True
    pending: dict = {}
    try:
        res = ray.cluster_resources()
        gpus = GPU_FRACTION if _wants_cuda(cfg.device) and res.get("GPU", 0) > 0 else 0
        slots = int(res.get("CPU", 1))
        if gpus:
            slots = min(slots, int(res["GPU"] / gpus))
        limit = max(1, 2 * slots)
        task = ray.remote(ground_truth._train_one_ray).options(num_cpus=1, num_gpus=gpus)
        cfg_ref = ray.put(cfg)
        queue = iter(int(i) for i in todo)

        def fill():
            for i in queue:
                pending[task.remote(cfg_ref, i)] = i
                if len(pending) >= limit:
                    return

        fill()
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                pending.pop(ref)
                yield ray.get(ref)
            fill()
    finally:
        for ref in pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                pass
        if started:
            ray.shutdown()
