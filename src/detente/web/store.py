"""Durable state of the web app: user scenarios and runs in SQLite (WAL), results as files.

Layout of the data directory::

    detente.sqlite3          scenarios and runs (write-ahead log: -wal and -shm beside it)
    scenarios/<name>.yaml    each saved user scenario, as the user wrote it
    runs/<id>/inputs/        the user scenarios a run was started with (a snapshot)
    runs/<id>/summary.json   results: JSON records, CSV, NetCDF and the HTML report
    runs/<id>/results.csv
    runs/<id>/results.nc
    runs/<id>/report.html

A run moves ``queued → running → done | failed | cancelled``. Every change of state is
conditional on the state it leaves, so a job that lost its run (cancelled, or marked failed by a
restart) cannot write it back to ``done``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import Conflict, TooManyRuns

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
ANALYSIS = "analysis.json"  # in a run's inputs folder: the analysis it computes
RUN_ID = re.compile(r"^[0-9a-f]{16}$")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    name TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    yaml TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    scenarios TEXT NOT NULL,
    baseline TEXT,
    samples INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    horizon TEXT,
    threshold INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    done INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    note TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
"""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")



class Store:
    """Scenarios and runs of one data directory. Safe to share between threads."""

    def __init__(self, data_dir: Path):
        self.dir = Path(data_dir).expanduser().resolve()
        self.scenario_dir = self.dir / "scenarios"
        self.run_root = self.dir / "runs"
        for folder in (self.dir, self.scenario_dir, self.run_root):
            folder.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "detente.sqlite3"
        self._lock = threading.Lock()  # serialises writers inside this process
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=FULL")  # in WAL mode NORMAL may lose the last commits on power loss
        db.execute("PRAGMA foreign_keys=ON")
        try:
            yield db
        finally:
            db.close()

    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._lock, self._connect() as db:
            return db.execute(sql, args).rowcount

    # -- scenarios ---------------------------------------------------------------------------
    def scenarios(self) -> list[dict]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM scenarios ORDER BY name").fetchall()
        return [dict(r) for r in rows]

    def scenario(self, name: str) -> dict | None:
        if not NAME.fullmatch(name):
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM scenarios WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def save_scenario(self, name: str, title: str, text: str, *, create: bool) -> bool:
        """Store a scenario; ``create`` refuses to replace one. Returns True if it was new."""
        if not NAME.fullmatch(name):
            raise ValueError(f"bad scenario name {name!r}")
        stamp = now()
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                exists = db.execute("SELECT 1 FROM scenarios WHERE name = ?", (name,)).fetchone()
                if exists and create:
                    raise Conflict(f"a saved scenario is already named {name!r}")
                if exists:
                    db.execute("UPDATE scenarios SET title = ?, yaml = ?, updated_at = ? WHERE name = ?",
                               (title, text, stamp, name))
                else:
                    db.execute("INSERT INTO scenarios VALUES (?, ?, ?, ?, ?)", (name, title, text, stamp, stamp))
                self._write_file(self.scenario_dir / f"{name}.yaml", text)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return not exists

    def delete_scenario(self, name: str) -> bool:
        gone = self._write("DELETE FROM scenarios WHERE name = ?", (name,)) > 0
        if gone:
            (self.scenario_dir / f"{name}.yaml").unlink(missing_ok=True)
        return gone

    def scenario_file(self, name: str) -> Path | None:
        """The YAML file of a saved scenario (rewritten from the database if it went missing)."""
        row = self.scenario(name)
        if row is None:
            return None
        path = self.scenario_dir / f"{name}.yaml"
        if not path.is_file() or path.read_text(encoding="utf-8") != row["yaml"]:
            self._write_file(path, row["yaml"])
        return path

    # -- runs --------------------------------------------------------------------------------
    def create_run(self, *, scenarios: list[str], baseline: str | None, samples: int, seed: int,
                   horizon: str | None, threshold: int, inputs: dict[str, str], max_active: int,
                   analysis: dict | None = None) -> dict:
        """Insert a queued run, unless ``max_active`` runs are already queued or running; an
        ``analysis`` (Sobol' indices or a lever sweep, in place of a plain run) is kept beside
        the inputs as ``analysis.json`` (``samples`` is then its number of model runs)."""
        run_id = secrets.token_hex(8)
        folder = self.run_dir(run_id) / "inputs"
        folder.mkdir(parents=True)
        for name, text in inputs.items():
            self._write_file(folder / f"{name}.yaml", text)
        if analysis is not None:
            self._write_file(folder / ANALYSIS, json.dumps(analysis))
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                active = db.execute(f"SELECT COUNT(*) FROM runs WHERE status IN {ACTIVE}").fetchone()[0]
                if active >= max_active:
                    raise TooManyRuns(f"{active} runs are already queued or running (the limit is {max_active}); "
                                      "wait for one to finish or cancel one")
                db.execute(
                    "INSERT INTO runs (id, scenarios, baseline, samples, seed, horizon, threshold, status, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                    (run_id, json.dumps(scenarios), baseline, samples, seed, horizon, threshold, now()),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                _remove_tree(self.run_dir(run_id))
                raise
        return self.run(run_id)

    def run(self, run_id: str) -> dict | None:
        if not RUN_ID.fullmatch(run_id):
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run_row(row) if row else None

    def analysis(self, run_id: str) -> dict | None:
        """The analysis a run computes (None: a plain run)."""
        path = self.run_dir(run_id) / "inputs" / ANALYSIS
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def runs(self, limit: int = 100, status: str | None = None) -> list[dict]:
        with self._connect() as db:
            if status:
                rows = db.execute("SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                                  (status, limit)).fetchall()
            else:
                rows = db.execute("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?",
                                  (limit,)).fetchall()
        return [_run_row(r) for r in rows]

    def active(self) -> list[str]:
        with self._connect() as db:
            rows = db.execute(f"SELECT id FROM runs WHERE status IN {ACTIVE}").fetchall()
        return [r[0] for r in rows]

    def start(self, run_id: str) -> bool:
        """queued → running; False if the run is no longer queued (cancelled meanwhile)."""
        return self._write("UPDATE runs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'",
                           (now(), run_id)) > 0

    def progress(self, run_id: str, done: int) -> bool:
        """Record samples done; False if the run is no longer running (its job should stop)."""
        return self._write("UPDATE runs SET done = ? WHERE id = ? AND status = 'running'", (done, run_id)) > 0

    def finish(self, run_id: str, status: str, *, error: str | None = None, note: str | None = None,
               expect: tuple[str, ...] = ACTIVE) -> bool:
        """Move a run to a final status if it is still in one of ``expect``."""
        assert status in FINISHED
        marks = ",".join("?" * len(expect))
        return self._write(
            f"UPDATE runs SET status = ?, error = ?, note = ?, finished_at = ? WHERE id = ? AND status IN ({marks})",
            (status, error, note, now(), run_id, *expect),
        ) > 0

    def recover(self) -> int:
        """At start-up: runs left queued or running by a previous server are marked failed."""
        return self._write(
            f"UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE status IN {ACTIVE}",
            ("interrupted: the server stopped or restarted before the run finished", now()),
        )

    def run_dir(self, run_id: str) -> Path:
        if not RUN_ID.fullmatch(run_id):
            raise ValueError(f"bad run id {run_id!r}")
        return self.run_root / run_id

    @staticmethod
    def _write_file(path: Path, text: str) -> None:
        """Write atomically and durably: a reader sees the old file or the new one, never half of it,
        and the new one (its folder's entry too) is on disk before this returns."""
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)



def _run_row(row: sqlite3.Row) -> dict:
    out = dict(row)
    out["scenarios"] = json.loads(out["scenarios"])
    return out


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
