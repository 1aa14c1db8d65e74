"""exiledb: a documentation and analysis database for transnational repression."""

__version__ = "0.1.0"
