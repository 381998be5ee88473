"""The SQLite database backend, with sums of money exact to the cent.

SQLite has no decimal type: it stores our DECIMAL columns as floats and sums
them as floats. Django rounds a column read straight from a row to its decimal
places, but not a computed value such as ``Sum("amount")``, so a visit's
balance of 195.00 - 122.54 - 47.46 - 25.00 came back as -7.1E-15 instead of
0.00, and 2924.70 as 2924.6999999999999822. This backend rounds every
computed decimal whose output field has decimal places the same way (PostgreSQL
computes in NUMERIC and needs nothing).
"""
