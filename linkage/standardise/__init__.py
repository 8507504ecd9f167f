"""Standardisation of Chinese identity fields: plain functions over values.

Nothing here imports DuckDB or splink: the same functions serve DuckDB, Spark and
tests.
"""

from linkage.standardise.addresses import AddressRegion, parse_address
from linkage.standardise.credit_codes import CreditCode, standardise_credit_code
from linkage.standardise.dates import ParsedDate, parse_date
from linkage.standardise.ids import IdClass, IdNumber, standardise_id
from linkage.standardise.names import Name, standardise_name
from linkage.standardise.phones import Phone, standardise_phone
from linkage.standardise.sex import parse_sex

__all__ = [
    "AddressRegion",
    "CreditCode",
    "IdClass",
    "IdNumber",
    "Name",
    "ParsedDate",
    "Phone",
    "parse_address",
    "parse_date",
    "parse_sex",
    "standardise_credit_code",
    "standardise_id",
    "standardise_name",
    "standardise_phone",
]
