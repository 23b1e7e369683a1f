"""The dvc simulator writes the export files of constants.py, deterministically and consistently."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import files

from sources.dvc import constants as c
from sources.dvc.connector import read_dossiers, read_table
from sources.dvc.simulator import REFERENCE_DIR, main, simulate

START, END = date(2025, 3, 3), date(2025, 3, 16)  # two weeks, Monday to Sunday
SCALE = 0.03


# every field as text, whatever the pipeline's connector chooses to read
FULL_SCHEMA: dict[str, pl.DataType] = {
    **{f: pl.String for f in c.DOSSIER_SCALAR_FIELDS},
    **{
        name: pl.List(pl.Struct({f: pl.String for f in fields}))
        for name, fields in c.DOSSIER_LIST_FIELDS.items()
    },
}


def _read_jsonl(path: Path) -> pl.DataFrame:
    if not path.read_bytes().strip():
        return pl.DataFrame(schema=FULL_SCHEMA)
    return pl.read_ndjson(path, schema=FULL_SCHEMA)


def _stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    counts = simulate(root, START, END, scale=SCALE, seed=190)
    assert counts["files"] == 2 * len(_days(START, END)) + 2
    assert counts["dossier_records"] > counts["dossiers"] > 0
    assert counts["ratings"] > 0
    assert 250 <= counts["procedures"] <= 400
    return root


@pytest.fixture(scope="module")
def dossiers(landing) -> pl.DataFrame:
    frames = []
    for day in _days(START, END):
        path = landing / "dvc" / "hoso" / f"{day.year}" / f"hoso_{_stamp(day)}.jsonl"
        frame = _read_jsonl(path)
        assert read_dossiers(path).height == frame.height  # the pipeline's reader takes the file
        frames.append(frame.with_columns(file_day=pl.lit(_stamp(day))))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def ratings(landing) -> pl.DataFrame:
    frames = []
    for day in _days(START, END):
        path = landing / "dvc" / "danhgia" / f"{day.year}" / f"danhgia_{_stamp(day)}.csv"
        frames.append(read_table("rating", path).with_columns(file_day=pl.lit(_stamp(day))))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def catalogue(landing) -> tuple[pl.DataFrame, pl.DataFrame]:
    folder = landing / "dvc" / "catalogue"
    return (
        read_table("procedure", folder / f"thutuc_{_stamp(END)}.csv"),
        read_table("provision", folder / f"cungcap_{_stamp(END)}.csv"),
    )


def test_layout_and_field_set(landing):
    root = landing / "dvc"
    names = set(files(root))
    for day in _days(START, END):
        assert f"hoso/{day.year}/hoso_{_stamp(day)}.jsonl" in names
        assert f"danhgia/{day.year}/danhgia_{_stamp(day)}.csv" in names
    assert {n for n in names if n.startswith("catalogue/")} == {
        f"catalogue/thutuc_{_stamp(END)}.csv",
        f"catalogue/cungcap_{_stamp(END)}.csv",
    }
    expected = [*c.DOSSIER_SCALAR_FIELDS, *c.DOSSIER_LIST_FIELDS]
    lines = (
        (root / "hoso" / "2025" / "hoso_20250305.jsonl").read_text(encoding="utf-8").splitlines()
    )
    assert lines
    for line in lines:
        record = json.loads(line)
        assert list(record) == expected
        for name, fields in c.DOSSIER_LIST_FIELDS.items():
            assert all(list(item) == fields for item in record[name])
        assert isinstance(record["KenhThucHien"], int) and isinstance(record["TrangThaiHoSo"], int)
        assert 1 <= len(record["TaiLieuNop"]) <= 3
        assert len(record["DanhSachGiayToKetQua"]) <= 2 and len(record["DanhSachLePhi"]) <= 1
    header = {
        "thutuc": c.PROCEDURE_COLUMNS,
        "cungcap": c.PROVISION_COLUMNS,
        "danhgia": c.RATING_COLUMNS,
    }
    for path in root.rglob("*.csv"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.split(",") == header[path.name.split("_")[0]]


def test_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(a, date(2025, 6, 2), date(2025, 6, 5), scale=0.02, seed=7)
    simulate(b, date(2025, 6, 2), date(2025, 6, 5), scale=0.02, seed=7)
    assert files(a) == files(b)
    other = tmp_path / "c"
    simulate(other, date(2025, 6, 2), date(2025, 6, 5), scale=0.02, seed=8)
    assert files(other) != files(a)


def test_single_day_equals_range_day(landing, tmp_path):
    for day in (date(2025, 3, 12), date(2025, 3, 15)):  # a Wednesday and a Saturday
        single = tmp_path / _stamp(day)
        simulate(single, day, day, scale=SCALE, seed=190)
        for kind, ext in (("hoso", "jsonl"), ("danhgia", "csv")):
            rel = Path("dvc") / kind / f"{day.year}" / f"{kind}_{_stamp(day)}.{ext}"
            assert (single / rel).read_bytes() == (landing / rel).read_bytes()


def test_agencies_and_procedures_exist(dossiers, catalogue):
    procedures, provisions = catalogue
    agencies = pl.read_csv(REFERENCE_DIR / "agencies.csv", infer_schema=False).filter(
        pl.col("valid_from") < "2025-07-01"
    )
    assert set(dossiers["DonViXuLy"]) <= set(agencies["agency_code"])
    assert set(provisions["MaDonVi"]) == set(agencies["agency_code"])
    assert set(provisions["MaTTHC"]) <= set(procedures["MaTTHC"])
    joined = dossiers.join(
        provisions.select(DonViXuLy="MaDonVi", MaTTHC="MaTTHC", MucDo="MucDo"),
        on=["DonViXuLy", "MaTTHC"],
        how="left",
    ).join(
        procedures.select(
            "MaTTHC", cat_name="TenTTHC", cat_sector="MaLinhVuc", cat_sector_name="TenLinhVuc"
        ),
        on="MaTTHC",
        how="left",
    )
    assert joined["MucDo"].null_count() == 0, "a dossier's procedure is not provided by its agency"
    assert (joined["TenTTHC"] == joined["cat_name"]).all()
    assert (joined["MaLinhVuc"] == joined["cat_sector"]).all()
    assert (joined["TenLinhVuc"] == joined["cat_sector_name"]).all()
    online = joined.filter(pl.col("KenhThucHien") == "2")
    assert online.height > 0 and online["MucDo"].is_in(["3", "4"]).all()


def test_catalogue_codes_and_levels(catalogue):
    procedures, provisions = catalogue
    assert procedures["MaTTHC"].is_unique().all()
    assert procedures["MaTTHC"].str.contains(r"^[123]\.\d{6}$").all()
    assert set(procedures["CapThucHien"]) == set(c.AGENCY_LEVEL)
    eligible = procedures["DuDieuKienToanTrinh"].cast(pl.Int64).mean()
    assert 0.65 <= eligible <= 0.85
    full = provisions.filter(pl.col("NgayCungCapToanTrinh").is_not_null())
    assert (full["MucDo"] == "4").all()
    assert (full["NgayCungCapToanTrinh"] <= _stamp(END) + "235959").all()
    assert (
        not provisions.filter(pl.col("NgayCungCapToanTrinh").is_null())["MucDo"].is_in(["4"]).any()
    )
    eligible_codes = procedures.filter(pl.col("DuDieuKienToanTrinh") == "1")["MaTTHC"]
    assert full["MaTTHC"].is_in(eligible_codes.implode()).all()


def test_mahoso_unique_per_file_and_resent_records(dossiers):
    assert dossiers["MaHoSo"].str.contains(r"^[0-9.]+\.H93-\d{6}-\d{4}$").all()
    assert dossiers.group_by("file_day", "MaHoSo").len()["len"].max() == 1
    assert (dossiers["MaHoSo"].str.split("-").list.first() == dossiers["DonViXuLy"]).all()
    counts = dossiers.group_by("MaHoSo").len()
    assert counts["len"].max() == 2
    twice = dossiers.join(counts.filter(pl.col("len") == 2), on="MaHoSo").sort("MaHoSo", "file_day")
    assert twice.height > 0
    later = twice.group_by("MaHoSo", maintain_order=True).last()
    assert later["TrangThaiHoSo"].is_in(["7", "8", "9", "10"]).all()
    assert later["TrangThaiHoSo"].is_in(["9", "10"]).mean() > 0.9
    assert (later["NgayKetThucXuLy"].str.slice(0, 8) == later["file_day"]).all()
    earlier = twice.group_by("MaHoSo", maintain_order=True).first()
    assert (earlier["NgayNopHoSo"].str.slice(0, 8) == earlier["file_day"]).all()
    # a record sent on its submission day is in that day's file
    fresh = dossiers.filter(pl.col("NgayNopHoSo").str.slice(0, 8) >= _stamp(START))
    first = fresh.sort("file_day").group_by("MaHoSo").first()
    assert (first["NgayNopHoSo"].str.slice(0, 8) == first["file_day"]).all()


def test_statuses_and_dates(dossiers):
    d = dossiers.with_columns(pl.col("TrangThaiHoSo").cast(pl.Int64))
    date_cols = [
        "NgayNopHoSo",
        "NgayTiepNhan",
        "NgayHenTra",
        "NgayKetThucXuLy",
        "NgayTra",
        "NgayTuChoi",
    ]
    for col in date_cols:
        present = d[col].drop_nulls()
        assert present.str.contains(r"^20\d{12}$").all(), col
        hour = present.str.slice(8, 2).cast(pl.Int64)
        assert ((hour >= 7) & (hour <= 17)).all(), col
    received = d.filter(~pl.col("TrangThaiHoSo").is_in(list(c.NOT_RECEIVED_STATUSES)))
    assert received["NgayTiepNhan"].null_count() == 0 and received["NgayHenTra"].null_count() == 0
    assert (received["NgayTiepNhan"] >= received["NgayNopHoSo"]).all()
    assert (received["NgayHenTra"] >= received["NgayTiepNhan"]).all()
    ended = d.filter(pl.col("TrangThaiHoSo").is_in([7, 8, 9, 10]))
    assert (ended["NgayKetThucXuLy"] >= ended["NgayTiepNhan"]).all()
    returned = d.filter(pl.col("TrangThaiHoSo") == 10)
    assert (
        returned["NgayTra"].null_count() == 0
        and (returned["NgayTra"] >= returned["NgayKetThucXuLy"]).all()
    )
    assert (
        d.filter(pl.col("TrangThaiHoSo") != 10)["NgayTra"].null_count()
        == d.filter(pl.col("TrangThaiHoSo") != 10).height
    )
    refused = d.filter(pl.col("TrangThaiHoSo") == 3)
    assert (
        refused["NgayTuChoi"].null_count() == 0
        and refused["NgayTiepNhan"].null_count() == refused.height
    )
    new = d.filter(pl.col("TrangThaiHoSo") == 1)
    assert (
        new["NgayTiepNhan"].null_count() == new.height and (new["KenhThucHien"] == "2").mean() > 0.9
    )
    open_ = d.filter(~pl.col("TrangThaiHoSo").is_in([7, 8, 9, 10]))
    assert open_["NgayKetThucXuLy"].null_count() == open_.height
    assert (open_["DanhSachGiayToKetQua"].list.len() == 0).all()
    finished = d.filter(pl.col("TrangThaiHoSo").is_in(list(c.FINISHED_STATUSES)))
    assert 0.6 < (finished["DanhSachGiayToKetQua"].list.len() > 0).mean() < 1.0
    overdue = (finished["NgayKetThucXuLy"] > finished["NgayHenTra"]).mean()
    assert 0.02 < overdue < 0.25
    same_day = finished.filter(
        pl.col("NgayKetThucXuLy").str.slice(0, 8) == pl.col("NgayNopHoSo").str.slice(0, 8)
    )
    first_sent = d.filter(pl.col("NgayNopHoSo").str.slice(0, 8) == pl.col("file_day"))
    assert 0.2 < same_day.height / first_sent.height < 0.5
    assert set(d["KenhThucHien"]) <= {"1", "2", "3"}
    assert set(d["TaiKhoanDuocXacThucVoiVNeID"]) <= {"0", "1"}
    assert d.filter(pl.col("KenhThucHien") != "2")["TaiKhoanDuocXacThucVoiVNeID"].eq("0").all()
    assert set(d["DuocThanhToanTrucTuyen"]) <= {"1", "3"}


def test_ratings_refer_to_finished_dossiers(ratings, dossiers):
    assert ratings.height > 0
    assert ratings["MucDoHaiLong"].is_in(["1", "2", "3", "4"]).all()
    assert ratings["CoKhieuNai"].is_in(["0", "1"]).all()
    assert (ratings["NgayDanhGia"].str.slice(0, 8) == ratings["file_day"]).all()
    assert ratings["MaHoSo"].is_unique().all()
    finished = dossiers.filter(pl.col("TrangThaiHoSo").is_in(["9", "10"])).select(
        "MaHoSo", end="NgayKetThucXuLy"
    )
    # a rating comes 0-3 days after the end, so from START + 3 its dossier was written in the range
    late = ratings.filter(pl.col("file_day") >= _stamp(START + timedelta(days=3)))
    joined = late.join(finished, on="MaHoSo", how="left")
    assert joined.height > 0 and joined["end"].null_count() == 0
    assert (joined["NgayDanhGia"] >= joined["end"]).all()
    agencies = set(pl.read_csv(REFERENCE_DIR / "agencies.csv", infer_schema=False)["agency_code"])
    assert set(ratings["MaHoSo"].str.split("-").list.first()) <= agencies


def test_personal_data_present(dossiers):
    people = dossiers.filter(pl.col("LoaiDoiTuong") == "1")
    assert people["SoGiayToChuHoSo"].str.contains(r"^\d{12}$").all()
    assert people["SoGiayToChuHoSo"].str.starts_with("093").mean() > 0.7
    assert people["ChuHoSo"].str.split(" ").list.len().min() >= 3
    assert people["ChuHoSo"].str.contains("[ăâđêôơưàáạảãèéẹẻẽìíịỉĩòóọỏõùúụủũỳýỵỷỹĐ]").mean() > 0.5
    others = dossiers.filter(pl.col("LoaiDoiTuong") != "1")
    assert others.height > 0 and others["SoGiayToChuHoSo"].str.contains(r"^\d{10}$").all()
    assert dossiers["SoDienThoai"].str.contains(r"^0[389]\d{8}$").all()
    mail = dossiers["Email"]
    assert 0.1 < (mail == "").mean() < 0.9
    assert mail.filter(mail != "").str.contains(r"^[a-z0-9.]+@[a-z.]+$").all()
    distinct = dossiers.select("MaHoSo", "SoGiayToChuHoSo").unique()
    assert distinct["SoGiayToChuHoSo"].n_unique() < distinct.height  # repeat applicants
    same_person = distinct.join(
        dossiers.select("SoGiayToChuHoSo", "ChuHoSo").unique(), on="SoGiayToChuHoSo"
    )
    assert (
        same_person.group_by("SoGiayToChuHoSo").agg(pl.col("ChuHoSo").n_unique())["ChuHoSo"].max()
        == 1
    )


def test_volume_by_day_of_week(tmp_path):
    counts = {}
    simulate(tmp_path, date(2025, 3, 3), date(2025, 3, 23), scale=0.01)
    for path in sorted((tmp_path / "dvc" / "hoso" / "2025").glob("*.jsonl")):
        day = date(int(path.stem[5:9]), int(path.stem[9:11]), int(path.stem[11:13]))
        submitted = sum(
            line.count(f'"NgayNopHoSo":"{_stamp(day)}') for line in path.read_text().splitlines()
        )
        counts[day] = submitted
    weekdays = [n for d, n in counts.items() if d.weekday() < 5]
    sundays = [n for d, n in counts.items() if d.weekday() == 6]
    assert sum(n >= 1 for n in weekdays) >= 0.8 * len(weekdays)
    assert sum(weekdays) / len(weekdays) > 5 * max(1, max(sundays))


def test_levels_and_agencies_share(dossiers):
    agencies = pl.read_csv(REFERENCE_DIR / "agencies.csv", infer_schema=False)
    level = dossiers.join(
        agencies.select(DonViXuLy="agency_code", level="agency_level"), on="DonViXuLy"
    )
    share = level.group_by("level").len().with_columns(share=pl.col("len") / pl.col("len").sum())
    by = dict(zip(share["level"], share["share"], strict=True))
    assert by["commune"] > by["district"] > 0 and by["province"] > 0


def test_cli(tmp_path, capsys):
    main(
        [
            "--landing",
            str(tmp_path),
            "--start",
            "2025-01-06",
            "--end",
            "2025-01-07",
            "--scale",
            "0.01",
        ]
    )
    assert "files=6" in capsys.readouterr().out
    assert (tmp_path / "dvc" / "catalogue" / "thutuc_20250107.csv").exists()


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        simulate(tmp_path, date(2025, 1, 2), date(2025, 1, 1))
    with pytest.raises(ValueError):
        simulate(tmp_path, date(2025, 1, 1), date(2025, 1, 1), scale=0)


# --- the change of 1/7/2025: the same world, the labels of the record's date ----------------

CHANGE_START, CHANGE_END = date(2025, 6, 2), date(2025, 7, 27)  # four weeks each side


@pytest.fixture(scope="module")
def across_change(tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    root = tmp_path_factory.mktemp("change")
    simulate(root, CHANGE_START, CHANGE_END, scale=SCALE, seed=190)
    frames = [
        _read_jsonl(root / "dvc" / "hoso" / "2025" / f"hoso_{_stamp(day)}.jsonl")
        for day in _days(CHANGE_START, CHANGE_END)
    ]
    records = pl.concat(frames).with_columns(
        submitted=pl.col("NgayNopHoSo").str.slice(0, 8).str.to_date("%Y%m%d")
    )
    return root, records


def _valid_on(kind: str, code_column: str, frame: pl.DataFrame) -> pl.Series:
    """Whether each row's code is valid in the reference on its submission date."""
    table = "admin_units.csv" if kind == "unit" else "agencies.csv"
    key = "unit_code" if kind == "unit" else "agency_code"
    ref = pl.read_csv(REFERENCE_DIR / table, infer_schema=False).select(
        pl.col(key).alias(code_column),
        pl.col("valid_from").str.to_date(),
        pl.col("valid_to").str.to_date(),
    )
    rows = frame.select(code_column, "submitted").with_row_index("_i")
    ok = (
        rows.join(ref, on=code_column, how="left")
        .group_by("_i")
        .agg(
            (
                (pl.col("submitted") >= pl.col("valid_from"))
                & (pl.col("valid_to").is_null() | (pl.col("submitted") <= pl.col("valid_to")))
            )
            .fill_null(False)
            .any()
        )
        .sort("_i")
    )
    return ok["submitted"]


