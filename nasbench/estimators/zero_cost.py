"""Zero-cost proxies: scores of an untrained network that are meant to rank trained accuracy.

``ZeroCost(proxy, preset, seed=0, batch_size=64, data=None)`` is a
:class:`~nasbench.estimators.base.PerformanceEstimator`; ``proxy`` is one name of
:data:`PROXIES` or a list of them (their scores are then rank-averaged: the *vote*), or
``"aznas"`` (AZ-NAS's non-linear rank aggregation of its four proxies).  The lower-level
:func:`compute_proxies` scores one architecture for any subset of proxies, running every
shared forward/backward pass once (:data:`PASS_OF` says which pass serves which proxy) and
returning the CPU seconds of each pass; :func:`proxy_cost` turns those into the cost of each
proxy computed alone (model build + the passes it needs).

Conventions, per proxy (all: higher score = predicted better; the network is the one
:func:`nasbench.train.build_model` builds, initialised by torch's default initialisers under
``torch.manual_seed(seed)`` unless said otherwise; BN in training mode (batch statistics)
unless said otherwise; float32 unless said otherwise; loss = cross-entropy on the batch labels):

============  =====================================================================================
proxy         definition (reference)
============  =====================================================================================
grad_norm     sum over conv/linear weights of ||dL/dW||_2 (zero-cost-nas).  Data batch.
snip          sum |dL/dW * W| (zero-cost-nas; |.| per weight).  Data batch.
grasp         -sum W * (H g), H g by double backprop of g = dL/dW (zero-cost-nas; sign kept,
              no |.|).  Data batch.
fisher        sum over conv/linear outputs a, channels c of 0.5 * mean_b (sum_spatial a*dL/da)^2
              (zero-cost-nas).  Data batch.
synflow       sum |W * d(sum f(1))/dW| with every weight replaced by |W|, BN layers removed
              (identity), all-ones input of one example, float64 (zero-cost-nas, bn=False).
              Data-independent.
jacov         -sum_i log(v_i + k) + 1/(v_i + k), v = eigenvalues of the correlation matrix of the
              per-example input gradients of sum(logits), k=1e-5 (NASWOT v1 / zero-cost-nas).
              Data batch.
nwot          log|det K|, K = sum over ReLUs of c c^T + (1-c)(1-c)^T, c the binary activation
              codes per example (NASWOT, Mellor et al. 2021); float64 determinant.  Data batch.
zen           log mean_b sum |f(x) - f(x + 0.01 e)| + sum over BN of log sqrt(mean running_var),
              f = pre-pooling features, weights re-drawn N(0,1) (BN weight 1, bias 0), x, e
              Gaussian (Zen-NAS, repeat=1).  Data-independent (Gaussian input).
epe_nas       EPE-NAS: per class c, s_c = sum log(|corr(J_c)| + k); score = sum_{c,c'} |s_c -
              s_c'| / n_classes_present, J the input gradients of jacov (shared pass).  Data batch.
l2_norm       sum over conv/linear layers of ||W||_2 (NASLib).  Data-independent.
plain         sum dL/dW * W (no |.|) (zero-cost-nas).  Data batch.
params        trainable parameters (millions).  Data-independent.
flops         multiply-accumulates of one example (millions; torch FLOPs / 2).  Data-independent.
zico          ZiCo (ICLR 2023): sum over conv/linear layers of log sum_w mean_k|g_kw| / std_k g_kw,
              g_k the gradient of batch k, K=2 batches of ``batch_size`` (np.std, ddof=0; weights
              with zero std left out).  Data batches.
meco          MeCo (NeurIPS 2023): sum over every module whose output is a (B, C, spatial) map of
              the minimum eigenvalue of the C x C channel correlation matrix of the *first*
              example's map (NaN entries -> 0); eigenvalues in float64.  Data batch (only
              example 0 enters the score; BN statistics use the batch).
swap          SWAP (ICLR 2024), unregularised: number of distinct rows of the (neurons x examples)
              sign matrix of all ReLU outputs.  Data batch.
az_expressivity, az_progressivity, az_trainability, az_complexity
              AZ-NAS (CVPR 2024) on the features after the stem and after every cell/reduction
              block, weights re-drawn Kaiming-normal (fan_in), Gaussian input, BN in training
              mode: expressivity = sum of the eigenvalue entropies of each feature's channel
              covariance (over batch x positions); progressivity = min of the successive
              differences of those entropies; trainability = mean over consecutive feature pairs of
              2 - s - 1/s, s the top singular value of E[g_in g_out^T] for Rademacher g_out
              (-inf when the block is the identity; pixel-unshuffle where resolution halves);
              complexity = FLOPs.  Data-independent (Gaussian input).
============  =====================================================================================

Combinations (:func:`rank_aggregate`): ``aznas`` = sum_m log(rank_m / n) over AZ-NAS's four
proxies (AZ-NAS's non-linear aggregation); ``vote`` = mean rank.  Ranks are only meaningful
inside one set, so both are computed against a fixed *reference set* of raw scores (an
estimator's ``fit(reference_archs)``, or the shipped table's scores): a new architecture's rank
is its position among the reference scores, so ``estimate`` on different batches agrees.

Data: the 1-D preset (``nb201-mnist1d``) reads the mnist1d task's training split (the examples
the table's networks trained on).  No CIFAR-10 images exist on the machines this was written
on: for the 2-D presets the data-dependent proxies use a *surrogate* input, N(0, 1) images of
the preset's shape with uniformly random labels, unless ``data=(x, y)`` is passed; the
data-independent ones (synflow, zen, l2_norm, params, flops, the four AZ-NAS proxies) are exact.
Results for data-dependent proxies on a CIFAR preset must say so.

The ``nb201-mnist1d`` network has one cell per stage (N=1), so per-layer proxies (meco, the
AZ-NAS ones) see 5 blocks there against 17 on the CIFAR network.
"""
from __future__ import annotations

