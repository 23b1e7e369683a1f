"""Marts: the indicator catalogue and engine (``mart.indicator_value``) and the analysts' views."""
