"""Corrupt a simulated landing zone on purpose, and say exactly which rows and why (``inject_faults``).

The simulators write clean extracts (plus the few faults some of them carry
by design). To prove that a nightly publishes through bad rows, quarantines
exactly those and leaves everything else as a clean run would, this module
rewrites a ``rate`` share of the data rows of a landing zone's CSV and
JSON-lines files in place and returns the **ledger** of what it did: source,
dataset, file, row (``_row`` as staging counts it: 1-based data record,
header excluded), fault kind, field, value written and the quarantine rule
staging must give it. The ledger is also written to ``<landing>/_faults.csv``
(outside every source's folder, so no source lists it).

``FAULTS`` is the one table of what can be done to which dataset: for each
fault kind, the field it corrupts, the value written there and the rule the
source's ``transforms/staging/stg_<source>.py`` gives such a row. A kind's
rule is the **first** rule of the staging that the changed field breaks (row
rules apply in order), checked by ``tests/test_faults.py`` for every entry.
Workbooks (``stats``, ``ict``: .xlsx) and the ``dvc`` catalogue (every
dossier points at it) have no entry and are left alone.

Only rows that are harmless to corrupt are chosen, so that no *other* row
changes fate (loaded, quarantined or duplicate): the landing is staged once
into a scratch file with the real staging steps, and a row qualifies only if

- it loads (a row the simulator made faulty already would keep its rule);
- no other row stages to the same content (its twin would turn from
  duplicate into loaded; the nightly's own duplicate hash decides);
- it is the only record of its key (``StagingStep.key``: a quarantined
  record with a loaded twin key is marked superseded);
- no record of another dataset refers to it (``REFERENCED``: a quarantined
  dossier would make its rating ``unknown_dossier``).

Files are rewritten in their own encoding (UTF-8 with or without BOM, UTF-16
with BOM, Windows-1258), separator and line endings; only the corrupted
records change. A call is idempotent: ``<landing>/_faults.json`` remembers
the content hash of every file processed, and a file whose content has not
changed since is not touched again (a re-simulated file is). Everything is
deterministic from ``seed``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from sources.base import DATE_FORMATS, DATETIME_FORMATS, Source, decode_text
from sources.certificates import constants as certificates
from sources.docs import constants as docs
from sources.landing import list_landing

LEDGER = "_faults.csv"
STATE = "_faults.json"
LEDGER_SCHEMA = {
    "source": pl.String,
    "dataset": pl.String,
    "file": pl.String,
    "file_name": pl.String,
    "row": pl.Int64,
    "kind": pl.String,
    "field": pl.String,
    "value": pl.String,
    "rule": pl.String,
}


@dataclass(frozen=True)
class StyledDate:
    """A day written the way the field's original value is written (else in ``fallback`` format)."""

    day: date
    fallback: str = "%d/%m/%Y"

    def __call__(self, original: str | None) -> str:
        text = (original or "").strip()
        for fmt in [*DATETIME_FORMATS, *DATE_FORMATS]:
            try:
                datetime.strptime(text, fmt)
            except ValueError:
                continue
            return self.day.strftime(fmt)
        return self.day.strftime(self.fallback)


@dataclass(frozen=True)
class Fault:
    kind: str  # what is done to the row
    field: str  # the field (header or JSON key) changed
    rule: str  # the quarantine rule staging gives the row
    value: str | StyledDate  # what is written ("" empties the field)

    def new_value(self, original: str | None) -> str:
        return self.value(original) if isinstance(self.value, StyledDate) else self.value


IMPOSSIBLE_DATE = "31/02/2025"  # no 31 February
IMPOSSIBLE_ISO_DATE = "2025-13-45"
YEAR_1900 = StyledDate(date(1900, 1, 1))  # parses, but before 2000: out of range everywhere
NO_UNIT = "99999"  # a commune code in no GSO list
NO_AGENCY = "000.99.999.H93"


def _missing(field: str) -> Fault:
    return Fault("missing_field", field, "missing_field", "")


def _code(field: str, value: str) -> Fault:
    return Fault("code_outside_list", field, "code_outside_list", value)


def _bad_date(field: str, value: str = IMPOSSIBLE_DATE) -> Fault:
    return Fault("invalid_date", field, "invalid_date", value)


