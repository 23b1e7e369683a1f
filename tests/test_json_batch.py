"""The one-pass JSON-lines reader gives each file exactly what the exact reader gives, or None."""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
import pytest

from sources.base import SourceFileError
from sources.dvc.connector import read_dossier_file, read_dossier_files

PLAIN = '{"MaHoSo":"a1","MaTTHC":"1.007679","KenhThucHien":2,"DanhSachLePhi":[{"MucPhi":8000}]}\n'
CASES: dict[str, bytes] = {
    "plain": (PLAIN * 3).encode(),
    "no_final_newline": PLAIN.encode() + PLAIN.rstrip().encode(),
    "crlf": PLAIN.replace("\n", "\r\n").encode() * 2,
    "bom_first": codecs.BOM_UTF8 + PLAIN.encode(),
    "bom_later": PLAIN.encode() + codecs.BOM_UTF8 + PLAIN.encode(),
    "blank_lines": (PLAIN + "\n   \n" + PLAIN).encode(),
    "fraction": b'{"MaHoSo":"a","KenhThucHien":1.5,"DanhSachLePhi":[{"MucPhi":10000.0}]}\n',
    "exponent": b'{"MaHoSo":"a","LoaiDoiTuong":1E+2}\n',
    "big_integer": b'{"MaHoSo":123456789012345678901234567890}\n',
    "minus_zero": b'{"MaHoSo":"a","MaTTHC":-0,"KenhThucHien":"-0"}\n',
    "booleans": b'{"MaHoSo":"a","KenhThucHien":true,"DanhSachLePhi":[{"MucPhi":false}]}\n',
    "object_in_text": b'{"MaHoSo":{"x":"y"},"KenhThucHien":[1,2]}\n',
    "object_in_list_text": b'{"MaHoSo":"a","TaiLieuNop":[{"DuocSoHoa":{"x":1}}]}\n',
    "escapes_and_blanks": b'{"MaHoSo":"\\u00e1 b\\n","MaTTHC":"\\u00a0 x  "}\n',
    "null_lists": b'{"MaHoSo":"a","TaiLieuNop":null,"DanhSachLePhi":[null,{"MucPhi":null}]}\n',
    "list_as_text": b'{"MaHoSo":"a","TaiLieuNop":"x"}\n',
    "not_json": b'{"MaHoSo":"a"\n',
    "array_line": b"[1,2]\n",
    "duplicate_key": b'{"MaHoSo":"a","MaHoSo":"b"}\n',
    "windows_1258": '{"MaHoSo":"á"}\n'.encode("cp1258"),
    "empty": b"",
    "utf16": PLAIN.encode("utf-16"),
    "wrong_case_field": b'{"mahoso":"a","MaHoSo":"b"}\n',
}


def exact(path: Path) -> pl.DataFrame | str:
    try:
        return read_dossier_file(path)
    except SourceFileError as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_file_alone_is_read_as_the_exact_reader_reads_it_or_left_to_it(
    tmp_path: Path, case: str
) -> None:
    path = tmp_path / f"hoso_{case}.jsonl"
    path.write_bytes(CASES[case])
    (fast,) = read_dossier_files([str(path)])
    if fast is not None:
        expected = exact(path)
        assert isinstance(expected, pl.DataFrame), expected
        assert fast.schema == expected.schema
        assert fast.equals(expected)


def test_plain_files_take_the_fast_path(tmp_path: Path) -> None:
    paths = []
    for case in ("plain", "no_final_newline", "crlf", "minus_zero", "escapes_and_blanks"):
        paths.append(tmp_path / f"hoso_{case}.jsonl")
        paths[-1].write_bytes(CASES[case])
    frames = read_dossier_files([str(p) for p in paths])
    assert all(f is not None for f in frames)
    for path, frame in zip(paths, frames, strict=True):
        assert frame is not None and frame.equals(read_dossier_file(path))
    assert frames[2] is not None and frames[2]["_row"].to_list() == [1, 2]


