"""Staging of dvc records: types, code lists, quarantine reasons, keyed hashing."""

from __future__ import annotations

import hmac
import json
from datetime import date

import polars as pl
import pytest
from conftest import encode_cp1258

from sources.base import SourceFileError
from sources.dvc import constants as c
from sources.dvc.connector import read_dossiers, read_table
from transforms.pii import keyed_hash, keyed_hashes
from transforms.staging.stg_dvc import stage_dossiers

KEY = b"test-key"
AGENCY = "31318.00.930.H93"
PROC = "1.001612"


def record(**over):
    r = {f: None for f in c.DOSSIER_SCALAR_FIELDS}
    r.update(
        {
            "MaHoSo": "000.00.930.H93-250110-0001",
            "MaTTHC": PROC,
            "TenTTHC": "Đăng ký khai sinh",
            "KenhThucHien": 2,
            "ChuHoSo": "Nguyễn Văn An",
            "SoGiayToChuHoSo": "093085001234",
            "LoaiDoiTuong": 1,
            "SoDienThoai": "0912345678",
            "Email": "an@example.vn",
            "NgayNopHoSo": "20250110083000",
            "NgayTiepNhan": "20250110090000",
            "NgayHenTra": "20250113170000",
            "NgayKetThucXuLy": "20250111100000",
            "NgayTra": "20250111110000",
            "TrangThaiHoSo": 10,
            "DonViXuLy": AGENCY,
            "HinhThuc": 3,
            "TaiKhoanDuocXacThucVoiVNeID": 1,
            "HoSoCoThanhPhanSoHoa": 1,
            "DuocThanhToanTrucTuyen": 1,
            "TaiLieuNop": [
                {
                    "TepDinhKemId": "1",
                    "TenTepDinhKem": "to-khai.pdf",
                    "DuocSoHoa": 1,
                    "DuocTaiSuDung": 0,
                }
            ],
            "DanhSachGiayToKetQua": [
                {
                    "TenGiayTo": "Giấy khai sinh",
                    "MaGiayToKetQua": "KS1",
                    "DuongDanTepTinKetQua": "https://x/ks1.pdf",
                }
            ],
            "DanhSachLePhi": [],
        }
    )
    r.update(over)
    return r


def write_jsonl(path, records):
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
    )
    return path


def stage(tmp_path, records, file_date=date(2025, 1, 11)):
    raw = read_dossiers(write_jsonl(tmp_path / "hoso_20250111.jsonl", records)).with_columns(
        pl.lit("f1").alias("_file_id"), pl.lit(file_date).alias("_file_date")
    )
    return stage_dossiers(raw, KEY, pl.Series([AGENCY]), pl.Series([PROC]))


