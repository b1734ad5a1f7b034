"""Détente in a browser: ``detente serve`` (FastAPI).

``create_app(data_dir, token=..., max_samples=..., max_body=..., max_runs=..., executor=...)``
builds the app; ``serve(host, port, data_dir)`` runs it with uvicorn. See ``docs/web.md``.
"""

from __future__ import annotations

from .app import create_app, serve

__all__ = ["create_app", "serve"]
