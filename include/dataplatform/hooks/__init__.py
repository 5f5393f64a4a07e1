"""Hooks of the data platform: :class:`~dataplatform.hooks.warehouse.WarehouseHook`."""
