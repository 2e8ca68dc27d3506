"""Outcomes of signals at fixed horizons, and the ML dataset built from them."""
