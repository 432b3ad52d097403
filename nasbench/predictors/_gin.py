"""GIN predictor: a graph isomorphism network on the cell, as an ensemble (torch; ``[train]`` extra).

The cell's ops sit on edges, so the network runs on the line graph: one node per edge of the
cell (features: its op, one-hot), plus an input and an output node; edge-node ``a`` feeds
edge-node ``b`` when ``a`` ends where ``b`` starts.  Edges whose op is ``none`` are removed
with their connections.  Messages flow both ways (``A + A^T``).  Each layer is
``h <- MLP((1 + eps) h + sum of neighbours)`` (Xu et al. 2019); the readout concatenates the
mean over live nodes and the output node's state, appends any extra columns of ``X``
(params, FLOPs, zero-cost scores), and a small MLP predicts the (standardised) target.

Input ``X``: the :class:`~nasbench.encodings.AdjacencyOps` layout, ``L`` adjacency bits, then
``L * K`` op one-hot columns, then optional extra feature columns.
"""
from __future__ import annotations

import numpy as np

from nasbench.predictors._models import _Predictor, _Scaler, _seeds

__all__ = ["GINPredictor"]

_TORCH_MISSING = "GINPredictor needs torch, an optional dependency: pip install 'nasbench[train]'"


def _torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(_TORCH_MISSING) from e
    return torch


def _line_graph(edges) -> np.ndarray:
    """``(L + 2, L + 2)`` 0/1 directed adjacency of the line graph: node 0 input, 1..L the cell
    edges (``(target, source)`` pairs), L + 1 output."""
    L = len(edges)
    out_node = max(t for t, _ in edges)
    A = np.zeros((L + 2, L + 2), dtype=np.float32)
    for a, (ta, sa) in enumerate(edges):
        if sa == 0:
            A[0, a + 1] = 1
        if ta == out_node:
            A[a + 1, L + 1] = 1
        for b, (tb, sb) in enumerate(edges):
            if ta == sb:
                A[a + 1, b + 1] = 1
    return A


def _build_net(torch, n_ops, hidden, n_layers, n_extra):
    nn = torch.nn

    class GIN(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(n_ops + 2, hidden)
            self.eps = nn.Parameter(torch.zeros(n_layers))
            self.layers = nn.ModuleList(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
                                        for _ in range(n_layers))
            self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(n_layers))
            self.head = nn.Sequential(nn.Linear(2 * hidden + n_extra, hidden), nn.ReLU(), nn.Linear(hidden, 1))

        def forward(self, h, A, live, extra):
            # h (B, N, F), A (B, N, N) symmetric, live (B, N, 1)
            h = torch.relu(self.inp(h)) * live
            for k, (mlp, norm) in enumerate(zip(self.layers, self.norms)):
                h = norm(mlp((1 + self.eps[k]) * h + A @ h) + h) * live
            mean = h.sum(1) / live.sum(1).clamp(min=1)
            g = torch.cat([mean, h[:, -1], extra], dim=1)
            return self.head(g).squeeze(-1)

    return GIN()


