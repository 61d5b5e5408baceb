"""Where the app keeps its data: the Protocols every backend implements.

See ``docs/architecture.md`` ("Stores").
"""
