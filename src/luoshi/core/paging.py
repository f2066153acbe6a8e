"""Paging of API lists: ``limit``/``offset`` bounded so that no value reaches the database unchecked."""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

# SQLite and PostgreSQL take LIMIT/OFFSET as 64-bit signed integers and refuse larger numbers with
# an error the client should never see; offset + limit must stay below 2**63 too.
MAX_OFFSET = 2**62


class Pages(LimitOffsetPagination):
    """``LimitOffsetPagination`` whose out-of-range ``limit`` or ``offset`` answers 422 naming it."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT,
                           description="How many to return (at most %d)" % settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many to skip")