import copy
import time
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from nasbench.estimators.base import PerformanceEstimator, as_indices

__all__ = ["PROXIES", "DATA_INDEPENDENT", "PASS_OF", "AZ_PROXIES", "COMBOS", "ZeroCost", "compute_proxies",
           "proxy_cost", "rank_aggregate", "make_batch", "PROXY_DOC"]

PROXIES = ("grad_norm", "snip", "grasp", "fisher", "synflow", "jacov", "nwot", "zen", "epe_nas", "l2_norm",
           "plain", "params", "flops", "zico", "meco", "swap", "az_expressivity", "az_progressivity",
           "az_trainability", "az_complexity")
AZ_PROXIES = ("az_expressivity", "az_progressivity", "az_trainability", "az_complexity")
COMBOS = ("aznas", "vote")
DATA_INDEPENDENT = ("synflow", "zen", "l2_norm", "params", "flops") + AZ_PROXIES

#: which shared computation serves each proxy ("build" = building the network, always paid)
PASS_OF = {
    "grad_norm": ("grad",), "snip": ("grad",), "fisher": ("grad",), "plain": ("grad",),
    "zico": ("grad", "grad2"), "grasp": ("grasp",), "synflow": ("synflow",), "jacov": ("jac",),
    "epe_nas": ("jac",), "nwot": ("feat",), "meco": ("feat",), "swap": ("feat",), "zen": ("zen",),
    "l2_norm": ("static",), "params": ("static",), "flops": ("flops",),
    "az_expressivity": ("az",), "az_progressivity": ("az",), "az_trainability": ("az",),
    "az_complexity": ("flops",),
}

