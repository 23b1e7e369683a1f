"""Where a run reads and writes, and what it takes: one typed place, from the environment.

Everything a run writes lives under one data home, ``CHISO_HOME`` (default
``data/`` in the repository). The settings are read and checked once, before
any task (a bad value is one line naming the variable and the value, and the
run does not start); the flow then passes plain paths and values to the pure
layers. Nothing here imports Prefect.

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
| ``CHISO_ALERT_WEBHOOK`` | URL the served deployment posts to when a run fails, crashes or is late | none (no alerts) |
| ``CHISO_RAW_RETENTION_DAYS`` | days an archived file whose rows are loaded is kept in ``raw/`` | ``90`` |
| ``CHISO_DVC_API_URL`` | pull the dossiers from the integration platform (LGSP) at this URL instead of the landing zone; credentials ``CHISO_DVC_API_APP``/``_KEY``/``_SECRET`` are read from the environment by the connector only | none (files) |
| ``CHISO_DVC_API_START`` / ``CHISO_DVC_API_END`` | first and last day of update times pulled | ``CHISO_SIM_START`` / ``CHISO_SIM_END`` when simulating, else yesterday |
| ``CHISO_DVC_API_OVERLAP_DAYS`` | days before the cursor read again each run (records synchronised late) | ``2`` |
| ``CHISO_DVC_API_PAGE_SIZE`` / ``CHISO_DVC_API_TIMEOUT`` | records per page; seconds a page may take | ``500`` / ``60`` |
| ``CHISO_NATIONAL766_URL`` | pull the national portal's 766 figures from this URL instead of the landing zone | none (files) |
| ``CHISO_DOCS_PORT`` | port ``chiso docs`` serves Data Docs on (runs link there) | a free port |
| ``CHISO_SPARE_BUILD`` | after a publish, copy the published warehouse for the next night's build in the background (``1``/``0``; ``warehouse/spare.py``) | ``1`` |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting with a value the pipeline cannot use; the message is one line naming it."""


def _names(value: object) -> object:
    """``"dvc, docs"`` -> ``("dvc", "docs")``; empty -> None."""
    if isinstance(value, str):
        parts = tuple(x.strip() for x in value.split(",") if x.strip())
        return parts or None
    return value


class Settings(BaseSettings):
    """The run's settings, from ``CHISO_*`` environment variables (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="CHISO_", frozen=True, extra="ignore")

    home: Path = REPO / "data"
    landing_url: str = ""  # empty: <home>/landing
    simulate: bool | None = None  # None: simulate unless a landing URL is set
    sim_start: date = date(2025, 1, 1)
    sim_end: date = date(2025, 12, 31)
    sim_scale: float = Field(1.0, gt=0)
    quality: Path | None = None
    sources: Annotated[tuple[str, ...] | None, NoDecode] = None
    sim_fault_rate: float = Field(0.0, ge=0, le=1)
    sim_fault_kinds: Annotated[tuple[str, ...] | None, NoDecode] = None
    alert_webhook: str = ""
    # clear personal data in raw/ is purged once its rows are loaded and it is this many days old
    raw_retention_days: int = Field(90, ge=1)
    dvc_api_url: str = ""  # empty: the dossiers come from the landing zone
    dvc_api_start: date | None = None
    dvc_api_end: date | None = None
    dvc_api_overlap_days: int = Field(2, ge=0)
    dvc_api_page_size: int = Field(500, ge=1, le=5000)
    dvc_api_timeout: float = Field(60.0, gt=0)
    national766_url: str = ""  # empty: the 766 figures come from the landing zone
    docs_port: int = Field(0, ge=0, le=65535)  # 0: a free port
    spare_build: bool = True  # the next night's copy made after a publish (warehouse/spare.py)

    _split = field_validator("sources", "sim_fault_kinds", mode="before")(_names)

    @field_validator("alert_webhook")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        return value

    @field_validator("dvc_api_url", "national766_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL, or empty for the landing zone's files")
        return value.rstrip("/")

    @field_validator("dvc_api_start", "dvc_api_end", mode="before")
    @classmethod
    def _empty_date_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("quality", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        home = self.home.expanduser().resolve()
        object.__setattr__(self, "home", home)
        if self.simulate is None:
            object.__setattr__(self, "simulate", not self.landing_url)
        if not self.landing_url:
            object.__setattr__(self, "landing_url", str(home / "landing"))
        if self.sim_end < self.sim_start:
            raise ValueError(
                f"CHISO_SIM_END={self.sim_end} is before CHISO_SIM_START={self.sim_start}"
            )
        if self.quality is not None and not self.quality.is_file():
            raise ValueError(f"CHISO_QUALITY={self.quality}: no such file")
        return self

    def pull_window(self, today: date | None = None) -> tuple[date, date]:
        """The days the API pulls cover: the simulated range on the embedded default, else from
        the start of the simulated range (or CHISO_DVC_API_START) to yesterday."""
        start = self.dvc_api_start or self.sim_start
        if self.dvc_api_end is not None:
            end = self.dvc_api_end
        elif self.simulate:
            end = self.sim_end
        else:
            from datetime import datetime, timedelta
            from zoneinfo import ZoneInfo

            end = (today or datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()) - timedelta(days=1)
        if end < start:
            raise SettingsError(f"CHISO_DVC_API_END={end} is before CHISO_DVC_API_START={start}")
        return start, end

    @property
    def quality_file(self) -> Path | None:
        return self.quality

    @property
    def warehouse(self) -> Path:
        """The published warehouse analysts open."""
        return self.home / "chiso.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.home / "build"

    @property
    def gx_dir(self) -> Path:
        """The Great Expectations project: suites, results of recent runs, Data Docs."""
        return self.home / "gx"

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    def build_path(self, run_id: str) -> Path:
        """The private file a run builds into before it is published."""
        return self.build_dir / f"chiso-{run_id}.duckdb"


def _one_line(exc: ValidationError, env: Mapping[str, str]) -> str:
    """The first problem of a validation error as ``CHISO_X='value': what is wrong``."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    if not field:  # a check across fields: its message names the variables
        return str(err["msg"]).removeprefix("Value error, ")
    var = f"CHISO_{field.upper()}"
    return f"{var}={env.get(var, err.get('input'))!r}: {err['msg']}"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check the settings from the environment (or the mapping given).

    Raises:
        SettingsError: one line naming the variable and its value.
    """
    source: Mapping[str, Any] = os.environ if env is None else env
    values = {
        k[len("CHISO_") :].lower(): v
        for k, v in source.items()
        if k.startswith("CHISO_") and k[len("CHISO_") :].lower() in Settings.model_fields
    }
    try:
        # values given explicitly (not read from the process environment), so a mapping is honoured
        return Settings.model_validate(values) if env is not None else Settings()
    except ValidationError as exc:
        raise SettingsError(_one_line(exc, {k: str(v) for k, v in source.items()})) from None


def pii_key(settings: Settings, env: Mapping[str, str] | None = None) -> bytes:
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
