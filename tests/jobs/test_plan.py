"""The generation plan: one member per class, landmarks first, deterministic order."""
import numpy as np

from nasbench.jobs.ground_truth import GenerateConfig, plan
from nasbench.spaces import NB201Space


def test_plan_covers_every_class_once_with_landmarks_first():
    space = NB201Space()
    p = plan(GenerateConfig(out="unused"))
    cls = space.class_index("function")
    assert len(p) == len(np.unique(cls)) == len(np.unique(cls[p]))  # one member of every class
    marks = [int(cls[space.index(space.arch((o,) * 6))]) for o in (1, 4, 3, 2)]
    assert p[:4].tolist() == marks
    np.testing.assert_array_equal(p, plan(GenerateConfig(out="unused")))  # deterministic
    assert not np.array_equal(p, plan(GenerateConfig(out="unused", order_seed=1)))


def test_plan_explicit_archs_and_sample():
    assert plan(GenerateConfig(out="unused", archs=(5, 3, 5))).tolist() == [3, 5]
    assert len(plan(GenerateConfig(out="unused", sample=7))) == 7


def test_plan_puts_large_classes_early():
    space = NB201Space()
    cls = space.class_index("function")
    _, counts = np.unique(cls, return_counts=True)
    size = dict(zip(*np.unique(cls, return_counts=True)))
    p = plan(GenerateConfig(out="unused"))
    first = np.mean([size[int(cls[i])] for i in p[4:504]])
    assert first > counts.mean()  # row-permutation order meets big classes first
