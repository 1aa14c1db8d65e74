"""Charts (Altair, rendered offline by vl-convert) and the self-contained HTML report."""
