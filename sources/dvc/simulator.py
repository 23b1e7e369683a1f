"""Deterministic simulator of the one-stop system's exports (``dvc``).

Writes, below ``<landing_root>/dvc/``, the files the provincial system exports
(layout and field names in ``constants.py``): one dossier file and one rating
file per day, and one catalogue snapshot (procedures and provisions) dated on
the last day simulated (plus one dated 30/6/2025, under the old agencies, when
the range runs across the change of 1/7/2025).

The model, in short:

- **World** (from the seed only): the 103 agencies of ``warehouse/reference`` until 30/6/2025
  with a persistent "digital maturity" each (a district effect shared by the
  district's communes plus the agency's own, both from ``sources.geo`` which
  all simulators share, as are the commune sizes), a catalogue of about 350
  procedures in about 50 sectors, the procedures each agency provides, and
  the date each provision became full-process online (spread over 2023-2025,
  earlier for more mature agencies).
- **Submissions** of day ``s`` are drawn from a generator seeded with
  ``(seed, s.toordinal())`` alone: how many (weekdays many, Saturdays some,
  Sundays and holidays almost none), for which agency and procedure, the
  applicant, the channel, and the dossier's whole life (reception, due date,
  end, result documents, rating). Rates follow a logistic of the agency's
  maturity plus a trend in time (``TREND_ORIGIN`` = 1/1/2025), so units differ
  and every indicator rises through 2025.
- **Sync**: a dossier is written in the file of its submission day with its
  status at the end of that day, and again in the file of the day its
  handling ended (processed 9, result returned 10, withdrawn 7, stopped 8) when
  that is a later day. A day's file therefore needs only the submissions of
  the ``LOOKBACK_DAYS`` before it, which makes ``simulate(d, d)`` write the
  same file for ``d`` as any range that contains ``d``.

- **Geography** (``sources.geo``): the world stays the old communes and
  agencies for every date (rates are continuous); a dossier carries the labels
  of its filing day. From 1/7/2025: the successor agency (a department's city
  department, a commune's new unit's People's Committee; a district's dossiers
  go to the People's Committee of the applicant's new unit), ``MaXaChuHoSo``
  the applicant's new unit (written for every date), and the city departments
  also receive dossiers from the other 75 units of Cần Thơ
  (``CITY_OUTSIDE_FACTOR`` times the area's, drawn from a generator of their
  own). A catalogue snapshot from July names the new agencies.

Only numpy and Polars are used; per-day loops run over days, never over
records.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from sources import geo
from sources.dvc import constants as c

REFERENCE_DIR = geo.REFERENCE

DOSSIERS_PER_YEAR = 640_000  # distinct dossiers a year at scale 1.0 (Hậu Giang, all levels)
TREND_ORIGIN = date(2025, 1, 1)  # t = 0 of the time trend; t = 1 a year later
MAX_SPAN_DAYS = 45  # a dossier's handling ends at most this many days after submission
RATING_LAG_DAYS = 3  # a rating arrives 0-3 days after the end of handling
LOOKBACK_DAYS = MAX_SPAN_DAYS + RATING_LAG_DAYS + 2  # submissions a day's files depend on
APPLICANT_POOL_SHARE = 0.4  # distinct citizens ~ 40 % of the yearly dossier count
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86_400

# office hours: 07:00-11:30 and 13:00-17:00 (seconds of the day)
_MORNING_START, _MORNING_LEN = 7 * 3600, 4 * 3600 + 1800
_AFTERNOON_START = 13 * 3600
_OFFICE_LEN = _MORNING_LEN + 4 * 3600

# volume shares by agency level, and volume weights of the provincial departments
LEVEL_SHARE = {"commune": 0.55, "district": 0.28, "province": 0.17}
DEPARTMENT_WEIGHT = {
    1: 0.3,
    2: 2.0,
    3: 1.6,
    4: 0.4,
    5: 0.8,
    6: 0.9,
    7: 2.6,
    8: 1.0,
    9: 1.8,
    10: 0.3,
    11: 1.5,
    12: 0.4,
    13: 0.3,
    14: 1.0,
    15: 1.2,
    16: 0.4,
    17: 0.2,
    18: 0.1,
    19: 0.4,
    20: 2.4,
}

DISTRICT_SPREAD = 1.2  # district maturity effects range over [-1.2, 1.2]
# From 1/7/2025 the city's departments serve the whole of Cần Thơ: dossiers from the other 75
# new units, this many times the area's own volume at the departments (counted in no plan row).
CITY_OUTSIDE_FACTOR = 2.0
_CHANGE_DAY = geo.CHANGE_DATE.toordinal()
_NEW_LABELS = 200  # label index of the first agency of the new geography (old ones: agency_i)


@cache
def _new_agency_codes() -> tuple[str, ...]:
    """The agencies from 1/7/2025, in reference order (label ``_NEW_LABELS + i``)."""
    return tuple(a["agency_code"] for a in geo.agencies(geo.CHANGE_DATE))


def _label_codes(world: World) -> dict[int, str]:
    """Label index -> the agency code a record writes (old agencies, then the new ones)."""
    codes = dict(enumerate(world.agencies["agency_code"].to_list()))
    codes.update({_NEW_LABELS + i: a for i, a in enumerate(_new_agency_codes())})
    return codes


# Logistic rate models: (intercept, maturity coefficient, trend coefficient per year).
RATE_ONLINE = (1.1, 0.75, 1.25)  # online filing of a full-process procedure (T02)
RATE_VNEID = (2.0, 0.55, 1.5)  # online applicant authenticated with VNeID (T03)
RATE_E_RESULT = (1.45, 0.7, 1.3)  # finished dossier with an electronic result (T04)
RATE_OVERDUE = (-2.0, -0.55, -0.85)  # finished after the due date (T05)
RATE_DIGITISED = (0.1, 0.6, 1.4)  # an in-person document digitised at reception
RATE_PAID_ONLINE = (0.2, 0.5, 1.2)  # fee paid online, online dossiers
# Drawn from hashes of the dossier (not from the daily generator, so the other fields stay as they were):
RATE_NATIONAL_DB = (
    -1.4,
    1.1,
    0.9,
)  # (intercept, online effect, trend): data taken from a national DB
RATE_SYNCED = (4.0, 2.0)  # (intercept, trend): the record reached the national portal
RESULT_DOCUMENT_SHARE = 0.88  # procedures whose result is a document
FULL_PROCESS_MIDPOINT = (
    -520
)  # days from TREND_ORIGIN when half the eligible provisions were full-process
FULL_PROCESS_WIDTH = 300.0  # logistic width (days) of the full-process roll-out
FULL_PROCESS_SHIFT = 130.0  # days earlier per unit of agency maturity


# --- vocabulary ---------------------------------------------------------------


@dataclass(frozen=True)
class Sector:
    """A sector (lĩnh vực) of procedures and the procedures it holds at each level."""

    code: str
    name: str
    department: int  # provincial department handling its province-level procedures
    popularity: float  # relative volume of one of its procedures
    days: tuple[int, int]  # processing time range, working days
    fees: tuple[int, ...]  # fee amounts (VND) drawn per procedure; 0 = no fee
    business: float  # share of applicants that are enterprises
    organisation: float  # share that are organisations
    eligible: float  # share of its procedures eligible to be full-process
    province: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    commune: tuple[str, ...] = ()


SECTORS: tuple[Sector, ...] = (
    Sector(
        "G09-TP01",
        "Hộ tịch",
        2,
        6.0,
        (0, 5),
        (0, 0, 5000, 8000),
        0.0,
        0.0,
        0.92,
        province=("Cấp bản sao trích lục hộ tịch có yếu tố nước ngoài",),
        district=(
            "Đăng ký khai sinh có yếu tố nước ngoài",
            "Đăng ký kết hôn có yếu tố nước ngoài",
            "Đăng ký khai tử có yếu tố nước ngoài",
            "Thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc",
            "Ghi vào Sổ hộ tịch việc hộ tịch của công dân Việt Nam đã được giải quyết tại cơ quan có thẩm quyền của nước ngoài",
            "Đăng ký nhận cha, mẹ, con có yếu tố nước ngoài",
        ),
        commune=(
            "Đăng ký khai sinh",
            "Đăng ký kết hôn",
            "Đăng ký khai tử",
            "Đăng ký nhận cha, mẹ, con",
            "Đăng ký giám hộ",
            "Đăng ký chấm dứt giám hộ",
            "Cấp Giấy xác nhận tình trạng hôn nhân",
            "Cấp bản sao trích lục hộ tịch",
            "Đăng ký lại khai sinh",
            "Đăng ký lại kết hôn",
            "Đăng ký khai sinh kết hợp nhận cha, mẹ, con",
            "Đăng ký khai tử lưu động",
            "Liên thông thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
            "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
        ),
    ),
    Sector(
        "G09-TP02",
        "Chứng thực",
        2,
        9.0,
        (0, 0),
        (0, 2000, 10000, 50000),
        0.02,
        0.02,
        0.85,
        district=(
            "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của nước ngoài cấp",
            "Chứng thực chữ ký người dịch",
            "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch",
        ),
        commune=(
            "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp",
            "Chứng thực chữ ký trong các giấy tờ, văn bản",
            "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất và nhà ở",
            "Chứng thực di chúc",
            "Chứng thực văn bản thỏa thuận phân chia di sản",
            "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực",
        ),
    ),
    Sector(
        "G09-TP03",
        "Lý lịch tư pháp",
        2,
        4.0,
        (10, 10),
        (200000,),
        0.0,
        0.0,
        1.0,
        province=(
            "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
            "Cấp Phiếu lý lịch tư pháp cho cơ quan tiến hành tố tụng",
            "Cấp Phiếu lý lịch tư pháp cho cơ quan nhà nước, tổ chức chính trị, tổ chức chính trị - xã hội",
        ),
    ),
    Sector(
        "G09-TP04",
        "Công chứng",
        2,
        0.3,
        (5, 10),
        (0, 500000, 1000000),
        0.3,
        0.0,
        0.8,
        province=(
            "Thành lập Văn phòng công chứng",
            "Đăng ký hoạt động Văn phòng công chứng",
            "Thay đổi nội dung đăng ký hoạt động của Văn phòng công chứng",
            "Cấp thẻ công chứng viên",
            "Cấp lại thẻ công chứng viên",
            "Chuyển nhượng Văn phòng công chứng",
        ),
    ),
    Sector(
        "G09-TP05",
        "Luật sư",
        2,
        0.3,
        (5, 10),
        (0, 100000),
        0.3,
        0.0,
        0.8,
        province=(
            "Đăng ký hoạt động của tổ chức hành nghề luật sư",
            "Thay đổi nội dung đăng ký hoạt động của tổ chức hành nghề luật sư",
            "Đăng ký hành nghề luật sư với tư cách cá nhân",
            "Thay đổi người đại diện theo pháp luật của văn phòng luật sư, công ty luật",
        ),
    ),
    Sector(
        "G09-TP06",
        "Nuôi con nuôi",
        2,
        0.2,
        (15, 20),
        (0, 400000),
        0.0,
        0.0,
        0.4,
        commune=("Đăng ký việc nuôi con nuôi trong nước",),
    ),
    Sector(
        "G06-KH01",
        "Thành lập và hoạt động doanh nghiệp",
        3,
        3.0,
        (3, 3),
        (0, 50000, 100000),
        0.95,
        0.0,
        0.95,
        province=(
            "Đăng ký thành lập doanh nghiệp tư nhân",
            "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
            "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên",
            "Đăng ký thành lập công ty cổ phần",
            "Đăng ký thay đổi địa chỉ trụ sở chính của doanh nghiệp",
            "Đăng ký thay đổi người đại diện theo pháp luật của công ty",
            "Đăng ký thay đổi vốn điều lệ",
            "Thông báo thay đổi ngành, nghề kinh doanh",
            "Thông báo tạm ngừng kinh doanh",
            "Giải thể doanh nghiệp",
            "Cấp lại Giấy chứng nhận đăng ký doanh nghiệp",
            "Đăng ký hoạt động chi nhánh, văn phòng đại diện, địa điểm kinh doanh",
        ),
    ),
    Sector(
        "G06-KH02",
        "Thành lập và hoạt động của hộ kinh doanh",
        3,
        3.0,
        (3, 3),
        (0, 100000),
        0.0,
        0.0,
        0.95,
        district=(
            "Đăng ký thành lập hộ kinh doanh",
            "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
            "Tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo của hộ kinh doanh",
            "Chấm dứt hoạt động hộ kinh doanh",
            "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh",
        ),
    ),
    Sector(
        "G06-KH03",
        "Đầu tư tại Việt Nam",
        3,
        0.3,
        (15, 20),
        (0,),
        0.9,
        0.05,
        0.6,
        province=(
            "Chấp thuận chủ trương đầu tư của Ủy ban nhân dân cấp tỉnh",
            "Điều chỉnh dự án đầu tư",
            "Cấp Giấy chứng nhận đăng ký đầu tư",
            "Điều chỉnh Giấy chứng nhận đăng ký đầu tư",
            "Giãn tiến độ đầu tư",
            "Chấm dứt hoạt động dự án đầu tư",
        ),
    ),
    Sector(
        "G06-KH04",
        "Kinh tế tập thể, hợp tác xã",
        3,
        0.5,
        (3, 5),
        (0, 100000),
        0.2,
        0.7,
        0.9,
        district=(
            "Đăng ký thành lập hợp tác xã",
            "Đăng ký thay đổi nội dung đăng ký hợp tác xã",
            "Giải thể tự nguyện hợp tác xã",
        ),
    ),
    Sector(
        "G07-TC01",
        "Quản lý công sản",
        4,
        0.3,
        (10, 15),
        (0,),
        0.0,
        0.9,
        0.5,
        province=(
            "Mua sắm tài sản công phục vụ hoạt động của cơ quan, tổ chức, đơn vị",
            "Thanh lý tài sản công",
            "Điều chuyển tài sản công",
            "Xác lập quyền sở hữu toàn dân đối với tài sản",
            "Quyết định giá thuê tài sản công",
        ),
    ),
    Sector(
        "G07-TC02",
        "Tài chính ngân sách",
        4,
        0.3,
        (5, 10),
        (0,),
        0.0,
        0.95,
        0.7,
        province=(
            "Đăng ký mã số đơn vị có quan hệ với ngân sách",
            "Quyết toán vốn đầu tư dự án hoàn thành",
            "Thẩm tra quyết toán vốn đầu tư dự án hoàn thành",
        ),
    ),
    Sector(
        "G08-CT01",
        "Lưu thông hàng hóa trong nước",
        5,
        1.0,
        (7, 15),
        (0, 600000, 1200000),
        0.6,
        0.0,
        0.85,
        province=(
            "Cấp Giấy phép bán buôn rượu",
            "Cấp lại Giấy phép bán buôn rượu",
            "Cấp sửa đổi, bổ sung Giấy phép bán buôn rượu",
            "Cấp Giấy phép bán buôn sản phẩm thuốc lá",
            "Cấp Giấy chứng nhận đủ điều kiện cửa hàng bán lẻ LPG chai",
            "Cấp Giấy xác nhận đủ điều kiện làm thương nhân phân phối xăng dầu",
            "Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu",
            "Cấp lại Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu",
        ),
        district=(
            "Cấp Giấy phép bán lẻ rượu",
            "Cấp lại Giấy phép bán lẻ rượu",
            "Cấp sửa đổi, bổ sung Giấy phép bán lẻ rượu",
            "Cấp Giấy phép sản xuất rượu thủ công nhằm mục đích kinh doanh",
            "Cấp Giấy phép bán lẻ sản phẩm thuốc lá",
        ),
    ),
    Sector(
        "G08-CT02",
        "Xúc tiến thương mại",
        5,
        0.4,
        (5, 7),
        (0,),
        0.9,
        0.0,
        0.9,
        province=(
            "Đăng ký thực hiện khuyến mại theo hình thức mang tính may rủi",
            "Thông báo thực hiện khuyến mại",
            "Đăng ký tổ chức hội chợ, triển lãm thương mại tại Việt Nam",
            "Đăng ký hoạt động bán hàng đa cấp tại địa phương",
        ),
    ),
    Sector(
        "G08-CT03",
        "An toàn thực phẩm",
        15,
        1.0,
        (10, 15),
        (0, 500000, 1000000),
        0.5,
        0.0,
        0.8,
        province=(
            "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở sản xuất thực phẩm",
            "Đăng ký bản công bố sản phẩm nhập khẩu",
            "Cấp lại Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
            "Cấp giấy xác nhận nội dung quảng cáo thực phẩm",
        ),
        district=(
            "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở kinh doanh dịch vụ ăn uống",
            "Cấp lại Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở kinh doanh dịch vụ ăn uống",
        ),
    ),
    Sector(
        "G10-NN01",
        "Bảo vệ thực vật",
        6,
        0.6,
        (7, 10),
        (0, 300000, 500000),
        0.6,
        0.0,
        0.8,
        province=(
            "Cấp Giấy chứng nhận đủ điều kiện buôn bán thuốc bảo vệ thực vật",
            "Cấp lại Giấy chứng nhận đủ điều kiện buôn bán thuốc bảo vệ thực vật",
            "Cấp Giấy chứng nhận đủ điều kiện buôn bán phân bón",
            "Cấp Giấy chứng nhận đủ điều kiện sản xuất phân bón",
            "Cấp Quyết định công nhận cây đầu dòng",
            "Cấp Giấy chứng nhận kiểm dịch thực vật nội địa",
        ),
    ),
    Sector(
        "G10-NN02",
        "Thủy sản",
        6,
        0.5,
        (5, 10),
        (0, 200000),
        0.3,
        0.0,
        0.75,
        province=(
            "Cấp Giấy phép khai thác thủy sản",
            "Cấp văn bản chấp thuận đóng mới, cải hoán tàu cá",
            "Cấp Giấy chứng nhận cơ sở đủ điều kiện sản xuất, ương dưỡng giống thủy sản",
            "Đăng ký tàu cá",
            "Xóa đăng ký tàu cá",
            "Cấp Giấy xác nhận đăng ký nuôi trồng thủy sản lồng bè",
        ),
    ),
    Sector(
        "G10-NN03",
        "Thú y và chăn nuôi",
        6,
        0.6,
        (5, 10),
        (0, 200000, 500000),
        0.4,
        0.0,
        0.8,
        province=(
            "Cấp Giấy chứng nhận đủ điều kiện buôn bán thuốc thú y",
            "Cấp Giấy chứng nhận cơ sở an toàn dịch bệnh động vật",
            "Cấp Giấy chứng nhận đủ điều kiện chăn nuôi đối với chăn nuôi trang trại quy mô lớn",
            "Cấp Giấy chứng nhận kiểm dịch động vật, sản phẩm động vật vận chuyển ra khỏi địa bàn cấp tỉnh",
            "Cấp chứng chỉ hành nghề thú y",
        ),
        commune=("Kê khai hoạt động chăn nuôi",),
    ),
    Sector(
        "G10-NN04",
        "Thủy lợi và phòng, chống thiên tai",
        6,
        0.3,
        (10, 20),
        (0,),
        0.3,
        0.2,
        0.6,
        province=(
            "Cấp giấy phép cho các hoạt động trong phạm vi bảo vệ công trình thủy lợi",
            "Gia hạn, điều chỉnh nội dung giấy phép cho các hoạt động trong phạm vi bảo vệ công trình thủy lợi",
            "Phê duyệt phương án ứng phó thiên tai cho công trình, vùng hạ du đập",
        ),
        district=("Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai, dịch bệnh",),
        commune=("Hỗ trợ cây giống, vật nuôi để khôi phục sản xuất sau thiên tai",),
    ),
    Sector(
        "G10-NN05",
        "Lâm nghiệp và phát triển nông thôn",
        6,
        0.3,
        (5, 15),
        (0,),
        0.2,
        0.3,
        0.7,
        province=(
            "Phê duyệt phương án khai thác thực vật rừng thông thường",
            "Công nhận sản phẩm OCOP cấp tỉnh",
            "Thẩm định, công nhận xã đạt chuẩn nông thôn mới nâng cao",
        ),
        district=("Đánh giá, phân hạng sản phẩm OCOP cấp huyện",),
    ),
    Sector(
        "G11-GT01",
        "Đường bộ",
        7,
        2.2,
        (3, 10),
        (0, 135000, 200000),
        0.15,
        0.0,
        0.9,
        province=(
            "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
            "Cấp lại giấy phép lái xe",
            "Cấp mới giấy phép lái xe",
            "Cấp Giấy phép lái xe quốc tế",
            "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô",
            "Cấp phù hiệu xe ô tô kinh doanh vận tải",
            "Cấp giấy phép thi công công trình đường bộ trên đường bộ đang khai thác",
            "Chấp thuận xây dựng công trình thiết yếu trong phạm vi bảo vệ kết cấu hạ tầng giao thông đường bộ",
            "Cấp giấy phép lưu hành xe quá tải trọng, xe quá khổ giới hạn",
            "Công bố đưa bến xe khách vào khai thác",
        ),
    ),
    Sector(
        "G11-GT02",
        "Đường thủy nội địa",
        7,
        0.5,
        (3, 7),
        (0, 70000),
        0.3,
        0.0,
        0.85,
        province=(
            "Đăng ký phương tiện thủy nội địa lần đầu",
            "Đăng ký lại phương tiện thủy nội địa",
            "Xóa Giấy chứng nhận đăng ký phương tiện thủy nội địa",
            "Công bố hoạt động bến thủy nội địa",
            "Cấp Giấy phép hoạt động bến khách ngang sông",
        ),
        district=(
            "Đăng ký phương tiện thủy nội địa không có động cơ trọng tải toàn phần trên 5 tấn",
            "Cấp lại Giấy chứng nhận đăng ký phương tiện thủy nội địa",
        ),
    ),
    Sector(
        "G12-XD01",
        "Hoạt động xây dựng",
        8,
        1.2,
        (15, 20),
        (0, 75000, 150000),
        0.4,
        0.05,
        0.8,
        province=(
            "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II",
            "Cấp giấy phép sửa chữa, cải tạo đối với công trình",
            "Điều chỉnh giấy phép xây dựng",
            "Gia hạn giấy phép xây dựng",
            "Cấp lại giấy phép xây dựng",
            "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng",
            "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở",
            "Cấp chứng chỉ hành nghề hoạt động xây dựng",
            "Cấp chứng chỉ năng lực hoạt động xây dựng",
        ),
        district=(
            "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
            "Cấp giấy phép xây dựng sửa chữa, cải tạo đối với nhà ở riêng lẻ",
            "Cấp giấy phép di dời đối với công trình",
            "Điều chỉnh giấy phép xây dựng nhà ở riêng lẻ",
            "Gia hạn giấy phép xây dựng nhà ở riêng lẻ",
            "Thẩm định báo cáo kinh tế - kỹ thuật đầu tư xây dựng",
        ),
    ),
    Sector(
        "G12-XD02",
        "Quy hoạch xây dựng, kiến trúc",
        8,
        0.4,
        (15, 20),
        (0,),
        0.4,
        0.2,
        0.7,
        province=(
            "Thẩm định nhiệm vụ, đồ án quy hoạch chi tiết",
            "Cung cấp thông tin về quy hoạch xây dựng",
            "Cấp giấy phép quy hoạch dự án đầu tư xây dựng",
        ),
        district=(
            "Thẩm định đồ án quy hoạch chi tiết dự án đầu tư xây dựng công trình",
            "Cung cấp thông tin về quy hoạch xây dựng thuộc thẩm quyền của Ủy ban nhân dân cấp huyện",
        ),
    ),
    Sector(
        "G12-XD03",
        "Nhà ở và kinh doanh bất động sản",
        8,
        0.4,
        (10, 20),
        (0, 500000),
        0.5,
        0.0,
        0.7,
        province=(
            "Cho thuê nhà ở công vụ",
            "Công nhận chủ đầu tư dự án nhà ở thương mại",
            "Cấp chứng chỉ hành nghề môi giới bất động sản",
            "Thông báo nhà ở hình thành trong tương lai đủ điều kiện được bán, cho thuê mua",
        ),
    ),
    Sector(
        "G13-TN01",
        "Đất đai",
        9,
        2.4,
        (10, 25),
        (0, 100000, 500000),
        0.1,
        0.05,
        0.7,
        province=(
            "Giao đất, cho thuê đất không thông qua đấu giá quyền sử dụng đất đối với tổ chức",
            "Chuyển mục đích sử dụng đất đối với tổ chức",
            "Gia hạn sử dụng đất đối với tổ chức",
            "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho tổ chức",
            "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
            "Đính chính Giấy chứng nhận đã cấp",
            "Cấp đổi Giấy chứng nhận quyền sử dụng đất",
            "Xóa đăng ký cho thuê, cho thuê lại, góp vốn bằng quyền sử dụng đất",
            "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất",
            "Xóa đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất",
            "Cung cấp dữ liệu đất đai",
            "Tách thửa hoặc hợp thửa đất",
        ),
        district=(
            "Giao đất, cho thuê đất cho hộ gia đình, cá nhân",
            "Chuyển mục đích sử dụng đất đối với hộ gia đình, cá nhân",
            "Gia hạn sử dụng đất nông nghiệp của hộ gia đình, cá nhân",
            "Giải quyết tranh chấp đất đai thuộc thẩm quyền của Chủ tịch Ủy ban nhân dân cấp huyện",
            "Thu hồi đất do chấm dứt việc sử dụng đất theo pháp luật, tự nguyện trả lại đất",
        ),
        commune=("Hòa giải tranh chấp đất đai", "Xác nhận hiện trạng sử dụng đất"),
    ),
    Sector(
        "G13-TN02",
        "Môi trường",
        9,
        0.5,
        (15, 25),
        (0, 1000000),
        0.7,
        0.05,
        0.6,
        province=(
            "Cấp giấy phép môi trường",
            "Cấp đổi giấy phép môi trường",
            "Cấp điều chỉnh giấy phép môi trường",
            "Cấp lại giấy phép môi trường",
            "Thẩm định báo cáo đánh giá tác động môi trường",
        ),
        district=("Cấp giấy phép môi trường thuộc thẩm quyền của Ủy ban nhân dân cấp huyện",),
        commune=("Đăng ký môi trường",),
    ),
    Sector(
        "G13-TN03",
        "Tài nguyên nước và khoáng sản",
        9,
        0.3,
        (20, 25),
        (0, 600000),
        0.7,
        0.05,
        0.6,
        province=(
            "Cấp giấy phép thăm dò nước dưới đất",
            "Cấp giấy phép khai thác, sử dụng nước mặt",
            "Cấp giấy phép khai thác, sử dụng nước dưới đất",
            "Gia hạn, điều chỉnh giấy phép khai thác, sử dụng nước dưới đất",
            "Cấp giấy phép hành nghề khoan nước dưới đất",
            "Cấp Giấy phép khai thác khoáng sản làm vật liệu xây dựng thông thường",
        ),
    ),
    Sector(
        "G14-TT01",
        "Báo chí, xuất bản, in và phát hành",
        10,
        0.3,
        (5, 10),
        (0, 100000),
        0.6,
        0.2,
        0.9,
        province=(
            "Cấp giấy phép thiết lập trang thông tin điện tử tổng hợp",
            "Cấp giấy phép xuất bản bản tin",
            "Cấp giấy phép hoạt động in",
            "Xác nhận đăng ký hoạt động cơ sở in",
            "Cấp giấy phép nhập khẩu xuất bản phẩm không kinh doanh",
            "Cấp giấy phép xuất bản tài liệu không kinh doanh",
        ),
    ),
    Sector(
        "G14-TT02",
        "Phát thanh, truyền hình và thông tin điện tử",
        10,
        0.3,
        (5, 10),
        (0, 200000),
        0.7,
        0.0,
        0.9,
        province=(
            "Cấp Giấy chứng nhận đăng ký cung cấp dịch vụ trò chơi điện tử G1 trên mạng",
            "Cấp giấy phép cung cấp dịch vụ trò chơi điện tử G1 trên mạng",
        ),
        district=(
            "Cấp Giấy chứng nhận đủ điều kiện hoạt động điểm cung cấp dịch vụ trò chơi điện tử công cộng",
        ),
    ),
    Sector(
        "G15-LĐ01",
        "Việc làm và lao động",
        11,
        1.6,
        (5, 20),
        (0, 400000, 600000),
        0.2,
        0.0,
        0.8,
        province=(
            "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",
            "Cấp lại giấy phép lao động cho người lao động nước ngoài",
            "Xác nhận người lao động nước ngoài không thuộc diện cấp giấy phép lao động",
            "Giải quyết hưởng trợ cấp thất nghiệp",
            "Tạm dừng hưởng trợ cấp thất nghiệp",
            "Cấp giấy phép hoạt động dịch vụ việc làm",
            "Đăng ký nội quy lao động",
            "Cấp giấy chứng nhận đăng ký hoạt động giáo dục nghề nghiệp",
        ),
    ),
    Sector(
        "G15-LĐ02",
        "Người có công",
        11,
        1.0,
        (5, 20),
        (0,),
        0.0,
        0.0,
        0.8,
        province=(
            "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ",
            "Cấp giấy xác nhận thân nhân liệt sĩ",
            "Công nhận thương binh, người hưởng chính sách như thương binh",
            "Di chuyển hồ sơ người có công với cách mạng",
        ),
        district=(
            "Giải quyết chế độ ưu đãi đối với người hoạt động kháng chiến bị nhiễm chất độc hóa học",
            "Hỗ trợ người có công đi làm phương tiện, dụng cụ trợ giúp chức năng",
            "Giải quyết chế độ ưu đãi đối với Bà mẹ Việt Nam anh hùng",
        ),
        commune=(
            "Giải quyết trợ cấp mai táng phí đối với người có công với cách mạng",
            "Xác nhận người có công để hưởng ưu đãi giáo dục",
            "Cấp thẻ bảo hiểm y tế cho thân nhân người có công",
        ),
    ),
    Sector(
        "G15-LĐ03",
        "Bảo trợ xã hội",
        11,
        1.8,
        (3, 10),
        (0,),
        0.0,
        0.02,
        0.85,
        district=(
            "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng",
            "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
            "Tiếp nhận đối tượng bảo trợ xã hội có hoàn cảnh đặc biệt khó khăn vào cơ sở trợ giúp xã hội",
            "Chi trả trợ cấp xã hội hàng tháng khi đối tượng thay đổi nơi cư trú",
        ),
        commune=(
            "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật",
            "Đổi, cấp lại Giấy xác nhận khuyết tật",
            "Trợ giúp xã hội khẩn cấp về hỗ trợ làm nhà ở, sửa chữa nhà ở",
            "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm",
            "Công nhận hộ thoát nghèo, hộ thoát cận nghèo trong năm",
            "Đăng ký hoạt động đối với cơ sở trợ giúp xã hội dưới 10 đối tượng",
        ),
    ),
    Sector(
        "G15-LĐ04",
        "Trẻ em",
        11,
        0.2,
        (5, 10),
        (0,),
        0.0,
        0.0,
        0.6,
        commune=(
            "Đăng ký nhận chăm sóc thay thế cho trẻ em đối với cá nhân, người đại diện gia đình không phải là người thân thích",
            "Áp dụng các biện pháp can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em khỏi môi trường hoặc người gây tổn hại",
        ),
    ),
    Sector(
        "G16-VH01",
        "Văn hóa, thể thao và du lịch",
        12,
        0.5,
        (5, 10),
        (0, 2000000, 3000000),
        0.6,
        0.1,
        0.85,
        province=(
            "Cấp Giấy phép kinh doanh dịch vụ lữ hành nội địa",
            "Cấp Giấy phép kinh doanh dịch vụ lữ hành quốc tế",
            "Cấp thẻ hướng dẫn viên du lịch nội địa",
            "Công nhận hạng cơ sở lưu trú du lịch",
            "Cấp Giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao",
            "Tiếp nhận thông báo tổ chức biểu diễn nghệ thuật",
            "Cấp giấy phép phổ biến phim",
        ),
        district=(
            "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke",
            "Thông báo tổ chức lễ hội cấp huyện",
        ),
        commune=(
            "Đăng ký tổ chức lễ hội",
            "Thông báo tổ chức lễ hội",
            "Xét tặng danh hiệu Gia đình văn hóa hằng năm",
        ),
    ),
    Sector(
        "G17-KC01",
        "Khoa học và công nghệ",
        13,
        0.3,
        (5, 15),
        (0, 500000),
        0.7,
        0.1,
        0.85,
        province=(
            "Cấp Giấy chứng nhận đăng ký hoạt động khoa học và công nghệ",
            "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ không sử dụng ngân sách nhà nước",
            "Cấp giấy phép tiến hành công việc bức xạ sử dụng thiết bị X-quang chẩn đoán trong y tế",
            "Cấp chứng chỉ nhân viên bức xạ",
            "Đăng ký công bố hợp chuẩn dựa trên kết quả chứng nhận",
            "Đăng ký công bố hợp quy đối với sản phẩm, hàng hóa nhóm 2",
        ),
    ),
    Sector(
        "G18-GD01",
        "Giáo dục và Đào tạo",
        14,
        1.0,
        (3, 10),
        (0,),
        0.0,
        0.2,
        0.8,
        province=(
            "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
            "Chỉnh sửa nội dung văn bằng, chứng chỉ",
            "Công nhận văn bằng tốt nghiệp do cơ sở giáo dục nước ngoài cấp",
            "Thành lập trường trung học phổ thông tư thục",
            "Cho phép trường trung học phổ thông hoạt động giáo dục",
            "Chuyển trường đối với học sinh trung học phổ thông",
            "Cấp giấy phép tổ chức hoạt động dạy thêm, học thêm",
            "Phúc khảo bài thi tốt nghiệp trung học phổ thông",
        ),
        district=(
            "Chuyển trường đối với học sinh trung học cơ sở",
            "Thành lập trường mầm non tư thục",
            "Cho phép trường tiểu học hoạt động giáo dục",
            "Xét, duyệt chính sách hỗ trợ đối với học sinh bán trú",
            "Xét cấp hỗ trợ học tập cho trẻ mẫu giáo, học sinh tiểu học, trung học cơ sở",
        ),
        commune=(
            "Cho phép nhóm trẻ, lớp mẫu giáo độc lập hoạt động giáo dục",
            "Thành lập nhóm trẻ, lớp mẫu giáo độc lập",
        ),
    ),
    Sector(
        "G19-YT01",
        "Khám bệnh, chữa bệnh",
        15,
        0.6,
        (10, 20),
        (0, 360000, 1500000),
        0.2,
        0.2,
        0.8,
        province=(
            "Cấp giấy phép hành nghề khám bệnh, chữa bệnh",
            "Cấp lại giấy phép hành nghề khám bệnh, chữa bệnh",
            "Cấp giấy phép hoạt động đối với phòng khám chuyên khoa",
            "Cấp giấy phép hoạt động khám bệnh, chữa bệnh nhân đạo",
            "Công bố cơ sở đủ điều kiện thực hiện khám sức khỏe",
        ),
    ),
    Sector(
        "G19-YT02",
        "Dược phẩm, mỹ phẩm và trang thiết bị y tế",
        15,
        0.7,
        (10, 20),
        (0, 500000),
        0.6,
        0.0,
        0.85,
        province=(
            "Cấp chứng chỉ hành nghề dược",
            "Cấp lại chứng chỉ hành nghề dược",
            "Cấp Giấy chứng nhận đủ điều kiện kinh doanh dược cho cơ sở bán lẻ thuốc",
            "Cấp Giấy chứng nhận đủ điều kiện kinh doanh dược cho cơ sở bán buôn thuốc",
            "Công bố đủ điều kiện mua bán trang thiết bị y tế loại B, C, D",
            "Cấp giấy xác nhận nội dung quảng cáo mỹ phẩm",
            "Tiếp nhận phiếu công bố sản phẩm mỹ phẩm",
        ),
    ),
    Sector(
        "G20-NV01",
        "Công chức, viên chức và tổ chức bộ máy",
        16,
        0.3,
        (10, 20),
        (0,),
        0.0,
        0.5,
        0.5,
        province=(
            "Thi tuyển công chức",
            "Xét tuyển viên chức",
            "Thăng hạng chức danh nghề nghiệp viên chức",
            "Thẩm định thành lập đơn vị sự nghiệp công lập",
        ),
        district=("Thành lập thôn mới, tổ dân phố mới",),
    ),
    Sector(
        "G20-NV02",
        "Tổ chức phi chính phủ",
        16,
        0.2,
        (15, 20),
        (0,),
        0.0,
        0.9,
        0.6,
        province=(
            "Công nhận ban vận động thành lập hội",
            "Cho phép thành lập hội",
            "Phê duyệt điều lệ hội",
            "Cấp giấy phép thành lập và công nhận điều lệ quỹ",
        ),
        district=("Cho phép hội có phạm vi hoạt động trong huyện đặt văn phòng đại diện",),
    ),
    Sector(
        "G20-NV03",
        "Thi đua, khen thưởng",
        16,
        0.4,
        (10, 20),
        (0,),
        0.0,
        0.5,
        0.5,
        province=(
            "Tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh theo công trạng",
            "Tặng danh hiệu Chiến sĩ thi đua cấp tỉnh",
            "Tặng Cờ thi đua của Ủy ban nhân dân cấp tỉnh",
        ),
        district=(
            "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp huyện",
            "Tặng danh hiệu Lao động tiên tiến",
        ),
        commune=(
            "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã về thực hiện nhiệm vụ chính trị",
        ),
    ),
    Sector(
        "G20-NV04",
        "Tín ngưỡng, tôn giáo",
        16,
        0.2,
        (10, 20),
        (0,),
        0.0,
        0.6,
        0.7,
        province=(
            "Đăng ký hoạt động tôn giáo cho tổ chức có địa bàn hoạt động ở nhiều huyện",
            "Thông báo danh mục hoạt động tôn giáo bổ sung",
        ),
        district=("Thông báo tổ chức quyên góp ngoài địa bàn một xã",),
        commune=("Đăng ký hoạt động tín ngưỡng", "Đăng ký sinh hoạt tôn giáo tập trung"),
    ),
    Sector(
        "G20-NV05",
        "Văn thư và lưu trữ",
        16,
        0.2,
        (3, 10),
        (0, 200000),
        0.0,
        0.3,
        0.9,
        province=(
            "Cấp Chứng chỉ hành nghề lưu trữ",
            "Phục vụ việc sử dụng tài liệu của độc giả tại phòng đọc",
        ),
    ),
    Sector(
        "G21-TTr01",
        "Giải quyết khiếu nại, tố cáo",
        17,
        0.3,
        (20, 25),
        (0,),
        0.0,
        0.05,
        0.0,
        province=(
            "Giải quyết khiếu nại lần đầu tại cấp tỉnh",
            "Giải quyết khiếu nại lần hai tại cấp tỉnh",
            "Giải quyết tố cáo tại cấp tỉnh",
            "Tiếp công dân tại cấp tỉnh",
            "Xử lý đơn tại cấp tỉnh",
        ),
        district=(
            "Giải quyết khiếu nại lần đầu tại cấp huyện",
            "Giải quyết tố cáo tại cấp huyện",
            "Tiếp công dân tại cấp huyện",
        ),
        commune=(
            "Giải quyết khiếu nại lần đầu tại cấp xã",
            "Giải quyết tố cáo tại cấp xã",
            "Tiếp công dân tại cấp xã",
        ),
    ),
    Sector(
        "G22-DT01",
        "Công tác dân tộc",
        18,
        0.3,
        (10, 15),
        (0,),
        0.0,
        0.1,
        0.5,
        province=(
            "Công nhận người có uy tín trong đồng bào dân tộc thiểu số",
            "Đưa ra khỏi danh sách người có uy tín trong đồng bào dân tộc thiểu số",
            "Hỗ trợ đất ở, nhà ở, đất sản xuất, nước sinh hoạt cho hộ đồng bào dân tộc thiểu số",
        ),
    ),
    Sector(
        "G23-KCN01",
        "Quản lý khu công nghiệp",
        19,
        0.8,
        (5, 15),
        (0, 400000),
        0.95,
        0.0,
        0.85,
        province=(
            "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án trong khu công nghiệp",
            "Điều chỉnh Giấy chứng nhận đăng ký đầu tư đối với dự án trong khu công nghiệp",
            "Cấp giấy phép xây dựng công trình trong khu công nghiệp",
            "Cấp giấy phép lao động cho người nước ngoài làm việc trong khu công nghiệp",
            "Cấp Giấy chứng nhận xuất xứ hàng hóa ưu đãi mẫu D",
        ),
    ),
    Sector(
        "G24-VP01",
        "Ngoại vụ và kiểm soát thủ tục hành chính",
        1,
        0.5,
        (5, 10),
        (0,),
        0.4,
        0.2,
        0.8,
        province=(
            "Cho phép sử dụng thẻ đi lại của doanh nhân APEC",
            "Cho phép tổ chức hội nghị, hội thảo quốc tế",
            "Tiếp nhận phản ánh, kiến nghị về quy định hành chính",
            "Cho phép xuất cảnh đối với cán bộ, công chức, viên chức",
        ),
    ),
    Sector(
        "G25-CA01",
        "Xuất nhập cảnh",
        20,
        2.5,
        (5, 8),
        (200000, 100000),
        0.0,
        0.0,
        0.9,
        province=(
            "Cấp hộ chiếu phổ thông gắn chíp điện tử tại cấp tỉnh",
            "Cấp hộ chiếu phổ thông không gắn chíp điện tử tại cấp tỉnh",
            "Trình báo mất hộ chiếu phổ thông",
            "Khôi phục giá trị sử dụng hộ chiếu phổ thông",
            "Cấp thị thực cho người nước ngoài tại Việt Nam",
            "Cấp thẻ tạm trú cho người nước ngoài",
        ),
    ),
    Sector(
        "G25-CA02",
        "Đăng ký, quản lý phương tiện giao thông",
        20,
        2.0,
        (2, 5),
        (150000, 500000),
        0.2,
        0.05,
        0.9,
        province=(
            "Đăng ký, cấp biển số xe lần đầu",
            "Đăng ký sang tên, di chuyển xe",
            "Thu hồi đăng ký, biển số xe",
            "Cấp đổi, cấp lại chứng nhận đăng ký xe, biển số xe",
        ),
    ),
    Sector(
        "G25-CA03",
        "Phòng cháy, chữa cháy và an ninh trật tự",
        20,
        0.5,
        (5, 15),
        (0, 500000),
        0.8,
        0.05,
        0.7,
        province=(
            "Thẩm định thiết kế về phòng cháy và chữa cháy",
            "Nghiệm thu về phòng cháy và chữa cháy",
            "Cấp Chứng chỉ hành nghề dịch vụ về phòng cháy và chữa cháy",
            "Cấp Giấy chứng nhận đủ điều kiện về an ninh, trật tự để kinh doanh ngành, nghề có điều kiện",
            "Cấp giấy phép sử dụng vũ khí thể thao",
            "Cấp giấy phép sử dụng pháo hoa",
        ),
    ),
)

# Sector popularity at one level where it differs from the sector's (e.g. civil status
# with a foreign element at district level is rare, land registration there is not).
LEVEL_POPULARITY = {
    ("G09-TP01", "province"): 0.1,
    ("G09-TP01", "district"): 0.08,
    ("G09-TP02", "district"): 0.15,
    ("G13-TN01", "district"): 2.5,
    ("G13-TN01", "commune"): 0.2,
    ("G15-LĐ03", "district"): 1.5,
    ("G21-TTr01", "commune"): 0.3,
    ("G10-NN03", "commune"): 2.0,
}
POPULARITY_DECAY = (
    0.75  # each procedure of a sector's list is this much less frequent than the one before
)

# Result documents of the most frequent procedures (else derived from the name).
RESULT_NAMES = {
    "Đăng ký khai sinh": "Giấy khai sinh",
    "Đăng ký kết hôn": "Giấy chứng nhận kết hôn",
    "Đăng ký khai tử": "Trích lục khai tử",
    "Đăng ký lại khai sinh": "Giấy khai sinh",
    "Đăng ký lại kết hôn": "Giấy chứng nhận kết hôn",
}
SUBMITTED_DOCUMENTS = (
    "Bản sao Căn cước công dân",
    "Giấy ủy quyền",
    "Giấy tờ chứng minh nơi cư trú",
    "Giấy chứng sinh",
    "Bản sao Giấy chứng nhận đăng ký doanh nghiệp",
    "Bản vẽ thiết kế",
    "Hợp đồng",
    "Giấy chứng nhận quyền sử dụng đất",
    "Sơ đồ vị trí",
    "Ảnh chân dung 4x6",
    "Bản sao văn bằng, chứng chỉ",
    "Giấy khám sức khỏe",
    "Biên bản",
    "Bản kê khai",
    "Danh sách kèm theo",
)

FAMILY_NAMES = (
    ("Nguyễn", 34),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 6),
    ("Huỳnh", 5),
    ("Võ", 5),
    ("Phan", 4),
    ("Trương", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 1.5),
    ("Hồ", 1.5),
    ("Ngô", 1.5),
    ("Dương", 1.2),
    ("Lý", 1),
    ("Lâm", 1.2),
    ("Châu", 0.8),
    ("Thạch", 1),
    ("Danh", 0.8),
    ("Tô", 0.6),
    ("Hoàng", 1),
    ("Đinh", 0.6),
    ("Mai", 0.6),
    ("Cao", 0.5),
    ("Lương", 0.5),
    ("La", 0.4),
    ("Kim", 0.4),
    ("Quách", 0.4),
    ("Trịnh", 0.4),
    ("Đoàn", 0.6),
)
MIDDLE_NAMES = (
    (
        "Văn",
        "Hữu",
        "Minh",
        "Thanh",
        "Quốc",
        "Đức",
        "Công",
        "Hoàng",
        "Ngọc",
        "Tấn",
        "Thành",
        "Trọng",
        "Phước",
    ),
    (
        "Thị",
        "Thị",
        "Thị",
        "Ngọc",
        "Thanh",
        "Kim",
        "Mỹ",
        "Thúy",
        "Hồng",
        "Bích",
        "Phương",
        "Diễm",
        "Cẩm",
    ),
)
GIVEN_NAMES = (
    (
        "An",
        "Bình",
        "Cường",
        "Dũng",
        "Hải",
        "Hùng",
        "Khang",
        "Khoa",
        "Long",
        "Lộc",
        "Minh",
        "Nam",
        "Nghĩa",
        "Phát",
        "Phúc",
        "Phong",
        "Quang",
        "Sang",
        "Tài",
        "Tâm",
        "Thắng",
        "Thành",
        "Thiện",
        "Toàn",
        "Trí",
        "Trung",
        "Tuấn",
        "Vinh",
        "Vũ",
        "Hiếu",
        "Đạt",
        "Huy",
        "Kiệt",
        "Tùng",
        "Nhân",
        "Lợi",
        "Hậu",
        "Bảo",
    ),
    (
        "Anh",
        "Châu",
        "Diễm",
        "Dung",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hiền",
        "Hoa",
        "Hương",
        "Huyền",
        "Lan",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Nga",
        "Ngân",
        "Nhi",
        "Nhung",
        "Oanh",
        "Phượng",
        "Quyên",
        "Thảo",
        "Thư",
        "Trang",
        "Trinh",
        "Tuyết",
        "Uyên",
        "Vy",
        "Yến",
        "Xuân",
        "Thủy",
        "Liên",
        "Cúc",
        "Đào",
        "Ngọc",
    ),
)
BIRTH_PROVINCES = (
    "092",
    "094",
    "091",
    "089",
    "086",
    "079",
    "087",
    "095",
    "096",
    "083",
    "082",
    "001",
)
PHONE_PREFIXES = (
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "086",
    "088",
    "089",
    "081",
    "083",
    "084",
    "085",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
)
MAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "haugiang.gov.vn",
)
COMPANY_FORMS = (
    "Công ty TNHH",
    "Công ty TNHH MTV",
    "Công ty Cổ phần",
    "Doanh nghiệp tư nhân",
    "Hợp tác xã",
)
COMPANY_TRADES = (
    "Thương mại",
    "Thương mại Dịch vụ",
    "Xây dựng",
    "Nông nghiệp",
    "Thủy sản",
    "Vận tải",
    "Xuất nhập khẩu",
    "Đầu tư",
    "Chế biến Nông sản",
    "Công nghệ",
    "Dược phẩm",
    "Cơ khí",
)
COMPANY_NAMES = (
    "Phú Lộc",
    "Hậu Giang Xanh",
    "Mekong",
    "Minh Phát",
    "Tân Thành",
    "Vị Thanh",
    "Ngã Bảy",
    "Long Mỹ",
    "Phương Nam",
    "Thành Đạt",
    "Hòa Bình",
    "An Khang",
    "Cửu Long",
    "Phát Đạt",
    "Kim Ngân",
    "Sông Hậu",
    "Tây Đô",
    "Đại Phát",
    "Hưng Thịnh",
    "Nam Việt",
)
ORGANISATION_FORMS = (
    "Trường Tiểu học",
    "Trường Trung học cơ sở",
    "Trạm Y tế",
    "Hợp tác xã Nông nghiệp",
    "Hội Nông dân",
    "Ban Quản lý dự án",
    "Trường Mầm non",
    "Hội Cựu chiến binh",
)


# --- small pure helpers -------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _rate(model: tuple[float, float, float], maturity: np.ndarray, t: float) -> np.ndarray:
    """A logistic rate: intercept + maturity effect + trend (``t`` in years from TREND_ORIGIN)."""
    a, b, slope = model
    return _sigmoid(a + b * maturity + slope * t)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-spread uint64 hash of each value (vectorised, pure)."""
    with np.errstate(over="ignore"):
        z = np.asarray(x).astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _salted(keys: np.ndarray, seed: int, salt: int | np.ndarray) -> np.ndarray:
    """Hash of ``keys`` under a (seed, salt) pair."""
    salt_hash = _mix(
        np.asarray(seed * 1_000_003 + np.asarray(salt, dtype=np.int64), dtype=np.uint64)
    )
    return _mix(np.asarray(keys, dtype=np.uint64) ^ salt_hash)


