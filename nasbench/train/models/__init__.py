"""Network builders for nasbench spaces (imports torch)."""
from nasbench.train.models.nb201 import PRESETS, NetworkConfig, build_model, count_params

__all__ = ["build_model", "PRESETS", "NetworkConfig", "count_params"]