#: one line per proxy for tables/provenance: (sign/abs/log, BN, input, precision)
PROXY_DOC = {
    "grad_norm": ("sum ||g||", "BN train", "data", "fp32"),
    "snip": ("sum |g*w|", "BN train", "data", "fp32"),
    "grasp": ("-sum w*Hg (signed)", "BN train", "data", "fp32"),
    "fisher": ("sum 0.5 mean (a*da)^2", "BN train", "data", "fp32"),
    "synflow": ("sum |w*g|, |w|", "BN removed", "ones", "fp64"),
    "jacov": ("-sum log(v+k)+1/(v+k)", "BN train", "data", "fp32 (eig fp64)"),
    "nwot": ("log|det K|", "BN train", "data", "fp32 (det fp64)"),
    "zen": ("log + sum log sqrt(var)", "BN train", "gaussian", "fp32"),
    "epe_nas": ("sum |s_c - s_c'| of log|corr|", "BN train", "data", "fp32 (corr fp64)"),
    "l2_norm": ("sum ||w||", "-", "none", "fp32"),
    "plain": ("sum g*w (signed)", "BN train", "data", "fp32"),
    "params": ("count", "-", "none", "exact"),
    "flops": ("MACs", "-", "none", "exact"),
    "zico": ("sum log sum mean|g|/std g", "BN train", "data (2 batches)", "fp32 (stats fp64)"),
    "meco": ("sum min eig corr (example 0)", "BN train", "data", "fp32 (eig fp64)"),
    "swap": ("# distinct ReLU sign patterns", "BN train", "data", "fp32"),
    "az_expressivity": ("sum entropy of cov eigenvalues", "BN train", "gaussian", "fp32"),
    "az_progressivity": ("min diff of entropies", "BN train", "gaussian", "fp32"),
    "az_trainability": ("mean 2-s-1/s", "BN train", "gaussian", "fp32"),
    "az_complexity": ("MACs", "-", "none", "exact"),
}


# ----------------------------------------------------------------------------- data
def make_batch(preset: str, seed: int, batch_size: int, n_batches: int = 2, data=None, task=None):
    """``n_batches`` input batches ``[(x, y), ...]`` for the data-dependent proxies.

    ``nb201-mnist1d``: examples of the mnist1d training split drawn without replacement by
    ``seed``.  2-D presets without ``data``: N(0, 1) images and uniform labels (the documented
    surrogate).  ``data=(x, y)`` arrays are sampled from instead.  Returns float32 / int64 tensors.
    """
    from nasbench.train.models import PRESETS

    cfg = preset if not isinstance(preset, str) else PRESETS[preset]
    rng = np.random.default_rng([int(seed), 7919])
    n = int(batch_size) * int(n_batches)
    if data is None and preset == "nb201-mnist1d":
        if task is None:
            from nasbench.train.data import load_task

            task = load_task("mnist1d")
        data = (task.x_train, task.y_train)
    if data is not None:
        x, y = np.asarray(data[0], dtype=np.float32), np.asarray(data[1], dtype=np.int64)
        idx = rng.choice(len(y), size=n, replace=len(y) < n)
        xb, yb = x[idx], y[idx]
    else:
        xb = rng.standard_normal((n, *cfg.input_shape)).astype(np.float32)
        yb = rng.integers(0, cfg.n_classes, size=n).astype(np.int64)
    xb, yb = torch.from_numpy(xb), torch.from_numpy(yb)
    return [(xb[i * batch_size:(i + 1) * batch_size], yb[i * batch_size:(i + 1) * batch_size])
            for i in range(n_batches)]


# ----------------------------------------------------------------------------- helpers
def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    return out[:, 0] if out.dim() == 3 else out


