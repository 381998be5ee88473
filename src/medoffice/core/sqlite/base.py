"""Django's SQLite backend with :class:`DatabaseOperations` rounding computed decimals."""

from __future__ import annotations

from decimal import Decimal

from django.db.backends.sqlite3 import base, operations
from django.db.models.expressions import Col


class DatabaseOperations(operations.DatabaseOperations):
    def get_decimalfield_converter(self, expression):
        convert = super().get_decimalfield_converter(expression)
        places = getattr(expression.output_field, "decimal_places", None)
        if isinstance(expression, Col) or places is None:
            return convert  # a column: Django rounds it already
        quantum = Decimal(1).scaleb(-places)

        def converter(value, expression, connection):
            value = convert(value, expression, connection)
            if value is None:
                return None
            value = value.quantize(quantum)
            return value if value else abs(value)  # -0.00 (a float's dust below zero) is 0.00

        return converter


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
