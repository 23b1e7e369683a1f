"""Source ``dvc``: the provincial one-stop system for administrative procedures.

The provincial system (Hệ thống thông tin giải quyết thủ tục hành chính) and the
public-service portal export the procedure catalogue, the procedures each
agency provides, dossiers (hồ sơ) in the record shape they synchronise to the
national portal (https://dichvucong.gov.vn, integration fields as in
Decision 766/QĐ-TTg and Decree 42/2022/NĐ-CP), and satisfaction ratings.

- ``constants.py``: file layout, field names and code lists, in one place;
- ``connector.py``: reads the extract files into raw frames (strings, as sent);
- ``simulator.py``: writes the same files, deterministic from a seed, at a chosen scale.

Targets fed: T01–T05.
"""

from sources.base import Source
from sources.dvc import connector, constants

SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Hệ thống thông tin giải quyết TTHC và Cổng dịch vụ công tỉnh",
    title_en="Provincial one-stop system and public-service portal",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    batch_readers=connector.BATCH_READERS,
    table_readers=connector.TABLE_READERS,
    cadence="daily",
    order=("procedure", "provision", "dossier", "rating"),
    tracked_dataset="dossier",
    due_days=1,
)
