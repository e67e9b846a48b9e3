"""The portfolio and bot files: frozen models, loading, ${ENV}, paths, all errors at once."""
