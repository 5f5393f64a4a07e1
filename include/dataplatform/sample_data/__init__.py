"""Seeded generators of realistic landing files (patients, billing, insurance) for samples and benchmarks."""
