"""The source systems, one module each; ``SOURCES`` is the registry the flow iterates over.

To add a source: write ``sources/<name>/`` (constants, connector, simulator),
its staging in ``transforms/staging/``, its core SQL in ``transforms/core/``,
its suite in ``expectations/suites/`` and its indicators in the catalogue,
then list it here. The flow does not change.
"""

from __future__ import annotations

from sources.base import Source
from sources.dvc import connector as dvc_connector
from sources.dvc import constants as dvc


def _simulate_dvc(*args, **kwargs) -> dict[str, int]:  # noqa: ANN002, ANN003
    from sources.dvc.simulator import simulate

    return simulate(*args, **kwargs)


SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            name=dvc.SOURCE,
            title_vi="Hệ thống thông tin giải quyết TTHC và Cổng dịch vụ công tỉnh",
            title_en="Provincial one-stop system and public-service portal",
            datasets=dvc.DATASETS,
            readers=dvc_connector.READERS,
            simulate=_simulate_dvc,
            cadence="daily",
            order=("procedure", "provision", "dossier", "rating"),
        ),
    ]
}