def _pick(hashes: np.ndarray, n: int) -> np.ndarray:
    """Hash -> index in ``range(n)``."""
    return (hashes % np.uint64(n)).astype(np.int64)


def _unit(hashes: np.ndarray) -> np.ndarray:
    """Hash -> float in [0, 1)."""
    return (hashes >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _ascii(text: str) -> str:
    """Vietnamese text without diacritics, lower case, no spaces (for e-mail addresses)."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch) and ch.isalnum()).lower()


def _lookup(column: str, values: Sequence[str]) -> pl.Expr:
    """Integer index column -> the string at that index."""
    return pl.col(column).replace_strict(
        list(range(len(values))), list(values), return_dtype=pl.String
    )


def _epoch(day: np.ndarray | int, seconds: np.ndarray | int) -> np.ndarray:
    """Day ordinal and seconds of the day -> epoch seconds (local time written as naive)."""
    return (np.asarray(day, dtype=np.int64) - _EPOCH_ORDINAL) * _DAY + np.asarray(
        seconds, dtype=np.int64
    )


def office_clock(position: np.ndarray) -> np.ndarray:
    """Seconds into the office day (0 .. 8.5 h) -> seconds of the day (07:00-11:30, 13:00-17:00)."""
    position = np.clip(position, 0, _OFFICE_LEN)
    return np.where(
        position < _MORNING_LEN,
        _MORNING_START + position,
        _AFTERNOON_START + position - _MORNING_LEN,
    ).astype(np.int64)


def office_position(clock: np.ndarray) -> np.ndarray:
    """Seconds of the day -> seconds into the office day (inverse of ``office_clock``, clipped)."""
    clock = np.asarray(clock, dtype=np.int64)
    pos = np.where(
        clock < _AFTERNOON_START,
        np.minimum(clock - _MORNING_START, _MORNING_LEN),
        clock - _AFTERNOON_START + _MORNING_LEN,
    )
    return np.clip(pos, 0, _OFFICE_LEN)


def _time_after(rng: np.random.Generator, clock: np.ndarray, gap: int = 300) -> np.ndarray:
    """An office time later the same day than ``clock`` (at least a minute later, even after 17:00)."""
    lo = office_position(clock) + gap
    hi = np.maximum(lo, _OFFICE_LEN)
    drawn = office_clock(lo + rng.random(len(lo)) * (hi - lo))
    return np.maximum(drawn, np.asarray(clock) + 60)


# --- calendar -----------------------------------------------------------------

# Public holidays (Tết, Hùng Kings, 30/4-1/5, 2/9 with the official swaps) of the years simulated.
_HOLIDAYS = {
    2023: [
        "01-02",
        "01-20",
        "01-23",
        "01-24",
        "01-25",
        "01-26",
        "05-01",
        "05-02",
        "05-03",
        "09-01",
        "09-04",
    ],
    2024: [
        "01-01",
        "02-08",
        "02-09",
        "02-12",
        "02-13",
        "02-14",
        "04-18",
        "04-29",
        "04-30",
        "05-01",
        "09-02",
        "09-03",
    ],
    2025: [
        "01-01",
        "01-27",
        "01-28",
        "01-29",
        "01-30",
        "01-31",
        "04-07",
        "04-30",
        "05-01",
        "05-02",
        "09-01",
        "09-02",
    ],
    2026: [
        "01-01",
        "02-16",
        "02-17",
        "02-18",
        "02-19",
        "02-20",
        "04-27",
        "04-30",
        "05-01",
        "09-01",
        "09-02",
    ],
}
_FIXED_HOLIDAYS = ["01-01", "04-30", "05-01", "09-02"]


@cache
def holidays(year: int) -> frozenset[int]:
    """Day ordinals of the public holidays of ``year`` (fixed ones only outside 2023-2026)."""
    return frozenset(
        date.fromisoformat(f"{year}-{md}").toordinal()
        for md in _HOLIDAYS.get(year, _FIXED_HOLIDAYS)
    )


def is_working_day(day: int) -> bool:
    d = date.fromordinal(day)
    return d.weekday() < 5 and day not in holidays(d.year)


@dataclass(frozen=True)
class Calendar:
    """Working days (Monday-Friday less holidays) over a window of day ordinals."""

    working: np.ndarray  # sorted day ordinals

    @classmethod
    def between(cls, first: int, last: int) -> Calendar:
        return cls(
            np.array([d for d in range(first, last + 1) if is_working_day(d)], dtype=np.int64)
        )

    def index_on_or_after(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.working, days, side="left")

    def index_on_or_before(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.working, days, side="right") - 1

    def day(self, index: np.ndarray) -> np.ndarray:
        return self.working[np.clip(index, 0, len(self.working) - 1)]


def day_weight(day: int) -> float:
    """Relative dossier volume of a day: working day 1, Saturday some, Sunday/holiday almost none."""
    d = date.fromordinal(day)
    if is_working_day(day):
        return 1.0
    if d.weekday() == 5 and day not in holidays(d.year):
        return 0.12
    return 0.02


_WEIGHT_PER_YEAR = sum(day_weight(TREND_ORIGIN.toordinal() + i) for i in range(365))


# --- the world: agencies, catalogue, provisions --------------------------------


@dataclass(frozen=True)
class World:
    """Everything that depends on the seed only (and the applicant pool on the scale)."""

    seed: int
    scale: float
    agencies: pl.DataFrame  # agency_code, agency_level, unit_code, district, maturity, share
    procedures: pl.DataFrame  # catalogue rows + internal columns (days, fee, ...)
    provisions: pl.DataFrame  # agency_i, proc_i, pre_level, full_day (ordinal; huge = never), p
    citizens: int  # applicant pools
    companies: int
    communes: tuple[str, ...]  # commune names (organisation names)


def _agency_table() -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Agencies with district, maturity and share of the dossier volume.

    Commune sizes and unit maturities come from ``sources.geo``, shared by all
    simulators, so the same commune is large and advanced in every source.
    Maturity here = a district effect (the districts ranked by their shared
    maturity and spread evenly over +-``DISTRICT_SPREAD``, so there are always
    leading and lagging districts) + the agency's own (its shared maturity,
    scaled to unit variance).
    """
    # the simulated world: the 2024 units and agencies, for every date (records relabel them)
    units = pl.DataFrame(list(geo.units(geo.LAST_OLD_DAY)))
    agencies = pl.DataFrame(list(geo.agencies(geo.LAST_OLD_DAY)))
    unit_info = units.select("unit_code", "unit_type_vi", "district_code", "name_vi")
    df = agencies.join(unit_info, on="unit_code", how="left", maintain_order="left")
    districts = sorted(
        units.filter(pl.col("admin_level") == "district")["unit_code"].to_list(),
        key=lambda d: (geo.maturity(d), d),
    )
    spread = DISTRICT_SPREAD * np.linspace(-1.0, 1.0, len(districts))
    district_effect = dict(zip(districts, spread, strict=True))
    population = {commune.code: commune.population for commune in geo.communes()}
    level = df["agency_level"].to_numpy()
    codes = df["agency_code"].to_list()
    unit = df["unit_code"].to_list()
    district = df["district_code"].fill_null("").to_numpy()
    urban = df["unit_type_vi"].is_in(["Phường", "Thị trấn"]).to_numpy()
    own = np.sqrt(3.0) * np.array(
        [
            geo.maturity(u if lv != "province" else a)
            for u, a, lv in zip(unit, codes, level, strict=True)
        ]
    )
    effect = np.array([district_effect.get(d, 0.0) for d in district])
    maturity = np.where(
        level == "commune",
        effect + 0.6 * own + 0.25 * urban,
        np.where(level == "district", effect + 0.3 * own, 0.2 + 0.7 * own),
    )
    pop = np.array(
        [
            float(population.get(u, 0)) if lv == "commune" else 0.0
            for u, lv in zip(unit, level, strict=True)
        ]
    )
    pop_by_district = {d: pop[(district == d) & (level == "commune")].sum() for d in districts}
    department = np.array(
        [
            int(code.split(".")[1]) if lv == "province" else 0
            for code, lv in zip(codes, level, strict=True)
        ]
    )
    raw = np.where(
        level == "commune",
        pop,
        np.where(
            level == "district",
            [pop_by_district.get(d, 0.0) for d in district],
            [DEPARTMENT_WEIGHT.get(int(k), 0.3) for k in department],
        ),
    )
    share = np.zeros(len(codes))
    for lv, part in LEVEL_SHARE.items():
        mask = level == lv
        share[mask] = part * raw[mask] / raw[mask].sum()
    communes = tuple(df.filter(pl.col("agency_level") == "commune")["name_vi"].to_list())
    table = df.select("agency_code", "agency_level", "unit_code").with_columns(
        district=pl.Series(district),
        department=pl.Series(department),
        maturity=pl.Series(maturity),
        share=pl.Series(share),
    )
    return table, communes


def _national_codes(rng: np.random.Generator, n: int) -> list[str]:
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < n:
        prefix = rng.choice([1, 2, 3], p=[0.6, 0.36, 0.04])
        code = f"{prefix}.{int(rng.integers(150, 13000)):06d}"
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def _result_name(name: str) -> str:
    """The name of a procedure's result document."""
    if name in RESULT_NAMES:
        return RESULT_NAMES[name]
    for verb in (
        "Cấp lại ",
        "Cấp đổi, cấp lại ",
        "Cấp đổi ",
        "Cấp sửa đổi, bổ sung ",
        "Cấp mới ",
        "Cấp ",
    ):
        if name.startswith(verb):
            rest = name[len(verb) :]
            return rest[0].upper() + rest[1:]
    return "Văn bản giải quyết thủ tục " + name[0].lower() + name[1:]


def _procedure_table(rng: np.random.Generator, seed: int = 190) -> pl.DataFrame:
    """The catalogue: one row per procedure, with the catalogue columns and internal ones."""
    rows: list[dict[str, Any]] = []
    for si, sector in enumerate(SECTORS):
        for level, names in (
            ("province", sector.province),
            ("district", sector.district),
            ("commune", sector.commune),
        ):
            factor = sector.popularity * LEVEL_POPULARITY.get((sector.code, level), 1.0)
            for position, name in enumerate(names):  # names are listed most frequent first
                rows.append(
                    {
                        "sector_i": si,
                        "level": level,
                        "TenTTHC": name,
                        "weight": factor * POPULARITY_DECAY**position,
                    }
                )
    n = len(rows)
    codes = _national_codes(rng, n)
    sector_i = np.array([r["sector_i"] for r in rows])
    eligible_share = np.array([SECTORS[i].eligible for i in sector_i])
    eligible = rng.random(n) < eligible_share
    max_level = np.where(eligible, 4, np.where(rng.random(n) < 0.7, 3, 2))
    lo = np.array([SECTORS[i].days[0] for i in sector_i])
    hi = np.array([SECTORS[i].days[1] for i in sector_i])
    days = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    fee = np.array([SECTORS[i].fees[int(rng.integers(len(SECTORS[i].fees)))] for i in sector_i])
    popularity = np.array([r["weight"] for r in rows]) * rng.lognormal(0.0, 0.4, n)
    level_vi = {v: k for k, v in c.AGENCY_LEVEL.items()}
    procedure_names = [r["TenTTHC"] for r in rows]
    result_document = _unit(_salted(np.arange(n), seed, 80)) < RESULT_DOCUMENT_SHARE
    return pl.DataFrame(
        {
            "MaTTHC": codes,
            "TenTTHC": procedure_names,
            "MaLinhVuc": [SECTORS[i].code for i in sector_i],
            "TenLinhVuc": [SECTORS[i].name for i in sector_i],
            "CapThucHien": [level_vi[r["level"]] for r in rows],
            "MucDo": max_level,
            "DuDieuKienToanTrinh": eligible.astype(np.int64),
            "YeuCauGiayToKetQua": result_document.astype(np.int64),
            "sector_i": sector_i,
            "level": [r["level"] for r in rows],
            "days": days,
            "fee": fee,
            "fee_name": [
                ("Phí thẩm định " if nm.startswith("Thẩm định") else "Lệ phí ")
                + nm[0].lower()
                + nm[1:]
                for nm in procedure_names
            ],
            "result_name": [_result_name(nm) for nm in procedure_names],
            "popularity": popularity,
            "business": [SECTORS[i].business for i in sector_i],
            "organisation": [SECTORS[i].organisation for i in sector_i],
        }
    )


_NEVER = 10**7  # a day ordinal far beyond any simulation


def _provision_table(
    rng: np.random.Generator, agencies: pl.DataFrame, procedures: pl.DataFrame
) -> pl.DataFrame:
    """Which agency provides which procedure, at which level, full-process since when."""
    proc_level = procedures["level"].to_numpy()
    proc_dept = np.array([SECTORS[i].department for i in procedures["sector_i"]])
    agency_rows, proc_rows = [], []
    for ai, (lv, dept) in enumerate(
        zip(agencies["agency_level"], agencies["department"], strict=True)
    ):
        mask = (proc_level == lv) & ((lv != "province") | (proc_dept == dept))
        idx = np.flatnonzero(mask)
        agency_rows.append(np.full(len(idx), ai))
        proc_rows.append(idx)
    agency_i = np.concatenate(agency_rows)
    proc_i = np.concatenate(proc_rows)
    n = len(agency_i)
    maturity = agencies["maturity"].to_numpy()[agency_i]
    eligible = procedures["DuDieuKienToanTrinh"].to_numpy()[proc_i] == 1
    max_level = procedures["MucDo"].to_numpy()[proc_i]
    pre_level = np.minimum(np.where(rng.random(n) < 0.8, 3, 2), max_level)
    u = np.clip(rng.random(n), 1e-6, 1 - 1e-6)
    offset = (
        FULL_PROCESS_MIDPOINT
        - FULL_PROCESS_SHIFT * maturity
        + FULL_PROCESS_WIDTH * np.log(u / (1 - u))
    )
    origin = TREND_ORIGIN.toordinal()
    full_day = origin + offset.astype(np.int64)
    early = full_day < date(2023, 1, 3).toordinal()
    full_day = np.where(
        early, date(2023, 1, 3).toordinal() + (rng.random(n) * 180).astype(np.int64), full_day
    )
    full_day = np.where(eligible & (full_day < date(2027, 1, 1).toordinal()), full_day, _NEVER)
    weight = procedures["popularity"].to_numpy()[proc_i] * rng.lognormal(0.0, 0.3, n)
    share = agencies["share"].to_numpy()
    totals = np.bincount(agency_i, weights=weight, minlength=agencies.height)
    p = share[agency_i] * weight / totals[agency_i]
    return pl.DataFrame(
        {
            "agency_i": agency_i,
            "proc_i": proc_i,
            "pre_level": pre_level,
            "full_day": full_day,
            "p": p / p.sum(),
        }
    )


def build_world(seed: int = 190, scale: float = 1.0) -> World:
    """The agencies, catalogue and provisions of a seed (deterministic, independent of any date range)."""
    rng = np.random.default_rng([seed, 0])
    agencies, communes = _agency_table()
    procedures = _procedure_table(rng, seed)
    provisions = _provision_table(rng, agencies, procedures)
    yearly = DOSSIERS_PER_YEAR * scale
    return World(
        seed=seed,
        scale=scale,
        agencies=agencies,
        procedures=procedures,
        provisions=provisions,
        citizens=max(50, round(APPLICANT_POOL_SHARE * yearly)),
        companies=max(20, round(0.03 * yearly)),
        communes=communes,
    )


# --- one day's submissions (numbers only) ---------------------------------------


@dataclass(frozen=True)
class _Arrays:
    """Per-world numpy views used in the daily loop."""

    prov_p: np.ndarray
    prov_agency: np.ndarray
    prov_proc: np.ndarray
    prov_pre: np.ndarray
    prov_full: np.ndarray
    maturity: np.ndarray
    days: np.ndarray
    fee: np.ndarray
    business: np.ndarray
    organisation: np.ndarray
    province_provs: np.ndarray  # provisions of the provincial departments
    province_p: np.ndarray  # their draw probabilities (summing to 1)
    province_share: float  # their share of all dossiers
    agency_commune: np.ndarray  # a commune PC's commune (index in geo.communes()), else -1
    agency_level: np.ndarray  # 0 commune, 1 district, 2 province
    agency_district: np.ndarray  # a district PC's district code, else ''
    commune_cum: np.ndarray  # cumulative population shares of the communes (province-wide)
    successor_label: np.ndarray  # per agency: the label of its successor from 1/7/2025, else -1
    commune_label: np.ndarray  # per commune: the label of its new unit's People's Committee

    @classmethod
    def of(cls, world: World) -> _Arrays:
        pv, pr, ag = world.provisions, world.procedures, world.agencies
        p = pv["p"].to_numpy()
        level = ag["agency_level"].replace_strict(
            {"commune": 0, "district": 1, "province": 2}, return_dtype=pl.Int8
        )
        on_province = level.to_numpy()[pv["agency_i"].to_numpy()] == 2
        province_provs = np.flatnonzero(on_province)
        index = {cm.code: i for i, cm in enumerate(geo.communes())}
        population = np.array([cm.population for cm in geo.communes()], dtype=float)
        return cls(
            p / p.sum(),
            pv["agency_i"].to_numpy(),
            pv["proc_i"].to_numpy(),
            pv["pre_level"].to_numpy(),
            pv["full_day"].to_numpy(),
            ag["maturity"].to_numpy(),
            pr["days"].to_numpy(),
            pr["fee"].to_numpy(),
            pr["business"].to_numpy(),
            pr["organisation"].to_numpy(),
            province_provs,
            p[province_provs] / p[province_provs].sum(),
            float(p[province_provs].sum() / p.sum()),
            np.array([index.get(u, -1) for u in ag["unit_code"].to_list()]),
            level.to_numpy(),
            np.array(
                [
                    d if lv == "district" else ""
                    for d, lv in zip(ag["district"], ag["agency_level"], strict=True)
                ]
            ),
            np.cumsum(population) / population.sum(),
            np.array([_label_of(geo.agency_successors()[a]) for a in ag["agency_code"]]),
            np.array(
                [_label_of(geo.commune_agency_code(geo.new_code(cm.code))) for cm in geo.communes()]
            ),
        )


def _label_of(new_agency_code: str) -> int:
    """The label index of an agency of the new geography (-1 for none)."""
    if not new_agency_code:
        return -1
    return _NEW_LABELS + _new_agency_codes().index(new_agency_code)


def _daily_mean(world: World, day: int) -> float:
    t = (day - TREND_ORIGIN.toordinal()) / 365.0
    growth = 0.95 + 0.1 * min(max(t, 0.0), 1.0)
    return DOSSIERS_PER_YEAR * world.scale / _WEIGHT_PER_YEAR * day_weight(day) * growth


def _daily_count(rng: np.random.Generator, world: World, day: int) -> int:
    return int(rng.poisson(_daily_mean(world, day)))


def _applicant_communes(
    rng: np.random.Generator, arrays: _Arrays, agency: np.ndarray
) -> np.ndarray:
    """The commune (index in ``geo.communes()``) of each applicant's address.

    A commune's People's Committee: its own commune; a district's: one of the
    district's communes, by population; a provincial department: any commune, by
    population. Drawn from a generator of its own, so the other draws stay as they were.
    """
    u = rng.random(len(agency))
    anywhere = np.minimum(
        np.searchsorted(arrays.commune_cum, u, side="right"), len(arrays.commune_cum) - 1
    )
    out = np.where(arrays.agency_level[agency] == 0, arrays.agency_commune[agency], anywhere)
    districts = arrays.agency_district[agency]
    for d in np.unique(districts[arrays.agency_level[agency] == 1]):
        members = np.array([i for i, cm in enumerate(geo.communes()) if cm.district_code == d])
        weights = np.diff(np.r_[0.0, arrays.commune_cum])[members]
        cum = np.cumsum(weights) / weights.sum()
        mask = districts == d
        out[mask] = members[np.minimum(np.searchsorted(cum, u[mask], side="right"), len(cum) - 1)]
    return out


def _draw_applicants(
    rng: np.random.Generator, world: World, arrays: _Arrays, proc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Applicant type (1 citizen, 2 enterprise, 3 organisation) and key in its pool."""
    n = len(proc)
    u = rng.random(n)
    biz, org = arrays.business[proc], arrays.organisation[proc]
    kind = np.where(u < biz, 2, np.where(u < biz + org, 3, 1)).astype(np.int8)
    key = np.where(
        kind == 1, rng.integers(0, world.citizens, n), rng.integers(0, world.companies, n)
    )
    return kind, key


def _draw_channel(
    rng: np.random.Generator,
    m: np.ndarray,
    t: float,
    kind: np.ndarray,
    level_now: np.ndarray,
    closed: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Online (only where the agency offers the procedure at level 3/4 that day) and postal flags."""
    p_online = _sigmoid(
        RATE_ONLINE[0] + RATE_ONLINE[1] * m + RATE_ONLINE[2] * t + 0.8 * (kind == 2)
    )
    p_online = np.where(level_now == 4, p_online, np.where(level_now == 3, 0.2 * p_online, 0.0))
    if closed:  # offices closed: almost only online
        p_online = np.where(level_now >= 3, 0.95, 0.0)
    online = rng.random(len(m)) < p_online
    postal = ~online & (rng.random(len(m)) < 0.02)
    return online, postal


def _draw_reception(
    rng: np.random.Generator,
    cal: Calendar,
    day: int,
    online: np.ndarray,
    working: bool,
    closed: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Submission time, reception day and time, and whether reception waits for a later day."""
    n = len(online)
    span = _OFFICE_LEN if working else _MORNING_LEN
    sub_clock = office_clock(rng.random(n) * (span - 900))
    quick = online & (office_position(sub_clock) < _OFFICE_LEN - 5400) & (rng.random(n) < 0.7)
    quick &= working
    later = (online & ~quick) | (~online & closed)
    recv_gap = np.where(online, rng.integers(300, 5400, n), rng.integers(60, 900, n))
    next_idx = cal.index_on_or_before(np.full(n, day)) + 1
    recv_day = np.where(later, cal.day(next_idx), day)
    recv_clock = np.where(
        later,
        office_clock(rng.random(n) * 3 * 3600),
        office_clock(office_position(sub_clock) + recv_gap),
    )
    return sub_clock, recv_day, recv_clock, later


def _draw_end(
    rng: np.random.Generator,
    cal: Calendar,
    day: int,
    m: np.ndarray,
    t: float,
    days: np.ndarray,
    recv_day: np.ndarray,
    recv_clock: np.ndarray,
) -> dict[str, np.ndarray]:
    """Due date, and when and how handling ends: withdrawn, stopped, overdue or on time."""
    n = len(days)
    base_idx = cal.index_on_or_after(recv_day)
    due_day = np.where(days > 0, cal.day(base_idx + days), recv_day)
    due_clock = np.where(days > 0, recv_clock, 17 * 3600)
    u = rng.random(n)
    withdrawn, stopped = u < 0.007, (u >= 0.007) & (u < 0.011)
    overdue = rng.random(n) < _sigmoid(
        RATE_OVERDUE[0] + RATE_OVERDUE[1] * m + RATE_OVERDUE[2] * t + 0.4 * (days >= 10)
    )
    same_share = np.select([days == 0, days <= 2, days <= 5], [0.97, 0.85, 0.55], 0.08)
    same = rng.random(n) < same_share
    on_time_k = np.where(
        same | (days == 0), 0, 1 + (rng.random(n) * np.maximum(days, 1)).astype(np.int64)
    )
    late_k = days + rng.geometric(0.4, n)
    k = np.where(overdue & ~withdrawn & ~stopped, late_k, np.minimum(on_time_k, days))
    end_idx = np.minimum(base_idx + k, cal.index_on_or_before(np.full(n, day + MAX_SPAN_DAYS)))
    end_day = np.where(k == 0, recv_day, cal.day(end_idx))
    end_clock = np.where(
        end_day == recv_day, _time_after(rng, recv_clock), office_clock(rng.random(n) * _OFFICE_LEN)
    )
    on_due_day = ~overdue & (end_day == due_day) & (end_day > recv_day)
    end_clock = np.where(on_due_day, np.minimum(end_clock, due_clock), end_clock)
    return {
        "due_day": due_day,
        "due_clock": due_clock,
        "withdrawn": withdrawn,
        "stopped": stopped,
        "end_day": end_day,
        "end_clock": end_clock,
    }


def _draw_rating(
    rng: np.random.Generator,
    finished: np.ndarray,
    online: np.ndarray,
    late: np.ndarray,
    m: np.ndarray,
    end_day: np.ndarray,
    end_clock: np.ndarray,
) -> dict[str, np.ndarray]:
    """Whether a finished dossier is rated, when (0-3 days after), how, and with a complaint or not."""
    n = len(finished)
    rated = finished & (rng.random(n) < np.where(online, 0.45, 0.33))
    lag = rng.choice(RATING_LAG_DAYS + 1, n, p=[0.5, 0.25, 0.15, 0.1])
    rating_day = end_day + lag
    rating_clock = np.where(
        lag == 0,
        np.minimum(end_clock + rng.integers(300, 4 * 3600, n), 22 * 3600 - 1),
        rng.integers(7 * 3600, 22 * 3600, n),
    )
    rating_clock = np.maximum(rating_clock, np.where(lag == 0, end_clock + 60, 0))
    p4 = 0.02 + 0.12 * late + 0.015 * (m < -1.0)
    u = rng.random(n)
    satisfaction = np.where(
        u < p4, 4, np.where(u < p4 + 0.55 * (1 - p4), 1, np.where(u < p4 + 0.87 * (1 - p4), 2, 3))
    )
    complaint = rng.random(n) < (0.003 + 0.02 * late)
    return {
        "rated": rated,
        "rating_day": rating_day.astype(np.int64),
        "ts_rating": _epoch(rating_day, rating_clock),
        "satisfaction": satisfaction.astype(np.int8),
        "complaint": complaint.astype(np.int8),
    }


def sequence_numbers(agency: np.ndarray, clock: np.ndarray) -> np.ndarray:
    """1-based number of each dossier within its agency, in order of submission time."""
    n = len(agency)
    order = np.lexsort((clock, agency))
    sorted_agency = agency[order]
    starts = np.r_[True, sorted_agency[1:] != sorted_agency[:-1]] if n else np.zeros(0, bool)
    idx = np.arange(n)
    seq = np.empty(n, dtype=np.int64)
    seq[order] = idx - np.maximum.accumulate(np.where(starts, idx, 0)) + 1
    return seq


def submissions_of_day(
    world: World, arrays: _Arrays, cal: Calendar, day: int
) -> dict[str, np.ndarray]:
    """All dossiers submitted on ``day`` and their whole life, as numpy columns.

    Uses only a generator seeded with ``(seed, day)``, so the result does not
    depend on the range being simulated.
    """
    rng = np.random.default_rng([world.seed, day])
    n = _daily_count(rng, world, day)
    prov = rng.choice(len(arrays.prov_p), size=n, p=arrays.prov_p)
    cols = _dossier_lives(rng, world, arrays, cal, day, prov)
    cols["outside_i"] = np.full(n, -1, dtype=np.int64)
    if day >= _CHANGE_DAY:  # the city's departments: applicants from the whole city
        city = np.random.default_rng([world.seed, day, int(geo.CITY_CODE)])
        mean = CITY_OUTSIDE_FACTOR * _daily_mean(world, day) * arrays.province_share
        extra_prov = arrays.province_provs[
            city.choice(
                len(arrays.province_provs), size=int(city.poisson(mean)), p=arrays.province_p
            )
        ]
        extra = _dossier_lives(city, world, arrays, cal, day, extra_prov)
        extra["applicant_key"] = extra["applicant_key"] + world.citizens + world.companies
        extra["outside_i"] = city.integers(0, len(geo.city_units_outside_area()), len(extra_prov))
        cols = {k: np.concatenate([v, extra[k]]) for k, v in cols.items()}
    where = np.random.default_rng([world.seed, day, int(geo.PROVINCE_CODE)])
    cols["applicant_commune_i"] = _applicant_communes(where, arrays, cols["agency_i"])
    label = cols["agency_i"]
    if day >= _CHANGE_DAY:  # the successor, or the People's Committee of the applicant's new unit
        successor = arrays.successor_label[label]
        label = np.where(
            successor >= 0, successor, arrays.commune_label[cols["applicant_commune_i"]]
        )
    cols["label_i"] = label
    cols["seq"] = sequence_numbers(label, cols["ts_sub"])
    return cols


def _dossier_lives(
    rng: np.random.Generator,
    world: World,
    arrays: _Arrays,
    cal: Calendar,
    day: int,
    prov: np.ndarray,
) -> dict[str, np.ndarray]:
    """The whole life of the dossiers submitted on ``day`` for the provisions ``prov``."""
    n = len(prov)
    t = float(np.clip((day - TREND_ORIGIN.toordinal()) / 365.0, -2.0, 2.0))
    working = is_working_day(day)
    saturday = date.fromordinal(day).weekday() == 5 and day not in holidays(
        date.fromordinal(day).year
    )
    closed = not working and not saturday  # Sunday or holiday

    agency = arrays.prov_agency[prov]
    proc = arrays.prov_proc[prov]
    m = arrays.maturity[agency]
    days = arrays.days[proc]
    level_now = np.where(arrays.prov_full[prov] <= day, 4, arrays.prov_pre[prov])

    applicant_type, applicant_key = _draw_applicants(rng, world, arrays, proc)
    online, postal = _draw_channel(rng, m, t, applicant_type, level_now, closed)
    sub_clock, recv_day, recv_clock, later = _draw_reception(rng, cal, day, online, working, closed)
    refused = ~later & (rng.random(n) < np.where(online, 0.04, 0.012))  # decided the same day
    end = _draw_end(rng, cal, day, m, t, days, recv_day, recv_clock)
    end_day, end_clock = end["end_day"], end["end_clock"]

    returned = rng.random(n) < 0.8
    final_status = np.select(
        [refused, end["withdrawn"], end["stopped"], returned], [3, 7, 8, 10], 9
    )
    final_status = final_status.astype(np.int8)
    end_day = np.where(refused, day, end_day)
    refuse_clock = np.where(refused, _time_after(rng, sub_clock, 120), 0)

    # status at the end of the submission day
    first_open = rng.choice(np.array([2, 4, 5, 6], dtype=np.int8), size=n, p=[0.3, 0.6, 0.07, 0.03])
    first_status = np.where(
        end_day == day, final_status, np.where(recv_day > day, 1, first_open)
    ).astype(np.int8)

    ts_end = _epoch(end_day, end_clock)
    ts_due = _epoch(end["due_day"], end["due_clock"])
    finished = (final_status == 9) | (final_status == 10)
    ret_clock = np.maximum(
        office_clock(office_position(end_clock) + rng.integers(0, 3600, n)), end_clock
    )

    # flags and lists
    vneid = online & (rng.random(n) < _rate(RATE_VNEID, m, t))
    n_items = rng.integers(1, 4, n)
    p_dig = np.where(online, 0.92, _rate(RATE_DIGITISED, m, t))
    digitised = rng.random((n, 3)) < p_dig[:, None]
    reused = rng.random((n, 3)) < (0.06 + 0.06 * max(t, 0.0))
    has_digitised = (digitised & (np.arange(3)[None, :] < n_items[:, None])).any(axis=1)
    documents = rng.integers(0, len(SUBMITTED_DOCUMENTS), (n, 3))
    fee = arrays.fee[proc]
    has_fee = (fee > 0) & (rng.random(n) < 0.9)
    paid_online = online & has_fee & (rng.random(n) < _rate(RATE_PAID_ONLINE, m, t))
    e_result = rng.random(n) < _sigmoid(
        RATE_E_RESULT[0] + RATE_E_RESULT[1] * m + RATE_E_RESULT[2] * t + 0.9 * online
    )
    n_results = np.where(finished & e_result, 1 + (rng.random(n) < 0.25), 0)
    form = np.where(
        online,
        rng.choice([3, 1, 2], n, p=[0.6, 0.3, 0.1]),
        np.where(postal, 2, rng.choice([1, 2, 0], n, p=[0.85, 0.1, 0.05])),
    )
    rating = _draw_rating(
        rng, finished, online, finished & (ts_end > ts_due), m, end_day, end_clock
    )

    received = ~refused
    return {
        "sub_day": np.full(n, day, dtype=np.int64),
        "agency_i": agency,
        "proc_i": proc,
        "applicant_type": applicant_type,
        "applicant_key": applicant_key,
        "channel": np.where(online, 2, np.where(postal, 3, 1)).astype(np.int8),
        "form": form.astype(np.int8),
        "vneid": vneid.astype(np.int8),
        "digitised_any": has_digitised.astype(np.int8),
        "paid_online": np.where(paid_online, 1, 3).astype(np.int8),
        "has_fee": has_fee,
        "n_items": n_items,
        **{f"dig{j}": digitised[:, j].astype(np.int8) for j in range(3)},
        **{f"reuse{j}": reused[:, j].astype(np.int8) for j in range(3)},
        **{f"doc{j}": documents[:, j] for j in range(3)},
        "n_results": n_results.astype(np.int64),
        "first_status": first_status,
        "final_status": final_status,
        "end_day": end_day.astype(np.int64),
        "ts_sub": _epoch(day, sub_clock),
        "ts_recv": np.where(received, _epoch(recv_day, recv_clock), -1),
        "ts_due": np.where(received, ts_due, -1),
        "ts_end": np.where(received, ts_end, -1),
        "ts_ret": np.where(final_status == 10, _epoch(end_day, ret_clock), -1),
        "ts_refuse": np.where(refused, _epoch(day, refuse_clock), -1),
        **rating,
    }


def simulate_dossiers(world: World, first: int, last: int) -> pl.DataFrame:
    """All dossiers submitted on the day ordinals ``first..last``, one row each (numbers only)."""
    cal = Calendar.between(first - 10, last + MAX_SPAN_DAYS + 120)
    arrays = _Arrays.of(world)
    parts = [submissions_of_day(world, arrays, cal, d) for d in range(first, last + 1)]
    columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return pl.DataFrame(columns)


# --- records and text -------------------------------------------------------------


def _date_text(ts: str, present: pl.Expr) -> pl.Expr:
    return (
        pl.when(present & (pl.col(ts) >= 0))
        .then(pl.from_epoch(pl.col(ts), time_unit="s").dt.strftime(c.DATE_FORMAT))
        .otherwise(None)
    )


def _applicant_columns(world: World, key: np.ndarray, kind: np.ndarray) -> pl.DataFrame:
    """Name, ID number, phone and e-mail of each applicant key (the same person every time)."""
    seed = world.seed
    h1 = _salted(key, seed, 11 + kind.astype(np.int64))
    h2, h3 = _mix(h1), _mix(_mix(h1))
    # citizens
    born_here = _unit(h1) < 0.82
    birth = np.where(born_here, 0, 1 + _pick(h1 >> np.uint64(20), len(BIRTH_PROVINCES)))
    female = ((h1 >> np.uint64(8)) & np.uint64(1)).astype(np.int64)
    year = 1945 + _pick(h1 >> np.uint64(30), 62)
    century = np.where(year >= 2000, 2, 0) + female
    serial = _pick(h2 >> np.uint64(3), 1_000_000)
    citizen_id = century * 10**8 + (year % 100) * 10**6 + serial  # last 9 digits
    weights = np.array([w for _, w in FAMILY_NAMES], dtype=float)
    family = np.searchsorted(np.cumsum(weights) / weights.sum(), _unit(h2), side="right")
    family = np.minimum(family, len(FAMILY_NAMES) - 1)
    middle = _pick(h2 >> np.uint64(17), len(MIDDLE_NAMES[0]))
    given = _pick(h2 >> np.uint64(29), len(GIVEN_NAMES[0]))
    # enterprises and organisations
    tax = 6_300_000_000 + _pick(h2, 100_000_000)
    form_i = _pick(h1 >> np.uint64(5), len(COMPANY_FORMS))
    trade_i = _pick(h1 >> np.uint64(13), len(COMPANY_TRADES))
    brand_i = _pick(h1 >> np.uint64(23), len(COMPANY_NAMES))
    org_i = _pick(h1 >> np.uint64(5), len(ORGANISATION_FORMS))
    commune_i = _pick(h1 >> np.uint64(33), len(world.communes))
    # contacts
    phone_prefix = _pick(h3, len(PHONE_PREFIXES))
    phone_rest = _pick(h3 >> np.uint64(7), 10**7)
    has_mail = _unit(_mix(h3)) < np.where(kind == 1, 0.45, 0.85)
    domain = _pick(
        h3 >> np.uint64(41), len(MAIL_DOMAINS) - 1
    )  # the .gov.vn one is for organisations
    domain = np.where(kind == 3, len(MAIL_DOMAINS) - 1, domain)
    mail_no = _pick(h3 >> np.uint64(50), 100)
    family_ascii = [_ascii(f) for f, _ in FAMILY_NAMES]
    given_ascii = [[_ascii(g) for g in gs] for gs in GIVEN_NAMES]
    brand_ascii = [_ascii(b) for b in COMPANY_NAMES]
    commune_ascii = [_ascii(x) for x in world.communes]
    frame = pl.DataFrame(
        {
            "kind": kind,
            "birth": birth,
            "citizen_id": citizen_id,
            "female": female,
            "family": family,
            "middle": middle,
            "given": given,
            "tax": tax,
            "form_i": form_i,
            "trade_i": trade_i,
            "brand_i": brand_i,
            "org_i": org_i,
            "commune_i": commune_i,
            "phone_prefix": phone_prefix,
            "phone_rest": phone_rest,
            "has_mail": has_mail,
            "domain": domain,
            "mail_no": mail_no,
        }
    )
    birth_codes = ("093", *BIRTH_PROVINCES)
    female_col = pl.col("female") == 1
    person = pl.concat_str(
        [
            _lookup("family", [f for f, _ in FAMILY_NAMES]),
            pl.lit(" "),
            pl.when(female_col)
            .then(_lookup("middle", MIDDLE_NAMES[1]))
            .otherwise(_lookup("middle", MIDDLE_NAMES[0])),
            pl.lit(" "),
            pl.when(female_col)
            .then(_lookup("given", GIVEN_NAMES[1]))
            .otherwise(_lookup("given", GIVEN_NAMES[0])),
        ]
    )
    company = pl.concat_str(
        [
            _lookup("form_i", COMPANY_FORMS),
            pl.lit(" "),
            _lookup("trade_i", COMPANY_TRADES),
            pl.lit(" "),
            _lookup("brand_i", COMPANY_NAMES),
        ]
    )
    organisation = pl.concat_str(
        [_lookup("org_i", ORGANISATION_FORMS), pl.lit(" "), _lookup("commune_i", world.communes)]
    )
    person_mail = pl.concat_str(
        [
            pl.when(female_col)
            .then(_lookup("given", given_ascii[1]))
            .otherwise(_lookup("given", given_ascii[0])),
            _lookup("family", family_ascii),
            pl.col("mail_no").cast(pl.String),
        ]
    )
    company_mail = pl.concat_str([pl.lit("info."), _lookup("brand_i", brand_ascii)])
    org_mail = pl.concat_str([pl.lit("vp."), _lookup("commune_i", commune_ascii)])
    mail_user = (
        pl.when(pl.col("kind") == 1)
        .then(person_mail)
        .when(pl.col("kind") == 2)
        .then(company_mail)
        .otherwise(org_mail)
    )
    return frame.select(
        ChuHoSo=pl.when(pl.col("kind") == 1)
        .then(person)
        .when(pl.col("kind") == 2)
        .then(company)
        .otherwise(organisation),
        SoGiayToChuHoSo=pl.when(pl.col("kind") == 1)
        .then(
            pl.concat_str(
                [_lookup("birth", birth_codes), pl.col("citizen_id").cast(pl.String).str.zfill(9)]
            )
        )
        .otherwise(pl.col("tax").cast(pl.String)),
        SoDienThoai=pl.concat_str(
            [
                _lookup("phone_prefix", PHONE_PREFIXES),
                pl.col("phone_rest").cast(pl.String).str.zfill(7),
            ]
        ),
        Email=pl.when(pl.col("has_mail"))
        .then(pl.concat_str([mail_user, pl.lit("@"), _lookup("domain", MAIL_DOMAINS)]))
        .otherwise(pl.lit("")),
    )


def _national_columns(world: World, records: pl.DataFrame, uid: np.ndarray) -> pl.DataFrame:
    """Data taken from a national database (and which), and sync to the national portal.

    Drawn from hashes of the dossier's identity, so both versions of a dossier
    agree and the fields drawn from the daily generator are unchanged.
    """
    t = (records["sub_day"].to_numpy() - TREND_ORIGIN.toordinal()) / 365.0
    online = records["channel"].to_numpy() == 2
    a, b, slope = RATE_NATIONAL_DB
    taken = _unit(_salted(uid, world.seed, 79)) < _sigmoid(a + b * online + slope * t)
    synced = _unit(_salted(uid, world.seed, 81)) < _sigmoid(RATE_SYNCED[0] + RATE_SYNCED[1] * t)
    enterprise = records["applicant_type"].to_numpy() == 2
    code = np.where(taken, np.where(enterprise, "CSDLQGDKDN", "CSDLQGDC"), "")
    return pl.DataFrame(
        {
            "national_db": taken.astype(np.int8),
            "national_db_code": code.astype(str),
            "synced": synced.astype(np.int8),
        }
    )


def _nested(frame: pl.DataFrame, items: list[pl.Expr], count: pl.Expr) -> pl.Series:
    """A list-of-struct column: the first ``count`` of ``items`` (struct expressions) of each row.

    Built long (one row per item) and gathered back, which is much faster than
    ``concat_list`` of structs.
    """
    rows = frame.with_row_index("_row").with_columns(_count=count)
    long = pl.concat(
        [
            rows.filter(pl.col("_count") > j).select("_row", _j=pl.lit(j), _item=item)
            for j, item in enumerate(items)
        ]
    ).sort("_row", "_j")
    lists = long.group_by("_row", maintain_order=True).agg(pl.col("_item"))
    dtype = lists.schema["_item"]
    joined = rows.select("_row").join(lists, on="_row", how="left", maintain_order="left")
    return joined["_item"].fill_null(pl.lit([], dtype=dtype))


def _first_document() -> pl.Expr:
    """The application form: a declaration (tờ khai) for civil status, else a request (đơn)."""
    return (
        pl.when(pl.col("MaLinhVuc") == "G09-TP01")
        .then(pl.lit("Tờ khai"))
        .otherwise(pl.lit("Đơn đề nghị"))
    )


def _with_labels(world: World, frame: pl.DataFrame) -> pl.DataFrame:
    """Add what a record carries for the date of its submission (``sub_day``).

    ``agency_code``: the handling agency (its successor from 1/7/2025, a district's
    People's Committee then being the applicant's new unit's); ``applicant_unit``:
    the GSO code of the applicant's commune (the new unit's from 1/7/2025; one of
    the city's other units for the departments' applicants from outside the area).
    """
    old = [cm.code for cm in geo.communes()]
    codes = _label_codes(world)
    unit = (
        pl.when(pl.col("outside_i") >= 0)
        .then(_lookup("outside_i", geo.city_units_outside_area()))
        .when(pl.col("sub_day") >= _CHANGE_DAY)
        .then(_lookup("applicant_commune_i", [geo.new_code(x) for x in old]))
        .otherwise(_lookup("applicant_commune_i", old))
    )
    return frame.with_columns(
        applicant_unit=unit,
        agency_code=pl.col("label_i").replace_strict(codes, return_dtype=pl.String),
    )


def _dossier_records(world: World, dossiers: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """The records synced on days ``first..last``: first sendings and re-sendings at the end of handling."""
    in_range = pl.col("sync_day").is_between(first, last)
    sent = dossiers.with_columns(sync_day=pl.col("sub_day"), status=pl.col("first_status")).filter(
        in_range
    )
    resent = (
        dossiers.filter(pl.col("end_day") > pl.col("sub_day"))
        .with_columns(sync_day=pl.col("end_day"), status=pl.col("final_status"))
        .filter(in_range & pl.col("final_status").is_in([7, 8, 9, 10]))
    )
    records = pl.concat([sent, resent])
    if records.height == 0:
        return _empty_dossier_frame()
    applicants = _applicant_columns(
        world,
        records["applicant_key"].to_numpy(),
        records["applicant_type"].to_numpy().astype(np.int64),
    )
    uid = (
        (records["sub_day"].to_numpy().astype(np.uint64) << np.uint64(24))
        | (records["label_i"].to_numpy().astype(np.uint64) << np.uint64(14))
        | records["seq"].to_numpy().astype(np.uint64)
    )
    file_ids = {
        f"file{j}": (
            _salted(uid * np.uint64(4) + np.uint64(j), world.seed, 77) % np.uint64(10**15)
        ).astype(np.int64)
        for j in range(3)
    }
    result_ids = {
        f"res{j}": (
            _salted(uid * np.uint64(4) + np.uint64(j), world.seed, 78) % np.uint64(10**12)
        ).astype(np.int64)
        for j in range(2)
    }
    records = pl.concat(
        [
            records,
            applicants,
            pl.DataFrame(file_ids),
            pl.DataFrame(result_ids),
            _national_columns(world, records, uid),
        ],
        how="horizontal",
    )
    procs = (
        world.procedures.select(
            "MaTTHC",
            "TenTTHC",
            "MaLinhVuc",
            "TenLinhVuc",
            "fee",
            "fee_name",
            "result_name",
        )
        .with_row_index("proc_i")
        .with_columns(pl.col("proc_i").cast(pl.Int64))
    )
    records = _with_labels(world, records.join(procs, on="proc_i", how="left"))
    status = pl.col("status")
    received = ~status.is_in(list(c.NOT_RECEIVED_STATUSES))
    ended = status.is_in([7, 8, *c.FINISHED_STATUSES])
    finished = status.is_in(list(c.FINISHED_STATUSES))
    sub_date = pl.from_epoch(pl.col("ts_sub"), time_unit="s")
    ma_ho_so = pl.concat_str(
        [
            pl.col("agency_code"),
            pl.lit("-"),
            sub_date.dt.strftime("%y%m%d"),
            pl.lit("-"),
            pl.col("seq").cast(pl.String).str.zfill(4),
        ]
    )
    items = [
        pl.struct(
            TepDinhKemId=pl.col(f"file{j}").cast(pl.String),
            TenTepDinhKem=(_first_document() if j == 0 else _lookup(f"doc{j}", SUBMITTED_DOCUMENTS))
            + pl.lit(".pdf"),
            DuocSoHoa=pl.col(f"dig{j}").cast(pl.Int64),
            DuocTaiSuDung=pl.col(f"reuse{j}").cast(pl.Int64),
        )
        for j in range(3)
    ]
    results = [
        pl.struct(
            TenGiayTo=pl.col("result_name")
            if j == 0
            else pl.lit("Bản sao điện tử ") + pl.col("result_name"),
            MaGiayToKetQua=pl.concat_str(
                [
                    pl.when(pl.col("sub_day") >= _CHANGE_DAY)
                    .then(pl.lit(f"KQ.H{geo.CITY_CODE}."))
                    .otherwise(pl.lit(f"KQ.H{geo.PROVINCE_CODE}.")),
                    sub_date.dt.strftime("%Y"),
                    pl.lit("."),
                    pl.col(f"res{j}").cast(pl.String).str.zfill(12),
                ]
            ),
            DuongDanTepTinKetQua=pl.concat_str(
                [
                    pl.when(pl.col("sub_day") >= _CHANGE_DAY)
                    .then(pl.lit("https://dichvucong.cantho.gov.vn/ketqua/"))
                    .otherwise(pl.lit("https://dichvucong.haugiang.gov.vn/ketqua/")),
                    sub_date.dt.strftime("%Y/%m/"),
                    pl.col(f"res{j}").cast(pl.String).str.zfill(12),
                    pl.lit(".pdf"),
                ]
            ),
        )
        for j in range(2)
    ]
    fee_item = pl.struct(TenPhiLePhi=pl.col("fee_name"), MucPhi=pl.col("fee").cast(pl.Int64))
    n_results = pl.when(finished).then(pl.col("n_results")).otherwise(0)
    out = records.select(
        MaHoSo=ma_ho_so,
        MaTTHC="MaTTHC",
        TenTTHC="TenTTHC",
        MaLinhVuc="MaLinhVuc",
        TenLinhVuc="TenLinhVuc",
        KenhThucHien=pl.col("channel").cast(pl.Int64),
        ChuHoSo="ChuHoSo",
        SoGiayToChuHoSo="SoGiayToChuHoSo",
        LoaiDoiTuong=pl.col("applicant_type").cast(pl.Int64),
        SoDienThoai="SoDienThoai",
        Email="Email",
        NgayNopHoSo=_date_text("ts_sub", pl.lit(True)),
        NgayTiepNhan=_date_text("ts_recv", received),
        NgayHenTra=_date_text("ts_due", received),
        NgayKetThucXuLy=_date_text("ts_end", ended),
        NgayTra=_date_text("ts_ret", status == 10),
        NgayTuChoi=_date_text("ts_refuse", status == 3),
        TrangThaiHoSo=status.cast(pl.Int64),
        DonViXuLy="agency_code",
        MaXaChuHoSo="applicant_unit",
        HinhThuc=pl.col("form").cast(pl.Int64),
        TaiKhoanDuocXacThucVoiVNeID=pl.col("vneid").cast(pl.Int64),
        HoSoCoThanhPhanSoHoa=pl.col("digitised_any").cast(pl.Int64),
        DuocThanhToanTrucTuyen=pl.col("paid_online").cast(pl.Int64),
        DuocLayTuKhoDMQG=pl.col("national_db").cast(pl.Int64),
        MaCSDL=pl.col("national_db_code"),
        DongBoDVCQG=pl.col("synced").cast(pl.Int64),
        sync_day=pl.col("sync_day"),
        _order=pl.max_horizontal(
            "ts_sub",
            pl.when(received).then("ts_recv").otherwise(-1),
            pl.when(ended).then("ts_end").otherwise(-1),
            pl.when(status == 10).then("ts_ret").otherwise(-1),
            pl.when(status == 3).then("ts_refuse").otherwise(-1),
        ),
    )
    out = out.with_columns(
        TaiLieuNop=_nested(records, items, pl.col("n_items")),
        DanhSachGiayToKetQua=_nested(records, results, n_results),
        DanhSachLePhi=_nested(records, [fee_item], pl.col("has_fee").cast(pl.Int64)),
    )
    columns = [*c.DOSSIER_SCALAR_FIELDS, *c.DOSSIER_LIST_FIELDS, "sync_day", "_order"]
    return out.select(columns).sort("sync_day", "_order", "MaHoSo")


def _empty_dossier_frame() -> pl.DataFrame:
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        f: pl.String for f in c.DOSSIER_SCALAR_FIELDS
    }
    schema.update(
        {
            name: pl.List(pl.Struct({f: pl.String for f in fields}))
            for name, fields in c.DOSSIER_LIST_FIELDS.items()
        }
    )
    schema.update({"sync_day": pl.Int64, "_order": pl.Int64})
    return pl.DataFrame(schema=schema)


def _rating_records(world: World, dossiers: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """Ratings received on days ``first..last``."""
    rated = dossiers.filter(pl.col("rated") & pl.col("rating_day").is_between(first, last))
    return (
        _with_labels(world, rated)
        .select(
            MaHoSo=pl.concat_str(
                [
                    pl.col("agency_code"),
                    pl.lit("-"),
                    pl.from_epoch(pl.col("ts_sub"), time_unit="s").dt.strftime("%y%m%d"),
                    pl.lit("-"),
                    pl.col("seq").cast(pl.String).str.zfill(4),
                ]
            ),
            NgayDanhGia=pl.from_epoch(pl.col("ts_rating"), time_unit="s").dt.strftime(
                c.DATE_FORMAT
            ),
            MucDoHaiLong=pl.col("satisfaction").cast(pl.Int64),
            CoKhieuNai=pl.col("complaint").cast(pl.Int64),
            sync_day=pl.col("rating_day"),
        )
        .sort("sync_day", "NgayDanhGia", "MaHoSo")
    )


# --- catalogue snapshot --------------------------------------------------------


def catalogue_frames(world: World, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The procedure catalogue and the provisions as they stand at the end of ``as_of``."""
    procedures = world.procedures.select(c.PROCEDURE_COLUMNS).sort("MaTTHC")
    day = as_of.toordinal()
    full_ts = _epoch(world.provisions["full_day"].to_numpy(), 0) + 8 * 3600
    provisions = (
        world.provisions.with_columns(full_ts=pl.Series(full_ts))
        .join(
            world.agencies.select("agency_code")
            .with_row_index("agency_i")
            .with_columns(pl.col("agency_i").cast(pl.Int64)),
            on="agency_i",
            how="left",
        )
        .join(
            world.procedures.select("MaTTHC")
            .with_row_index("proc_i")
            .with_columns(pl.col("proc_i").cast(pl.Int64)),
            on="proc_i",
            how="left",
        )
    )
    full = pl.col("full_day") <= day
    provisions = provisions.with_columns(
        MucDo=pl.when(full).then(4).otherwise(pl.col("pre_level")).cast(pl.Int64),
        full_ts=pl.when(full).then(pl.col("full_ts")).otherwise(None),
    )
    if as_of >= geo.CHANGE_DATE:
        provisions = _successor_provisions(world, provisions)
    provisions = provisions.select(
        MaDonVi="agency_code",
        MaTTHC="MaTTHC",
        MucDo="MucDo",
        NgayCungCapToanTrinh=pl.from_epoch(pl.col("full_ts"), time_unit="s").dt.strftime(
            c.DATE_FORMAT
        ),
    ).sort("MaDonVi", "MaTTHC")
    return procedures, provisions


def _successor_provisions(world: World, provisions: pl.DataFrame) -> pl.DataFrame:
    """The provisions under the agencies of 1/7/2025: each old agency's go to its successor (a
    district's to the People's Committees of the new units its communes went into). A new
    agency offers a procedure full-process where the predecessors that handled most of its
    dossiers (by volume share) did, from the earliest of their days; else at the highest level
    below full-process any of them offered."""
    arrays = _Arrays.of(world)
    codes = _label_codes(world)
    pairs = []
    for i, succ in enumerate(arrays.successor_label):
        if succ >= 0:
            pairs.append((i, codes[int(succ)]))
        else:  # a district: the new units of its communes
            district = arrays.agency_district[i]
            for j, cm in enumerate(geo.communes()):
                if cm.district_code == district:
                    pairs.append((i, codes[int(arrays.commune_label[j])]))
    successors = pl.DataFrame(
        {"agency_i": [i for i, _ in pairs], "successor": [a for _, a in pairs]},
        schema={"agency_i": pl.Int64, "successor": pl.String},
    ).unique()
    weights = world.agencies.select(pl.col("share").cast(pl.Float64)).with_row_index("agency_i")
    full = pl.col("MucDo") == 4
    return (
        provisions.join(successors, on="agency_i", how="inner")
        .join(weights.with_columns(pl.col("agency_i").cast(pl.Int64)), on="agency_i", how="left")
        .group_by("successor", "MaTTHC")
        .agg(
            # full-process where most of the predecessors' dossiers were (by volume): the area's
            # rate stays what it was across the change
            ((pl.col("share").filter(full).sum() / pl.col("share").sum()) >= 0.5).alias("full"),
            pl.col("MucDo").filter(~full).max().alias("below"),
            pl.col("full_ts").filter(full).min().alias("first_full"),
        )
        .select(
            agency_code="successor",
            MaTTHC="MaTTHC",
            MucDo=pl.when("full").then(4).otherwise(pl.col("below").fill_null(3)).cast(pl.Int64),
            full_ts=pl.when("full").then("first_full").otherwise(None),
        )
    )


# --- writing -------------------------------------------------------------------


def _stamp(day: int) -> str:
    return date.fromordinal(day).strftime("%Y%m%d")


def _write_days(frame: pl.DataFrame, days: range, root: Path, kind: str) -> int:
    """Write one file per day of ``days`` (empty days too); returns the number of files."""
    parts = (
        frame.partition_by("sync_day", as_dict=True, maintain_order=True) if frame.height else {}
    )
    columns = [col for col in frame.columns if col not in ("sync_day", "_order")]
    written = 0
    for day in days:
        stamp = _stamp(day)
        part = parts.get((day,))
        if kind == "hoso":
            path = root / "hoso" / stamp[:4] / f"hoso_{stamp}.jsonl"
        else:
            path = root / "danhgia" / stamp[:4] / f"danhgia_{stamp}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = part.select(columns) if part is not None else frame.select(columns).clear()
        if kind == "hoso":
            if data.height:
                data.write_ndjson(path)
            else:
                path.write_bytes(b"")
        else:
            data.write_csv(path)
        written += 1
    return written


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the ``dvc`` extract files for every day of ``start..end`` below ``<landing_root>/dvc/``.

    Files: ``hoso/YYYY/hoso_YYYYMMDD.jsonl`` (dossiers synchronised that day),
    ``danhgia/YYYY/danhgia_YYYYMMDD.csv`` (ratings received that day), and the
    catalogue snapshots of ``catalogue_days`` (``catalogue/thutuc_*.csv`` and
    ``catalogue/cungcap_*.csv``). Deterministic: the same seed gives the same
    bytes, and a day's files do not depend on the range they were written in.
    ``scale`` 1.0 is the province (about 640,000 dossiers a year).

    Returns the counts: ``files``, ``dossier_records``, ``dossiers`` (distinct),
    ``ratings``, ``procedures``, ``provisions``.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    root = Path(landing_root) / c.SOURCE
    world = build_world(seed, scale)
    first, last = start.toordinal(), end.toordinal()
    dossiers = simulate_dossiers(world, first - LOOKBACK_DAYS, last)
    counts = {"files": 0, "dossier_records": 0, "dossiers": 0, "ratings": 0}
    distinct: set[str] = set()
    chunk = 31  # days per batch of text building, to bound memory
    for lo in range(first, last + 1, chunk):
        hi = min(lo + chunk - 1, last)
        records = _dossier_records(world, dossiers, lo, hi)
        counts["files"] += _write_days(records, range(lo, hi + 1), root, "hoso")
        counts["dossier_records"] += records.height
        distinct.update(records["MaHoSo"].unique().to_list())
        ratings = _rating_records(world, dossiers, lo, hi)
        counts["files"] += _write_days(ratings, range(lo, hi + 1), root, "danhgia")
        counts["ratings"] += ratings.height
    counts["dossiers"] = len(distinct)
    folder = root / "catalogue"
    folder.mkdir(parents=True, exist_ok=True)
    for as_of in catalogue_days(start, end):
        procedures, provisions = catalogue_frames(world, as_of)
        procedures.write_csv(folder / f"thutuc_{as_of:%Y%m%d}.csv")
        provisions.write_csv(folder / f"cungcap_{as_of:%Y%m%d}.csv")
        counts["files"] += 2
    counts["procedures"] = procedures.height
    counts["provisions"] = provisions.height
    return counts


def catalogue_days(start: date, end: date) -> list[date]:
    """The days of the catalogue snapshots a run writes: every month's last day in the range and
    ``end`` (the system exports its catalogue monthly), and when the range runs across the change
    the old system's last day (30/6/2025, its agencies) and the new one's first (1/7/2025, the
    catalogue re-published under the city's agencies)."""
    days = {end}
    month = date(start.year, start.month, 1)
    while month <= end:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        last = following - timedelta(days=1)
        if start <= last <= end:
            days.add(last)
        month = following
    if start <= geo.LAST_OLD_DAY < end:
        days |= {geo.LAST_OLD_DAY, geo.CHANGE_DATE}
    return sorted(days)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m sources.dvc.simulator --landing DIR --start D --end D [--scale S] [--seed N]``."""
    parser = argparse.ArgumentParser(
        description="Simulate the dvc (one-stop system) extract files."
    )
    parser.add_argument(
        "--landing", required=True, help="landing root; files go below <landing>/dvc/"
    )
    parser.add_argument("--start", required=True, type=date.fromisoformat)
    parser.add_argument("--end", type=date.fromisoformat, help="default: the start day")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=190)
    args = parser.parse_args(argv)
    counts = simulate(args.landing, args.start, args.end or args.start, args.scale, args.seed)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