def _old_date(
    field: str, rule: str = "date_out_of_range", value: str | StyledDate = YEAR_1900
) -> Fault:
    return Fault("date_out_of_range", field, rule, value)


def _unit(field: str = "MaXa", rule: str = "unknown_unit", value: str = NO_UNIT) -> Fault:
    return Fault("unknown_unit", field, rule, value)


def _bad_id(field: str, rule: str, value: str) -> Fault:
    return Fault("invalid_id", field, rule, value)


def _count(field: str, value: str = "-5") -> Fault:
    return Fault("invalid_count", field, "invalid_count", value)


_CERTIFICATE_FAULTS = (
    _missing("SoHieuChungThu"),
    _code("HinhThucChungThu", "9"),
    _bad_date("NgayHetHan"),
    _old_date("NgayCap"),
    _bad_id("SoGiayTo", "invalid_holder_id", "0931ABC"),
    _unit("MaXaThuongTru"),
)

# THE table: (source, dataset) -> what can be done to its rows, and the rule staging then gives.
FAULTS: dict[tuple[str, str], tuple[Fault, ...]] = {
    ("dvc", "dossier"): (
        _missing("MaTTHC"),
        _code("KenhThucHien", "9"),
        _bad_date("NgayNopHoSo"),
        _old_date("NgayNopHoSo"),
        Fault("unknown_agency", "DonViXuLy", "unknown_agency", NO_AGENCY),
        Fault("unknown_procedure", "MaTTHC", "unknown_procedure", "9.999999"),
        _bad_id("SoGiayToChuHoSo", "invalid_applicant_id", "0930ABC"),
    ),
    ("dvc", "rating"): (
        _missing("MucDoHaiLong"),
        _code("MucDoHaiLong", "9"),
        _bad_date("NgayDanhGia", IMPOSSIBLE_ISO_DATE),
        _old_date("NgayDanhGia"),
        Fault("unknown_dossier", "MaHoSo", "unknown_dossier", "000.99.999.H93-000000-9999"),
    ),
    ("docs", "work_file"): (
        _missing(docs.CODE),
        _code(docs.STATUS, "XX"),
        _bad_date(docs.OPENED),
        _old_date(docs.OPENED),
        _count(docs.N_DOCUMENTS),
        Fault("unknown_agency", docs.AGENCY, "unknown_agency", NO_AGENCY),
    ),
    ("tax", "store"): (
        _missing("MaCuaHang"),
        _code("MaNganhNghe", "9999"),
        _bad_date("NgayBatDauKinhDoanh"),
        _old_date("NgayBatDauKinhDoanh"),
        _bad_id("MaSoThue", "invalid_tax_code", "807ABC"),
        _unit(),
    ),
    ("enterprise", "survey"): (
        _missing("QuyMo"),
        _code("QuyMo", "XX"),
        _old_date("NamKhaoSat", "invalid_year", "1900"),
        _bad_id("MaSoThue", "invalid_tax_code", "63ABC"),
        _count("SoLaoDong"),
        _unit(),
    ),
    **{("certificates", dataset): _CERTIFICATE_FAULTS for dataset in certificates.DATASETS},
    ("population", "age_band"): (
        _missing("TongSo"),
        _code("NhomTuoi", "200+"),
        _count("Nam"),
        _bad_date("NgayChotSoLieu"),
        _old_date("NgayChotSoLieu"),
        _unit(),
    ),
    ("health", "facility"): (
        _missing("TenCSKCB"),
        _code("LoaiHinh", "XX"),
        _bad_date("NgayTrienKhaiSoSKDTVNeID"),
        _old_date("NgayTrienKhaiSoSKDTVNeID"),
        _unit(),
    ),
    ("education", "enrolment"): (
        _missing("TongSoNguoiHoc"),
        _code("KyBaoCao", "HK9"),
        _count("TongSoNguoiHoc"),
        Fault("unknown_institution", "MaTruong", "unknown_institution", "99999999"),
    ),
    ("telecom", "household"): (
        _missing("SoHoGiaDinh"),
        _count("SoHoGiaDinh"),
        _old_date("NamSoLieu", "invalid_year", "1900"),
        _unit(),
    ),
    ("telecom", "coverage"): (
        _missing("MaDiaChi"),
        _code("CongNghe", "XX"),
        _bad_id("MaDiaChi", "invalid_address_code", "AB-1"),
        _bad_date("NgaySanSang"),
        _old_date("NgaySanSang"),
        _unit(),
    ),
    ("rankings", "dti"): (
        _missing("Chỉ số DTI"),
        _old_date("Năm", value="1900"),
        _unit("Mã tỉnh", "unknown_province", "99"),
    ),
    ("rankings", "ict"): (
        _missing("ICT Index"),
        _old_date("Năm", value="1900"),
        _unit("Mã tỉnh", "unknown_province", "99"),
    ),
}

