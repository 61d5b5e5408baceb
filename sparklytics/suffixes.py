"""The Public Suffix List, from tldextract's bundled snapshot (never the network).

One extractor for the process, built on first use: importing tldextract costs ~5.5 MB
of RSS (it brings ``requests``), which an idle server (target: 120 MB) should not pay
before the first event or website needs a registrable domain.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def suffix_extractor() -> Any:
    """A ``tldextract.TLDExtract`` on the bundled list: no download, no cache directory."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
