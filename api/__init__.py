"""The service's edges: HTTP app, pages, command line; the composition root."""
