"""The daily report: yesterday's pipeline health (``pipeline``, from Airflow's REST API) and data
figures (``data``, from the warehouse's own load records), ``build`` / ``render`` / ``steps``."""