class GINPredictor(_Predictor):
    """Ensemble of graph isomorphism networks on the cell (see the module docstring).

    Parameters
    ----------
    n_members : int
        Networks, each with its own initialisation and batch order; ``return_std`` is the
        standard deviation over them.
    hidden, n_layers : int
    epochs, batch_size : int
    lr, weight_decay : float
        AdamW.
    space : SearchSpace or None
        Gives the cell's edges and op count (default: NB201).
    n_threads : int
        torch CPU threads while fitting / predicting (restored afterwards).
    random_state : int

    Fitted attributes: ``members_`` (torch modules), ``y_mean_``, ``y_scale_``, ``x_mean_``,
    ``x_scale_`` (extra columns), ``n_features_in_``.  :meth:`state_dict` / :meth:`save_model`
    / :meth:`load_model` store tensors only (``torch.load(weights_only=True)``), never pickle.
    """

    def __init__(self, n_members: int = 3, hidden: int = 32, n_layers: int = 3, epochs: int = 150,
                 batch_size: int = 32, lr: float = 3e-3, weight_decay: float = 1e-4, space=None, n_threads: int = 1,
                 random_state=0):
        self.n_members = n_members
        self.hidden = hidden
        self.n_layers = n_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.space = space
        self.n_threads = n_threads
        self.random_state = random_state

    # ------------------------------------------------------------ graph tensors
    def _layout(self):
        space = self.space
        if space is None:
            from nasbench.spaces import NB201Space

            space = NB201Space()
        edges = getattr(space, "edges", None)
        if edges is None:
            raise ValueError(f"GINPredictor needs a cell space with an 'edges' list; {space!r} has none")
        return list(edges), int(space.n_ops)

    def _graphs(self, torch, X):
        edges, K = self._layout()
        L = len(edges)
        if X.shape[1] < L + L * K:
            raise ValueError(f"GINPredictor expects the AdjacencyOps layout ({L} adjacency + {L * K} one-hot "
                             f"columns, then extras), got {X.shape[1]} feature(s)")
        n = len(X)
        adj = X[:, :L] > 0.5
        oh = X[:, L:L + L * K].reshape(n, L, K)
        N = L + 2
        feats = np.zeros((n, N, K + 2), dtype=np.float32)
        feats[:, 0, K] = 1
        feats[:, -1, K + 1] = 1
        feats[:, 1:L + 1, :K] = oh
        live = np.ones((n, N), dtype=np.float32)
        live[:, 1:L + 1] = adj
        A = _line_graph(edges)[None] * live[:, :, None] * live[:, None, :]
        A = A + np.transpose(A, (0, 2, 1))
        extra = X[:, L + L * K:]
        return (torch.from_numpy(feats), torch.from_numpy(A.astype(np.float32)),
                torch.from_numpy(live[:, :, None]), extra)

    def _run(self, fn):
        torch = _torch()
        old = torch.get_num_threads()
        torch.set_num_threads(max(1, int(self.n_threads)))
        try:
            return fn(torch)
        finally:
            torch.set_num_threads(old)

    # ------------------------------------------------------------ contract
    def fit(self, X, y):
        X, y = self._fit_data(X, y)
        return self._run(lambda torch: self._fit(torch, X, y))

    def _fit(self, torch, X, y):
        edges, K = self._layout()
        h, A, live, extra = self._graphs(torch, X)
        self.x_mean_ = extra.mean(0) if extra.shape[1] else np.zeros(0)
        sd = extra.std(0) if extra.shape[1] else np.zeros(0)
        self.x_scale_ = np.where(sd > 0, sd, 1.0)
        ex = torch.from_numpy(((extra - self.x_mean_) / self.x_scale_).astype(np.float32))
        self.y_mean_, self.y_scale_ = _Scaler.fit(y)
        yt = torch.from_numpy(((y - self.y_mean_) / self.y_scale_).astype(np.float32))
        n = len(y)
        self.members_ = []
        for s in _seeds(self.random_state, int(self.n_members)):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(s)
                net = _build_net(torch, K, int(self.hidden), int(self.n_layers), extra.shape[1])
                opt = torch.optim.AdamW(net.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay))
                sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, int(self.epochs)))
                g = torch.Generator().manual_seed(s)
                bs = max(1, min(int(self.batch_size), n))
                net.train()
                for _ in range(int(self.epochs)):
                    perm = torch.randperm(n, generator=g)
                    for i in range(0, n, bs):
                        b = perm[i:i + bs]
                        opt.zero_grad()
                        loss = torch.nn.functional.mse_loss(net(h[b], A[b], live[b], ex[b]), yt[b])
                        loss.backward()
                        opt.step()
                    sched.step()
                net.eval()
            self.members_.append(net)
        return self

    def predict(self, X, return_std: bool = False, chunk: int = 8192):
        """``(n,)`` member mean; with ``return_std``: ``(mean, std)`` over members."""
        X = self._predict_data(X)

        def go(torch):
            out = []
            with torch.no_grad():
                for i in range(0, len(X), chunk):
                    h, A, live, extra = self._graphs(torch, X[i:i + chunk])
                    ex = torch.from_numpy(((extra - self.x_mean_) / self.x_scale_).astype(np.float32))
                    out.append(np.stack([m(h, A, live, ex).numpy() for m in self.members_]))
            return np.concatenate(out, axis=1) if out else np.zeros((len(self.members_), 0))

        per = self._run(go).astype(np.float64) * self.y_scale_ + self.y_mean_
        if return_std:
            return per.mean(0), per.std(0)
        return per.mean(0)

    # ------------------------------------------------------------ persistence (no pickle)
    def state_dict(self) -> dict:
        """Tensors and numbers only: every member's ``state_dict`` plus the scalers."""
        torch = _torch()
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "members_")
        d = {f"member{k}.{name}": t for k, m in enumerate(self.members_) for name, t in m.state_dict().items()}
        d["n_members"] = torch.tensor(len(self.members_))
        d["n_features_in"] = torch.tensor(int(self.n_features_in_))
        d["y"] = torch.tensor([self.y_mean_, self.y_scale_], dtype=torch.float64)
        d["x_mean"] = torch.from_numpy(np.asarray(self.x_mean_, dtype=np.float64))
        d["x_scale"] = torch.from_numpy(np.asarray(self.x_scale_, dtype=np.float64))
        return d

    def load_state_dict(self, d: dict) -> "GINPredictor":
        """Inverse of :meth:`state_dict` (the settings in ``__init__`` must match); returns ``self``."""
        torch = _torch()
        _, K = self._layout()
        self.x_mean_ = d["x_mean"].numpy()
        self.x_scale_ = d["x_scale"].numpy()
        self.y_mean_, self.y_scale_ = (float(v) for v in d["y"])
        self.n_features_in_ = int(d["n_features_in"])
        self.members_ = []
        for k in range(int(d["n_members"])):
            net = _build_net(torch, K, int(self.hidden), int(self.n_layers), len(self.x_mean_))
            pre = f"member{k}."
            net.load_state_dict({name[len(pre):]: t for name, t in d.items() if name.startswith(pre)})
            net.eval()
            self.members_.append(net)
        return self

    def save_model(self, path) -> None:
        """``torch.save`` of :meth:`state_dict` (tensors only)."""
        _torch().save(self.state_dict(), str(path))

    def load_model(self, path) -> "GINPredictor":
        """Read :meth:`save_model` output with ``weights_only=True``; returns ``self``, fitted."""
        return self.load_state_dict(_torch().load(str(path), weights_only=True))
