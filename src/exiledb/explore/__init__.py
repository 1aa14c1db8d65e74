"""Exploring the published incidents: the public index, its facets and full-text search.

The index holds one row per incident the public may see, written through the access policy's
Publication, so that the faceted list, the map and the API can filter, count and search a
million incidents without ever touching text the public may not read.
"""
