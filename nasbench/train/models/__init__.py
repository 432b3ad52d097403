"""Network builders for nasbench spaces (imports torch)."""
from nasbench.train.models.nb201 import PRESETS, NetworkConfig, build_model, count_params
from nasbench.train.models.size import SIZE_PRESETS, build_size_model

__all__ = ["build_model", "PRESETS", "NetworkConfig", "count_params", "SIZE_PRESETS", "build_size_model",
           "input_shape_of"]


def input_shape_of(preset: str) -> tuple:
    """Shape of one example of ``preset`` (NB201 or size preset), without the batch dimension."""
    if preset in PRESETS:
        return PRESETS[preset].input_shape
    if preset in SIZE_PRESETS:
        return SIZE_PRESETS[preset].input_shape
    raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS) + sorted(SIZE_PRESETS)}")
