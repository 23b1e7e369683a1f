"""Where a run reads and writes: one place, from the environment.

Everything a run writes lives under one data home, ``CHISO_HOME`` (default
``data/`` in the repository). Nothing here imports Prefect; the flows read a
``Settings`` once and pass plain paths and values to the pure layers.

| variable | meaning | default |
|---|---|---|
| ``CHISO_HOME`` | data home | ``<repo>/data`` |
| ``CHISO_LANDING_URL`` | landing zone of the sources' extract files (fsspec URL) | ``$CHISO_HOME/landing`` |
| ``CHISO_SIMULATE`` | fill the landing zone with the simulator first (``1``/``0``) | ``1`` unless ``CHISO_LANDING_URL`` is set |
| ``CHISO_SIM_START`` / ``CHISO_SIM_END`` | simulated date range | 2025-01-01 / 2025-12-31 |
| ``CHISO_SIM_SCALE`` | simulated scale, 1.0 = the province | ``1.0`` |
| ``CHISO_PII_KEY`` | key of the keyed hash of citizen IDs and tax codes | generated once into ``$CHISO_HOME/secrets/pii.key`` |
| ``CHISO_QUALITY`` | YAML of data-quality thresholds overriding the shipped ones | none |
| ``CHISO_SOURCES`` | comma-separated source names to run (others are left as they are) | all registered |
| ``CHISO_SIM_FAULT_RATE`` | share of simulated rows corrupted on purpose (``sources/faults.py``) | ``0`` |
| ``CHISO_SIM_FAULT_KINDS`` | comma-separated fault kinds to inject | all kinds |
| ``CHISO_RAW_RETENTION_DAYS`` | days an archived file whose rows are loaded is kept in ``raw/`` | ``90`` |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_url: str
    simulate: bool
    sim_start: date
    sim_end: date
    sim_scale: float
    quality_file: Path | None
    sources: tuple[str, ...] | None = None
    sim_fault_rate: float = 0.0  # share of simulated rows corrupted (sources/faults.py), 0 = clean
    sim_fault_kinds: tuple[str, ...] | None = None  # fault kinds to use; None = all
    raw_retention_days: int = 90  # clear personal data in raw/ is purged once loaded and this old

    @property
    def warehouse(self) -> Path:
        """The published warehouse analysts open."""
        return self.home / "chiso.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.home / "build"

    @property
    def docs_dir(self) -> Path:
        return self.home / "quality"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    def build_path(self, run_id: str) -> Path:
        """The private file a run builds into before it is published."""
        return self.build_dir / f"chiso-{run_id}.duckdb"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment (or the mapping given)."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("CHISO_HOME") or REPO / "data").resolve()
    landing = env.get("CHISO_LANDING_URL")
    simulate = env.get("CHISO_SIMULATE", "0" if landing else "1") not in ("0", "false", "no")
    quality = env.get("CHISO_QUALITY")
    return Settings(
        home=home,
        landing_url=landing or str(home / "landing"),
        simulate=simulate,
        sim_start=date.fromisoformat(env.get("CHISO_SIM_START", "2025-01-01")),
        sim_end=date.fromisoformat(env.get("CHISO_SIM_END", "2025-12-31")),
        sim_scale=float(env.get("CHISO_SIM_SCALE", "1.0")),
        quality_file=Path(quality) if quality else None,
        sources=tuple(x.strip() for x in env["CHISO_SOURCES"].split(",") if x.strip())
        if env.get("CHISO_SOURCES")
        else None,
        sim_fault_rate=float(env.get("CHISO_SIM_FAULT_RATE") or 0),
        sim_fault_kinds=tuple(
            k.strip() for k in env["CHISO_SIM_FAULT_KINDS"].split(",") if k.strip()
        )
        if env.get("CHISO_SIM_FAULT_KINDS")
        else None,
        raw_retention_days=int(env.get("CHISO_RAW_RETENTION_DAYS") or 90),
    )


def pii_key(settings: Settings, env: dict[str, str] | None = None) -> bytes:
    """The keyed-hash key: from ``CHISO_PII_KEY``, else a key generated once in the data home.

    The key never lives in the repository; losing it only means the next
    hashes differ from the stored ones (holders can no longer be matched
    across the change), so operators back up ``secrets/pii.key``.
    """
    env = os.environ if env is None else env
    if env.get("CHISO_PII_KEY"):
        return env["CHISO_PII_KEY"].encode()
    path = settings.home / "secrets" / "pii.key"
    if not path.exists():
        os.makedirs(path.parent, mode=0o700, exist_ok=True)
        # created with its mode (never readable by others, not even until a chmod), then linked
        # into place: two runs generating at once end with one key, never a half-written one
        tmp = path.with_name(f".pii.key.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another run made it first: use theirs
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip().encode()