def _weighted(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Conv and linear layers (incl. the grouped classifier), in module order."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)) or type(m).__name__ == "GroupedLinear":
            out.append((name, m))
    return out


def _dev(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _pre_gap(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model.lastact(model.cells(model.stem(x)))


def _cell_features(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    feats = []
    f = model.stem(x)
    feats.append(f)
    for block in model.cells:
        f = block(f)
        feats.append(f)
    return feats


def _unshuffle(g: torch.Tensor, s: int) -> torch.Tensor:
    if g.dim() == 4:
        return F.pixel_unshuffle(g, s)
    B, C, L = g.shape  # 1-D analogue: channel c, position l*s+k -> channel c*s+k, position l
    return g.reshape(B, C, L // s, s).permute(0, 1, 3, 2).reshape(B, C * s, L // s)


def _to_rows(f: torch.Tensor) -> torch.Tensor:
    """(B, C, *spatial) -> (B * prod(spatial), C)."""
    C = f.shape[1]
    return f.movedim(1, -1).reshape(-1, C)


def _corr_eig_score(j: np.ndarray, k: float = 1e-5) -> float:
    corrs = np.corrcoef(j)
    v = np.linalg.eigvalsh(np.nan_to_num(corrs)) if np.isfinite(corrs).all() else np.linalg.eigvals(
        np.nan_to_num(corrs)).real
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))


# ----------------------------------------------------------------------------- passes
def _pass_grad(model, batches, want, out):
    """Cross-entropy backward on batch 0 (grad_norm, snip, plain, fisher) and batch 1 (zico)."""
    layers = _weighted(model)
    x, y = batches[0]
    acts: list[torch.Tensor] = []
    handles = []
    if "fisher" in want:
        def keep(m, i, o):
            o.retain_grad()
            acts.append(o)
        handles = [m.register_forward_hook(keep) for _, m in layers]
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(_logits(model, x), y)
    loss.backward()
    for h in handles:
        h.remove()
    grads0 = [m.weight.grad.detach().clone() if m.weight.grad is not None else torch.zeros_like(m.weight)
              for _, m in layers]
    ws = [m.weight.detach() for _, m in layers]
    if "grad_norm" in want:
        out["grad_norm"] = float(sum(g.norm() for g in grads0))
    if "snip" in want:
        out["snip"] = float(sum((g * w).abs().sum() for g, w in zip(grads0, ws)))
    if "plain" in want:
        out["plain"] = float(sum((g * w).sum() for g, w in zip(grads0, ws)))
    if "fisher" in want:
        tot = 0.0
        for a in acts:
            if a.grad is None:
                continue
            ag = (a.detach() * a.grad)
            if ag.dim() == 3 and a.shape[1] == 1 and a is acts[-1]:  # grouped head (B, 1, n_out)
                ag = ag[:, 0]
            s = ag.sum(dim=tuple(range(2, ag.dim()))) if ag.dim() > 2 else ag
            tot += float((0.5 * s.pow(2).mean(0)).sum())
        out["fisher"] = tot
    if "zico" in want:
        t0 = time.process_time()
        x1, y1 = batches[1]
        model.zero_grad(set_to_none=True)
        F.cross_entropy(_logits(model, x1), y1).backward()
        grads1 = [m.weight.grad.detach().clone() if m.weight.grad is not None else torch.zeros_like(m.weight)
                  for _, m in layers]
        score = 0.0
        for g0, g1 in zip(grads0, grads1):
            G = torch.stack([g0.reshape(-1), g1.reshape(-1)]).double()
            std = G.std(0, unbiased=False)
            nz = std != 0
            tmp = float((G.abs().mean(0)[nz] / std[nz]).sum())
            if tmp != 0:
                score += float(np.log(tmp))
        out["zico"] = score
        out["_grad2_s"] = time.process_time() - t0
    model.zero_grad(set_to_none=True)


def _pass_grasp(model, batches, out):
    layers = _weighted(model)
    x, y = batches[0]
    ws = [m.weight for _, m in layers]
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(_logits(model, x), y)
    g = torch.autograd.grad(loss, ws, allow_unused=True)
    g = [torch.zeros_like(w) if gi is None else gi.detach() for gi, w in zip(g, ws)]
    loss = F.cross_entropy(_logits(model, x), y)
    gf = torch.autograd.grad(loss, ws, create_graph=True, allow_unused=True)
    z = sum((gi * fi).sum() for gi, fi in zip(g, gf) if fi is not None)
    hg = torch.autograd.grad(z, ws, allow_unused=True) if torch.is_tensor(z) and z.requires_grad else [None] * len(ws)
    out["grasp"] = float(sum((-w.detach() * h).sum() for w, h in zip(ws, hg) if h is not None))
    model.zero_grad(set_to_none=True)


def _pass_synflow(model, out):
    net = copy.deepcopy(model)
    for name, m in list(net.named_modules()):
        for cname, child in list(m.named_children()):
            if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
                setattr(m, cname, nn.Identity())
    net = net.double().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    shape = (1, *net.cfg.input_shape)
    x = torch.ones(shape, dtype=torch.float64, device=_dev(net))
    net.zero_grad(set_to_none=True)
    torch.sum(net(x)).backward()
    tot = 0.0
    for _, m in _weighted(net):
        if m.weight.grad is not None:
            tot += float((m.weight.detach() * m.weight.grad).abs().sum())
    out["synflow"] = tot


def _pass_jac(model, batches, want, out):
    x, y = batches[0]
    x = x.clone().requires_grad_(True)
    model.zero_grad(set_to_none=True)
    logits = _logits(model, x)
    logits.backward(torch.ones_like(logits))
    model.zero_grad(set_to_none=True)
    if x.grad is None or not bool(x.grad.abs().sum() > 0):  # output does not depend on the input
        for q in ("jacov", "epe_nas"):
            if q in want:
                out[q] = -np.inf
        return
    J = x.grad.detach().reshape(len(x), -1).double().cpu().numpy()
    if "jacov" in want:
        try:
            out["jacov"] = _corr_eig_score(J)
        except np.linalg.LinAlgError:
            out["jacov"] = float("nan")
    if "epe_nas" in want:
        k = 1e-5
        labels = y.cpu().numpy()
        s = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for c in np.unique(labels):
                Jc = J[labels == c]
                if len(Jc) < 2:
                    continue
                corr = np.corrcoef(Jc)
                s[c] = float(np.sum(np.log(np.abs(corr) + k)))
        vals = np.array(list(s.values()))
        score = float(np.abs(vals[:, None] - vals[None, :]).sum() / len(vals)) if len(vals) else float("nan")
        out["epe_nas"] = score


def _pass_feat(model, batches, want, out):
    """One no-grad forward: ReLU codes (nwot, swap) and per-module maps (meco)."""
    x, _ = batches[0]
    B = len(x)
    codes: list[torch.Tensor] = []
    meco: list[float] = []
    handles = []
    for name, m in model.named_modules():
        if isinstance(m, nn.ReLU) and ("nwot" in want or "swap" in want):
            handles.append(m.register_forward_hook(lambda mod, i, o: codes.append((o.detach() > 0).reshape(B, -1))))
        if "meco" in want and name != "":
            def hook(mod, i, o):
                if not torch.is_tensor(o) or o.dim() < 3 or o.shape[1] < 2 or o.shape[0] != B:
                    return
                f = o[0].detach().reshape(o.shape[1], -1).double()
                if f.shape[1] < 2:
                    return
                c = torch.corrcoef(f)
                c = torch.nan_to_num(c, nan=0.0, posinf=0.0, neginf=0.0)
                meco.append(float(torch.linalg.eigvalsh(c).min()))
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    if "nwot" in want:
        K = torch.zeros(B, B, dtype=torch.float64, device=x.device)
        for c in codes:
            cf = c.double()
            K += cf @ cf.T + (1 - cf) @ (1 - cf).T
        out["nwot"] = float(torch.linalg.slogdet(K)[1])
    if "swap" in want:
        if codes:
            A = torch.cat(codes, dim=1).T.cpu().numpy()  # (neurons, examples) bool
            packed = np.packbits(A, axis=1)
            out["swap"] = float(len(np.unique(packed, axis=0)))
        else:
            out["swap"] = 0.0
    if "meco" in want:
        out["meco"] = float(np.nansum(meco))


def _init_net(net, init_weight, init_grouped) -> None:
    """Re-initialise ``net``: ``init_weight`` on conv / linear weights, ``init_grouped`` on a
    packed ``GroupedLinear``'s ``(g, out, in)`` weight; zero biases; BN affine to 1 / 0."""
    for m in net.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            init_weight(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        elif type(m).__name__ == "GroupedLinear":
            init_grouped(m.weight)
            nn.init.zeros_(m.bias)


def _kaiming_fanin(w) -> None:
    nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")


def _gaussian_init(net):
    _init_net(net, nn.init.normal_, nn.init.normal_)


def _kaiming_fanin_init(net):
    def grouped(w):
        for i in range(w.shape[0]):
            _kaiming_fanin(w.data[i])

    _init_net(net, _kaiming_fanin, grouped)


def _pass_zen(model, seed, batch_size, out):
    net = copy.deepcopy(model).train()
    shape = (batch_size, *net.cfg.input_shape)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) * 1000003 + 17)
        _gaussian_init(net)
        x = torch.randn(shape).to(_dev(net))
        e = torch.randn(shape).to(_dev(net))
    with torch.no_grad():
        o1 = _pre_gap(net, x)
        o2 = _pre_gap(net, x + 0.01 * e)
        d = (o1 - o2).abs().sum(dim=tuple(range(1, o1.dim()))).mean()
        s = float(torch.log(d))
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                s += float(torch.log(torch.sqrt(m.running_var.mean())))
    out["zen"] = s


def _pass_az(model, seed, batch_size, want, out):
    net = copy.deepcopy(model).train()
    shape = (batch_size, *net.cfg.input_shape)
    gen = torch.Generator().manual_seed(int(seed) * 1000003 + 29)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) * 1000003 + 23)
        _kaiming_fanin_init(net)
    x = torch.randn(shape, generator=gen).to(_dev(net))  # drawn on the CPU: same input on any device
    feats = _cell_features(net, x)
    ent = []
    for f in feats:
        r = _to_rows(f.detach())
        r = r - r.mean(0, keepdim=True)
        sig = r.T @ r / r.shape[0]
        s = torch.linalg.eigvalsh(sig).clamp_min(0.0)  # rank-deficient maps: -1e-8 round-off -> 0
        p = s / s.sum()
        ent.append(float((-p * torch.log(p + 1e-8)).sum()))
    ent = np.array(ent)
    ent = np.where(np.isnan(ent), -np.inf, ent)
    out["az_expressivity"] = float(np.sum(ent))
    out["az_progressivity"] = float(np.min(ent[1:] - ent[:-1])) if np.isfinite(ent).all() else -np.inf
    if "az_trainability" in want:
        scores = []
        for i in reversed(range(1, len(feats))):
            f_out, f_in = feats[i], feats[i - 1]
            g_out = ((torch.bernoulli(torch.full(f_out.shape, 0.5), generator=gen) - 0.5) * 2).to(f_out.device)
            if not (f_out.requires_grad and f_in.requires_grad):  # a block cut off from its input
                scores.append(-np.inf)
                continue
            g_in = torch.autograd.grad(f_out, f_in, grad_outputs=g_out, retain_graph=True, allow_unused=True)[0]
            if g_in is None:
                scores.append(-np.inf)
                continue
            if g_out.shape == g_in.shape and torch.equal(g_in, g_out):
                scores.append(-np.inf)
                continue
            if g_out.shape[2:] != g_in.shape[2:]:
                g_in = _unshuffle(g_in, g_in.shape[2] // g_out.shape[2])
            go, gi = _to_rows(g_out), _to_rows(g_in)
            mat = gi.T @ go / go.shape[0]
            if mat.shape[0] < mat.shape[1]:
                mat = mat.T
            smax = float(torch.linalg.svdvals(mat).max())
            scores.append(-smax - 1.0 / (smax + 1e-6) + 2.0)
        tr = float(np.mean(scores))
        out["az_trainability"] = -np.inf if np.isnan(tr) else tr


# ----------------------------------------------------------------------------- one architecture
def compute_proxies(arch, preset: str, proxies: Sequence[str], seed: int = 0, batches=None,
                    batch_size: int = 64, flops: float | None = None, device: str = "cpu") -> tuple[dict, dict]:
    """Score one architecture.

    Returns ``(scores, seconds)``: ``scores`` proxy -> float (higher = better),
    ``seconds`` pass name -> CPU seconds (``time.process_time``) on the CPU, wall seconds after
    ``torch.cuda.synchronize`` on CUDA.  ``batches``: from :func:`make_batch` (needed for
    data-dependent proxies).  ``flops``: a known MAC count (skips counting).  Random inputs and
    re-initialisations are drawn on the CPU, so scores agree across devices up to float
    round-off.  On CUDA the pass runs with deterministic kernels (as the trainer's
    ``deterministic=True``), so repeats give identical scores.
    """
    if torch.device(device).type == "cuda":
        from nasbench.train.trainer import _deterministic_cuda, _restore

        prev = _deterministic_cuda()
        try:
            return _compute_proxies(arch, preset, proxies, seed, batches, batch_size, flops, device)
        finally:
            _restore(prev)
    return _compute_proxies(arch, preset, proxies, seed, batches, batch_size, flops, device)


def _compute_proxies(arch, preset, proxies, seed, batches, batch_size, flops, device) -> tuple[dict, dict]:
    """:func:`compute_proxies` itself."""
    from nasbench.train.models import build_model

    want = set(proxies)
    unknown = want - set(PROXIES)
    if unknown:
        raise ValueError(f"unknown proxies {sorted(unknown)}; choose from {PROXIES}")
    passes = set(p for q in want for p in PASS_OF[q])
    sec: dict[str, float] = {}
    out: dict[str, float] = {}
    dev = torch.device(device)
    if dev.type == "cuda":
        def clock():
            torch.cuda.synchronize(dev)
            return time.perf_counter()
    else:
        clock = time.process_time
    t = clock()
    model = build_model(arch, preset, seeds=[int(seed)]).train().to(dev)
    if batches is not None:
        batches = [(x.to(dev), y.to(dev)) for x, y in batches]
    sec["build"] = clock() - t
    if passes & {"grad", "grad2", "grasp", "jac", "feat"} and batches is None:
        raise ValueError("data-dependent proxies need batches= (see make_batch)")

    def timed(name, fn, *a):
        t0 = clock()
        fn(*a)
        sec[name] = clock() - t0

    if "static" in passes:
        t0 = clock()
        layers = _weighted(model)
        if "l2_norm" in want:
            out["l2_norm"] = float(sum(m.weight.detach().norm() for _, m in layers))
        if "params" in want:
            out["params"] = sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6
        sec["static"] = clock() - t0
    if "flops" in passes:
        t0 = clock()
        if flops is None:
            from nasbench.train.profile import count_flops

            flops = count_flops(model, model.cfg.input_shape)
        if "flops" in want:
            out["flops"] = float(flops)
        if "az_complexity" in want:
            out["az_complexity"] = float(flops)
        sec["flops"] = clock() - t0
    if "grad" in passes:
        timed("grad", _pass_grad, model, batches, want, out)
        if "_grad2_s" in out:
            sec["grad2"] = out.pop("_grad2_s")
            sec["grad"] -= sec["grad2"]
    if "grasp" in passes:
        timed("grasp", _pass_grasp, model, batches, out)
    if "jac" in passes:
        timed("jac", _pass_jac, model, batches, want, out)
    if "feat" in passes:
        timed("feat", _pass_feat, model, batches, want, out)
    if "synflow" in passes:
        timed("synflow", _pass_synflow, model, out)
    if "zen" in passes:
        timed("zen", _pass_zen, model, seed, batch_size, out)
    if "az" in passes:
        timed("az", _pass_az, model, seed, batch_size, want, out)
    return {q: float(out[q]) for q in proxies}, sec


def proxy_cost(seconds: dict) -> dict:
    """Seconds to compute each proxy alone: build + the passes it needs, from a ``seconds`` dict
    of :func:`compute_proxies` (or a mean of many)."""
    b = seconds.get("build", 0.0)
    return {q: b + sum(seconds.get(p, 0.0) for p in PASS_OF[q]) for q in PROXIES
            if all(p in seconds for p in PASS_OF[q])}


# ----------------------------------------------------------------------------- aggregation
def _ref_rank(ref: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Average rank (1..n, ties averaged) that each ``x`` would take among ``ref`` (finite ones;
    -inf ranks lowest); x itself is not added to ``ref``."""
    r = np.sort(np.where(np.isnan(ref), -np.inf, ref))
    xv = np.where(np.isnan(x), -np.inf, x)
    lo = np.searchsorted(r, xv, side="left")
    hi = np.searchsorted(r, xv, side="right")
    return (lo + hi) / 2.0 + 0.5  # a value equal to k reference values takes their mean rank


def rank_aggregate(scores: dict, reference: dict, how: str) -> np.ndarray:
    """Aggregate several proxies' scores via ranks within a fixed reference set.

    ``scores``/``reference``: proxy -> ``(n,)`` / ``(m,)`` arrays.  ``how="aznas"``: sum of
    ``log(rank / m)`` (AZ-NAS Eq. 12, ranks ascending so the best gets ``m``); ``how="vote"``:
    mean of ``rank / m``.  NaN scores rank lowest.  Scoring the reference set against itself
    reproduces the within-set ranks.
    """
    names = list(scores)
    tot = None
    for q in names:
        ref = np.asarray(reference[q], dtype=np.float64)
        m = len(ref)
        r = np.clip(_ref_rank(ref, np.asarray(scores[q], dtype=np.float64)), 1.0, m) / m
        v = np.log(r) if how == "aznas" else r
        tot = v if tot is None else tot + v
    if how == "vote":
        tot = tot / len(names)
    return tot


# ----------------------------------------------------------------------------- estimator
class ZeroCost(PerformanceEstimator):
    """A zero-cost proxy (or an aggregation of several) as a :class:`PerformanceEstimator`.

    Parameters
    ----------
    proxy : str or sequence of str
        One of :data:`PROXIES`; ``"aznas"`` (AZ-NAS's four proxies, rank-aggregated); a list of
        proxies (rank-averaged: the vote).
    preset : str
        Network preset (``nb201-mnist1d``, ``nb201-cifar10``, ...).
    seed : int
        Initialisation seed and data-sampling seed.
    batch_size : int
        Examples per batch (ZiCo uses two batches).
    data : (x, y) arrays, optional
        Examples to sample batches from (default: see :func:`make_batch`).
    device : str
        Only ``"cpu"`` is supported by this implementation.

    Aggregations need ``fit(reference_archs)`` (or ``fit(reference_scores=dict)``) first: ranks
    are taken within that fixed reference set, so ``estimate`` on any batch is consistent.
    ``cost_`` is CPU seconds (``time.process_time``), with ``cost_["per_proxy_s"]``.
    """

    def __init__(self, proxy, preset: str = "nb201-mnist1d", seed: int = 0, batch_size: int = 64, data=None,
                 device: str = "cpu"):
        self.proxy = proxy
        self.preset = preset
        self.seed = seed
        self.batch_size = batch_size
        self.data = data
        self.device = device

    @property
    def components(self) -> tuple[str, ...]:
        if isinstance(self.proxy, str):
            return AZ_PROXIES if self.proxy == "aznas" else (self.proxy,)
        return tuple(self.proxy)

    @property
    def name(self) -> str:  # type: ignore[override]
        if isinstance(self.proxy, str):
            return self.proxy
        return "vote(" + "+".join(self.proxy) + ")"

    @property
    def aggregated(self) -> bool:
        return not isinstance(self.proxy, str) or self.proxy == "aznas"

    def _raw(self, archs) -> dict:
        from nasbench.spaces.nb201 import NB201Space

        if self.device != "cpu":
            raise NotImplementedError("this implementation scores on the CPU only")
        space = NB201Space()
        idx = as_indices(archs, space)
        comps = self.components
        needs_data = any(p not in DATA_INDEPENDENT for p in comps)
        if not hasattr(self, "_batches"):
            self._batches = make_batch(self.preset, self.seed, self.batch_size, 2, self.data) if needs_data else None
        raw = {q: np.empty(len(idx)) for q in comps}
        t0 = time.process_time()
        per = {}
        for i, a in enumerate(idx):
            s, sec = compute_proxies(space.from_index(int(a)), self.preset, comps, self.seed, self._batches,
                                     self.batch_size)
            for q in comps:
                raw[q][i] = s[q]
            for q, c in proxy_cost(sec).items():
                if q in comps:
                    per[q] = per.get(q, 0.0) + c
        return raw, time.process_time() - t0, len(idx), per

    def fit(self, reference_archs=None, reference_scores: dict | None = None) -> "ZeroCost":
        self._reset_cost()
        self.cost_["per_proxy_s"] = {}
        if self.aggregated:
            if reference_scores is not None:
                self.reference_ = {q: np.asarray(reference_scores[q], dtype=np.float64) for q in self.components}
            elif reference_archs is not None:
                raw, secs, n, per = self._raw(reference_archs)
                self.reference_ = raw
                self._charge(secs, setup=True)
            else:
                raise ValueError(f"{self.name}: aggregated scores need a reference set: "
                                 "fit(reference_archs) or fit(reference_scores={proxy: array})")
        return self

    def estimate(self, archs) -> np.ndarray:
        if not hasattr(self, "cost_"):
            if self.aggregated:
                raise RuntimeError(f"{self.name}: call fit(reference_archs) first")
            self.fit()
        raw, secs, n, per = self._raw(archs)
        self._charge(secs, n_archs=n)
        for q, c in per.items():
            self.cost_["per_proxy_s"][q] = self.cost_["per_proxy_s"].get(q, 0.0) + c
        if not self.aggregated:
            return raw[self.proxy]
        return rank_aggregate(raw, self.reference_, "aznas" if self.proxy == "aznas" else "vote")
