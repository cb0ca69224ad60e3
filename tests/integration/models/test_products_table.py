"""The migrated ``products`` table has exactly the fields of models.products.ProductRow."""

from __future__ import annotations

from models.products import ProductRow
from tests.support.database import scalar


def test_the_table_columns_are_the_row_fields_in_order(clean_database, database_url):
    columns = scalar(
        database_url,
        "SELECT array_agg(column_name::text ORDER BY ordinal_position)"
        " FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'products'",
    )
    assert columns == list(ProductRow._fields)
