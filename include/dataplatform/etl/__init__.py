"""Streaming extract/validate/load building blocks shared by the ETL DAGs."""
