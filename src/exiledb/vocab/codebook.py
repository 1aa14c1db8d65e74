"""The exiledb codebook: every controlled vocabulary, with codes, labels, definitions and stages.

This module is the single source of the vocabularies. The models take their choices from it, the
importers validate against it, `docs/codebook.md` and the methodology page are generated from it.
Codes are stable identifiers stored in the database and in exported files: never rename one;
deprecate it in a new codebook version instead.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

CODEBOOK_VERSION = "1.0.0"


@dataclass(frozen=True)
class Code:
    """One entry of a vocabulary."""

    code: str
    label: str
    definition: str
    stage: int | None = None  # tactics only: CAPE stage 1-3
    group: str = ""  # a sub-heading, e.g. "abroad" / "proxy" for tactics


@dataclass(frozen=True)
class Vocabulary:
    """A named, ordered set of codes."""

    name: str
    title: str
    description: str
    codes: tuple[Code, ...]
    _index: dict[str, Code] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {c.code: c for c in self.codes}
        if len(index) != len(self.codes):
            raise ValueError(f"duplicate code in vocabulary {self.name}")
        object.__setattr__(self, "_index", index)

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code: str) -> Code:
        return self._index[code]

    def label(self, code: str | None) -> str:
        if code is None or code not in self._index:
            return code or ""
        return self._index[code].label

    def choices(self) -> list[tuple[str, str]]:
        return [(c.code, c.label) for c in self.codes]

    def suggest(self, code: str, n: int = 3) -> list[str]:
        """The nearest valid codes to a wrong one, for error messages."""
        needle = (code or "").strip().lower().replace(" ", "_").replace("-", "_")
        by_label = {c.label.lower(): c.code for c in self.codes}
        hits = difflib.get_close_matches(needle, list(self._index), n=n, cutoff=0.5)
        for label in difflib.get_close_matches(code.lower(), list(by_label), n=n, cutoff=0.5):
            if by_label[label] not in hits:
                hits.append(by_label[label])
        return hits[:n]


def _v(name: str, title: str, description: str, *codes: Code) -> Vocabulary:
    return Vocabulary(name, title, description, tuple(codes))


C = Code

# --- Tactics ---------------------------------------------------------------------------------
# Stage is CAPE's three-stage model (Furstenberg, Lemon & Heathershaw 2021). Proxy tactics are
# used against relatives in the origin country; CAPE counts them as stage-1 pressure on the exile.

TACTICS = _v(
    "tactics",
    "Tactics",
    "What was done. An incident may carry several tactics. Abroad tactics carry the CAPE stage "
    "they belong to; proxy tactics are acts against relatives at home and count as stage 1.",
    # Stage 1: on notice
    C(
        "threat",
        "Threat or intimidation",
        "Threats or intimidation of the exile in person, by "
        "phone, by message or online, by state agents or people acting for them.",
        1,
        "abroad",
    ),
    C(
        "surveillance",
        "Surveillance",
        "Physical or digital surveillance of the exile abroad, "
        "including informants in the diaspora.",
        1,
        "abroad",
    ),
    C(
        "smear_campaign",
        "Smear campaign",
        "Defamation of the exile in state or state-aligned media "
        "or online (e.g. labelling them a traitor, terrorist or immoral).",
        1,
        "abroad",
    ),
    C(
        "hacking",
        "Hacking or account takeover",
        "Intrusion into the exile's devices, e-mail or "
        "social-media accounts, or phishing aimed at them.",
        1,
        "abroad",
    ),
    C(
        "criminal_case",
        "Criminal case at home",
        "A criminal case opened against the exile in "
        "the origin state (charges, arrest warrant in absentia).",
        1,
        "abroad",
    ),
    C(
        "trial_in_absentia",
        "Trial in absentia",
        "The exile tried and sentenced in the origin state in their absence.",
        1,
        "abroad",
    ),
    C(
        "interpol_notice",
        "Interpol Red Notice or diffusion",
        "The origin state sought the exile "
        "through Interpol (Red Notice, diffusion or wanted-person alert).",
        1,
        "abroad",
    ),
    C(
        "regional_wanted_list",
        "CIS / SCO wanted list",
        "The exile placed on a wanted list of the "
        "Commonwealth of Independent States or the Shanghai Cooperation Organisation.",
        1,
        "abroad",
    ),
    C(
        "extradition_request",
        "Extradition request",
        "The origin state asked the host state to extradite the exile.",
        1,
        "abroad",
    ),
    C(
        "document_denial",
        "Passport or consular denial",
        "Refusal to issue or renew a passport or "
        "other consular service, leaving the exile without documents.",
        1,
        "abroad",
    ),
    # Stage 2: detained
    C(
        "detention_abroad",
        "Detention abroad",
        "Arrest or detention of the exile in the host "
        "country, often on an Interpol notice or an extradition request.",
        2,
        "abroad",
    ),
    C(
        "extradition_proceedings",
        "Extradition proceedings",
        "Court or administrative proceedings in the host state to extradite or deport the exile.",
        2,
        "abroad",
    ),
    # Stage 3: rendered or attacked
    C(
        "extradition",
        "Extradition carried out",
        "The exile was handed over to the origin state through a formal extradition.",
        3,
        "abroad",
    ),
    C(
        "deportation",
        "Deportation",
        "The exile was deported or expelled to the origin state, "
        "lawfully or not, outside an extradition.",
        3,
        "abroad",
    ),
    C(
        "rendition",
        "Rendition",
        "Abduction and forced transfer of the exile to the origin state "
        "outside any legal procedure.",
        3,
        "abroad",
    ),
    C(
        "enforced_disappearance",
        "Enforced disappearance",
        "The exile vanished abroad with signs "
        "of state involvement and the state does not acknowledge holding them.",
        3,
        "abroad",
    ),
    C("assault", "Physical assault", "A physical attack on the exile abroad.", 3, "abroad"),
    C(
        "assassination_attempt",
        "Assassination attempt",
        "An attempt to kill the exile that failed.",
        3,
        "abroad",
    ),
    C("assassination", "Assassination", "The exile was killed.", 3, "abroad"),
    # Proxy repression of relatives in the origin country (stage 1 pressure on the exile)
    C(
        "proxy_detention",
        "Relative detained or interrogated",
        "Arbitrary detention, summons or interrogation of a relative at home because of the exile.",
        1,
        "proxy",
    ),
    C(
        "proxy_threat",
        "Relative threatened",
        "Threats against a relative at home, including "
        "threats to seize property or to harm family members.",
        1,
        "proxy",
    ),
    C(
        "proxy_assault",
        "Relative beaten",
        "Physical assault of a relative, including beating of a relative held in prison.",
        1,
        "proxy",
    ),
    C(
        "proxy_mob",
        "Mob at the family home",
        "A crowd of 'concerned citizens' mobilised to "
        "gather at, shout at or attack the family home.",
        1,
        "proxy",
    ),
    C(
        "proxy_public_shaming",
        "Public shaming",
        "Relatives shamed at school, at work or at a local meeting organised by officials.",
        1,
        "proxy",
    ),
    C(
        "proxy_forced_denunciation",
        "Forced denunciation",
        "Relatives coerced into denouncing the exile in public, typically on national television.",
        1,
        "proxy",
    ),
    C(
        "proxy_passport_confiscation",
        "Passport confiscated",
        "Confiscation of a relative's passport or travel documents.",
        1,
        "proxy",
    ),
    C(
        "proxy_exit_ban",
        "Exit ban or movement restriction",
        "A relative barred from leaving the "
        "country or a town, removed from a flight, or forbidden to meet family.",
        1,
        "proxy",
    ),
    C(
        "proxy_property_seizure",
        "Property seized",
        "Seizure, or the threatened seizure, of a relative's property or business.",
        1,
        "proxy",
    ),
    C(
        "proxy_dismissal",
        "Dismissal from work",
        "A relative dismissed from a job or denied employment because of the exile.",
        1,
        "proxy",
    ),
    C(
        "proxy_healthcare_denial",
        "Healthcare denied",
        "A relative denied medical care or other public services.",
        1,
        "proxy",
    ),
    C(
        "proxy_sexual_violence",
        "Sexual violence or threat of it",
        "Sexual violence against a "
        "relative, threats of it (including against children) or coerced 'virginity' tests.",
        1,
        "proxy",
    ),
    C(
        "proxy_divorce_pressure",
        "Pressure to divorce",
        "Pressure on a spouse to divorce the exile or a relative of the exile.",
        1,
        "proxy",
    ),
    C(
        "proxy_disappearance",
        "Relative disappeared",
        "A relative vanished at home and their fate is unknown.",
        1,
        "proxy",
    ),
)

STAGES = _v(
    "stages",
    "Stages",
    "CAPE's three-stage model of escalation against an exile.",
    C(
        "1",
        "Stage 1: on notice",
        "Threats, intimidation, surveillance, smears, criminal cases at "
        "home, wanted lists, document denial; and pressure on relatives at home.",
        1,
    ),
    C(
        "2",
        "Stage 2: detained",
        "Arrest or detention in the host country, extradition proceedings.",
        2,
    ),
    C(
        "3",
        "Stage 3: rendered or attacked",
        "Extradition, deportation, rendition, enforced disappearance, assault or assassination.",
        3,
    ),
)

EXILE_CATEGORIES = _v(
    "exile_categories",
    "Exile categories",
    "CAPE's four overlapping profiles of exiles. A person may have several.",
    C(
        "regime_insider",
        "Former regime insider",
        "Former officials, security officers, "
        "businesspeople close to the ruling family, and their families.",
    ),
    C(
        "opposition",
        "Opposition member",
        "Members or supporters of opposition parties and movements (e.g. IRPT, Group 24).",
    ),
    C(
        "religious",
        "Cleric or alleged religious extremist",
        "Banned clerics, members of banned "
        "religious groups and people the state labels religious extremists.",
    ),
    C(
        "civil_society",
        "Journalist, academic or activist",
        "Independent journalists, academics, "
        "human-rights defenders, lawyers and civil-society activists.",
    ),
)

KINSHIP = _v(
    "kinship",
    "Kinship and relationship types",
    "How a person relates to another: read 'PERSON is the KIND of OTHER'.",
    C("mother", "mother", "The person is the other's mother.", group="family"),
    C("father", "father", "The person is the other's father.", group="family"),
    C("parent", "parent", "Parent, sex not stated.", group="family"),
    C("son", "son", "The person is the other's son.", group="family"),
    C("daughter", "daughter", "The person is the other's daughter.", group="family"),
    C("child", "child", "Child, sex not stated.", group="family"),
    C("brother", "brother", "The person is the other's brother.", group="family"),
    C("sister", "sister", "The person is the other's sister.", group="family"),
    C("sibling", "sibling", "Sibling, sex not stated.", group="family"),
    C("wife", "wife", "The person is the other's wife.", group="family"),
    C("husband", "husband", "The person is the other's husband.", group="family"),
    C("spouse", "spouse", "Spouse, sex not stated.", group="family"),
    C("grandparent", "grandparent", "The person is the other's grandparent.", group="family"),
    C("grandchild", "grandchild", "The person is the other's grandchild.", group="family"),
    C(
        "in_law",
        "in-law",
        "Related by marriage: parent-, sibling- or child-in-law.",
        group="family",
    ),
    C("uncle_aunt", "uncle or aunt", "The person is the other's uncle or aunt.", group="family"),
    C(
        "nephew_niece",
        "nephew or niece",
        "The person is the other's nephew or niece.",
        group="family",
    ),
    C("cousin", "cousin", "The person is the other's cousin.", group="family"),
    C("relative", "relative (other)", "Another or unstated family tie.", group="family"),
    C("friend", "friend", "A friend, not family.", group="other"),
    C("associate", "associate", "A colleague, party comrade or other associate.", group="other"),
)

INVOLVEMENT_ROLES = _v(
    "involvement_roles",
    "Involvement roles",
    "The part a person played in an incident.",
    C("target", "target", "The exile (or other person) the incident was aimed at directly."),
    C(
        "relative_targeted",
        "relative targeted",
        "A relative or associate targeted because of an "
        "exile; the involvement names that exile as linked exile.",
    ),
    C("perpetrator", "perpetrator", "A person who carried out or ordered the act."),
    C("witness", "witness", "A person who saw the act or reported it first-hand."),
)

SOURCE_TYPES = _v(
    "source_types",
    "Source types",
    "What kind of document a source is. Interviews are confidential by default.",
    C("court", "Court record", "Judgments, indictments, court filings."),
    C("un", "UN document", "UN treaty-body, special-procedure or agency documents."),
    C("ngo_report", "NGO report", "Reports and statements of human-rights organisations."),
    C(
        "academic",
        "Academic publication",
        "Peer-reviewed or scholarly publications and research-centre articles.",
    ),
    C("news", "News report", "Journalism: news agencies, newspapers, broadcasters, online media."),
    C(
        "official_statement",
        "Official statement",
        "Statements of governments, ministries, "
        "prosecutors or intergovernmental bodies (e.g. OSCE).",
    ),
    C("interpol_notice", "Interpol notice", "An Interpol notice or diffusion, or a record of one."),
    C(
        "testimony",
        "Public testimony",
        "A letter, appeal or testimony published by the person concerned.",
    ),
    C("interview", "Interview", "An interview by the documenting team; confidential by default."),
    C("social_media", "Social media", "Posts and videos on social media."),
    C("other", "Other", "Any other source."),
)

OUTCOMES = _v(
    "outcomes",
    "Outcomes",
    "What came of an incident: for the person targeted, and for proxy incidents what the exile "
    "did in response (the research question 'does it work?').",
    C(
        "released",
        "Released",
        "The person was released (e.g. a host court refused extradition).",
        group="incident",
    ),
    C(
        "imprisoned",
        "Imprisoned",
        "The person was sentenced or remains in custody.",
        group="incident",
    ),
    C(
        "transferred",
        "Transferred to origin state",
        "The person was handed over, deported or rendered to the origin state.",
        group="incident",
    ),
    C(
        "asylum_granted",
        "Protection granted",
        "The host state granted asylum or other protection.",
        group="incident",
    ),
    C("injured", "Injured", "The person was physically harmed.", group="incident"),
    C("killed", "Killed", "The person died.", group="incident"),
    C(
        "disappeared",
        "Disappeared",
        "The person's fate and whereabouts are unknown.",
        group="incident",
    ),
    C(
        "property_lost",
        "Property lost",
        "Property or livelihood was taken or destroyed.",
        group="incident",
    ),
    C(
        "movement_restricted",
        "Movement restricted",
        "The person cannot travel or leave.",
        group="incident",
    ),
    C(
        "fled",
        "Relatives fled",
        "Relatives left the origin country after the incident.",
        group="incident",
    ),
    C(
        "returned_home",
        "Exile returned home",
        "The exile returned to the origin state under pressure.",
        group="response",
    ),
    C(
        "quit_politics",
        "Exile quit politics",
        "The exile stopped political activity or left their organisation.",
        group="response",
    ),
    C(
        "continued_activism",
        "Exile continued",
        "The exile stayed active despite the pressure.",
        group="response",
    ),
    C("ongoing", "Ongoing", "Still unresolved at the time of the source.", group="other"),
    C("unknown", "Unknown", "The sources do not say.", group="other"),
)

HOST_STATE_ROLES = _v(
    "host_state_roles",
    "Host-state roles",
    "What the state where the incident happened did, when it is not the origin state.",
    C("perpetrator", "Perpetrator", "The host state's agents carried out the act themselves."),
    C(
        "cooperated",
        "Cooperated",
        "The host state acted on the origin state's request (arrest on a notice, handover).",
    ),
    C("acquiesced", "Acquiesced", "The host state knew or should have known and did not act."),
    C(
        "refused",
        "Refused",
        "The host state refused the origin state's request (e.g. released the "
        "person, refused extradition).",
    ),
    C(
        "not_applicable",
        "Not applicable",
        "The incident took place in the origin state (proxy "
        "repression) or no host state was involved.",
    ),
    C("unknown", "Unknown", "The sources do not say."),
)

LEGAL_CHANNELS = _v(
    "legal_channels",
    "Legal channels",
    "The legal or quasi-legal instrument the origin state used across the border.",
    C("interpol", "Interpol", "Interpol Red Notice or diffusion."),
    C(
        "cis",
        "CIS",
        "Commonwealth of Independent States agreements (Minsk Convention, CIS wanted list).",
    ),
    C("sco", "SCO", "Shanghai Cooperation Organisation (Shanghai Convention, SCO lists)."),
    C(
        "bilateral",
        "Bilateral",
        "A bilateral extradition or police-cooperation agreement or request.",
    ),
    C("none", "None", "No legal channel: an informal or covert act."),
    C("unknown", "Unknown", "The sources do not say."),
)

CONFIDENCE = _v(
    "confidence",
    "Confidence",
    "How sure the coder is that the claim is true, given its sources.",
    C(
        "confirmed",
        "Confirmed",
        "Corroborated by independent reliable sources or official records.",
    ),
    C("probable", "Probable", "One reliable source, consistent with what else is known."),
    C("possible", "Possible", "Plausible but thinly sourced; needs corroboration."),
)

DATE_PRECISION = _v(
    "date_precision",
    "Date precision",
    "How precisely a date is known. Dates are written as ISO 8601 prefixes: 2016-09-22 (day), "
    "2016-09 (month), 2016 (year), empty (unknown). A month-precise date is never stored as the "
    "first of the month.",
    C("day", "Day known", "The exact day is known."),
    C("month", "Month known", "Only the month is known."),
    C("year", "Year known", "Only the year is known."),
    C("unknown", "Date unknown", "No date is known."),
)

PLACE_PRECISION = _v(
    "place_precision",
    "Place precision",
    "How precisely a place is known. Maps never show a place more precisely than this.",
    C(
        "exact",
        "Exact location",
        "An address or exact point is known. It stays internal: "
        "public output shows at most the region.",
    ),
    C("city", "City or town", "The city, town or village is known."),
    C("region", "Region only", "Only the region or province is known."),
    C("country", "Country only", "Only the country is known; maps mark the country, not a point."),
)

VISIBILITY = _v(
    "visibility",
    "Visibility",
    "Who may see a record or field.",
    C("public", "Public", "Anyone, once the record is published."),
    C("restricted", "Restricted", "Signed-in staff (viewer and above)."),
    C("confidential", "Confidential", "Only roles cleared for confidential material."),
)

REVIEW_STATUS = _v(
    "review_status",
    "Review status",
    "Where an incident stands in the review workflow. Only published incidents reach the public.",
    C("draft", "Draft", "Coded, not yet reviewed."),
    C("reviewed", "Reviewed", "Checked by a second person, not yet published."),
    C("published", "Published", "Released to the public site and public exports."),
)

ORGANIZATION_TYPES = _v(
    "organization_types",
    "Organisation types",
    "What kind of body an organisation is.",
    C("party", "Political party", "A political party."),
    C("movement", "Political movement", "An opposition movement or group that is not a party."),
    C("religious", "Religious organisation", "A religious group or community."),
    C("media", "Media outlet", "A newspaper, broadcaster or online outlet."),
    C("ngo", "NGO", "A non-governmental or civil-society organisation."),
    C("company", "Company", "A business."),
    C(
        "state_agency",
        "State agency",
        "A security service, police, prosecutor, ministry, state "
        "broadcaster or local administration.",
    ),
    C(
        "intergovernmental",
        "Intergovernmental body",
        "Interpol, the OSCE, the UN, the CIS, the SCO and similar.",
    ),
    C("other", "Other", "Any other organisation."),
)

DESIGNATION_TYPES = _v(
    "designation_types",
    "Designation types",
    "How a state labelled or banned an organisation.",
    C("banned", "Banned", "Outlawed or dissolved by a court or authority."),
    C("extremist", "Designated extremist", "Declared an 'extremist' organisation."),
    C("terrorist", "Designated terrorist", "Declared a 'terrorist' organisation."),
)

AFFILIATION_ROLES = _v(
    "affiliation_roles",
    "Affiliation roles",
    "A person's role in an organisation.",
    C("leader", "leader", "Leads or led the organisation."),
    C("founder", "founder", "Founded the organisation."),
    C("member", "member", "A member."),
    C(
        "alleged_member",
        "alleged member",
        "Accused by the origin state of membership; not established.",
    ),
    C("supporter", "supporter", "Supports the organisation without being a member."),
    C("journalist", "journalist", "Works for a media organisation as a journalist."),
    C("employee", "employee", "Works for the organisation."),
    C("former_member", "former member", "Left the organisation."),
)

ASYLUM_STATUS = _v(
    "asylum_status",
    "Asylum status",
    "A person's protection status in a host country.",
    C("none", "No application", "No asylum application known."),
    C("applied", "Applied", "Asylum applied for, decision pending."),
    C("granted", "Granted", "Refugee status or other protection granted."),
    C("refused", "Refused", "Application refused."),
    C("citizen", "Citizen", "Holds the host country's citizenship."),
    C("unknown", "Unknown", "Not known."),
)

SEX = _v(
    "sex",
    "Sex",
    "As reported by sources.",
    C("female", "female", "Female."),
    C("male", "male", "Male."),
    C("unknown", "unknown", "Not stated."),
)

SCRIPTS = _v(
    "scripts",
    "Scripts",
    "The writing system of a name spelling.",
    C("latn", "Latin", "Latin alphabet."),
    C("cyrl", "Cyrillic", "Cyrillic alphabet (Tajik, Russian, ...)."),
    C("arab", "Arabic", "Arabic or Persian script."),
    C("other", "Other", "Any other script."),
)

VOCABULARIES: tuple[Vocabulary, ...] = (
    STAGES,
    TACTICS,
    EXILE_CATEGORIES,
    KINSHIP,
    INVOLVEMENT_ROLES,
    SOURCE_TYPES,
    OUTCOMES,
    HOST_STATE_ROLES,
    LEGAL_CHANNELS,
    CONFIDENCE,
    DATE_PRECISION,
    PLACE_PRECISION,
    VISIBILITY,
    REVIEW_STATUS,
    ORGANIZATION_TYPES,
    DESIGNATION_TYPES,
    AFFILIATION_ROLES,
    ASYLUM_STATUS,
    SEX,
    SCRIPTS,
)

BY_NAME: dict[str, Vocabulary] = {v.name: v for v in VOCABULARIES}
