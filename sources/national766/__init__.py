"""Source ``national766``: the national portal's public 766 figures for the province.

The national public-service portal (Cổng Dịch vụ công quốc gia) publishes,
per province and period, the metrics of the "Bộ chỉ số phục vụ người dân,
doanh nghiệp" (Decision 766/QĐ-TTg) with numerator, denominator, ratio and
score. The warehouse reconciles them with its own 766 variants of T01–T05
(``mart.reconciliation``).

- ``constants.py``: endpoints, groups, metrics, and the province the portal
  publishes the plan's area under (93 until 30/6/2025, 92 after);
- ``api.py``: pulls the answers over HTTP (``CHISO_NATIONAL766_URL``);
- ``connector.py``: reads an answer page (pulled or recorded) into a raw frame;
- ``figures.py``: the portal's formulas over one-stop records (replica and simulator);
- ``simulator.py``: writes recorded answers into the landing zone (the embedded default).
"""

from sources.base import Source
from sources.national766 import connector, constants
from sources.national766.periods import period_of

SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Cổng Dịch vụ công quốc gia — Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766)",
    title_en="National public-service portal — 766 service-index figures",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="monthly",
    period_of=period_of,
    due_days=20,
)
