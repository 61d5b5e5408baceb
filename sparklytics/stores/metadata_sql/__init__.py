"""Metadata SQL written once for both metadata backends (DuckDB self-hosted, PostgreSQL
in cloud mode).

The two backends run the same statements; what differs is how a write keeps the check
that guards it and the write together (:class:`MetadataDb`): DuckDB has one writer, so a
transaction is enough; PostgreSQL has several nodes writing, so the write locks the
website's row. Modules here take a :class:`MetadataDb` and write standard SQL with ``?``
placeholders that both engines run (``ON CONFLICT … DO NOTHING RETURNING``,
``CAST(… AS VARCHAR)``).
"""

from sparklytics.stores.metadata_sql.db import MetadataDb

__all__ = ["MetadataDb"]
