"""Seeded sample files of every source: the local stack's sample data, test fixtures and benchmark inputs.

Not part of the deployed package (the image has no use for them). The same seed gives the same
bytes; headers come from the sources' contracts; patient ids of billing files are those the
patients generator writes (1..N), so claims reference existing patients.
"""
