"""The self-hosted backend: one DuckDB file, written by the Writer actor alone."""
