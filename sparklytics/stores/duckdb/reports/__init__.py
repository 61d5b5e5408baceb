"""The SQL of each report: ``report(cursor, q)`` functions that fetch rows and hand them
to the shapers of :mod:`sparklytics.queries`. Only :mod:`..analytics` calls them."""
