"""Duplicate persons and incidents: finding candidate pairs with evidence, and merging them
reversibly (docs/duplicates.md).

- `persons`: candidate pairs of person records, blocked on the names module's token keys;
- `incidents`: candidate pairs of incident records reported by several sources;
- `merge`: merge two records (keep A, absorb B) and undo a merge;
- `models`: the editors' decisions ("not a duplicate") and the merge records;
- `views` and `commands`: the editor's screens and the `exiledb` commands.
"""
