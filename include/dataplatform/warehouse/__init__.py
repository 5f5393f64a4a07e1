"""How the warehouse loads data: the machinery behind :class:`dataplatform.hooks.warehouse.WarehouseHook`.

One concept per module, none of them importing Airflow (the hook binds them to a connection):

* :mod:`~dataplatform.warehouse.arguments` -- checks of caller arguments, before any connection
* :mod:`~dataplatform.warehouse.catalog` -- the target (and source) table as the catalog describes
  it, the load's timeouts and table locks
* :mod:`~dataplatform.warehouse.csv_copy` -- CSV dialect options and the streaming COPY of a source
* :mod:`~dataplatform.warehouse.stage` -- :class:`Stage`, the staging table (temporary, or an
  existing table read in place) and its applies: merge, replace_partition, append
* :mod:`~dataplatform.warehouse.merge` -- the merge's SQL: upsert with change detection, stamps,
  the empty-target and mostly-unchanged shortcuts
* :mod:`~dataplatform.warehouse.casts` -- staged values in the target's types (write, compare)
* :mod:`~dataplatform.warehouse.result` -- :class:`LoadResult`, the counts of one load
* :mod:`~dataplatform.warehouse.errors` -- :class:`WarehouseLoadError` and server-error translation

Callers use the hook: ``from dataplatform.hooks.warehouse import WarehouseHook, LoadResult, Stage,
WarehouseLoadError``.
"""
