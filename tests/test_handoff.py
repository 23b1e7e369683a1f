"""The checks' and the indicators' threads hand the interpreter over at once (flows/handoff.py)."""

from __future__ import annotations

import sys

import pytest

from flows.handoff import HANDOFF_SECONDS, quick_handoff


def test_the_switch_interval_is_short_within_the_block_and_restored_after() -> None:
    before = sys.getswitchinterval()
    with quick_handoff() as replaced:
        assert sys.getswitchinterval() == pytest.approx(HANDOFF_SECONDS)
        assert replaced == before
    assert sys.getswitchinterval() == before


def test_the_interval_before_is_restored_when_the_block_fails() -> None:
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError, match="a step failed"), quick_handoff(0.0002):
        assert sys.getswitchinterval() == pytest.approx(0.0002)
        raise RuntimeError("a step failed")
    assert sys.getswitchinterval() == before


def test_the_nightly_runs_the_checks_and_the_indicators_with_the_quick_handoff() -> None:
    import inspect

    from flows import nightly

    source = inspect.getsource(nightly._run)  # the nightly flow's body
    block = source.split("with quick_handoff():", 1)[1].split("docs = data_docs.submit", 1)[0]
    assert "validate.submit(" in block and "indicators(" in block
