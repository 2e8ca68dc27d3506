"""Streaming analytics of DEX (and CEX) events. Pure: events and a clock in, readings out;
no I/O, no wall clock, every buffer capped."""
