"""The Sparklytics tracker script (`/s.js`).

The readable source is ``src/s.js``; ``build.sh`` minifies it into ``dist/s.js``, which
:mod:`sparklytics.tracker.asset` loads once and serves.
"""

from sparklytics.tracker.asset import (
    DIST_PATH,
    TrackerAsset,
    TrackerNotBuiltError,
    load_tracker,
)

__all__ = ["DIST_PATH", "TrackerAsset", "TrackerNotBuiltError", "load_tracker"]