def test_codes_are_those_of_the_submission_date(across_change):
    _, records = across_change
    assert _valid_on("agency", "DonViXuLy", records).all()
    assert _valid_on("unit", "MaXaChuHoSo", records).all()
    july = records.filter(pl.col("submitted") >= date(2025, 7, 1))
    assert july.height > 0
    assert july["DonViXuLy"].str.ends_with(".H92").all()
    assert july["MaHoSo"].str.starts_with(july["DonViXuLy"]).all()
    old = pl.read_csv(REFERENCE_DIR / "admin_units.csv", infer_schema=False).filter(
        pl.col("valid_to") == "2025-06-30"
    )
    new = pl.read_csv(REFERENCE_DIR / "admin_units.csv", infer_schema=False).filter(
        pl.col("valid_from") == "2025-07-01"
    )
    only_old = set(old["unit_code"]) - set(new["unit_code"])
    assert not set(july["MaXaChuHoSo"]) & only_old  # no 2024-only unit code from July
    # a new agency's dossier numbers stay unique although several old agencies feed it
    first = july.unique("MaHoSo", keep="first")
    assert first.group_by("MaHoSo").len()["len"].max() == 1


def test_rates_are_continuous_across_the_change(across_change):
    """T02's online share in the plan's area: June and July within noise."""
    _, records = across_change
    units = pl.read_csv(REFERENCE_DIR / "admin_units.csv", infer_schema=False)
    area = units.filter(pl.col("plan_area_code") == "93")["unit_code"]
    dossiers = records.unique("MaHoSo", keep="first").filter(pl.col("MaXaChuHoSo").is_in(area))
    share = (
        dossiers.group_by(month=pl.col("submitted").dt.month())
        .agg(online=(pl.col("KenhThucHien") == "2").mean(), n=pl.len())
        .sort("month")
    )
    june, july = share.filter(pl.col("month") == 6), share.filter(pl.col("month") == 7)
    assert june["n"][0] > 500 and abs(june["n"][0] - july["n"][0]) / june["n"][0] < 0.2
    assert abs(june["online"][0] - july["online"][0]) < 0.05


