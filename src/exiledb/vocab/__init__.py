"""The codebook: controlled vocabularies and the pure rules built on them."""

from .codebook import BY_NAME, CODEBOOK_VERSION, VOCABULARIES, Code, Vocabulary
from .countries import COUNTRIES, EU_MEMBERS
from .stages import case_stage, incident_stage

__all__ = [
    "BY_NAME",
    "CODEBOOK_VERSION",
    "COUNTRIES",
    "EU_MEMBERS",
    "VOCABULARIES",
    "Code",
    "Vocabulary",
    "case_stage",
    "incident_stage",
]
