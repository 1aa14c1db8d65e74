"""The exiledb codebook: every controlled vocabulary, with codes, labels, definitions and stages.

This module is the single source of the vocabularies. The models take their choices from it, the
importers validate against it, `docs/codebook.md` and the methodology page are generated from it.
Codes are stable identifiers stored in the database and in exported files: never rename one;
deprecate it in a new codebook version instead.

Labels, titles, descriptions and definitions are English data: exports and docs/codebook.md
keep them as written. Each is marked with `_`, which only marks the text for
`makemessages`, and pages show them in the reader's language through `Vocabulary.label()` or
`translated()` (templates: `{% translate code.definition %}`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

CODEBOOK_VERSION = "1.0.0"


def _(text: str) -> str:
    """Mark `text` for translation and return it unchanged (gettext_noop, without Django's
    settings: the codebook is read by scripts that never set Django up)."""
    return text


def translated(text: str) -> str:
    """`text` (an English codebook string) in the active language; the English itself when
    Django's settings or apps are not set up (`python -m exiledb.vocab.docs`, plain scripts) or
    the catalogue lacks it."""
    from django.conf import settings
    from django.core.exceptions import AppRegistryNotReady

    if not text or not settings.configured:
        return text
    from django.utils.translation import gettext

    try:
        return gettext(text)
    except AppRegistryNotReady:
        return text


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

    def label(self, code: str | None, translate: bool = True) -> str:
        """The label of `code` for display, in the active language; `translate=False` gives the
        English label that exports and files keep (as does `get(code).label`). An unknown code
        is returned as it is."""
        if code is None or code not in self._index:
            return code or ""
        text = self._index[code].label
        return translated(text) if translate else text

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
    _("Tactics"),
    _(
        "What was done. An incident may carry several tactics. Abroad tactics carry the CAPE stage "
        "they belong to; proxy tactics are acts against relatives at home and count as stage 1."
    ),
    # Stage 1: on notice
    C(
        "threat",
        _("Threat or intimidation"),
        _(
            "Threats or intimidation of the exile in person, by "
            "phone, by message or online, by state agents or people acting for them."
        ),
        1,
        "abroad",
    ),
    C(
        "surveillance",
        _("Surveillance"),
        _(
            "Physical or digital surveillance of the exile abroad, "
            "including informants in the diaspora."
        ),
        1,
        "abroad",
    ),
    C(
        "smear_campaign",
        _("Smear campaign"),
        _(
            "Defamation of the exile in state or state-aligned media "
            "or online (e.g. labelling them a traitor, terrorist or immoral)."
        ),
        1,
        "abroad",
    ),
    C(
        "hacking",
        _("Hacking or account takeover"),
        _(
            "Intrusion into the exile's devices, e-mail or "
            "social-media accounts, or phishing aimed at them."
        ),
        1,
        "abroad",
    ),
    C(
        "criminal_case",
        _("Criminal case at home"),
        _(
            "A criminal case opened against the exile in "
            "the origin state (charges, arrest warrant in absentia)."
        ),
        1,
        "abroad",
    ),
    C(
        "trial_in_absentia",
        _("Trial in absentia"),
        _("The exile tried and sentenced in the origin state in their absence."),
        1,
        "abroad",
    ),
    C(
        "interpol_notice",
        _("Interpol Red Notice or diffusion"),
        _(
            "The origin state sought the exile "
            "through Interpol (Red Notice, diffusion or wanted-person alert)."
        ),
        1,
        "abroad",
    ),
    C(
        "regional_wanted_list",
        _("CIS / SCO wanted list"),
        _(
            "The exile placed on a wanted list of the "
            "Commonwealth of Independent States or the Shanghai Cooperation Organisation."
        ),
        1,
        "abroad",
    ),
    C(
        "extradition_request",
        _("Extradition request"),
        _("The origin state asked the host state to extradite the exile."),
        1,
        "abroad",
    ),
    C(
        "document_denial",
        _("Passport or consular denial"),
        _(
            "Refusal to issue or renew a passport or "
            "other consular service, leaving the exile without documents."
        ),
        1,
        "abroad",
    ),
    # Stage 2: detained
    C(
        "detention_abroad",
        _("Detention abroad"),
        _(
            "Arrest or detention of the exile in the host "
            "country, often on an Interpol notice or an extradition request."
        ),
        2,
        "abroad",
    ),
    C(
        "extradition_proceedings",
        _("Extradition proceedings"),
        _(
            "Court or administrative proceedings in the host state to extradite or deport "
            "the exile."
        ),
        2,
        "abroad",
    ),
    # Stage 3: rendered or attacked
    C(
        "extradition",
        _("Extradition carried out"),
        _("The exile was handed over to the origin state through a formal extradition."),
        3,
        "abroad",
    ),
    C(
        "deportation",
        _("Deportation"),
        _(
            "The exile was deported or expelled to the origin state, "
            "lawfully or not, outside an extradition."
        ),
        3,
        "abroad",
    ),
    C(
        "rendition",
        _("Rendition"),
        _(
            "Abduction and forced transfer of the exile to the origin state "
            "outside any legal procedure."
        ),
        3,
        "abroad",
    ),
    C(
        "enforced_disappearance",
        _("Enforced disappearance"),
        _(
            "The exile vanished abroad with signs "
            "of state involvement and the state does not acknowledge holding them."
        ),
        3,
        "abroad",
    ),
    C("assault", _("Physical assault"), _("A physical attack on the exile abroad."), 3, "abroad"),
    C(
        "assassination_attempt",
        _("Assassination attempt"),
        _("An attempt to kill the exile that failed."),
        3,
        "abroad",
    ),
    C("assassination", _("Assassination"), _("The exile was killed."), 3, "abroad"),
    # Proxy repression of relatives in the origin country (stage 1 pressure on the exile)
    C(
        "proxy_detention",
        _("Relative detained or interrogated"),
        _(
            "Arbitrary detention, summons or interrogation of a relative at home because of "
            "the exile."
        ),
        1,
        "proxy",
    ),
    C(
        "proxy_threat",
        _("Relative threatened"),
        _(
            "Threats against a relative at home, including "
            "threats to seize property or to harm family members."
        ),
        1,
        "proxy",
    ),
    C(
        "proxy_assault",
        _("Relative beaten"),
        _("Physical assault of a relative, including beating of a relative held in prison."),
        1,
        "proxy",
    ),
    C(
        "proxy_mob",
        _("Mob at the family home"),
        _(
            "A crowd of 'concerned citizens' mobilised to "
            "gather at, shout at or attack the family home."
        ),
        1,
        "proxy",
    ),
    C(
        "proxy_public_shaming",
        _("Public shaming"),
        _("Relatives shamed at school, at work or at a local meeting organised by officials."),
        1,
        "proxy",
    ),
    C(
        "proxy_forced_denunciation",
        _("Forced denunciation"),
        _(
            "Relatives coerced into denouncing the exile in public, typically on national "
            "television."
        ),
        1,
        "proxy",
    ),
    C(
        "proxy_passport_confiscation",
        _("Passport confiscated"),
        _("Confiscation of a relative's passport or travel documents."),
        1,
        "proxy",
    ),
    C(
        "proxy_exit_ban",
        _("Exit ban or movement restriction"),
        _(
            "A relative barred from leaving the "
            "country or a town, removed from a flight, or forbidden to meet family."
        ),
        1,
        "proxy",
    ),
    C(
        "proxy_property_seizure",
        _("Property seized"),
        _("Seizure, or the threatened seizure, of a relative's property or business."),
        1,
        "proxy",
    ),
    C(
        "proxy_dismissal",
        _("Dismissal from work"),
        _("A relative dismissed from a job or denied employment because of the exile."),
        1,
        "proxy",
    ),
    C(
        "proxy_healthcare_denial",
        _("Healthcare denied"),
        _("A relative denied medical care or other public services."),
        1,
        "proxy",
    ),
    C(
        "proxy_sexual_violence",
        _("Sexual violence or threat of it"),
        _(
            "Sexual violence against a "
            "relative, threats of it (including against children) or coerced 'virginity' tests."
        ),
        1,
        "proxy",
    ),
    C(
        "proxy_divorce_pressure",
        _("Pressure to divorce"),
        _("Pressure on a spouse to divorce the exile or a relative of the exile."),
        1,
        "proxy",
    ),
    C(
        "proxy_disappearance",
        _("Relative disappeared"),
        _("A relative vanished at home and their fate is unknown."),
        1,
        "proxy",
    ),
)

STAGES = _v(
    "stages",
    _("Stages"),
    _("CAPE's three-stage model of escalation against an exile."),
    C(
        "1",
        _("Stage 1: on notice"),
        _(
            "Threats, intimidation, surveillance, smears, criminal cases at "
            "home, wanted lists, document denial; and pressure on relatives at home."
        ),
        1,
    ),
    C(
        "2",
        _("Stage 2: detained"),
        _("Arrest or detention in the host country, extradition proceedings."),
        2,
    ),
    C(
        "3",
        _("Stage 3: rendered or attacked"),
        _("Extradition, deportation, rendition, enforced disappearance, assault or assassination."),
        3,
    ),
)

EXILE_CATEGORIES = _v(
    "exile_categories",
    _("Exile categories"),
    _("CAPE's four overlapping profiles of exiles. A person may have several."),
    C(
        "regime_insider",
        _("Former regime insider"),
        _(
            "Former officials, security officers, "
            "businesspeople close to the ruling family, and their families."
        ),
    ),
    C(
        "opposition",
        _("Opposition member"),
        _("Members or supporters of opposition parties and movements (e.g. IRPT, Group 24)."),
    ),
    C(
        "religious",
        _("Cleric or alleged religious extremist"),
        _(
            "Banned clerics, members of banned "
            "religious groups and people the state labels religious extremists."
        ),
    ),
    C(
        "civil_society",
        _("Journalist, academic or activist"),
        _(
            "Independent journalists, academics, "
            "human-rights defenders, lawyers and civil-society activists."
        ),
    ),
)

KINSHIP = _v(
    "kinship",
    _("Kinship and relationship types"),
    _("How a person relates to another: read 'PERSON is the KIND of OTHER'."),
    C("mother", _("mother"), _("The person is the other's mother."), group="family"),
    C("father", _("father"), _("The person is the other's father."), group="family"),
    C("parent", _("parent"), _("Parent, sex not stated."), group="family"),
    C("son", _("son"), _("The person is the other's son."), group="family"),
    C("daughter", _("daughter"), _("The person is the other's daughter."), group="family"),
    C("child", _("child"), _("Child, sex not stated."), group="family"),
    C("brother", _("brother"), _("The person is the other's brother."), group="family"),
    C("sister", _("sister"), _("The person is the other's sister."), group="family"),
    C("sibling", _("sibling"), _("Sibling, sex not stated."), group="family"),
    C("wife", _("wife"), _("The person is the other's wife."), group="family"),
    C("husband", _("husband"), _("The person is the other's husband."), group="family"),
    C("spouse", _("spouse"), _("Spouse, sex not stated."), group="family"),
    C("grandparent", _("grandparent"), _("The person is the other's grandparent."), group="family"),
    C("grandchild", _("grandchild"), _("The person is the other's grandchild."), group="family"),
    C(
        "in_law",
        _("in-law"),
        _("Related by marriage: parent-, sibling- or child-in-law."),
        group="family",
    ),
    C(
        "uncle_aunt",
        _("uncle or aunt"),
        _("The person is the other's uncle or aunt."),
        group="family",
    ),
    C(
        "nephew_niece",
        _("nephew or niece"),
        _("The person is the other's nephew or niece."),
        group="family",
    ),
    C("cousin", _("cousin"), _("The person is the other's cousin."), group="family"),
    C("relative", _("relative (other)"), _("Another or unstated family tie."), group="family"),
    C("friend", _("friend"), _("A friend, not family."), group="other"),
    C(
        "associate",
        _("associate"),
        _("A colleague, party comrade or other associate."),
        group="other",
    ),
)

INVOLVEMENT_ROLES = _v(
    "involvement_roles",
    _("Involvement roles"),
    _("The part a person played in an incident."),
    C("target", _("target"), _("The exile (or other person) the incident was aimed at directly.")),
    C(
        "relative_targeted",
        _("relative targeted"),
        _(
            "A relative or associate targeted because of an "
            "exile; the involvement names that exile as linked exile."
        ),
    ),
    C("perpetrator", _("perpetrator"), _("A person who carried out or ordered the act.")),
    C("witness", _("witness"), _("A person who saw the act or reported it first-hand.")),
)

SOURCE_TYPES = _v(
    "source_types",
    _("Source types"),
    _("What kind of document a source is. Interviews are confidential by default."),
    C("court", _("Court record"), _("Judgments, indictments, court filings.")),
    C("un", _("UN document"), _("UN treaty-body, special-procedure or agency documents.")),
    C("ngo_report", _("NGO report"), _("Reports and statements of human-rights organisations.")),
    C(
        "academic",
        _("Academic publication"),
        _("Peer-reviewed or scholarly publications and research-centre articles."),
    ),
    C(
        "news",
        _("News report"),
        _("Journalism: news agencies, newspapers, broadcasters, online media."),
    ),
    C(
        "official_statement",
        _("Official statement"),
        _(
            "Statements of governments, ministries, "
            "prosecutors or intergovernmental bodies (e.g. OSCE)."
        ),
    ),
    C(
        "interpol_notice",
        _("Interpol notice"),
        _("An Interpol notice or diffusion, or a record of one."),
    ),
    C(
        "testimony",
        _("Public testimony"),
        _("A letter, appeal or testimony published by the person concerned."),
    ),
    C(
        "interview",
        _("Interview"),
        _("An interview by the documenting team; confidential by default."),
    ),
    C("social_media", _("Social media"), _("Posts and videos on social media.")),
    C("other", _("Other"), _("Any other source.")),
)

OUTCOMES = _v(
    "outcomes",
    _("Outcomes"),
    _(
        "What came of an incident: for the person targeted, and for proxy incidents what the exile "
        "did in response (the research question 'does it work?')."
    ),
    C(
        "released",
        _("Released"),
        _("The person was released (e.g. a host court refused extradition)."),
        group="incident",
    ),
    C(
        "imprisoned",
        _("Imprisoned"),
        _("The person was sentenced or remains in custody."),
        group="incident",
    ),
    C(
        "transferred",
        _("Transferred to origin state"),
        _("The person was handed over, deported or rendered to the origin state."),
        group="incident",
    ),
    C(
        "asylum_granted",
        _("Protection granted"),
        _("The host state granted asylum or other protection."),
        group="incident",
    ),
    C("injured", _("Injured"), _("The person was physically harmed."), group="incident"),
    C("killed", _("Killed"), _("The person died."), group="incident"),
    C(
        "disappeared",
        _("Disappeared"),
        _("The person's fate and whereabouts are unknown."),
        group="incident",
    ),
    C(
        "property_lost",
        _("Property lost"),
        _("Property or livelihood was taken or destroyed."),
        group="incident",
    ),
    C(
        "movement_restricted",
        _("Movement restricted"),
        _("The person cannot travel or leave."),
        group="incident",
    ),
    C(
        "fled",
        _("Relatives fled"),
        _("Relatives left the origin country after the incident."),
        group="incident",
    ),
    C(
        "returned_home",
        _("Exile returned home"),
        _("The exile returned to the origin state under pressure."),
        group="response",
    ),
    C(
        "quit_politics",
        _("Exile quit politics"),
        _("The exile stopped political activity or left their organisation."),
        group="response",
    ),
    C(
        "continued_activism",
        _("Exile continued"),
        _("The exile stayed active despite the pressure."),
        group="response",
    ),
    C("ongoing", _("Ongoing"), _("Still unresolved at the time of the source."), group="other"),
    C("unknown", _("Unknown"), _("The sources do not say."), group="other"),
)

HOST_STATE_ROLES = _v(
    "host_state_roles",
    _("Host-state roles"),
    _("What the state where the incident happened did, when it is not the origin state."),
    C(
        "perpetrator",
        _("Perpetrator"),
        _("The host state's agents carried out the act themselves."),
    ),
    C(
        "cooperated",
        _("Cooperated"),
        _("The host state acted on the origin state's request (arrest on a notice, handover)."),
    ),
    C(
        "acquiesced",
        _("Acquiesced"),
        _("The host state knew or should have known and did not act."),
    ),
    C(
        "refused",
        _("Refused"),
        _(
            "The host state refused the origin state's request (e.g. released the "
            "person, refused extradition)."
        ),
    ),
    C(
        "not_applicable",
        _("Not applicable"),
        _(
            "The incident took place in the origin state (proxy "
            "repression) or no host state was involved."
        ),
    ),
    C("unknown", _("Unknown"), _("The sources do not say.")),
)

LEGAL_CHANNELS = _v(
    "legal_channels",
    _("Legal channels"),
    _("The legal or quasi-legal instrument the origin state used across the border."),
    C("interpol", _("Interpol"), _("Interpol Red Notice or diffusion.")),
    C(
        "cis",
        _("CIS"),
        _("Commonwealth of Independent States agreements (Minsk Convention, CIS wanted list)."),
    ),
    C("sco", _("SCO"), _("Shanghai Cooperation Organisation (Shanghai Convention, SCO lists).")),
    C(
        "bilateral",
        _("Bilateral"),
        _("A bilateral extradition or police-cooperation agreement or request."),
    ),
    C("none", _("None"), _("No legal channel: an informal or covert act.")),
    C("unknown", _("Unknown"), _("The sources do not say.")),
)

CONFIDENCE = _v(
    "confidence",
    _("Confidence"),
    _("How sure the coder is that the claim is true, given its sources."),
    C(
        "confirmed",
        _("Confirmed"),
        _("Corroborated by independent reliable sources or official records."),
    ),
    C("probable", _("Probable"), _("One reliable source, consistent with what else is known.")),
    C("possible", _("Possible"), _("Plausible but thinly sourced; needs corroboration.")),
)

DATE_PRECISION = _v(
    "date_precision",
    _("Date precision"),
    _(
        "How precisely a date is known. Dates are written as ISO 8601 prefixes: 2016-09-22 "
        "(day), 2016-09 (month), 2016 (year), empty (unknown). A month-precise date is never "
        "stored as the first of the month."
    ),
    C("day", _("Day known"), _("The exact day is known.")),
    C("month", _("Month known"), _("Only the month is known.")),
    C("year", _("Year known"), _("Only the year is known.")),
    C("unknown", _("Date unknown"), _("No date is known.")),
)

PLACE_PRECISION = _v(
    "place_precision",
    _("Place precision"),
    _("How precisely a place is known. Maps never show a place more precisely than this."),
    C(
        "exact",
        _("Exact location"),
        _(
            "An address or exact point is known. It stays internal: "
            "public output shows at most the region."
        ),
    ),
    C("city", _("City or town"), _("The city, town or village is known.")),
    C("region", _("Region only"), _("Only the region or province is known.")),
    C(
        "country",
        _("Country only"),
        _("Only the country is known; maps mark the country, not a point."),
    ),
)

VISIBILITY = _v(
    "visibility",
    _("Visibility"),
    _("Who may see a record or field."),
    C("public", _("Public"), _("Anyone, once the record is published.")),
    C("restricted", _("Restricted"), _("Signed-in staff (viewer and above).")),
    C("confidential", _("Confidential"), _("Only roles cleared for confidential material.")),
)

REVIEW_STATUS = _v(
    "review_status",
    _("Review status"),
    _(
        "Where an incident stands in the review workflow. Only published incidents reach the "
        "public."
    ),
    C("draft", _("Draft"), _("Coded, not yet reviewed.")),
    C("reviewed", _("Reviewed"), _("Checked by a second person, not yet published.")),
    C("published", _("Published"), _("Released to the public site and public exports.")),
)

ORGANIZATION_TYPES = _v(
    "organization_types",
    _("Organisation types"),
    _("What kind of body an organisation is."),
    C("party", _("Political party"), _("A political party.")),
    C(
        "movement",
        _("Political movement"),
        _("An opposition movement or group that is not a party."),
    ),
    C("religious", _("Religious organisation"), _("A religious group or community.")),
    C("media", _("Media outlet"), _("A newspaper, broadcaster or online outlet.")),
    C("ngo", _("NGO"), _("A non-governmental or civil-society organisation.")),
    C("company", _("Company"), _("A business.")),
    C(
        "state_agency",
        _("State agency"),
        _(
            "A security service, police, prosecutor, ministry, state "
            "broadcaster or local administration."
        ),
    ),
    C(
        "intergovernmental",
        _("Intergovernmental body"),
        _("Interpol, the OSCE, the UN, the CIS, the SCO and similar."),
    ),
    C("other", _("Other"), _("Any other organisation.")),
)

DESIGNATION_TYPES = _v(
    "designation_types",
    _("Designation types"),
    _("How a state labelled or banned an organisation."),
    C("banned", _("Banned"), _("Outlawed or dissolved by a court or authority.")),
    C("extremist", _("Designated extremist"), _("Declared an 'extremist' organisation.")),
    C("terrorist", _("Designated terrorist"), _("Declared a 'terrorist' organisation.")),
)

AFFILIATION_ROLES = _v(
    "affiliation_roles",
    _("Affiliation roles"),
    _("A person's role in an organisation."),
    C("leader", _("leader"), _("Leads or led the organisation.")),
    C("founder", _("founder"), _("Founded the organisation.")),
    C("member", _("member"), _("A member.")),
    C(
        "alleged_member",
        _("alleged member"),
        _("Accused by the origin state of membership; not established."),
    ),
    C("supporter", _("supporter"), _("Supports the organisation without being a member.")),
    C("journalist", _("journalist"), _("Works for a media organisation as a journalist.")),
    C("employee", _("employee"), _("Works for the organisation.")),
    C("former_member", _("former member"), _("Left the organisation.")),
)

ASYLUM_STATUS = _v(
    "asylum_status",
    _("Asylum status"),
    _("A person's protection status in a host country."),
    C("none", _("No application"), _("No asylum application known.")),
    C("applied", _("Applied"), _("Asylum applied for, decision pending.")),
    C("granted", _("Granted"), _("Refugee status or other protection granted.")),
    C("refused", _("Refused"), _("Application refused.")),
    C("citizen", _("Citizen"), _("Holds the host country's citizenship.")),
    C("unknown", _("Unknown"), _("Not known.")),
)

SEX = _v(
    "sex",
    _("Sex"),
    _("As reported by sources."),
    C("female", _("female"), _("Female.")),
    C("male", _("male"), _("Male.")),
    C("unknown", _("unknown"), _("Not stated.")),
)

SCRIPTS = _v(
    "scripts",
    _("Scripts"),
    _("The writing system of a name spelling."),
    C("latn", _("Latin"), _("Latin alphabet.")),
    C("cyrl", _("Cyrillic"), _("Cyrillic alphabet (Tajik, Russian, ...).")),
    C("arab", _("Arabic"), _("Arabic or Persian script.")),
    C("other", _("Other"), _("Any other script.")),
)

# The groups (sub-headings) codes carry, marked for makemessages: the methodology page shows
# them translated; the codebook, the rules and the files use them as they are.
GROUPS = (_("abroad"), _("proxy"), _("family"), _("other"), _("incident"), _("response"))

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
