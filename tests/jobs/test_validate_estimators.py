"""The validation harness's cost-vs-quality figure."""
from __future__ import annotations


def test_cost_quality_figure_draws_at_k_families_as_lines(tmp_path, monkeypatch):
    """``lce@k`` rows (integer ``k``, as the estimators give it) become one line over k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nasbench.jobs.validate_estimators import plot_cost_quality

    rows = [{"name": f"lce@{k}", "kind": "estimator", "over": "rows", "k": k, "seconds_per_arch": 0.1 * k,
             "kendall_tau": 0.1 * k} for k in (2, 3, 5)]
    rows.append({"name": "meco", "kind": "estimator", "over": "rows", "seconds_per_arch": 0.02, "kendall_tau": 0.7})
    seen = {}
    real_savefig = plt.Figure.savefig

    def spy(fig, *a, **kw):
        seen["labels"] = [ln.get_label() for ln in fig.axes[0].get_lines()]
        return real_savefig(fig, *a, **kw)

    monkeypatch.setattr(plt.Figure, "savefig", spy)
    plot_cost_quality(rows, tmp_path / "f.png", over="rows")
    assert (tmp_path / "f.png").exists()
    assert any(lab.startswith("lce@k (k = 2..5)") for lab in seen["labels"])
