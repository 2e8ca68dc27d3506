"""Streams under supervision → normalised events → bus → core; record and replay."""
