"""Test and benchmark support: throwaway PostgreSQL clusters and their pytest fixtures."""
