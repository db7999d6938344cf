"""Typed, read-only loaders and scans of the files a dossier references, with a cache."""
