"""Readers of other tools' exports for ``sparklytics import`` (one module per format).

* :mod:`.umami` — Umami's ``website_event`` (+ ``session``) CSV export → events.
* :mod:`.own_export` — our own ``GET …/export`` CSV → events (the round trip).
* :mod:`.plausible` — Plausible CE's CSV export → daily aggregates (``imported_*``).
* :mod:`.given_rows` — the event row of a record whose place and device were exported,
  not derived from an IP address and user agent.
* :mod:`.progress` and :mod:`.skipped` — what the command prints while and after it runs.

``sparklytics.importer`` runs them; the readers only parse, they never write.
"""
