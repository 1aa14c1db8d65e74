"""Editions: dated, citable, immutable snapshots of the published data, with change logs."""