def test_city_departments_serve_the_whole_city_from_july(across_change):
    _, records = across_change
    units = pl.read_csv(REFERENCE_DIR / "admin_units.csv", infer_schema=False)
    outside = units.filter(
        (pl.col("province_code") == "92")
        & (pl.col("admin_level") == "commune")
        & (pl.col("plan_area_code").is_null())
    )["unit_code"]
    dossiers = records.unique("MaHoSo", keep="first")
    june = dossiers.filter(pl.col("submitted") < date(2025, 7, 1))
    july = dossiers.filter(pl.col("submitted") >= date(2025, 7, 1))
    assert not june["MaXaChuHoSo"].is_in(outside).any()
    city = july.filter(pl.col("DonViXuLy").str.starts_with("000."))
    from_outside = city["MaXaChuHoSo"].is_in(outside)
    assert 1.5 < from_outside.sum() / (~from_outside).sum() < 2.6  # about twice the area's
    assert (
        not july.filter(~pl.col("DonViXuLy").str.starts_with("000."))["MaXaChuHoSo"]
        .is_in(outside)
        .any()
    )


def test_catalogue_from_july_names_the_new_agencies(across_change):
    root, _ = across_change
    provisions = read_table(
        "provision", root / "dvc" / "catalogue" / f"cungcap_{_stamp(CHANGE_END)}.csv"
    )
    agencies = pl.read_csv(REFERENCE_DIR / "agencies.csv", infer_schema=False)
    crosswalk = pl.read_csv(REFERENCE_DIR / "crosswalk_2025.csv", infer_schema=False)
    departments = agencies.filter(
        (pl.col("valid_from") == "2025-07-01") & (pl.col("agency_level") == "province")
    )["agency_code"]
    committees = {f"{u}.00.00.H92" for u in crosswalk["new_code"]}
    assert set(provisions["MaDonVi"]) == set(departments) | committees
    assert provisions.select("MaDonVi", "MaTTHC").is_unique().all()
    # the old system's last catalogue, under the old agencies, comes with a run across the change
    before = read_table("provision", root / "dvc" / "catalogue" / "cungcap_20250630.csv")
    old = agencies.filter(pl.col("valid_to") == "2025-06-30")["agency_code"]
    assert set(before["MaDonVi"]) == set(old)


def test_single_day_equals_range_day_after_the_change(across_change, tmp_path):
    root, _ = across_change
    day = date(2025, 7, 9)
    simulate(tmp_path, day, day, scale=SCALE, seed=190)
    for kind, ext in (("hoso", "jsonl"), ("danhgia", "csv")):
        rel = Path("dvc") / kind / f"{day.year}" / f"{kind}_{_stamp(day)}.{ext}"
        assert (tmp_path / rel).read_bytes() == (root / rel).read_bytes()
