"""Replay recorded data through the core and judge its signals honestly."""
