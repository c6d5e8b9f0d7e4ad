"""Shared parameter types: bounds that keep out-of-range ids from reaching the database."""

from typing import Annotated

from litestar.params import PathParameter

MAX_ROW_ID = 2_147_483_647  # Serial is a 32-bit integer on PostgreSQL

RowId = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID)]
