"""Composition roots: the only places that wire components together.

One per role — ``engine`` (``dexcex run``/``demo``: streams or a Redis consumer, the
engine, execution, monitoring, the page), ``collector`` (streams → Redis) and ``api``
(the page of an engine elsewhere) — and the virtual-time shells that share the engine
(``replay``, ``evaluate``, ``paper``), each choosing a clock, an event source and an
executor (``virtual``). The CLI calls these and nothing below them.
"""