# (source, dataset) -> (its key field, the dataset that refers to it, the referring field):
# a record referred to is never corrupted (its referrers would turn "unknown").
REFERENCED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("dvc", "dossier"): ("MaHoSo", "rating", "MaHoSo"),
    ("education", "institution"): ("MaTruong", "enrolment", "MaTruong"),
}

KIND_ALIASES = {"invalid_applicant_id": "invalid_id"}
KINDS: tuple[str, ...] = tuple(sorted({f.kind for faults in FAULTS.values() for f in faults}))


# --- choosing ------------------------------------------------------------------------------------


class Staging(Protocol):
    """What the injector needs of the real staging (given by its caller: ``sources`` imports no
    later layer): each row's fate when the landing is staged (``transforms.staging.scratch``),
    and the raw field that keys a dataset's records."""

    def fates(self, landing: Path, source: str) -> Any: ...

    def key_field(self, source: str, dataset: str) -> str | None: ...


def fault_targets(
    registered: Mapping[str, Source], sources: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """``["dvc", "tax.store"]`` -> the (source, dataset) pairs of FAULTS they name (all if None).

    A registered source or dataset with no declared fault (a workbook) is skipped;
    a name that is not registered is an error.
    """
    if sources is None:
        return [t for t in FAULTS if t[0] in registered]
    targets: list[tuple[str, str]] = []
    for item in sources:
        name, _, dataset = item.partition(".")
        if name not in registered or (dataset and dataset not in registered[name].datasets):
            raise ValueError(f"unknown source or dataset {item!r}; sources: {sorted(registered)}")
        targets += [
            t
            for t in FAULTS
            if t[0] == name and (not dataset or t[1] == dataset) and t not in targets
        ]
    return targets


def resolve_kinds(kinds: Iterable[str] | None) -> set[str]:
    if kinds is None:
        return set(KINDS)
    chosen = {KIND_ALIASES.get(k, k) for k in kinds}
    unknown = chosen - set(KINDS)
    if unknown:
        raise ValueError(f"unknown fault kind(s) {sorted(unknown)}; known: {list(KINDS)}")
    return chosen


def landing_files(landing: Path, source: Source) -> dict[str, list[Path]]:
    """A source's files in the landing zone by dataset, as extract lists them."""
    out: dict[str, list[Path]] = {}
    for f in list_landing(str(landing), source.name, source.datasets):
        out.setdefault(f.dataset, []).append(Path(f.url))
    return out


def read_ids(
    source: Source, dataset: str, files: list[Path], landing: Path, fields: list[str]
) -> pl.DataFrame:
    """``fields`` of every raw row of a dataset's files, with ``_file_id`` = path in the landing and ``_row``."""
    reader = source.readers[dataset]
    frames = []
    for path in files:
        try:
            df = reader(path)
        except Exception:  # an unreadable file: the nightly records its error, nothing to corrupt
            continue
        if df.height:
            frames.append(
                df.select("_row", *fields).with_columns(
                    pl.lit(path.relative_to(landing).as_posix()).alias("_file_id")
                )
            )
    schema = {"_row": pl.Int64, **{f: pl.String for f in fields}, "_file_id": pl.String}
    return pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)


