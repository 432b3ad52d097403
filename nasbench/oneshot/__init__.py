"""One-shot (weight-sharing) architecture search on the NB201 cell space: DARTS, GDAS, SPOS + RE.

The supernet is :class:`nasbench.estimators.supernet.SuperNetwork` (the table's cell ops and
macro skeleton); :func:`search` runs one method for one seed and derives an architecture per
search epoch; :mod:`nasbench.jobs.oneshot` runs methods x seeds, looks the derived
architectures up in a table and writes traces for the leaderboard.  Imports torch.
"""
from nasbench.oneshot.search import METHODS, OneShotConfig, SearchResult, search

__all__ = ["METHODS", "OneShotConfig", "SearchResult", "search"]
