"""The JSON API at /api/v1/ (docs/api.md): reads through the access policy, writes through the
importer, with scoped tokens."""
