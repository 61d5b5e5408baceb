"""The query side has no SQL: what ``sparklytics.queries`` offers and what it may import."""

from __future__ import annotations

import ast
import importlib
import pathlib

import sparklytics.queries as queries

QUERIES_DIR = pathlib.Path(queries.__file__).parent
MODULES = sorted(p.stem for p in QUERIES_DIR.glob("*.py") if p.stem != "__init__")


def test_package_exports():
    assert sorted(queries.__all__) == sorted(
        ["QueryError", "ReportQuery", "ReportResult", "export_filename", "parse_report_query", "time_bounds"]
    )
    for name in queries.__all__:
        assert hasattr(queries, name), name


def test_every_module_documents_itself():
    for name in MODULES:
        module = importlib.import_module(f"sparklytics.queries.{name}")
        assert module.__doc__ and len(module.__doc__) > 200, name
        for exported in getattr(module, "__all__", ()):
            assert hasattr(module, exported), f"{name}.{exported}"


def test_no_module_imports_a_backend():
    for path in QUERIES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                imported = [node.module or ""]
            else:
                continue
            for name in imported:
                assert not name.startswith(("duckdb", "sparklytics.stores")), f"{path.name} imports {name}"
