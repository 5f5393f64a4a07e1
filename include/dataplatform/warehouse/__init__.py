"""How the warehouse applies staged rows: the machinery behind :class:`~dataplatform.hooks.warehouse.WarehouseHook`.

One concept per module, none importing Airflow or the hook (the dependency is one way: the hook
binds them to a connection):

* :mod:`~dataplatform.warehouse.settings` -- the session settings of every transaction
* :mod:`~dataplatform.warehouse.identifiers` -- table and column names: checked, then quoted
* :mod:`~dataplatform.warehouse.catalog` -- tables as the catalog describes them, and their locks
* :mod:`~dataplatform.warehouse.apply` -- :class:`TableLoad`: merge / replace_partition of a staging table
* :mod:`~dataplatform.warehouse.merge` -- the merge's SQL (change detection, stamps, shortcuts)
* :mod:`~dataplatform.warehouse.casts` -- staged values in the target's types
* :mod:`~dataplatform.warehouse.arguments` -- checks of caller arguments
* :mod:`~dataplatform.warehouse.result` -- :class:`LoadResult`, the counts of one apply
* :mod:`~dataplatform.warehouse.errors` -- :class:`WarehouseLoadError`, transient or not
"""
