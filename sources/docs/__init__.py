"""Source ``docs``: the provincial document-management and operations system (QLVBĐH).

Hậu Giang's agencies — the provincial departments, the district and commune
People's Committees — open and handle their work files (hồ sơ công việc) in
the shared document-management and operations system (Hệ thống quản lý văn
bản và điều hành). Its monthly report lists the work files opened or closed in
the month, by agency, with whether the file was created and handled end to
end in the system ("xử lý trên môi trường mạng") and its secrecy degree
(state-secret files are outside the target). Work-file metadata follow
Decree 30/2020/NĐ-CP on clerical work (Appendix VI); secrecy degrees the Law
on Protection of State Secrets 2018.

- ``constants.py``: file layout, Vietnamese headers and code lists, in one place;
- ``connector.py``: reads the monthly CSV reports into raw frames (strings, as sent);
- ``simulator.py``: writes the same files, deterministic from a seed, at a chosen scale.

Targets fed: T06a (province departments), T06b (district level), T06c (commune level).
"""

from sources.base import Source
from sources.docs import connector, constants

SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Hệ thống quản lý văn bản và điều hành tỉnh",
    title_en="Provincial document-management and operations system",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="monthly",
    order=("work_file",),
    period_of=connector.month_of,
    due_days=10,
    tracked_dataset="work_file",
)