def test_good_record_is_typed_hashed_and_stripped_of_personal_fields(tmp_path):
    staged, quarantine = stage(tmp_path, [record()])
    assert quarantine.height == 0
    row = staged.row(0, named=True)
    assert row["channel"] == 2 and row["status"] == 10 and row["vneid_authenticated"] is True
    assert row["n_result_documents"] == 1 and row["n_documents_digitised"] == 1
    assert row["applicant_hash"] == keyed_hash("093085001234", KEY)
    text = staged.write_csv()
    for personal in ("Nguyễn Văn An", "093085001234", "0912345678", "an@example.vn"):
        assert personal not in text


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"KenhThucHien": 0}, "code_outside_list", "KenhThucHien=0"),
        ({"TrangThaiHoSo": 11}, "code_outside_list", "TrangThaiHoSo=11"),
        ({"MaHoSo": ""}, "missing_field", "MaHoSo"),
        ({"NgayNopHoSo": "20251340083000"}, "invalid_date", "NgayNopHoSo"),
        ({"NgayNopHoSo": "19000101000000"}, "date_out_of_range", "before 2000"),
        ({"NgayNopHoSo": "20260101000000"}, "date_out_of_range", "extract date"),
        ({"NgayKetThucXuLy": "20250109080000"}, "finished_before_received", "before reception"),
        ({"DonViXuLy": "999.99.999.H93"}, "unknown_agency", "999.99.999.H93"),
        ({"MaTTHC": "9.999999"}, "unknown_procedure", "9.999999"),
        ({"SoGiayToChuHoSo": "Nguyễn Thị Bình"}, "invalid_applicant_id", "withheld"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(tmp_path, override, rule, reason_part):
    staged, quarantine = stage(
        tmp_path,
        [
            record(),
            record(MaHoSo="X-2", **{k: v for k, v in override.items() if k != "MaHoSo"})
            if "MaHoSo" not in override
            else record(**override),
        ],
    )
    assert staged.height + quarantine.height == 2
    assert quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert q["rule"] == rule
    assert reason_part in q["reason"]
    assert q["_row"] == 2
    # the quarantined record never carries personal data
    for personal in ("Nguyễn Văn An", "093085001234", "0912345678", "Nguyễn Thị Bình"):
        assert personal not in q["record"]


def test_other_date_formats_are_read(tmp_path):
    staged, quarantine = stage(
        tmp_path, [record(NgayNopHoSo="2025-01-10 08:30:00", NgayTiepNhan="10/01/2025 09:00:00")]
    )
    assert quarantine.height == 0
    assert str(staged["submitted_at"][0]) == "2025-01-10 08:30:00"
    assert str(staged["received_at"][0]) == "2025-01-10 09:00:00"


def test_file_cut_mid_record_names_the_line(tmp_path):
    p = tmp_path / "hoso_20250111.jsonl"
    good = json.dumps(record(), ensure_ascii=False)
    p.write_text(good + "\n" + good[: len(good) // 2], encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        read_dossiers(p)
    assert err.value.line == 2 and "hoso_20250111.jsonl" in str(err.value)


def test_csv_missing_column_is_an_error_naming_it_and_encodings_are_decoded(tmp_path):
    p = tmp_path / "danhgia_20250111.csv"
    p.write_text("MaHoSo,NgayDanhGia,MucDoHaiLong\nA,20250111080000,1\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match="CoKhieuNai"):
        read_table("rating", p)
    header = "MaTTHC,TenTTHC,MaLinhVuc,TenLinhVuc,CapThucHien,MucDo,DuDieuKienToanTrinh\n"
    line = "1.001612,Đăng ký khai sinh,HT,Hộ tịch,Cấp Xã,4,1\n"
    for enc in ["utf-8-sig", "utf-16", "cp1258"]:
        q = tmp_path / f"thutuc_{enc}.csv"
        text = header + line
        q.write_bytes(encode_cp1258(text) if enc == "cp1258" else text.encode(enc))
        df = read_table("procedure", q)
        assert df["TenTTHC"][0] == "Đăng ký khai sinh", enc
        assert df["CapThucHien"][0] == "Cấp Xã", enc


@pytest.mark.parametrize(
    "key", [b"k" * 32, b"a key longer than one block of sixty-four bytes " * 2, b""]
)
def test_the_column_hash_is_the_hmac_of_each_value(key: bytes) -> None:
    values = pl.Series(["093085001234", None, "0301234567-001", "", "ắ"])
    expected = [
        None if v is None else hmac.new(key, v.encode(), "sha256").hexdigest() for v in values
    ]
    assert keyed_hashes(values, key).to_list() == expected


@pytest.mark.parametrize(
    "values",
    [
        ["20250410070008", None, "", "20250229000000"],  # every sent value in the first format
        ["20250410070008", "2025-04-10 07:00:08", "10/04/2025", "2025-04-10", " 20250410 ", "x"],
    ],
)
def test_dates_parsed_once_equal_every_format_tried_in_order(values: list[str | None]) -> None:
    from transforms.staging.dates import parse_datetime, parsed_name, with_parsed

    df = pl.DataFrame({"d": values}, schema={"d": pl.String})
    assert with_parsed(df, ["d"])[parsed_name("d")].equals(
        df.select(parse_datetime("d")).to_series().alias(parsed_name("d"))
    )
