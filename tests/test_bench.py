"""The benchmark's own logic: which scales it runs and how a scale's nights are printed."""

from __future__ import annotations

from datetime import date

from flows.bench import Night, median_night, pick_scales, print_scale, working_day_after


def test_scales_come_from_the_option_else_the_environment_else_1_and_8():
    assert pick_scales([2.0], "4") == [2.0]
    assert pick_scales(None, "4") == [4.0]
    assert pick_scales(None, None) == [1.0, 8.0]


def test_a_scale_prints_every_step_side_by_side_and_the_ratio_of_the_first_load(capsys):
    night = {
        "state": "Completed",
        "wall_s": 20.0,
        "peak_mib": 900.0,
        "files": 10,
        "rows_read": 1000,
    }
    result = {
        "scale": 1.0,
        "sources": ["dvc"],
        "duckdb_read_s": 2.0,
        "duckdb_read_again_s": 1.6,
        "duckdb_read_and_keep_s": 4.0,
        "duckdb_read_rows": 1000,
        "files_skipped_by_read": 0,
        "delta_day": "2026-01-01",
        "delta_files": 2,
        "nights": [
            night
            | {"kind": "first load", "steps": {"stage-dvc": 5.0}, "work_s": 5.0, "flow_s": 4.5},
            night | {"kind": "no-op", "steps": {"stage-dvc": 0.1, "publish": 1.0}, "work_s": 1.1},
        ],
    }
    print_scale(result)
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["stage-dvc"].split()[1:] == ["5.00", "0.10"]
    assert lines["publish"].split()[1:] == ["-", "1.00"]  # a step one night did not run
    flow = next(line for line in out.splitlines() if line.startswith("the flow run"))
    assert flow.split()[-2:] == ["4.50", "-"]  # (a night measured before it was recorded)
    ratio = next(line for line in out.splitlines() if line.startswith("ratio to the bare"))
    assert ratio.split()[-2:] == ["10.0x", "-"]
    again = next(line for line in out.splitlines() if line.startswith("ratio to the read again"))
    assert again.split()[-2:] == ["12.5x", "-"]
    assert "read again at once: 1.60 s" in out
    kept = next(line for line in out.splitlines() if line.startswith("ratio to the read and"))
    assert kept.split()[-2:] == ["5.0x", "-"]
    assert "keeps their rows in tables of a file in 4.00 s" in out
    assert not any(line.startswith("whole nightly, each") for line in out.splitlines())

    print_scale(result | {"repeats": {"no-op": [5.71, 5.8, 6.02]}})
    out = capsys.readouterr().out
    each = next(line for line in out.splitlines() if line.startswith("whole nightly, each"))
    assert each.split()[-4:] == ["-", "5.7", "5.8", "6.0"]


def test_the_median_night_is_the_middle_one_by_whole_time():
    def night(wall: float) -> Night:
        return Night("no-op", "Completed", "", wall, {}, 400.0)

    assert median_night([night(6.2), night(5.1), night(9.0)]).wall_s == 6.2
    assert median_night([night(6.2), night(5.1)]).wall_s == 5.1
    assert median_night([night(7.0)]).wall_s == 7.0


def test_the_one_day_delta_is_a_working_day_after_the_simulated_year():
    assert working_day_after(date(2025, 12, 31)) == date(2026, 1, 2)  # 1 January: a holiday
    assert working_day_after(date(2026, 1, 2)) == date(2026, 1, 5)  # a Friday: the Monday
    assert working_day_after(date(2026, 1, 5)) == date(2026, 1, 6)


def test_the_engine_reads_the_extracts_and_keeps_their_rows_in_a_file_it_then_removes(tmp_path):
    from flows.bench import duckdb_read_seconds

    folder = tmp_path / "landing" / "dvc"
    (folder / "hoso").mkdir(parents=True)
    (folder / "hoso" / "a.jsonl").write_text('{"MaHoSo": "1", "Phi": 2.5}\n{"MaHoSo": "2"}\n')
    (folder / "hoso" / "b.jsonl").write_text('{"MaHoSo": "3", "Phi": 1}\n')
    (folder / "danhgia.csv").write_text("ma;diem\n1;5\n2;4\n")
    (folder / "sheet.xlsx").write_bytes(b"PK")  # a workbook: skipped
    kept = tmp_path / "kept.duckdb"
    seconds, rows, skipped = duckdb_read_seconds([folder], keep_in=kept)
    assert (rows, skipped) == duckdb_read_seconds([folder])[1:] == (5, 1)
    assert seconds > 0 and not kept.exists() and not kept.with_name("kept.duckdb.wal").exists()
