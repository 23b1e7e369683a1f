"""Source ``ict``: the Department of Information and Communications' inventory of state information systems.

The Department (Sở Thông tin và Truyền thông) keeps the inventory of the
information systems of the province's state agencies under the
security-by-level regime of Decree 85/2016/NĐ-CP and Circular
12/2022/TT-BTTTT: each system's owner agency, proposed and approved security
level (cấp độ 1–5) with the approving decision, and the implementation of the
level's security plan. The inventory is an Excel workbook sent quarterly.

- ``constants.py``: file layout, Vietnamese headers and code lists, in one place;
- ``connector.py``: reads the workbooks into raw frames (cells as text);
- ``simulator.py``: writes the same workbooks, deterministic from a seed, at a chosen scale.

Targets fed: T16 (security level approved), T17 (security plan fully in place).
"""

from sources.base import Source
from sources.ict import connector, constants

SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Danh mục hệ thống thông tin của các cơ quan nhà nước (Sở Thông tin và Truyền thông)",
    title_en="Inventory of state information systems (Department of Information and Communications)",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="quarterly",
    order=("system",),
    period_of=connector.quarter_of,
    due_days=20,
    tracked_dataset="system",
)
