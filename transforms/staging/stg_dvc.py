"""Staging of the one-stop system (``dvc``): typed, code lists checked, IDs hashed, personal fields dropped.

Columns are renamed once, here, from the export's Vietnamese field names to
the English names every later layer uses. Each ``stage_*`` function takes the
raw frame of one or more files (strings, with ``_file_id``, ``_row`` and
``_file_date``) and returns ``(staged, quarantine)``.
"""

from __future__ import annotations

import polars as pl

from sources.dvc import constants as c
from transforms.pii import hash_column, hmac_pads, valid_id
from transforms.staging.dates import (
    EARLIEST,
    parse_date,
    parse_datetime,
    parsed_name,
    with_parsed,
)
from transforms.staging.rules import (
    OPEN_END,
    RowRule,
    apply_rules,
    code_not_valid_at_date,
    date_out_of_range,
    invalid_date,
    missing,
    outside_code_list,
    unknown_reference,
)
from transforms.staging.step import SqlStaging, StageContext, StagingStep
from warehouse.audit import PERSONAL
from warehouse.build import table_exists

DOSSIER_DATES = {
    "NgayNopHoSo": "submitted_at",
    "NgayTiepNhan": "received_at",
    "NgayHenTra": "due_at",
    "NgayKetThucXuLy": "finished_at",
    "NgayTra": "returned_at",
    "NgayTuChoi": "refused_at",
}
FLAG_FIELDS = {
    "TaiKhoanDuocXacThucVoiVNeID": [0, 1],
    "HoSoCoThanhPhanSoHoa": [0, 1],
    "DuocThanhToanTrucTuyen": [0, 1, 3],
    "DuocLayTuKhoDMQG": [0, 1],
    "DongBoDVCQG": [0, 1],
}
META = ["_file_id", "_row", "_file_date"]


