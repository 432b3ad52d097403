"""Live-training backend (needs the ``train`` extra: torch, mnist1d)."""
try:
    import torch  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on environment
    raise ImportError("nasbench.train needs PyTorch: pip install torch, then pip install 'nasbench[train]'") from err

from nasbench.train.data import Task, load_task, mnist1d_task, synthetic_task
from nasbench.train.models import PRESETS, build_model, count_params
from nasbench.train.trainer import MNIST1D_TABLE_CONFIG, LearningCurve, TrainConfig, Trainer

__all__ = ["build_model", "count_params", "PRESETS", "Task", "load_task", "mnist1d_task",
           "synthetic_task", "TrainConfig", "Trainer", "LearningCurve", "MNIST1D_TABLE_CONFIG"]
