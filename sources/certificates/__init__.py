"""Source ``certificates``: the issuers of digital-signature and e-signature certificates.

The licensed public certification service providers (VNPT-CA, Viettel-CA,
BKAV-CA, FPT-CA; Decree 130/2018/NĐ-CP, Decree 23/2025/NĐ-CP, Law on
E-Transactions 2023) and the Government Cipher Committee report, each in its
own file, the certificates held by subscribers of the province: the full
register once, then every month the certificates issued and revoked in the
month. Holders are matched across issuers on the keyed hash of their citizen
ID, so a person with certificates from two issuers counts once.

- ``constants.py``: file layout, field names, issuers and code lists;
- ``connector.py``: reads a report into a raw frame of strings;
- ``simulator.py``: writes the issuers' files, deterministic from a seed.

Targets fed: T11 (its numerator; the adult population comes from ``population``).
"""

from __future__ import annotations

from datetime import date

from sources.base import Source, file_date
from sources.certificates import connector, constants


def month_of(name: str) -> tuple[date, date] | None:
    """A monthly report covers the month of its stamp; the register covers no period of its own."""
    day = file_date(name)
    if day is None or not name.startswith("chungthu_"):
        return None
    start = date(day.year, day.month, 1)
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return start, date.fromordinal(nxt.toordinal() - 1)


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Tổ chức cung cấp dịch vụ chứng thực chữ ký số (chứng thư chữ ký số, chữ ký điện tử)",
    title_en="Digital-signature and e-signature certificate issuers",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="monthly",
    order=tuple(constants.DATASETS),
    period_of=month_of,
    due_days=10,
    # completeness follows the largest issuer (the registry tracks one dataset per source)
    tracked_dataset=constants.monthly_dataset("VNPT-CA"),
)