def _id_fields(source: str, dataset: str, key: str | None) -> list[str]:
    """The raw fields that decide whether a row may be corrupted: its key, and what refers to others."""
    fields = [key] if key else []
    fields += [f for (s, d), (f, _, _) in REFERENCED.items() if (s, d) == (source, dataset)]
    fields += [
        f for (s, _), (_, referrer, f) in REFERENCED.items() if s == source and referrer == dataset
    ]
    return list(dict.fromkeys(fields))


def eligible_rows(
    landing: Path, source: Source, staging: Staging
) -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Per dataset, the rows it is safe to corrupt (``_file_id``, ``_row``), and the rows read per file.

    A row qualifies if the real staging loads it, no other row stages to the same
    content (nor is its file a byte-identical copy of another), it is the only
    record of its key, and no row of another dataset refers to it.
    """
    fates = staging.fates(landing, source.name)
    files = landing_files(landing, source)
    all_rows = pl.concat(list(fates.rows.values())) if fates.rows else pl.DataFrame()
    shared = (
        set(all_rows.filter(pl.col("fate") == "duplicate")["row_hash"].to_list())
        if all_rows.height
        else set()
    )
    ids = {
        d: read_ids(
            source,
            d,
            files.get(d, []),
            landing,
            _id_fields(source.name, d, staging.key_field(source.name, d)),
        )
        for d in source.dataset_order()
    }
    eligible: dict[str, pl.DataFrame] = {}
    for dataset, rows in fates.rows.items():
        keep = rows.filter(
            (pl.col("fate") == "loaded")
            & ~pl.col("row_hash").is_in(list(shared))
            & ~pl.col("file").is_in(list(fates.twins))
        ).select(pl.col("file").alias("_file_id"), pl.col("row").alias("_row"))
        raw = ids[dataset]
        key = staging.key_field(source.name, dataset)
        if key:
            repeated = raw.filter(pl.col(key).is_duplicated()).select("_file_id", "_row")
            keep = keep.join(repeated, on=["_file_id", "_row"], how="anti")
        if (source.name, dataset) in REFERENCED:
            field, referrer, ref_field = REFERENCED[(source.name, dataset)]
            referred = (
                ids[referrer][ref_field].drop_nulls()
                if referrer in ids
                else pl.Series([], dtype=pl.String)
            )
            referred_rows = raw.filter(pl.col(field).is_in(referred.implode())).select(
                "_file_id", "_row"
            )
            keep = keep.join(referred_rows, on=["_file_id", "_row"], how="anti")
        eligible[dataset] = keep.sort("_file_id", "_row")
    return eligible, fates.rows_read


def plan_faults(
    source: str,
    dataset: str,
    eligible: pl.DataFrame,
    rows: int,
    rate: float,
    kinds: set[str],
    seed: int,
) -> list[tuple[str, int, Fault]]:
    """``round(rate * rows)`` eligible rows (fewer if not enough qualify), each with one fault: deterministic."""
    faults = [f for f in FAULTS[(source, dataset)] if f.kind in kinds]
    if not faults or rate <= 0:
        return []
    candidates = sorted(eligible.select("_file_id", "_row").iter_rows())
    rng = random.Random(f"chiso-faults/{seed}/{source}/{dataset}")
    chosen = sorted(rng.sample(candidates, min(round(rate * rows), len(candidates))))
    return [(file, row, faults[rng.randrange(len(faults))]) for file, row in chosen]


# --- rewriting files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TextFile:
    """A text export split so that it can be written back byte for byte.

    ``body`` is the text after the byte-order mark: decoded for UTF-16, else
    the bytes seen through Latin-1 (a lossless view), so untouched lines are
    written back exactly as they came.
    """

    bom: bytes
    codec: str  # of the body: utf-16-le, utf-16-be, utf-8 or cp1258
    body: str

    @classmethod
    def read(cls, path: Path) -> TextFile:
        data = path.read_bytes()
        decode_text(data, str(path))  # raises SourceFileError for what no reader would read either
        for bom, codec in [
            (b"\xef\xbb\xbf", "utf-8"),
            (b"\xff\xfe", "utf-16-le"),
            (b"\xfe\xff", "utf-16-be"),
        ]:
            if data.startswith(bom):
                body = data[len(bom) :]
                return cls(
                    bom,
                    codec,
                    body.decode(codec) if codec.startswith("utf-16") else body.decode("latin-1"),
                )
        try:
            data.decode("utf-8")
            codec = "utf-8"
        except UnicodeDecodeError:
            codec = "cp1258"
        return cls(b"", codec, data.decode("latin-1"))

    def text(self, piece: str) -> str:
        """A piece of the body -> real text."""
        return (
            piece if self.codec.startswith("utf-16") else piece.encode("latin-1").decode(self.codec)
        )

    def piece(self, text: str) -> str:
        """Real text -> a piece of the body."""
        return (
            text if self.codec.startswith("utf-16") else text.encode(self.codec).decode("latin-1")
        )

    def to_bytes(self, body: str) -> bytes:
        return self.bom + body.encode(self.codec if self.codec.startswith("utf-16") else "latin-1")


def split_records(body: str, csv_quotes: bool) -> list[tuple[str, str]]:
    """Body -> records (content, line ending); a quoted CSV field may span lines."""
    records: list[tuple[str, str]] = []
    lines = body.split("\n")
    pending = ""
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        pending += line
        if csv_quotes and pending.count('"') % 2 == 1 and not last:
            pending += "\n"
            continue
        if last:
            if pending:
                records.append((pending, ""))
        elif pending.endswith("\r"):
            records.append((pending[:-1], "\r\n"))
        else:
            records.append((pending, "\n"))
        pending = ""
    return records


def detect_separator(header: str) -> str:
    """``,`` ``;`` or tab: whichever splits the header line most."""
    return max([",", ";", "\t"], key=header.count)


def _csv_fields(record: str, separator: str) -> list[str]:
    return next(csv.reader(io.StringIO(record), delimiter=separator), [])


def _csv_record(fields: list[str], separator: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="").writerow(fields)
    return out.getvalue()


def corrupt_csv(path: Path, changes: dict[int, Fault]) -> dict[int, str]:
    """Rewrite the data records ``changes`` names (``_row`` -> fault); return the value written per row."""
    f = TextFile.read(path)
    records = split_records(f.body, csv_quotes=True)
    header_text = f.text(records[0][0])
    separator = detect_separator(header_text)
    header = [h.strip() for h in _csv_fields(header_text, separator)]
    written: dict[int, str] = {}
    for row, fault in changes.items():
        content, ending = records[row]
        fields = _csv_fields(f.text(content), separator)
        col = header.index(fault.field)
        fields += [""] * (len(header) - len(fields))
        fields[col] = written[row] = fault.new_value(fields[col])
        records[row] = (f.piece(_csv_record(fields, separator)), ending)
    _replace(path, f.to_bytes("".join(c + e for c, e in records)))
    return written


def corrupt_jsonl(path: Path, changes: dict[int, Fault]) -> dict[int, str]:
    """As ``corrupt_csv`` for JSON lines (blank lines are not records); a number stays a number."""
    f = TextFile.read(path)
    records = split_records(f.body, csv_quotes=False)
    data_index = [i for i, (content, _) in enumerate(records) if content.strip()]
    written: dict[int, str] = {}
    for row, fault in changes.items():
        i = data_index[row - 1]
        content, ending = records[i]
        record = json.loads(f.text(content))
        original = record.get(fault.field)
        value = fault.new_value(None if original is None else str(original))
        is_number = isinstance(original, int) and not isinstance(original, bool)
        record[fault.field] = int(value) if is_number and value.lstrip("-").isdigit() else value
        written[row] = value
        records[i] = (
            f.piece(json.dumps(record, ensure_ascii=False, separators=(",", ":"))),
            ending,
        )
    _replace(path, f.to_bytes("".join(c + e for c, e in records)))
    return written


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".faults-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def check_written(
    source: Source, dataset: str, path: Path, written: dict[int, str], faults: dict[int, Fault]
) -> None:
    """Read the file back with the source's reader: each changed row must hold what was written."""
    df = source.readers[dataset](path)
    for row, value in written.items():
        got = df.filter(pl.col("_row") == row)[faults[row].field].to_list()
        if [(g or "").strip() for g in got] != [value.strip()]:
            raise RuntimeError(
                f"{path}: row {row} field {faults[row].field} reads back {got}, wrote {value!r}"
            )