def _int(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def _no_negative_zero(value: pl.Expr) -> pl.Expr:
    """The sum of no fee is -0.0 in Polars: 0.0 instead, so that its text (in the row hash) is
    the same however the row was staged."""
    return pl.when(value == 0.0).then(pl.lit(0.0)).otherwise(value)


def dossier_rules(
    agencies: pl.Series,
    procedures: pl.Series,
    agency_validity: pl.DataFrame | None = None,
    unit_validity: pl.DataFrame | None = None,
) -> list[RowRule]:
    """Row rules of a dossier; dates must have been parsed by ``with_parsed`` first.

    With the reference's validity periods, the handling agency (DonViXuLy) and the
    applicant's commune (MaXaChuHoSo) must be valid on the day the dossier was filed
    (a dossier keeps the labels of its filing day when it is re-sent later).
    """
    received = pl.col(parsed_name("NgayTiepNhan"))
    submitted = pl.col(parsed_name("NgayNopHoSo"))
    finished = pl.col(parsed_name("NgayKetThucXuLy"))
    return [
        missing("MaHoSo"),
        missing("MaTTHC"),
        missing("DonViXuLy"),
        missing("NgayNopHoSo"),
        missing("KenhThucHien"),
        missing("TrangThaiHoSo"),
        outside_code_list("KenhThucHien", list(c.CHANNEL)),
        outside_code_list("TrangThaiHoSo", list(c.STATUS)),
        *[outside_code_list(f, codes) for f, codes in FLAG_FIELDS.items()],
        *[invalid_date(f, parsed=True) for f in list(DOSSIER_DATES)],
        *[
            date_out_of_range(f, parsed=True)
            for f in ("NgayNopHoSo", "NgayTiepNhan", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")
        ],
        RowRule(  # a due date lies ahead, but not before 2000
            "date_out_of_range",
            pl.col(parsed_name("NgayHenTra")) < pl.lit(EARLIEST).cast(pl.Datetime("us")),
            pl.format("NgayHenTra={} is before 2000", pl.col("NgayHenTra")),
        ),
        RowRule(
            "finished_before_received",
            finished < pl.coalesce(received, submitted),
            pl.format(
                "NgayKetThucXuLy={} is before reception {}",
                pl.col("NgayKetThucXuLy"),
                pl.coalesce(pl.col("NgayTiepNhan"), pl.col("NgayNopHoSo")),
            ),
        ),
        unknown_reference("DonViXuLy", agencies, "agency"),
        unknown_reference("MaTTHC", procedures, "procedure"),
        *_validity_rules(agency_validity, unit_validity),
        RowRule(
            "invalid_applicant_id",
            pl.col("SoGiayToChuHoSo").is_not_null() & ~valid_id("SoGiayToChuHoSo"),
            pl.lit(
                "SoGiayToChuHoSo is not a citizen ID (9/12 digits) or tax code (10/13 digits); value withheld"
            ),
        ),
    ]


def _applicant_unit(df: pl.DataFrame) -> pl.Expr:
    """MaXaChuHoSo (the applicant's ward or commune): a field of the 2025 record, null before."""
    if "MaXaChuHoSo" not in df.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col("MaXaChuHoSo").str.strip_chars().replace("", None)


def _validity_rules(
    agency_validity: pl.DataFrame | None, unit_validity: pl.DataFrame | None
) -> list[RowRule]:
    filed = pl.col(parsed_name("NgayNopHoSo"))
    rules = []
    if agency_validity is not None:
        rules.append(code_not_valid_at_date("DonViXuLy", filed, agency_validity, "agency"))
    if unit_validity is not None:
        units = unit_validity.to_series(0)
        rules += [
            unknown_reference("MaXaChuHoSo", units, "unit"),
            code_not_valid_at_date("MaXaChuHoSo", filed, unit_validity, "unit"),
        ]
    return rules


def _record_columns(df: pl.DataFrame) -> list[str]:
    """What a quarantine row keeps of the record: everything but personal fields and the raw ID."""
    hidden = set(c.PERSONAL_FIELDS) | {"SoGiayToChuHoSo"}
    return [col for col in df.columns if col not in hidden and not col.startswith("_")]


def stage_dossiers(
    raw: pl.DataFrame,
    pii_key: bytes,
    agencies: pl.Series,
    procedures: pl.Series,
    agency_validity: pl.DataFrame | None = None,
    unit_validity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw dossier records -> ``stg.dvc_dossier`` rows and quarantine rows.

    ``agency_validity`` / ``unit_validity`` (code, valid_from, valid_to): when given,
    codes are checked against the day the dossier was filed (``code_not_valid_at_date``).
    """
    raw = with_parsed(raw, list(DOSSIER_DATES))
    if unit_validity is not None and "MaXaChuHoSo" not in raw.columns:
        raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias("MaXaChuHoSo"))
    rules = dossier_rules(agencies, procedures, agency_validity, unit_validity)
    good, quarantine = apply_rules(raw, rules, _record_columns(raw))
    good = hash_column(good, "SoGiayToChuHoSo", pii_key, "applicant_hash")
    docs = pl.col("TaiLieuNop")
    staged = good.select(
        pl.col("MaHoSo").str.strip_chars().alias("dossier_id"),
        pl.col("MaTTHC").str.strip_chars().alias("procedure_code"),
        pl.col("DonViXuLy").str.strip_chars().alias("agency_code"),
        _applicant_unit(good).alias("applicant_unit_code"),
        _int("KenhThucHien").cast(pl.Int8).alias("channel"),
        _int("TrangThaiHoSo").cast(pl.Int8).alias("status"),
        _int("LoaiDoiTuong").cast(pl.Int8).alias("applicant_type"),
        pl.col("applicant_hash"),
        *[pl.col(parsed_name(raw_name)).alias(name) for raw_name, name in DOSSIER_DATES.items()],
        _int("HinhThuc").cast(pl.Int8).alias("result_form"),
        (_int("TaiKhoanDuocXacThucVoiVNeID") == 1).alias("vneid_authenticated"),
        (_int("HoSoCoThanhPhanSoHoa") == 1).alias("has_digitised_components"),
        (_int("DuocThanhToanTrucTuyen") == 1).alias("paid_online"),
        (
            (_int("DuocLayTuKhoDMQG") == 1).fill_null(False)
            | (pl.col("MaCSDL").str.strip_chars().str.len_chars() > 0).fill_null(False)
        ).alias("data_from_national_db"),
        pl.col("MaCSDL").str.strip_chars().replace("", None).alias("national_db_code"),
        (_int("DongBoDVCQG") == 1).alias("synced_to_portal"),  # null: the export does not say
        docs.list.len().fill_null(0).cast(pl.Int32).alias("n_documents"),
        docs.list.eval(pl.element().struct.field("DuocSoHoa").str.strip_chars() == "1")
        .list.sum()
        .fill_null(0)
        .cast(pl.Int32)
        .alias("n_documents_digitised"),
        pl.col("DanhSachGiayToKetQua")
        .list.len()
        .fill_null(0)
        .cast(pl.Int32)
        .alias("n_result_documents"),
        pl.col("DanhSachGiayToKetQua")
        .list.eval(
            (pl.element().struct.field("MaGiayToKetQua").str.strip_chars().str.len_chars() > 0)
            & (
                pl.element().struct.field("DuongDanTepTinKetQua").str.strip_chars().str.len_chars()
                > 0
            )
        )
        .list.sum()
        .fill_null(0)
        .cast(pl.Int32)
        .alias("n_result_documents_linked"),  # code and file link both given (the 766 rule)
        pl.col("DanhSachLePhi").list.len().fill_null(0).cast(pl.Int32).alias("n_fees"),
        _no_negative_zero(
            pl.col("DanhSachLePhi")
            .list.eval(pl.element().struct.field("MucPhi").cast(pl.Float64, strict=False))
            .list.sum()
            .fill_null(0.0)
        ).alias("fee_total"),
        *META,
    )
    return staged, quarantine


# --- the common dossier in DuckDB (``SqlStaging``): the forms it reads exactly as stage_dossiers --
DATETIME_DIGITS = (
    "%Y%m%d%H%M%S"  # the national integration's form (sources.base.DATETIME_FORMATS[0])
)
APPLICANT_ID = "^([0-9]{9}|[0-9]{12}|[0-9]{10}|[0-9]{10}-[0-9]{3}|[0-9]{13})$"  # (pii.ID_PATTERN)
WHOLE_FEE = "^[0-9]{1,9}$"  # a fee in whole dong: the sum is exact in any order


def _code_in(field: str, codes: list[int]) -> str:
    """One of ``codes`` written as its bare digits (``outside_code_list`` reads ``01`` or ``+1``
    as 1 too: those are the step function's)."""
    return f"""(b."{field}" in ({", ".join(f"'{code}'" for code in codes)}))"""


def _small_code(field: str) -> str:
    """Null or a code from 0 to 99 as its bare digits (what an Int8 holds, read alike by all)."""
    return f"""(b."{field}" is null or {_code_in(field, list(range(100)))})"""


def _plain(text: str) -> str:
    """Null, empty, or opening and ending with a printable ASCII character: nothing for Polars'
    ``strip_chars`` to take (a test cheaper than comparing with the trimmed text)."""
    return f"""({text} is null or {text} = ''
                or (ord({text}) between 33 and 126 and ord(right({text}, 1)) between 33 and 126))"""


def _valid_on(field: str, table: str, column: str) -> str:
    """The code is one of ``table.column`` and has a validity period there holding the day the
    dossier was filed: the pair (code, day) is among the days of the codes' periods that the
    batch's filing days span. One hash join on the pair: the same test as a code list and a
    range join on the periods, in a quarter less time of the whole query."""
    return f"""(b."{field}", b.submitted_at::date) in (
        select v.code, unnest(generate_series(greatest(v.valid_from, d.first_day),
                                              least(v.valid_to, d.last_day), interval 1 day))::date
        from {_intervals(table, column)} as v,
             (select min(submitted_at)::date as first_day, max(submitted_at)::date as last_day
              from b) as d
        where v.code in (select {column} from {table})
          and v.valid_from is not null and d.first_day is not null)"""


def _intervals(table: str, column: str) -> str:
    """A reference's validity periods as ``code_not_valid_at_date`` reads them."""
    return f"""(select trim({column}) as code, try_cast(trim(valid_from) as date) as valid_from,
                       coalesce(try_cast(nullif(trim(valid_to), '') as date), date '{OPEN_END}') as valid_to
                from {table}
                where nullif(trim({column}), '') is not null
                  and nullif(trim(valid_from), '') is not null)"""


def dossier_sql(ctx: StageContext) -> tuple[str, list]:
    """The dossiers of ``_batch`` that ``stage_dossiers`` stages as they are, staged in DuckDB.

    A record qualifies when every rule of ``dossier_rules`` holds and each value is in the one
    form both read alike: codes as one or two digits, dates as ``yyyyMMddHHmmss`` that read
    back the same, the applicant ID as bare digits, the list fields' flags as 0/1 and fees as
    whole numbers, no text that ``personal_fields`` would flag. Anything else (a quarantine,
    another date format, a decimal fee) is left to ``stage_dossiers``."""
    inner, outer = hmac_pads(ctx.pii_key)
    screened = [
        f for f in c.DOSSIER_READ_FIELDS if f not in (*c.PERSONAL_FIELDS, "SoGiayToChuHoSo")
    ]
    personal = "concat_ws(chr(31), " + ", ".join(f'b."{f}"' for f in screened) + ")"
    dates = ",\n".join(
        f"""try_strptime(b."{raw}", '{DATETIME_DIGITS}') as {name}"""
        for raw, name in DOSSIER_DATES.items()
    )
    canonical = " and ".join(
        f"""(b."{raw}" is null or strftime({name}, '{DATETIME_DIGITS}') is not distinct from b."{raw}")"""
        for raw, name in DOSSIER_DATES.items()
    )
    in_range = " and ".join(
        f"""({name} is null or {name} between timestamp '{EARLIEST}' and (b._file_date + 1)::timestamp)"""
        for raw, name in DOSSIER_DATES.items()
        if raw != "NgayHenTra"
    )
    procedures = (  # (no catalogue yet: every dossier is the step function's to quarantine)
        "b.MaTTHC in (select procedure_code from stg.dvc_procedure)"
        if table_exists(ctx.con, "stg.dvc_procedure")
        else "false"
    )
    docs = "b.TaiLieuNop"
    results = "b.DanhSachGiayToKetQua"
    fees = "b.DanhSachLePhi"
    sql = f"""
with b as (
    select *, {dates} from _batch as b
)
select
    b.MaHoSo as dossier_id,
    b.MaTTHC as procedure_code,
    b.DonViXuLy as agency_code,
    b.MaXaChuHoSo as applicant_unit_code,
    try_cast(b.KenhThucHien as tinyint) as channel,
    try_cast(b.TrangThaiHoSo as tinyint) as status,
    try_cast(b.LoaiDoiTuong as tinyint) as applicant_type,
    case when b.SoGiayToChuHoSo is not null
         then sha256(?::blob || unhex(sha256(?::blob || encode(b.SoGiayToChuHoSo)))) end
        as applicant_hash,
    {", ".join(f"b.{name}" for name in DOSSIER_DATES.values())},
    try_cast(b.HinhThuc as tinyint) as result_form,
    try_cast(b.TaiKhoanDuocXacThucVoiVNeID as int) = 1 as vneid_authenticated,
    try_cast(b.HoSoCoThanhPhanSoHoa as int) = 1 as has_digitised_components,
    try_cast(b.DuocThanhToanTrucTuyen as int) = 1 as paid_online,
    coalesce(try_cast(b.DuocLayTuKhoDMQG as int) = 1, false) or coalesce(length(b.MaCSDL) > 0, false)
        as data_from_national_db,
    nullif(b.MaCSDL, '') as national_db_code,
    try_cast(b.DongBoDVCQG as int) = 1 as synced_to_portal,
    coalesce(len({docs}), 0)::int as n_documents,
    coalesce(len(list_filter({docs}, lambda x: x.DuocSoHoa = '1')), 0)::int as n_documents_digitised,
    coalesce(len({results}), 0)::int as n_result_documents,
    coalesce(len(list_filter({results},
        lambda x: x.MaGiayToKetQua <> '' and x.DuongDanTepTinKetQua <> '')), 0)::int
        as n_result_documents_linked,
    coalesce(len({fees}), 0)::int as n_fees,
    coalesce(list_sum(list_transform({fees}, lambda x: try_cast(x.MucPhi as double))), 0.0) as fee_total,
    b._file_id, b._row, b._file_date
from b
where b._file_date is not null
  and {" and ".join(f"coalesce(b.{f} <> '', false)" for f in ("MaHoSo", "MaTTHC", "DonViXuLy", "NgayNopHoSo"))}
  and {_code_in("KenhThucHien", list(c.CHANNEL))}
  and {_code_in("TrangThaiHoSo", list(c.STATUS))}
  and {" and ".join(f'(b."{f}" is null or {_code_in(f, codes)})' for f, codes in FLAG_FIELDS.items())}
  and {_small_code("LoaiDoiTuong")} and {_small_code("HinhThuc")}
  and {canonical}
  and {in_range}
  and (b.due_at is null or b.due_at >= timestamp '{EARLIEST}')
  and (b.finished_at is null or coalesce(b.received_at, b.submitted_at) is null
       or b.finished_at >= coalesce(b.received_at, b.submitted_at))
  and {procedures}
  and {_valid_on("DonViXuLy", "ref.agency", "agency_code")}
  and (b.MaXaChuHoSo is null or {_valid_on("MaXaChuHoSo", "ref.admin_unit", "unit_code")})
  and (b.SoGiayToChuHoSo is null or regexp_matches(b.SoGiayToChuHoSo, '{APPLICANT_ID}'))
  and not regexp_matches({personal}, '{PERSONAL}')
  and coalesce(list_bool_and(list_transform({docs},
      lambda x: x.DuocSoHoa is null or x.DuocSoHoa in ('0', '1'))), true)
  and coalesce(list_bool_and(list_transform({results},
      lambda x: {_plain("x.MaGiayToKetQua")} and {_plain("x.DuongDanTepTinKetQua")})), true)
  and coalesce(list_bool_and(list_transform({fees},
      lambda x: x.MucPhi is null or regexp_matches(x.MucPhi, '{WHOLE_FEE}'))), true)
"""
    return sql, [outer, inner]


def stage_procedures(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    rules = [
        missing("MaTTHC"),
        RowRule(
            "code_outside_list",
            ~pl.col("CapThucHien").is_in(list(c.AGENCY_LEVEL)).fill_null(False),
            pl.format("CapThucHien={} outside code list", pl.col("CapThucHien")),
        ),
        outside_code_list("MucDo", [2, 3, 4]),
        outside_code_list("DuDieuKienToanTrinh", [0, 1]),
        outside_code_list("YeuCauGiayToKetQua", [0, 1]),
    ]
    good, quarantine = apply_rules(raw, rules, c.PROCEDURE_COLUMNS)
    staged = good.select(
        pl.col("MaTTHC").alias("procedure_code"),
        pl.col("TenTTHC").alias("procedure_name"),
        pl.col("MaLinhVuc").alias("sector_code"),
        pl.col("TenLinhVuc").alias("sector_name"),
        pl.col("CapThucHien").replace_strict(c.AGENCY_LEVEL, default=None).alias("agency_level"),
        _int("MucDo").cast(pl.Int8).alias("max_service_level"),
        (_int("DuDieuKienToanTrinh") == 1).alias("eligible_full_process"),
        (_int("YeuCauGiayToKetQua") == 1).alias("requires_result_document"),  # null: not said
        pl.col("_file_date").alias(
            "snapshot_date"
        ),  # a business column: a re-sent snapshot is staged whole
        *META,
    )
    return staged, quarantine


def stage_provisions(
    raw: pl.DataFrame,
    agencies: pl.Series,
    procedures: pl.Series,
    agency_validity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw provisions -> ``stg.dvc_provision``; an agency must be valid on the snapshot's date."""
    dated = (
        []
        if agency_validity is None
        else [code_not_valid_at_date("MaDonVi", pl.col("_file_date"), agency_validity, "agency")]
    )
    rules = [
        missing("MaDonVi"),
        missing("MaTTHC"),
        outside_code_list("MucDo", [2, 3, 4]),
        invalid_date("NgayCungCapToanTrinh"),
        unknown_reference("MaDonVi", agencies, "agency"),
        *dated,
        unknown_reference("MaTTHC", procedures, "procedure"),
    ]
    good, quarantine = apply_rules(raw, rules, c.PROVISION_COLUMNS)
    staged = good.select(
        pl.col("MaDonVi").alias("agency_code"),
        pl.col("MaTTHC").alias("procedure_code"),
        _int("MucDo").cast(pl.Int8).alias("service_level"),
        parse_date("NgayCungCapToanTrinh").alias("full_process_since"),
        pl.col("_file_date").alias(
            "snapshot_date"
        ),  # a business column: a re-sent snapshot is staged whole
        *META,
    )
    return staged, quarantine


def stage_ratings(raw: pl.DataFrame, dossiers: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    rules = [
        missing("MaHoSo"),
        missing("MucDoHaiLong"),
        outside_code_list("MucDoHaiLong", list(c.SATISFACTION)),
        outside_code_list("CoKhieuNai", [0, 1]),
        invalid_date("NgayDanhGia"),
        date_out_of_range("NgayDanhGia"),
        unknown_reference("MaHoSo", dossiers, "dossier"),
    ]
    good, quarantine = apply_rules(raw, rules, c.RATING_COLUMNS)
    staged = good.select(
        pl.col("MaHoSo").alias("dossier_id"),
        parse_datetime("NgayDanhGia").alias("rated_at"),
        _int("MucDoHaiLong").cast(pl.Int8).alias("satisfaction"),
        (_int("CoKhieuNai") == 1).alias("complaint"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "procedure": StagingStep(
        "stg.dvc_procedure",
        lambda raw, ctx: stage_procedures(raw),
        key=("MaTTHC", "procedure_code"),
    ),
    "provision": StagingStep(
        "stg.dvc_provision",
        lambda raw, ctx: stage_provisions(
            raw,
            ctx.codes("ref.agency", "agency_code"),
            ctx.codes("stg.dvc_procedure", "procedure_code"),
            ctx.validity("ref.agency", "agency_code"),
        ),
    ),
    "dossier": StagingStep(
        "stg.dvc_dossier",
        lambda raw, ctx: stage_dossiers(
            raw,
            ctx.pii_key,
            ctx.codes("ref.agency", "agency_code"),
            ctx.codes("stg.dvc_procedure", "procedure_code"),
            ctx.validity("ref.agency", "agency_code"),
            ctx.validity("ref.admin_unit", "unit_code"),
        ),
        key=("MaHoSo", "dossier_id"),
        sql=SqlStaging(dossier_sql),
    ),
    "rating": StagingStep(
        "stg.dvc_rating",
        lambda raw, ctx: stage_ratings(
            raw, ctx.known(raw["MaHoSo"], "stg.dvc_dossier", "dossier_id")
        ),
        key=("MaHoSo", "dossier_id"),
    ),
}
