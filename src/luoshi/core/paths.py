"""Materialised paths (``/1/12/140/``) of the trees Luoshi keeps: org units and plan items.

A node's path is its parent's path plus its own id, so a subtree is one ``LIKE 'path%'``
filter and a move rewrites the subtree's paths in one UPDATE.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr


def path_below(parent: models.Model | None, pk: int) -> str:
    return f"{parent.path if parent is not None else '/'}{pk}/"


def place(node: models.Model, parent: models.Model | None) -> None:
    """Give a just-saved node its path and depth under ``parent`` and save them."""
    node.path = path_below(parent, node.pk)
    node.depth = parent.depth + 1 if parent is not None else 0
    node.save(update_fields=["path", "depth"])


def move_subtree(subtrees: models.QuerySet, node: models.Model, new_parent: models.Model | None) -> None:
    """Rewrite the paths and depths of ``node`` and everything below it for a move under
    ``new_parent``. ``subtrees`` is the queryset the tree lives in (a plan's items, all units)."""
    old_path, new_path = node.path, path_below(new_parent, node.pk)
    delta = (new_parent.depth + 1 if new_parent is not None else 0) - node.depth
    subtrees.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)), depth=F("depth") + delta,
    )
