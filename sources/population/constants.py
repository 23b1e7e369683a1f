"""Field names, code lists and file layout of the population database extract (``population``).

The National Population Database (Cơ sở dữ liệu quốc gia về dân cư, run by
the Ministry of Public Security's C06 under Decree 37/2021/NĐ-CP) gives
provinces statistical extracts, never person records: the number of
residents of each commune by age band (nhóm tuổi) and sex, as of a cut-off
day (ngày chốt số liệu). The province receives one extract a quarter.

Landing layout (below the landing URL)::

    population/dotuoi/danso_dotuoi_YYYYMMDD.csv   one file a quarter, stamped with its cut-off day

UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), comma separated, one row
per commune and age band, dates as dd/MM/yyyy.
"""

from __future__ import annotations

SOURCE = "population"

DATASETS: dict[str, str] = {"age_band": "dotuoi/danso_dotuoi_*.csv"}

COLUMNS = [
    "MaTinh",  # province code (GSO), 93
    "MaHuyen",  # district code (GSO), 930..937
    "MaXa",  # commune code (GSO), 5 digits
    "TenXa",  # commune name, as the register spells it
    "NhomTuoi",  # age band, see AGE_BANDS
    "Nam",  # residents, male
    "Nu",  # residents, female
    "TongSo",  # residents, total (= Nam + Nu)
    "NgayChotSoLieu",  # cut-off day, dd/MM/yyyy
]
DATE_FORMAT = "%d/%m/%Y"

# age band -> lowest age in the band; an adult (người trưởng thành) is 18 or over
AGE_BANDS: dict[str, int] = {
    "0-4": 0,
    "5-9": 5,
    "10-14": 10,
    "15-17": 15,
    "18-24": 18,
    "25-34": 25,
    "35-44": 35,
    "45-59": 45,
    "60+": 60,
}
ADULT_AGE = 18
# a single commune and band larger than this is a unit or typing error
MAX_BAND_COUNT = 100_000
