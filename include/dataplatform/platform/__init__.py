"""Platform-level tasks (health checks) shared by DAGs."""