def apply_faults(
    landing: Path, source: Source, dataset: str, plan: list[tuple[str, int, Fault]]
) -> list[dict]:
    """Rewrite the planned rows in their files; return ledger rows."""
    by_file: dict[str, dict[int, Fault]] = {}
    for file, row, fault in plan:
        by_file.setdefault(file, {})[row] = fault
    ledger = []
    for file, changes in sorted(by_file.items()):
        path = landing / file
        corrupt = (
            corrupt_jsonl if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else corrupt_csv
        )
        written = corrupt(path, changes)
        check_written(source, dataset, path, written, changes)
        ledger += [
            {
                "source": source.name,
                "dataset": dataset,
                "file": file,
                "file_name": path.name,
                "row": row,
                "kind": fault.kind,
                "field": fault.field,
                "value": written[row],
                "rule": fault.rule,
            }
            for row, fault in sorted(changes.items())
        ]
    return ledger


# --- the whole thing -----------------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_to_process(
    landing: Path, source: Source, datasets: list[str], state: dict[str, str]
) -> dict[str, list[str]]:
    """Per dataset, its files (paths in the landing) not processed before, or changed since."""
    listed = landing_files(landing, source)
    out: dict[str, list[str]] = {}
    for dataset in datasets:
        files = {p.relative_to(landing).as_posix(): p for p in listed.get(dataset, [])}
        todo = [rel for rel, path in files.items() if state.get(rel) != _digest(path)]
        if todo:
            out[dataset] = todo
    return out


