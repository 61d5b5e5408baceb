"""Process-wide settings of a serving process, applied once the app is built.

Why: at a steady 500 req/s the tail latency of collect comes from moments when the one
trio thread stands still, and garbage collection was the largest of them
(``bench/RESULTS.md``, section "Intake tail latency"; ``bench/ingest.py --probe``
times every collection). Two things made it so:

* every full collection walked the ~100 000 objects made at startup — modules, the
  app, the services — that live as long as the process: 40–100 ms of CPU each on the
  2-vCPU EPYC box, several times a minute under load;
* with the default young-generation threshold (700 net new objects), requests in flight
  and records waiting for their commit survived the frequent young collections, were
  promoted, and so kept scheduling the full ones.
"""

from __future__ import annotations

import gc

# Net new container objects between two young collections (CPython's default: 700).
# A request's objects die within milliseconds, so with this threshold they are almost
# all gone when a young collection runs: ~20× fewer collections, and no full one in a
# 15-s run at 500 req/s. A young collection then walks up to this many live objects
# (a few ms at most here).
YOUNG_GENERATION_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """Leave the objects made at startup out of every later collection, and collect
    the young generation less often.

    ``gc.freeze()`` moves every object alive now to the permanent generation, which
    collections never walk: call this once, after the services are open and the app is
    built, just before serving. The collection before it frees startup garbage that
    would otherwise be frozen with it.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
