"""The nearest known setting to an unknown one: a table put at the wrong depth
(``[signals]`` for ``core.signals``) or a misspelt key (``min_confidense``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache

from pydantic import BaseModel

__all__ = ["nearest_setting"]


def _paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, f in model.model_fields.items():
        path = (*prefix, name)
        yield path
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _paths(ann, path)


@cache
def _known(model: type[BaseModel]) -> tuple[tuple[str, ...], ...]:
    return tuple(_paths(model))


def nearest_setting(model: type[BaseModel], loc: tuple[str, ...]) -> str | None:
    """The dotted path of the known setting ``loc`` most likely meant, or None."""
    if not loc:
        return None
    known = _known(model)
    # the same name(s) deeper down: the table or key is at the wrong level
    deeper = [p for p in known if len(p) > len(loc) and p[-len(loc) :] == loc]
    if deeper:
        deeper.sort(key=len)
        return ".".join(deeper[0])
    # a misspelling among the siblings, then anywhere
    siblings = [p[-1] for p in known if len(p) == len(loc) and p[:-1] == loc[:-1]]
    close = difflib.get_close_matches(loc[-1], siblings, n=1, cutoff=0.75)
    if close:
        return ".".join((*loc[:-1], close[0]))
    names = {".".join(p): p for p in known}
    anywhere = difflib.get_close_matches(".".join(loc), list(names), n=1, cutoff=0.8)
    return anywhere[0] if anywhere else None