def read_ledger(landing: Path) -> pl.DataFrame:
    path = landing / LEDGER
    if not path.exists():
        return pl.DataFrame(schema=LEDGER_SCHEMA)
    return pl.read_csv(path, schema=LEDGER_SCHEMA)


def inject_faults(
    landing: Path,
    rate: float,
    registered: Mapping[str, Source],
    staging: Staging,
    kinds: list[str] | None = None,
    seed: int = 190,
    sources: list[str] | None = None,
) -> pl.DataFrame:
    """Corrupt ``rate`` of the data rows of ``sources`` (names or ``source.dataset``; all of
    ``registered`` by default) with faults of ``kinds`` (all by default); return the ledger, also
    written to ``<landing>/_faults.csv``.

    Per dataset, ``round(rate * rows read)`` rows are corrupted (fewer when not
    that many rows are safe to corrupt, see the module docstring), each with
    one of the dataset's kinds chosen at random; files already processed by an
    earlier call and unchanged since are left as they are, with their ledger rows.
    ``staging`` is the real staging, seen through the ``Staging`` protocol.
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be between 0 and 1, not {rate}")
    landing = Path(landing)
    wanted = resolve_kinds(kinds)
    targets = fault_targets(registered, sources)
    if rate == 0:  # nothing to do, and no file marked as processed
        return read_ledger(landing)
    state_path = landing / STATE
    state: dict[str, str] = (
        json.loads(state_path.read_text())["files"] if state_path.exists() else {}
    )
    new_rows: list[dict] = []
    processed: set[str] = set()
    for name in dict.fromkeys(s for s, _ in targets):
        source = registered[name]
        todo_of = files_to_process(landing, source, [d for s, d in targets if s == name], state)
        if not todo_of:
            continue
        eligible, rows_read = eligible_rows(landing, source, staging)
        for dataset, todo in todo_of.items():
            processed.update(todo)
            if dataset not in eligible:
                continue
            candidates = eligible[dataset].filter(pl.col("_file_id").is_in(todo))
            plan = plan_faults(
                name,
                dataset,
                candidates,
                sum(rows_read.get(f, 0) for f in todo),
                rate,
                wanted,
                seed,
            )
            new_rows += apply_faults(landing, source, dataset, plan)
    for f in processed:
        state[f] = _digest(landing / f)
    kept = read_ledger(landing).filter(~pl.col("file").is_in(list(processed)))
    ledger = pl.concat([kept, pl.DataFrame(new_rows, schema=LEDGER_SCHEMA)]).sort(
        "source", "dataset", "file", "row"
    )
    ledger.write_csv(landing / LEDGER)
    state_path.write_text(json.dumps({"files": dict(sorted(state.items()))}, indent=1))
    return ledger