@pytest.mark.parametrize(
    "case", ["blank_lines", "fraction", "exponent", "big_integer", "object_in_text", "utf16"]
)
def test_a_file_the_fast_path_cannot_vouch_for_is_left_to_the_exact_reader(
    tmp_path: Path, case: str
) -> None:
    good, odd = tmp_path / "hoso_plain.jsonl", tmp_path / f"hoso_{case}.jsonl"
    good.write_bytes(CASES["plain"])
    odd.write_bytes(CASES[case])
    frames = read_dossier_files([str(good), str(odd)])
    assert frames[0] is not None and frames[1] is None


def test_a_file_duckdb_refuses_sends_its_whole_batch_to_the_exact_reader(tmp_path: Path) -> None:
    good, bad = tmp_path / "hoso_plain.jsonl", tmp_path / "hoso_bad.jsonl"
    good.write_bytes(CASES["plain"])
    bad.write_bytes(CASES["not_json"])
    assert read_dossier_files([str(good), str(bad)]) == [None, None]
    assert "line 1" in str(exact(bad))


def test_an_api_page_is_left_to_the_exact_reader(tmp_path: Path) -> None:
    page = tmp_path / "hoso_20250101_p1.json"
    page.write_text('{"data": [{"MaHoSo": "a"}]}')
    assert read_dossier_files([str(page)]) == [None]


@pytest.mark.parametrize("case", sorted(CASES))
def test_lines_counted_when_a_file_is_taken_decide_as_counting_them_again(
    tmp_path: Path, case: str
) -> None:
    """Extract counts a file's lines in the pass that hashes it (``meta.manifest.lines``), so
    staging does not read the file once more to count them: the same frame, or the same refusal."""
    from sources.landing import LandingFile, take

    path = tmp_path / "landing" / f"hoso_{case}.jsonl"
    path.parent.mkdir()
    path.write_bytes(CASES[case])
    f = LandingFile(
        "dvc", "dossier", str(path), path.name, path.stat().st_size, "0", real_path=str(path)
    )
    taken = take(f, tmp_path / "raw", "run-1")
    (counted,) = read_dossier_files([str(taken.path)], [taken.lines])
    (recounted,) = read_dossier_files([str(taken.path)])
    assert (counted is None) == (recounted is None)
    if counted is not None and recounted is not None:
        assert counted.equals(recounted)


def test_a_file_whose_lines_differ_from_the_count_is_left_to_the_exact_reader(
    tmp_path: Path,
) -> None:
    from sources.landing import LandingFile, take

    path = tmp_path / "hoso_plain.jsonl"
    path.write_bytes(CASES["plain"] + CASES["no_final_newline"])
    f = LandingFile(
        "dvc", "dossier", str(path), path.name, path.stat().st_size, "0", real_path=str(path)
    )
    assert take(f, tmp_path / "raw", "run-1").lines == 5
    assert read_dossier_files([str(path)], [5])[0] is not None
    assert read_dossier_files([str(path)], [6]) == [None]  # the count is what is checked


ODD_TOKENS = (  # each a JSON token as DuckDB keeps it (no blanks)
    '"text" "1.5" "" 0 -0 7 -42 123456789012345678 1234567890123456789 12345678901234567890 '
    "123456789012345678901234567890 1.5 10000.0 -0.0 1E+2 1e-3 2.5E10 true false null "
    '{"x":"y"} {} [1,2] []'
).split()


# what the exact reader reads otherwise, by the token's JSON type: an object or a list where text
# is expected, a number DuckDB writes otherwise than Polars (a fraction, an exponent, > 64 bits)
READ_OTHERWISE = "('DOUBLE', 'OBJECT', 'ARRAY')"


@pytest.mark.parametrize("token", ODD_TOKENS)
def test_the_cheap_test_of_a_token_is_never_less_strict_than_its_json_type(token: str) -> None:
    import duckdb

    from sources.json_batch import odd_token

    con = duckdb.connect()
    by_type, cheap = con.execute(
        f"select json_type(t) in {READ_OTHERWISE}, {odd_token('t')} from (select ?::json as t)",
        [token],
    ).fetchone() or (None, None)
    assert by_type is not None and cheap is not None
    assert cheap or not by_type  # whatever json_type calls odd, the cheap test calls odd
    long_integer = token.lstrip("-").isdigit() and len(token.lstrip("-")) > 18
    assert cheap == (by_type or long_integer)  # and only a long integer besides
