"""The landing sources of the warehouse: one contract module per source.

Each module declares a :class:`~dataplatform.loading.contract.SourceContract`; the loading stack
does the rest. ``CONTRACTS`` lists them by name (the sample-data generators and the docs use it).
"""

from __future__ import annotations

from dataplatform.loading.contract import SourceContract
from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS

CONTRACTS: dict[str, SourceContract] = {c.name: c for c in (PATIENTS, BILLING, INSURANCE)}
