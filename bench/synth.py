"""Synthetic interchange data for benchmarks: realistic, valid and as large as you ask.

    python bench/synth.py 1000000 --out bench/out/1m.json --seed 1
    python bench/synth.py 1000 > small.json

Writes one `exiledb/1` document (docs/interchange.md) with N incidents, about 0.3 N persons
(exiles and their relatives) and 0.2 N sources. The records follow the shapes of the real
collections (Freedom House, CAPE): origin states skewed like Freedom House's counts, host states
per origin, about 40% proxy incidents against relatives at home, stage 2 and 3 rare, partial dates
and places of mixed precision, names in several spellings and scripts, some minors, some
restricted and confidential records. Every person, incident and source is invented; publishers
are fictitious and URLs use the reserved `.example` domain.

Standard library only (plus the codebook, imported from src/), deterministic for a seed, and
streamed record by record: memory is bounded by what cross-references need (ids and a few fields
per exile), never by the size of the output.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from bisect import bisect
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from exiledb.vocab.codebook import (  # noqa: E402
    AFFILIATION_ROLES,
    ASYLUM_STATUS,
    CODEBOOK_VERSION,
    CONFIDENCE,
    DATE_PRECISION,
    EXILE_CATEGORIES,
    HOST_STATE_ROLES,
    KINSHIP,
    LEGAL_CHANNELS,
    OUTCOMES,
    PLACE_PRECISION,
    REVIEW_STATUS,
    SOURCE_TYPES,
    TACTICS,
    VISIBILITY,
)
from exiledb.vocab.countries import COUNTRIES, EU_MEMBERS  # noqa: E402

Rec = dict[str, Any]


def table(text: str) -> dict[str, float]:
    """'a 3 b 1' -> {'a': 3.0, 'b': 1.0}: weight tables that stay readable and short."""
    parts = text.split()
    return {code: float(weight) for code, weight in zip(parts[::2], parts[1::2], strict=True)}


# --- Geography -----------------------------------------------------------------------------------
# Origin states in Freedom House's order of documented incidents, with Zipf-like weights.
ORIGINS = "CN TR TJ RU EG RW IR TM UZ BY SA KZ KG AZ PK VN TH ER KH BH".split()
ORIGIN_WEIGHTS = {code: 1 / (rank + 1) ** 0.9 for rank, code in enumerate(ORIGINS)}
CENTRAL_ASIA = {"TJ", "UZ", "TM", "KG", "KZ"}
CIS = {"RU", "BY", "KZ", "KG", "TJ", "UZ", "AZ", "AM", "MD", "TM"}
SCO = {"CN", "RU", "KZ", "KG", "TJ", "UZ", "IN", "PK", "IR", "BY"}
PROTECTING = EU_MEMBERS | {"US", "GB", "CA", "AU", "NO", "CH"}

_CA_HOSTS = "RU 30 TR 18 DE 6 PL 5 UA 5 KZ 5 AT 4 AE 4 US 4 CZ 3 LT 3 FR 3 NL 3 SE 3 FI 2 ES 2 KG 2"
HOSTS_BY_ORIGIN = {
    **{origin: _CA_HOSTS for origin in CENTRAL_ASIA},
    "CN": "TR 20 US 12 KZ 12 KG 8 DE 8 GB 6 NL 5 SE 5 CA 5 AU 5 TH 5 FR 4 AE 4 EG 3 MY 3",
    "TR": "DE 25 NL 8 US 8 FR 6 GB 6 SE 5 KZ 5 KG 5 BE 4 AT 4 PK 4 AZ 4 UA 3 GE 3 IQ 3",
    "RU": "GE 12 DE 12 LT 8 UA 8 GB 8 TR 8 FR 6 US 6 CZ 5 AT 5 AE 5 ES 4 KZ 4 FI 3",
    "BY": "LT 25 PL 25 UA 10 DE 10 RU 8 GE 5 CZ 5 US 3 SE 3",
    "EG": "TR 25 GB 12 US 10 QA 10 SA 8 AE 8 DE 6 FR 5",
    "IR": "TR 25 IQ 12 GB 10 DE 10 US 10 SE 6 NL 6 CA 6 FR 5 AE 5",
    "RW": "ZA 20 UG 15 BE 12 KE 10 US 10 GB 8 FR 8 CA 6 AE 3",
    "SA": "GB 20 US 20 TR 12 CA 10 DE 8 QA 5",
    "BH": "GB 30 US 10 DE 8 IQ 8 QA 5 CA 5",
    "AZ": "DE 20 FR 15 TR 15 GE 15 RU 10 NL 6 UA 5 AT 5 BE 4",
    "PK": "GB 25 US 15 AE 12 CA 10 SE 8 DE 8 NL 5 AU 5",
    "VN": "TH 20 MY 15 US 15 FR 10 AU 10 DE 8 KH 8",
    "TH": "LA 20 KH 15 MY 10 US 10 FR 8 DE 5 GB 5",
    "KH": "TH 25 MY 15 US 12 FR 12 AU 8 LA 5",
    "ER": "ET 20 SD 15 UG 10 KE 10 IT 10 SE 8 NO 8 DE 8 GB 8 CH 5 US 5",
}

# Cities per country: city|region|lat|lon, the capital first.
_GEO = {
    "TJ": "Dushanbe|Dushanbe|38.5598|68.7870;Khujand|Sughd|40.2826|69.6222;"
    "Kulob|Khatlon|37.9146|69.7845;Bokhtar|Khatlon|37.8364|68.7803;"
    "Khorog|Gorno-Badakhshan|37.4897|71.5531;Isfara|Sughd|40.1265|70.6250;"
    "Vahdat|Districts of Republican Subordination|38.5563|69.0197",
    "UZ": "Tashkent|Tashkent|41.2995|69.2401;Samarkand|Samarkand|39.6270|66.9750;"
    "Andijan|Andijan|40.7821|72.3442;Namangan|Namangan|40.9983|71.6726;"
    "Bukhara|Bukhara|39.7747|64.4286;Nukus|Karakalpakstan|42.4531|59.6103;"
    "Fergana|Fergana|40.3894|71.7843",
    "TM": "Ashgabat|Ashgabat|37.9601|58.3261;Turkmenabat|Lebap|39.0733|63.5786;"
    "Dashoguz|Dashoguz|41.8363|59.9666;Mary|Mary|37.6005|61.8302;"
    "Balkanabat|Balkan|39.5108|54.3671",
    "KG": "Bishkek|Bishkek|42.8746|74.5698;Osh|Osh|40.5283|72.7985;"
    "Jalal-Abad|Jalal-Abad|40.9333|73.0000;Karakol|Issyk-Kul|42.4907|78.3936",
    "KZ": "Astana|Astana|51.1694|71.4491;Almaty|Almaty|43.2220|76.8512;"
    "Shymkent|Shymkent|42.3417|69.5901;Aktobe|Aktobe Region|50.2839|57.1670;"
    "Zhanaozen|Mangystau|43.3412|52.8619;Karaganda|Karaganda Region|49.8047|73.1094",
    "RU": "Moscow|Moscow|55.7558|37.6173;Saint Petersburg|Saint Petersburg|59.9311|30.3609;"
    "Yekaterinburg|Sverdlovsk Oblast|56.8389|60.6057;"
    "Novosibirsk|Novosibirsk Oblast|55.0084|82.9357;"
    "Kazan|Tatarstan|55.7961|49.1064;Grozny|Chechnya|43.3178|45.6949;"
    "Krasnoyarsk|Krasnoyarsk Krai|56.0153|92.8932;Samara|Samara Oblast|53.1959|50.1002",
    "TR": "Ankara|Ankara|39.9334|32.8597;Istanbul|Istanbul|41.0082|28.9784;"
    "Izmir|Izmir|38.4237|27.1428;Bursa|Bursa|40.1885|29.0610;"
    "Antalya|Antalya|36.8969|30.7133;Kayseri|Kayseri|38.7205|35.4826",
    "CN": "Beijing|Beijing|39.9042|116.4074;Urumqi|Xinjiang|43.8256|87.6168;"
    "Kashgar|Xinjiang|39.4704|75.9898;Hotan|Xinjiang|37.1143|79.9225;Lhasa|Tibet|29.6520|91.1721;"
    "Hohhot|Inner Mongolia|40.8414|111.7519;Guangzhou|Guangdong|23.1291|113.2644",
    "EG": "Cairo|Cairo|30.0444|31.2357;Alexandria|Alexandria|31.2001|29.9187;"
    "Giza|Giza|30.0131|31.2089;Mansoura|Dakahlia|31.0409|31.3785;Asyut|Asyut|27.1783|31.1859",
    "RW": "Kigali|Kigali|-1.9441|30.0619;Huye|Southern Province|-2.5967|29.7394;"
    "Rubavu|Western Province|-1.7028|29.2564;Musanze|Northern Province|-1.4998|29.6349",
    "IR": "Tehran|Tehran|35.6892|51.3890;Mashhad|Razavi Khorasan|36.2605|59.6168;"
    "Isfahan|Isfahan|32.6546|51.6680;Tabriz|East Azerbaijan|38.0800|46.2919;"
    "Shiraz|Fars|29.5918|52.5837;Zahedan|Sistan and Baluchestan|29.4963|60.8629",
    "BY": "Minsk|Minsk|53.9006|27.5590;Gomel|Gomel Region|52.4412|30.9878;"
    "Brest|Brest Region|52.0976|23.7341;Grodno|Grodno Region|53.6694|23.8131;"
    "Vitebsk|Vitebsk Region|55.1904|30.2049",
    "SA": "Riyadh|Riyadh|24.7136|46.6753;Jeddah|Makkah|21.4858|39.1925;"
    "Dammam|Eastern Province|26.4207|50.0888;Qatif|Eastern Province|26.5196|50.0115",
    "AZ": "Baku|Baku|40.4093|49.8671;Ganja|Ganja|40.6828|46.3606;"
    "Sumqayit|Sumqayit|40.5855|49.6317;Lankaran|Lankaran|38.7543|48.8506",
    "PK": "Islamabad|Islamabad Capital Territory|33.6844|73.0479;Karachi|Sindh|24.8607|67.0011;"
    "Lahore|Punjab|31.5204|74.3587;Quetta|Balochistan|30.1798|66.9750;"
    "Peshawar|Khyber Pakhtunkhwa|34.0151|71.5249",
    "VN": "Hanoi|Hanoi|21.0278|105.8342;Ho Chi Minh City|Ho Chi Minh City|10.8231|106.6297;"
    "Da Nang|Da Nang|16.0544|108.2022",
    "TH": "Bangkok|Bangkok|13.7563|100.5018;Chiang Mai|Chiang Mai|18.7883|98.9853;"
    "Pattaya|Chonburi|12.9236|100.8825",
    "ER": "Asmara|Maekel|15.3229|38.9251;Keren|Anseba|15.7778|38.4511;"
    "Massawa|Northern Red Sea|15.6097|39.4500",
    "KH": "Phnom Penh|Phnom Penh|11.5564|104.9282;Siem Reap|Siem Reap|13.3671|103.8448;"
    "Battambang|Battambang|13.0957|103.2022",
    "BH": "Manama|Capital Governorate|26.2285|50.5860;Muharraq|Muharraq|26.2572|50.6119;"
    "Riffa|Southern Governorate|26.1300|50.5550",
    "PL": "Warsaw|Masovian|52.2297|21.0122;Krakow|Lesser Poland|50.0647|19.9450;"
    "Wroclaw|Lower Silesian|51.1079|17.0385;Gdansk|Pomeranian|54.3520|18.6466;"
    "Bialystok|Podlaskie|53.1325|23.1688;Terespol|Lublin|52.0756|23.6167",
    "DE": "Berlin|Berlin|52.5200|13.4050;Dortmund|North Rhine-Westphalia|51.5136|7.4653;"
    "Munich|Bavaria|48.1351|11.5820;Hamburg|Hamburg|53.5511|9.9937;"
    "Frankfurt am Main|Hesse|50.1109|8.6821;Cologne|North Rhine-Westphalia|50.9375|6.9603",
    "AT": "Vienna|Vienna|48.2082|16.3738;Graz|Styria|47.0707|15.4395;"
    "Linz|Upper Austria|48.3069|14.2858;Salzburg|Salzburg|47.8095|13.0550",
    "CZ": "Prague|Prague|50.0755|14.4378;Brno|South Moravian|49.1951|16.6068;"
    "Ostrava|Moravian-Silesian|49.8209|18.2625",
    "LT": "Vilnius|Vilnius County|54.6872|25.2797;Kaunas|Kaunas County|54.8985|23.9036;"
    "Klaipeda|Klaipeda County|55.7033|21.1443",
    "FR": "Paris|Ile-de-France|48.8566|2.3522;Strasbourg|Grand Est|48.5734|7.7521;"
    "Lyon|Auvergne-Rhone-Alpes|45.7640|4.8357;Nice|Provence-Alpes-Cote d'Azur|43.7102|7.2620",
    "NL": "Amsterdam|North Holland|52.3676|4.9041;The Hague|South Holland|52.0705|4.3007;"
    "Rotterdam|South Holland|51.9244|4.4777",
    "SE": "Stockholm|Stockholm County|59.3293|18.0686;Gothenburg|Vastra Gotaland|57.7089|11.9746;"
    "Malmo|Skane|55.6050|13.0038;Uppsala|Uppsala County|59.8586|17.6389",
    "FI": "Helsinki|Uusimaa|60.1699|24.9384;Tampere|Pirkanmaa|61.4978|23.7610;"
    "Turku|Southwest Finland|60.4518|22.2666",
    "ES": "Madrid|Community of Madrid|40.4168|-3.7038;Barcelona|Catalonia|41.3851|2.1734;"
    "Valencia|Valencian Community|39.4699|-0.3763",
    "UA": "Kyiv|Kyiv|50.4501|30.5234;Odesa|Odesa Oblast|46.4825|30.7233;"
    "Kharkiv|Kharkiv Oblast|49.9935|36.2304;Lviv|Lviv Oblast|49.8397|24.0297",
    "AE": "Abu Dhabi|Abu Dhabi|24.4539|54.3773;Dubai|Dubai|25.2048|55.2708;"
    "Sharjah|Sharjah|25.3463|55.4209",
    "US": "Washington|District of Columbia|38.9072|-77.0369;New York|New York|40.7128|-74.0060;"
    "Los Angeles|California|34.0522|-118.2437;Chicago|Illinois|41.8781|-87.6298",
    "GB": "London|England|51.5074|-0.1278;Manchester|England|53.4808|-2.2426;"
    "Birmingham|England|52.4862|-1.8904",
    "CA": "Ottawa|Ontario|45.4215|-75.6972;Toronto|Ontario|43.6532|-79.3832;"
    "Vancouver|British Columbia|49.2827|-123.1207;Montreal|Quebec|45.5017|-73.5673",
    "AU": "Canberra|Australian Capital Territory|-35.2809|149.1300;"
    "Sydney|New South Wales|-33.8688|151.2093;Melbourne|Victoria|-37.8136|144.9631",
    "GE": "Tbilisi|Tbilisi|41.7151|44.8271;Batumi|Adjara|41.6168|41.6367;"
    "Kutaisi|Imereti|42.2679|42.6946",
    "QA": "Doha|Doha|25.2854|51.5310;Al Rayyan|Al Rayyan|25.2919|51.4244",
    "ZA": "Pretoria|Gauteng|-25.7479|28.2293;Johannesburg|Gauteng|-26.2041|28.0473;"
    "Cape Town|Western Cape|-33.9249|18.4241;Durban|KwaZulu-Natal|-29.8587|31.0218",
    "UG": "Kampala|Central Region|0.3476|32.5825;Entebbe|Central Region|0.0512|32.4637;"
    "Mbarara|Western Region|-0.6072|30.6545",
    "KE": "Nairobi|Nairobi|-1.2921|36.8219;Mombasa|Mombasa|-4.0435|39.6682",
    "BE": "Brussels|Brussels-Capital|50.8503|4.3517;Antwerp|Flanders|51.2194|4.4025;"
    "Liege|Wallonia|50.6326|5.5797",
    "IQ": "Baghdad|Baghdad|33.3152|44.3661;Erbil|Kurdistan Region|36.1901|44.0091;"
    "Sulaymaniyah|Kurdistan Region|35.5613|45.4374",
    "MY": "Kuala Lumpur|Kuala Lumpur|3.1390|101.6869;George Town|Penang|5.4141|100.3288",
    "LA": "Vientiane|Vientiane Prefecture|17.9757|102.6331;"
    "Luang Prabang|Luang Prabang|19.8856|102.1347",
    "ET": "Addis Ababa|Addis Ababa|9.0300|38.7400;Gondar|Amhara|12.6030|37.4521",
    "SD": "Khartoum|Khartoum|15.5007|32.5599;Kassala|Kassala|15.4510|36.4000",
    "IT": "Rome|Lazio|41.9028|12.4964;Milan|Lombardy|45.4642|9.1900",
    "NO": "Oslo|Oslo|59.9139|10.7522;Bergen|Vestland|60.3913|5.3221",
    "CH": "Geneva|Geneva|46.2044|6.1432;Zurich|Zurich|47.3769|8.5417;Bern|Bern|46.9480|7.4474",
}
City = tuple[str, str, float, float]
GEO: dict[str, list[City]] = {
    cc: [(c, r, float(la), float(lo)) for c, r, la, lo in (p.split("|") for p in text.split(";"))]
    for cc, text in _GEO.items()
}

# --- Names ---------------------------------------------------------------------------------------
MALE = (
    "Muhiddin Umarali Sharofiddin Mahmadali Rahmatullo Jamshed Khurshed Farrukh Alijon Zafar "
    "Bahrom Davlat Firuz Ilhom Izzat Komil Mirzo Nurullo Olim Qosim Rustam Saidjafar Shavkat "
    "Sherzod Sulaymon Tohir Ubaydullo Yusuf Zoir Abdumalik Hikmatullo Khayrullo Jahongir Dilshod "
    "Bobojon Ismoil Nuriddin Anvar Azam Otabek Oybek Ulugbek Kanat Nurlan Erlan Marat Timur Aziz "
    "Murod Shukhrat Qurbon Jurabek Haydar"
).split()
FEMALE = (
    "Shabnam Zarina Gulnora Dilnoza Manzura Nigora Mohira Sitora Parvina Firuza Malika Munira "
    "Nodira Zulfiya Gulshan Khadicha Mavjuda Rukhshona Shahnoza Tahmina Zebo Mehrangez Oysha "
    "Saodat Dildora Aigul Aizhan Gulmira Madina Kamila Jamila Qumri Khurshida"
).split()
ROOTS = (
    "Kabir Yaqub Khudoydod Rahmon Nazar Karim Sharip Davlat Iskandar Qurbon Saidali Rajab Usmon "
    "Jurabek Ergash Tursun Yusuf Bobokhon Hakim Ashur Latif Olim Murod Nabi Safar Halim Zokir "
    "Sodiq Alimardon Mamadjon Amin Bakhtiyor Sattor Haydar Ghafur Mahmud Nurali Shokir Toshmat "
    "Ubaydullo Abdullo Mirzo Hoji Faiz Qodir Jalol Khoja Umar Sharif"
).split()


def _pairs(text: str) -> list[tuple[str, str]]:
    parts = text.split()
    return list(zip(parts[::2], parts[1::2], strict=True))


# Latin -> Cyrillic, longest match first; Russian conventions, then the Tajik letters.
RU_LETTERS = dict(
    _pairs(
        "shch щ dzh дж sh ш ch ч kh х zh ж ts ц yo ё yu ю ya я ye е gh г a а b б c к d д e е "
        "f ф g г h х i и j дж k к l л m м n н o о p п q к r р s с t т u у v в w в x кс y й z з"
    )
)
TG_LETTERS = {**RU_LETTERS, **dict(_pairs("dzh ҷ j ҷ q қ gh ғ h ҳ"))}
# Transliteration habits seen in sources (Tajik, Russian, German, French, Turkish renderings).
LATIN_SWAPS = _pairs(
    "kh h kh x q k j dzh j zh o u u o a o sh sch sh ch sh ş y i i y h kh dzh j zh j ov ev u ou"
)


def to_cyrillic(name: str, letters: dict[str, str]) -> str:
    words = []
    for word in name.split(" "):
        low, out, i = word.lower(), [], 0
        while i < len(low):
            for size in (4, 3, 2, 1):
                chunk = low[i : i + size]
                if len(chunk) == size and chunk in letters:
                    out.append(letters[chunk])
                    i += size
                    break
            else:
                out.append(low[i])
                i += 1
        words.append("".join(out).capitalize())
    return " ".join(words)


def _swap_once(text: str, old: str, new: str, rng: random.Random) -> str:
    """Replace one random occurrence of `old`, keeping an initial capital."""
    low = text.lower()
    spots = [i for i in range(len(low)) if low.startswith(old, i)]
    if not spots:
        return text
    i = rng.choice(spots)
    rep = new.capitalize() if text[i].isupper() else new
    return text[:i] + rep + text[i + len(old) :]


def latin_variant(name: str, sex: str, rng: random.Random) -> str:
    given, _, surname = name.partition(" ")
    if surname and rng.random() < 0.3:
        # -ov/-ova <-> -zoda: many Tajik surnames were de-Russified after 2007.
        if surname.endswith("zoda"):
            surname = surname[:-4] + ("ova" if sex == "female" else "ov")
        elif surname.endswith(("ova", "eva")):
            surname = surname[:-3] + "zoda"
        elif surname.endswith(("ov", "ev")):
            surname = surname[:-2] + "zoda"
        else:
            surname += "ova" if sex == "female" else "ov"
        return f"{given} {surname}"
    for _ in range(4):
        old, new = rng.choice(LATIN_SWAPS)
        varied = _swap_once(name, old, new, rng)
        if varied != name:
            return varied
    return name


def typo(name: str, rng: random.Random) -> str:
    """A transposed, dropped or doubled letter (never touching the space)."""
    spots = [i for i in range(1, len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha()]
    i = rng.choice(spots)
    op = rng.random()
    if op < 0.4:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if op < 0.7:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def surname_for(root: str, style: str, sex: str) -> str:
    if style == "zoda" or (style == "i" and root[-1] in "aeiou"):
        return root + "zoda"
    if style == "i":
        return root + "i"
    return root + ("ev" if root[-1] in "aeiou" else "ov") + ("a" if sex == "female" else "")


# --- Codes and their weights ---------------------------------------------------------------------
S1_TACTICS = table(
    "threat 25 surveillance 12 smear_campaign 12 hacking 6 criminal_case 15 trial_in_absentia 5 "
    "interpol_notice 10 regional_wanted_list 5 extradition_request 6 document_denial 8"
)
S3_TACTICS = table(
    "extradition 18 deportation 25 rendition 15 enforced_disappearance 10 assault 20 "
    "assassination_attempt 7 assassination 5"
)
PROXY_TACTICS = table(
    "proxy_detention 30 proxy_threat 28 proxy_assault 8 proxy_mob 5 proxy_public_shaming 7 "
    "proxy_forced_denunciation 5 proxy_passport_confiscation 8 proxy_exit_ban 8 "
    "proxy_property_seizure 7 proxy_dismissal 6 proxy_healthcare_denial 2 "
    "proxy_sexual_violence 2 proxy_divorce_pressure 3 proxy_disappearance 2"
)
LEGAL_TACTICS = ["interpol_notice", "extradition_request", "regional_wanted_list", "criminal_case"]
WANTED = {"interpol_notice", "extradition_request", "regional_wanted_list"}
EXTRADITION = {"extradition_request", "extradition_proceedings", "extradition"}
COVERT = {"threat", "surveillance", "smear_campaign", "hacking", *S3_TACTICS} - {
    "extradition",
    "deportation",
}
KIN_WEIGHTS = table(
    "mother 10 father 9 brother 14 sister 10 son 10 daughter 9 spouse 13 child 2 sibling 2 "
    "parent 1 in_law 6 uncle_aunt 3 nephew_niece 4 cousin 5 grandparent 1 grandchild 1 relative 2"
)
FEMALE_KIN = {"mother", "sister", "daughter", "wife"}
MALE_KIN = {"father", "brother", "son", "husband"}
ONCE_KIN = {"mother", "father", "spouse", "parent"}
CHILD_KIN = {"son", "daughter", "child", "grandchild", "nephew_niece"}
IN_LAW_KIN = {"wife", "husband", "in_law"}  # a different family name
# Every other weighted choice, by name; codes are checked against the codebook at start-up.
CHOICES = {
    "confidence": "confirmed 30 probable 50 possible 20",
    "visibility": "public 93 restricted 5 confidential 2",
    "review_status": "published 82 reviewed 9 draft 9",
    "place_precision": "exact 8 city 55 region 17 country 20",
    "date_precision": "day 60 month 25 year 12 unknown 3",
    "category": "opposition 40 religious 30 civil_society 25 regime_insider 10",
    "source_type": "news 35 ngo_report 20 court 8 un 4 academic 6 official_statement 7 "
    "interpol_notice 3 testimony 5 interview 7 social_media 4 other 1",
    "n_tactics": "1 55 2 32 3 13",
    "n_relatives": "0 15 1 15 2 20 3 18 4 14 5 10 6 8",
    "n_spellings": "0 20 1 35 2 30 3 15",
    "surname_style": "ov 70 zoda 20 i 10",
    # legal channel; "regional" becomes cis between CIS states and bilateral otherwise
    "channel_detention": "interpol 45 regional 25 bilateral 20 unknown 10",
    "channel_extradition": "regional 40 bilateral 40 unknown 20",
    "channel_deportation": "none 50 unknown 30 bilateral 20",
    # host-state role
    "role_transfer": "cooperated 75 perpetrator 20 unknown 5",
    "role_covert3": "cooperated 35 acquiesced 35 unknown 30",
    "role_detention": "cooperated 70 refused 20 unknown 10",
    "role_wanted": "refused 35 unknown 45 cooperated 20",
    # outcomes
    "outcome_detained": "imprisoned 40 ongoing 30 released 20 unknown 10",
    "outcome_notice": "ongoing 30 unknown 25 continued_activism 35 asylum_granted 10",
    "outcome_proxy": "continued_activism 35 unknown 25 ongoing 15 quit_politics 10 fled 8 "
    "returned_home 7",
    "asylum_protecting": "granted 40 applied 20 refused 15 citizen 10 unknown 15",
    "asylum_other": "none 40 applied 20 refused 15 unknown 20 citizen 5",
    "affiliation_opposition": "member 40 leader 10 founder 5 supporter 20 alleged_member 15 "
    "former_member 10",
    "affiliation_religious": "alleged_member 60 member 30 leader 10",
    "affiliation_civil_society": "journalist 60 employee 25 founder 15",
}
CHOICE_VOCABULARIES = {
    "confidence": CONFIDENCE,
    "visibility": VISIBILITY,
    "review_status": REVIEW_STATUS,
    "place_precision": PLACE_PRECISION,
    "date_precision": DATE_PRECISION,
    "category": EXILE_CATEGORIES,
    "source_type": SOURCE_TYPES,
    "channel": LEGAL_CHANNELS,
    "role": HOST_STATE_ROLES,
    "outcome": OUTCOMES,
    "asylum": ASYLUM_STATUS,
    "affiliation": AFFILIATION_ROLES,
}
AGENCY_KINDS = [
    ("security", "State security service"),
    ("police", "Ministry of Internal Affairs"),
    ("prosecutor", "Prosecutor General's Office"),
    ("local", "local administration"),
    ("tv", "state television"),
]
ORG_ADJ = "Democratic Islamic People's National Free Renaissance Reform Popular United".split()
ORG_NOUN = "Party Party Movement Front Union Alliance Congress Group".split()
RELIGIOUS_NAMES = ["Jamaat", "Community of Believers", "Brotherhood", "Study Circle", "Assembly"]
TRIGGERS = [
    ("OSCE human-dimension conference, Warsaw", 9),
    ("side event at the UN Human Rights Council, Geneva", 3),
    ("opposition congress, Dortmund", 0),
    ("protest outside the embassy, Berlin", 0),
    ("rally in Vienna", 0),
    ("hearing at the European Parliament, Brussels", 0),
    ("interview with a foreign broadcaster", 0),
    ("video address on YouTube", 0),
    ("open letter to the president", 0),
    ("founding meeting of an opposition alliance, Istanbul", 0),
]
PUBLISHERS = {
    "news": "Central Asia Monitor|Steppe Post|Eurasia Wire|Caspian Herald|Baltic Daily|"
    "Bosphorus Times|Continental Press Agency|Nile Observer|Great Lakes Journal|"
    "Persian Service Weekly|Minsk Free Press|Ozod Voice",
    "ngo_report": "Rights Watch International|Exile Defence Network|Helsinki Rights Foundation|"
    "Committee for Human Rights in Central Asia|Fair Extradition Project|Freedom Observatory",
    "un": "UN Working Group on Arbitrary Detention|UN Human Rights Committee|"
    "UN Committee against Torture|OHCHR",
    "academic": "Journal of Exile Studies|Centre for Transnational Repression Research|"
    "Review of Central Asian Politics",
    "interpol_notice": "Interpol",
    "social_media": "Telegram|YouTube|Facebook|X",
    "testimony": "published by the author",
    "interview": "exiledb research team",
    "other": "Diaspora association newsletter|Lawyer's blog",
}
HEADLINES = [
    "{origin} exile detained in {city}",
    "Relatives of {origin} dissident summoned by police",
    "{city} court hears extradition case of {origin} activist",
    "Family of exiled journalist harassed in {home}",
    "{origin} seeks extradition of opposition member from {host}",
    "Mob gathers at home of exile's parents in {home}",
    "Exile missing in {city}, relatives fear abduction",
    "{host} refuses to extradite {origin} activist",
    "Red Notice against {origin} blogger withdrawn",
    "Passports of exile's relatives confiscated in {home}",
]
ACADEMIC_TITLES = [
    "The long arm of the state: {origin} dissidents in {host}",
    "Proxy punishment: the families of {origin} exiles",
    "On notice, detained, rendered: three stages of repression of {origin} exiles",
    "Red Notices and the politics of extradition between {origin} and {host}",
]
LANGUAGES = "en en en ru ru tg de pl tr fr".split()


def check_codes() -> None:
    """Fail loudly if the codebook or the country list no longer has a code this script uses."""
    used = [
        (TACTICS, [*S1_TACTICS, *S3_TACTICS, *PROXY_TACTICS, *EXTRADITION, "detention_abroad"]),
        (KINSHIP, [*KIN_WEIGHTS, "wife", "husband", "associate"]),
        (LEGAL_CHANNELS, ["interpol", "cis", "sco", "none", "unknown"]),
        (OUTCOMES, "transferred disappeared injured killed released property_lost".split()),
    ]
    for name, text in CHOICES.items():
        vocab = CHOICE_VOCABULARIES.get(name) or CHOICE_VOCABULARIES.get(name.split("_")[0])
        if vocab:
            used.append((vocab, [code for code in table(text) if code != "regional"]))
    for vocab, codes in used:
        missing = [code for code in codes if code not in vocab]
        if missing:
            raise SystemExit(f"synth.py: not in the codebook ({vocab.name}): {missing}")
    for stage, codes in ((1, [*S1_TACTICS, *PROXY_TACTICS]), (3, list(S3_TACTICS))):
        wrong = [code for code in codes if TACTICS.get(code).stage != stage]
        if wrong:
            raise SystemExit(f"synth.py: tactics no longer at stage {stage}: {wrong}")
    countries = set(ORIGINS) | {c for text in HOSTS_BY_ORIGIN.values() for c in table(text)}
    bad = sorted(c for c in countries if c not in COUNTRIES or c not in GEO)
    if bad:
        raise SystemExit(f"synth.py: unknown country, or no cities listed, for {bad}")


# --- Helpers -------------------------------------------------------------------------------------
def picker(rng: random.Random, weights: dict[str, float]) -> Callable[[], str]:
    """A fast weighted choice (random.choices re-accumulates the weights on every call)."""
    items = list(weights)
    cum = list(accumulate(weights.values()))
    total, last, rand = cum[-1], len(items) - 1, rng.random

    def pick() -> str:
        i = bisect(cum, rand() * total)
        return items[i if i <= last else last]

    return pick


class Dates:
    """Partial dates 2002-2025, recent years more frequent, with a mix of precisions."""

    LAST = dt.date(2025, 12, 31).toordinal()

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        years = {str(y): (y - 2000) ** 1.5 for y in range(2002, 2026)}
        year = picker(rng, years)
        self.year: Callable[[], int] = lambda: int(year())
        self.precision = picker(rng, table(CHOICES["date_precision"]))

    def make(self, year: int = 0, precision: str = "") -> tuple[str, int, int]:
        """(value, earliest day, latest day) with days as ordinals; 0 when the date is unknown."""
        y = year or self.year()
        p = precision or self.precision()
        if p == "unknown":
            return "", 0, 0
        if p == "year":
            return str(y), dt.date(y, 1, 1).toordinal(), dt.date(y, 12, 31).toordinal()
        m = self.rng.randint(1, 12)
        days = calendar.monthrange(y, m)[1]
        if p == "month":
            return f"{y}-{m:02d}", dt.date(y, m, 1).toordinal(), dt.date(y, m, days).toordinal()
        d = self.rng.randint(1, days)
        day = dt.date(y, m, d).toordinal()
        return f"{y}-{m:02d}-{d:02d}", day, day

    def after(self, latest: int, max_days: int) -> str:
        """An end date that cannot come before the day `latest`; never after 2025."""
        day = dt.date.fromordinal(min(self.LAST, latest + self.rng.randint(1, max_days)))
        text, p = day.isoformat(), self.precision()
        return text[:7] if p == "month" else text[:4] if p == "year" else text

    def before(self, earliest: int, max_days: int) -> str:
        text = dt.date.fromordinal(earliest - self.rng.randint(1, max_days)).isoformat()
        return text if self.rng.random() < 0.7 else text[:7]


class Writer:
    """Streams the document: one json encoding per record, one record per line."""

    def __init__(self, fh: IO[str], title: str) -> None:
        self.fh = fh
        self.encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        self.counts: dict[str, int] = {}
        self.name = ""
        self.buf: list[str] = []
        version, title = self.encode(CODEBOOK_VERSION), self.encode(title)
        fh.write(f'{{"format":"exiledb/1","codebook":{version},"title":{title}')

    def begin(self, name: str) -> None:
        self.name = name
        self.counts[name] = 0
        self.fh.write(f',\n"{name}":[')

    def add(self, record: Rec) -> None:
        self.buf.append(("\n" if self.counts[self.name] == 0 else ",\n") + self.encode(record))
        self.counts[self.name] += 1
        if len(self.buf) >= 2000:
            self.fh.write("".join(self.buf))
            self.buf.clear()

    def end(self) -> None:
        self.fh.write("".join(self.buf) + "\n]")
        self.buf.clear()

    def close(self) -> None:
        self.fh.write("\n}\n")
        self.fh.flush()


# --- The generator -------------------------------------------------------------------------------
class Synth:
    """Generates the lists in dependency order and remembers what later lists refer to."""

    def __init__(self, n: int, seed: int, persons_ratio: float, sources_ratio: float) -> None:
        self.n = n
        self.rng = rng = random.Random(seed)
        self.n_persons = max(1, round(n * persons_ratio))
        self.n_sources = max(1, round(n * sources_ratio))
        self.n_orgs = max(20, n // 1000)
        self.dates = Dates(rng)
        self.p = {name: picker(rng, table(text)) for name, text in CHOICES.items()}
        self.origin = picker(rng, ORIGIN_WEIGHTS)
        self.s1 = picker(rng, S1_TACTICS)
        self.s3 = picker(rng, S3_TACTICS)
        self.proxy_tactic = picker(rng, PROXY_TACTICS)
        self.kin = picker(rng, KIN_WEIGHTS)
        self._hosts: dict[str, Callable[[], str]] = {}
        self._cities: dict[str, Callable[[], str]] = {}
        # Kept for cross-references: ids, and per exile what incidents need.
        self.source_ids: list[str] = []
        self.agencies: dict[str, list[tuple[str, str]]] = {}  # origin -> [(id, kind)]
        self.groups: dict[str, list[str]] = {}  # origin -> party/movement/religious ids
        self.media: dict[str, list[str]] = {}  # origin -> exile media and NGO ids
        self.ex_id: list[str] = []
        self.ex_name: list[str] = []
        self.ex_male: list[bool] = []
        self.ex_origin: list[str] = []
        self.ex_host: list[str] = []
        self.ex_home: list[int] = []
        self.ex_reach: list[int] = []  # the highest stage incidents against the exile may reach
        self.ex_relatives: list[list[tuple[str, str]]] = []  # [(person id, kinship word)]
        self.by_origin: dict[str, list[int]] = {}
        self.relationships: list[tuple[str, str, int]] = []  # (person id, kinship, exile index)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def host(self, origin: str) -> str:
        pick = self._hosts.get(origin)
        if pick is None:
            weights = table(HOSTS_BY_ORIGIN.get(origin, "GB 20 US 20 DE 15 FR 10 TR 10"))
            weights.pop(origin, None)
            pick = self._hosts[origin] = picker(self.rng, weights)
        return pick()

    def city_index(self, country: str) -> int:
        """A city of the country; the capital three times as likely as each other city."""
        pick = self._cities.get(country)
        if pick is None:
            weights = {str(i): 3.0 if i == 0 else 1.0 for i in range(len(GEO[country]))}
            pick = self._cities[country] = picker(self.rng, weights)
        return int(pick())

    def place(self, rec: Rec, country: str, city: int = -1, exact_share: float = 1.0) -> str:
        """Set the place fields at a random precision; return a short 'where' for titles."""
        rng = self.rng
        precision = self.p["place_precision"]()
        if precision == "exact" and rng.random() > exact_share:
            precision = "city"
        rec["place_precision"] = precision
        if precision == "country":
            return COUNTRIES[country]
        name, region, lat, lon = GEO[country][self.city_index(country) if city < 0 else city]
        rec["region"] = region
        if precision == "region":
            return region
        rec["place"] = name
        if precision == "exact":
            rec["latitude"] = round(lat + rng.uniform(-0.03, 0.03), 5)
            rec["longitude"] = round(lon + rng.uniform(-0.03, 0.03), 5)
        elif rng.random() < 0.9:
            rec["latitude"], rec["longitude"] = lat, lon
        return name

    def source_index(self) -> int:
        # A few sources (big NGO reports, court files) are cited very often, most rarely.
        return int(self.n_sources * self.rng.random() ** 2.5)

    def citations(self, k: int) -> list[Rec]:
        rng, out, seen = self.rng, [], set()
        for _ in range(k):
            i = self.source_index()
            if i in seen:
                continue
            seen.add(i)
            cite: Rec = {"source": self.source_ids[i]}
            r = rng.random()
            if r < 0.45:
                cite["locator"] = f"p. {rng.randint(1, 240)}"
            elif r < 0.6:
                cite["locator"] = f"para. {rng.randint(1, 90)}"
            if rng.random() < 0.05:
                cite["quote"] = "According to relatives, the officers did not show a warrant."
            out.append(cite)
        return out

    def spellings(self, name: str, sex: str) -> list[Rec]:
        """0-3 spellings besides the display name (which the importer adds itself)."""
        rng, seen, out = self.rng, {name}, []
        for _ in range(int(self.p["n_spellings"]())):
            r = rng.random()
            rec: Rec
            if r < 0.35:
                rec = {"value": to_cyrillic(name, RU_LETTERS), "script": "cyrl", "language": "ru"}
            elif r < 0.5:
                rec = {"value": to_cyrillic(name, TG_LETTERS), "script": "cyrl", "language": "tg"}
            elif r < 0.9:
                rec = {"value": latin_variant(name, sex, rng), "script": "latn", "language": "en"}
            else:
                rec = {"value": typo(name, rng), "script": "latn", "note": "misspelt in source"}
            if rec["value"] in seen:
                continue
            seen.add(rec["value"])
            if rng.random() < 0.3:
                rec["source"] = self.source_ids[self.source_index()]
            out.append(rec)
        return out

    # --- organizations ---
    def organizations(self, w: Writer) -> None:
        w.begin("organizations")
        w.add(self._org("Interpol", "intergovernmental", "FR", abbreviation="Interpol"))
        odihr = "OSCE Office for Democratic Institutions and Human Rights"
        w.add(self._org(odihr, "intergovernmental", "PL", abbreviation="ODIHR"))
        counters = {"agency": 0, "group": 0, "media": 0}
        for i in range(self.n_orgs - 2):
            # Round-robin over the origins so that every big origin gets its agencies and groups.
            r = i % 20
            kind = "agency" if r < 11 else "group" if r < 17 else "media"
            k = counters[kind]
            counters[kind] += 1
            if kind == "agency":
                rec = self._agency(ORIGINS[k % len(ORIGINS)], k // len(ORIGINS))
            elif kind == "group":
                rec = self._group(ORIGINS[k % 12] if k < 24 else self.origin())
            else:
                rec = self._exile_media(ORIGINS[k % 12] if k < 12 else self.origin())
            if self.rng.random() < 0.2:
                rec["citations"] = self.citations(1)
            w.add(rec)
        w.end()

    def _org(self, name: str, kind: str, country: str, **fields: Any) -> Rec:
        return {"id": self.new_id(), "name": name, "type": kind, "country": country, **fields}

    def _agency(self, origin: str, round_no: int) -> Rec:
        kind, label = AGENCY_KINDS[round_no % len(AGENCY_KINDS)]
        name = f"{COUNTRIES[origin]}: {label}"
        if round_no >= len(AGENCY_KINDS):  # regional branches once the central bodies exist
            cities = GEO[origin]
            name += f", {cities[round_no % len(cities)][1]} department"
        rec = self._org(name, "state_agency", origin)
        self.agencies.setdefault(origin, []).append((rec["id"], kind))
        return rec

    def _group(self, origin: str) -> Rec:
        rng, dates = self.rng, self.dates
        if rng.random() < 0.3:
            name, kind = f"{rng.choice(RELIGIOUS_NAMES)} of {rng.choice(ROOTS)}", "religious"
        else:
            noun = rng.choice(ORG_NOUN)
            name = f"{rng.choice(ORG_ADJ)} {noun} of {COUNTRIES[origin]}"
            kind = "party" if noun == "Party" else "movement"
        abbreviation = "".join(word[0] for word in name.split() if word[0].isupper())
        rec = self._org(name, kind, origin, abbreviation=abbreviation)
        rec["other_names"] = [to_cyrillic(name, RU_LETTERS)]
        founded = rng.randint(1990, 2016)
        rec["founded"] = str(founded)
        if rng.random() < 0.75:
            banned = min(2025, founded + rng.randint(2, 12))
            designation = {
                "type": rng.choice(["banned", "extremist", "terrorist"]),
                "by_country": origin,
                "authority": f"Supreme Court of {COUNTRIES[origin]}",
                "date": dates.make(banned, rng.choice(["day", "month", "year"]))[0],
            }
            rec["designations"] = [designation]
            if origin in CIS and origin != "RU" and rng.random() < 0.3:
                russia = {
                    "type": "extremist",
                    "by_country": "RU",
                    "date": str(min(2025, banned + 1)),
                }
                rec["designations"].append(russia)
            if rng.random() < 0.1:
                rec["dissolved"] = str(min(2025, banned + 1))
        rec["summary"] = f"{kind.capitalize()} of {COUNTRIES[origin]} exiles and their supporters."
        self.groups.setdefault(origin, []).append(rec["id"])
        return rec

    def _exile_media(self, origin: str) -> Rec:
        rng = self.rng
        host = self.host(origin)
        media = rng.random() < 0.6
        name = f"{rng.choice(ROOTS)} {'Media' if media else 'Human Rights Centre'} ({host})"
        rec = self._org(name, "media" if media else "ngo", host)
        rec["founded"] = str(rng.randint(2005, 2022))
        rec["summary"] = f"Founded by {COUNTRIES[origin]} exiles in {COUNTRIES[host]}."
        self.media.setdefault(origin, []).append(rec["id"])
        return rec

    # --- sources ---
    def sources(self, w: Writer) -> None:
        rng = self.rng
        w.begin("sources")
        publishers = {kind: names.split("|") for kind, names in PUBLISHERS.items()}
        for i, sid in enumerate(self.source_ids):
            kind = self.p["source_type"]()
            origin = self.origin()
            host = self.host(origin)
            date = self.dates.make(precision="day" if rng.random() < 0.8 else "month")[0]
            year = date[:4]
            rec: Rec = {"id": sid, "type": kind}
            if kind == "court":
                where = rng.choice([origin, host])
                rec["title"] = f"Judgment in case No. {rng.randint(1, 9999)}/{year[2:]}"
                rec["publisher"] = f"{GEO[where][0][0]} City Court, {COUNTRIES[where]}"
            elif kind == "official_statement":
                body = rng.choice(["Prosecutor General's Office", "Ministry of Internal Affairs"])
                rec["title"] = f"Statement on the case of a citizen abroad ({year})"
                rec["publisher"] = f"{body} of {COUNTRIES[origin]}"
            elif kind == "interview":
                rec["title"] = f"Interview {i + 1} with a relative (anonymised)"
                rec["publisher"] = publishers[kind][0]
                rec["visibility"] = "confidential"
            else:
                title = rng.choice(HEADLINES).format(
                    origin=COUNTRIES[origin],
                    host=COUNTRIES[host],
                    city=GEO[host][0][0],
                    home=rng.choice(GEO[origin])[0],
                )
                if kind == "ngo_report":
                    title = f"'{title}': transnational repression report {year}"
                elif kind == "academic":
                    title = rng.choice(ACADEMIC_TITLES).format(
                        origin=COUNTRIES[origin], host=COUNTRIES[host]
                    )
                elif kind == "un":
                    title = f"Opinion No. {rng.randint(1, 90)}/{year}: {title}"
                elif kind == "interpol_notice":
                    title = f"Red Notice {year}/{rng.randint(1000, 99999)} (record)"
                rec["title"] = title
                rec["publisher"] = rng.choice(publishers[kind])
            if kind in ("news", "academic", "testimony") and rng.random() < 0.6:
                given = rng.choice(MALE + FEMALE)
                rec["author"] = f"{given} {surname_for(rng.choice(ROOTS), 'ov', 'male')}"
            rec["date"] = date
            if kind != "interview":
                slug = "".join(c if c.isalnum() else "-" for c in rec["title"].lower())[:60]
                domain = "".join(c for c in rec["publisher"].split(",")[0].lower() if c.isalnum())
                rec["url"] = f"https://{domain[:30]}.example/{year}/{slug.strip('-')}-{i}"
                if rng.random() < 0.3:
                    stamp = date.replace("-", "").ljust(8, "1") + "120000"
                    rec["archive_url"] = f"https://web.archive.org/web/{stamp}/{rec['url']}"
                    if rng.random() < 0.5:
                        rec["sha256"] = f"{rng.getrandbits(256):064x}"
                if rng.random() < 0.03:
                    rec["visibility"] = "restricted"
            rec["language"] = rng.choice(LANGUAGES)
            w.add(rec)
        w.end()

    # --- persons: an exile and 0-6 relatives at a time ---
    def persons(self, w: Writer) -> None:
        w.begin("persons")
        written = 0
        while written < self.n_persons:
            k = min(int(self.p["n_relatives"]()), self.n_persons - written - 1)
            self._family(w, k)
            written += 1 + k
        w.end()

    def _family(self, w: Writer, n_relatives: int) -> None:
        rng = self.rng
        origin = self.origin()
        host = self.host(origin)
        home = self.city_index(origin)
        sex = "male" if rng.random() < 0.8 else "female"
        root, style = rng.choice(ROOTS), self.p["surname_style"]()
        name = f"{rng.choice(MALE if sex == 'male' else FEMALE)} {surname_for(root, style, sex)}"
        born = rng.randint(1950, 1998)
        categories = [self.p["category"]()]
        if rng.random() < 0.25 and (extra := self.p["category"]()) not in categories:
            categories.append(extra)
        pid = self.new_id()
        exile: Rec = {"id": pid, "display_name": name}
        if spellings := self.spellings(name, sex):
            exile["names"] = spellings
        exile.update(sex=sex, origin_country=origin, categories=categories)
        if rng.random() < 0.85:
            exile["birth_year"] = born
        left = max(2002, min(2024, born + rng.randint(20, 45)))
        exile["residences"] = residences = []
        if rng.random() < 0.25 and (transit := self.host(origin)) != host:
            moved = min(2025, left + rng.randint(1, 5))
            status = rng.choice(["none", "applied", "refused"])
            residences.append(
                {
                    "country": transit,
                    "date_from": str(left),
                    "date_to": str(moved),
                    "asylum_status": status,
                }
            )
            left = moved
        status = self.p["asylum_protecting" if host in PROTECTING else "asylum_other"]()
        since = self.dates.make(left, rng.choice(["year", "month"]))[0]
        residence: Rec = {"country": host, "date_from": since, "asylum_status": status}
        if rng.random() < 0.5:
            residence["place"] = GEO[host][self.city_index(host)][0]
        residences.append(residence)
        affiliations = self._affiliations(origin, categories, born)
        if affiliations:
            exile["affiliations"] = affiliations
        exile["summary"] = (
            f"{EXILE_CATEGORIES.label(categories[0])} from {GEO[origin][home][0]}, "
            f"{COUNTRIES[origin]}; in {COUNTRIES[host]} since {left}."
        )
        if (visibility := self.p["visibility"]()) != "public":
            exile["visibility"] = visibility
        if rng.random() < 0.4:
            exile["citations"] = self.citations(rng.randint(1, 2))
        if rng.random() < 0.03:
            exile["confidential_notes"] = "Reachable through a lawyer; never record the address."
        w.add(exile)

        index = len(self.ex_id)
        self.ex_id.append(pid)
        self.ex_name.append(name)
        self.ex_male.append(sex == "male")
        self.ex_origin.append(origin)
        self.ex_host.append(host)
        self.ex_home.append(home)
        # Stages 2 and 3 concentrate on some exiles: most cases stay at stage 1 or 2.
        reach = rng.random()
        self.ex_reach.append(3 if reach < 0.22 else 2 if reach < 0.5 else 1)
        peers = self.by_origin.setdefault(origin, [])
        if peers and rng.random() < 0.03:
            self.relationships.append((self.ex_id[rng.choice(peers)], "associate", index))
        peers.append(index)
        relatives = []
        used: set[str] = set()
        for _ in range(n_relatives):
            kin = self.kin()
            if kin in ONCE_KIN and kin in used:
                kin = rng.choice(["cousin", "brother", "sister", "in_law"])
            used.add(kin)
            rec, word = self._relative(kin, name, root, style, sex, born, origin)
            self.relationships.append((rec["id"], rec.pop("_kin"), index))
            relatives.append((rec["id"], word))
            w.add(rec)
        self.ex_relatives.append(relatives)

    def _affiliations(self, origin: str, categories: list[str], born: int) -> list[Rec]:
        rng, out = self.rng, []
        for category in categories:
            orgs = (self.media if category == "civil_society" else self.groups).get(origin)
            if not orgs or category == "regime_insider" or rng.random() < 0.35:
                continue
            role = self.p[f"affiliation_{category}"]()
            affiliation: Rec = {"organization": rng.choice(orgs), "role": role}
            if rng.random() < 0.6:
                start = rng.randint(max(1990, born + 18), 2020)
                affiliation["date_from"] = str(start)
                if role == "former_member":
                    affiliation["date_to"] = str(rng.randint(start, 2025))
            if rng.random() < 0.5:
                affiliation["confidence"] = self.p["confidence"]()
            out.append(affiliation)
        return out

    def _relative(
        self, kin: str, exile: str, root: str, style: str, exile_sex: str, born: int, origin: str
    ) -> tuple[Rec, str]:
        """A relative at home; returns the record (with '_kin' to pop) and the kinship word."""
        rng = self.rng
        if kin == "spouse":
            kin = "wife" if exile_sex == "male" else "husband"
        if kin in FEMALE_KIN:
            sex = "female"
        elif kin in MALE_KIN:
            sex = "male"
        else:
            sex = rng.choice(["female", "male", "unknown", "unknown"])
        minor = False
        if kin in CHILD_KIN:
            year = born + (rng.randint(40, 55) if kin == "grandchild" else rng.randint(18, 38))
            minor = year > 2005 or rng.random() < 0.15
            if minor:
                year = rng.randint(max(2006, born + 16), 2020)
        elif kin in ("mother", "father", "parent", "uncle_aunt"):
            year = born - rng.randint(20, 38)
        elif kin == "grandparent":
            year = born - rng.randint(40, 60)
        else:
            year = born + rng.randint(-10, 10)
        word = {"in_law": "in-law", "uncle_aunt": "uncle", "nephew_niece": "nephew"}.get(kin, kin)
        if sex == "female" and kin in ("uncle_aunt", "nephew_niece"):
            word = "aunt" if kin == "uncle_aunt" else "niece"
        rec: Rec = {"id": self.new_id(), "_kin": kin}
        if rng.random() < (0.3 if minor else 0.85):
            family = rng.choice(ROOTS) if kin in IN_LAW_KIN else root
            name_sex = sex if sex != "unknown" else rng.choice(["female", "male"])
            given = rng.choice(FEMALE if name_sex == "female" else MALE)
            if exile.startswith(given + " "):  # no father and son with the very same name
                given = rng.choice(FEMALE if name_sex == "female" else MALE)
            rec["display_name"] = name = f"{given} {surname_for(family, style, name_sex)}"
            if spellings := self.spellings(name, name_sex):
                rec["names"] = spellings
            if not minor and rng.random() < 0.2:  # pseudonymised adult relative
                rec["may_be_named"] = False
                if rng.random() < 0.5:
                    rec["pseudonym"] = f"relative of {exile} ({word})"
        else:
            rec["display_name"] = f"{word} of {exile}"
            rec["name_known"] = False
        if sex != "unknown":
            rec["sex"] = sex
        if minor or rng.random() < 0.7:
            rec["birth_year"] = year
        rec["origin_country"] = origin
        if minor:
            rec["is_minor"] = True
            rec["may_be_named"] = False
        if rng.random() < 0.1:
            rec["visibility"] = "restricted"
        if rng.random() < 0.1:
            rec["citations"] = self.citations(1)
        return rec, word

    def write_relationships(self, w: Writer) -> None:
        rng = self.rng
        w.begin("relationships")
        for person, kin, index in self.relationships:
            rec: Rec = {"id": self.new_id(), "person": person, "kinship": kin}
            rec["other"] = self.ex_id[index]
            if rng.random() < 0.8:
                rec["confidence"] = self.p["confidence"]()
            if rng.random() < 0.3:
                rec["citations"] = self.citations(1)
            w.add(rec)
        w.end()
        self.relationships = []

    # --- incidents ---
    def incidents(self, w: Writer) -> None:
        rand = self.rng.random
        n_exiles = len(self.ex_id)
        confidence, visibility = self.p["confidence"], self.p["visibility"]
        review_status = self.p["review_status"]
        w.begin("incidents")
        for _ in range(self.n):
            exile = int(n_exiles * rand() ** 1.3)  # some exiles are targeted again and again
            rec = self._proxy(exile) if rand() < 0.4 else self._abroad(exile)
            if rand() < 0.15:
                del rec["outcome"]
            if (conf := confidence()) != "probable" or rand() < 0.5:
                rec["confidence"] = conf
            if (vis := visibility()) != "public":
                rec["visibility"] = vis
            rec["review_status"] = status = review_status()
            n_cite = 1 if rand() < 0.55 else 2 if rand() < 0.7 else 3
            if status != "published" and rand() < 0.1:
                n_cite = 0
            if n_cite:
                rec["citations"] = self.citations(n_cite)
            if rand() < 0.05:
                rec["confidential_notes"] = "Informant in the diaspora; identity known to coder."
            w.add(rec)
        w.end()

    def _date(self, rec: Rec) -> int:
        """Set date (and sometimes date_end); return the earliest day (0 when unknown)."""
        value, earliest, latest = self.dates.make()
        rec["date"] = value if value or self.rng.random() < 0.5 else None
        if value and self.rng.random() < 0.12 and latest < Dates.LAST - 31:
            rec["date_end"] = self.dates.after(latest, 400)
        return earliest

    def _abroad(self, exile: int) -> Rec:
        rng, rand, p = self.rng, self.rng.random, self.p
        origin = self.ex_origin[exile]
        country = self.ex_host[exile] if rand() < 0.85 else self.host(origin)
        reach = self.ex_reach[exile]
        if reach == 3 and rand() < 0.45:
            stage = 3
        else:
            stage = 2 if reach >= 2 and rand() < 0.32 else 1
        if stage == 3 and country in EU_MEMBERS and rand() < 0.7:
            stage = 2  # inside the EU, detentions on Red Notices mostly end in release
        tactics: list[str] = []
        if stage == 3:
            tactics.append(self.s3())
            if tactics[0] in ("extradition", "deportation") and rand() < 0.5:
                tactics.append("detention_abroad")
        elif stage == 2:
            tactics.append("detention_abroad" if rand() < 0.7 else "extradition_proceedings")
            if rand() < 0.4:
                tactics.append(rng.choice(LEGAL_TACTICS))
        n = int(p["n_tactics"]())
        while len(tactics) < n and (t := self.s1()) not in tactics:
            tactics.append(t)
        ts = set(tactics)
        top = tactics[0]

        if "interpol_notice" in ts:
            channel = "interpol"
        elif "regional_wanted_list" in ts:
            channel = "sco" if origin in SCO and country in SCO and rand() < 0.4 else "cis"
        elif "detention_abroad" in ts:
            channel = p["channel_detention"]()
        elif ts & EXTRADITION:
            channel = p["channel_extradition"]()
        elif "deportation" in ts:
            channel = p["channel_deportation"]()
        elif ts <= COVERT:
            channel = "none" if rand() < 0.8 else "unknown"
        else:
            channel = "none" if rand() < 0.4 else "unknown"
        if channel == "regional":
            channel = "cis" if origin in CIS and country in CIS else "bilateral"

        if top in ("extradition", "deportation"):
            role = p["role_transfer"]()
            outcome = "transferred" if rand() < 0.8 else "imprisoned"
        elif top in ("rendition", "enforced_disappearance"):
            role = p["role_covert3"]()
            outcome = "transferred" if top == "rendition" else "disappeared"
        elif stage == 3:
            role = "unknown" if rand() < 0.7 else "acquiesced"
            outcome = {"assault": "injured", "assassination": "killed"}.get(top, "")
            outcome = outcome or rng.choice(["injured", "unknown", "continued_activism"])
        elif stage == 2:
            role = p["role_detention"]()
            if role == "refused":
                outcome = "released" if rand() < 0.8 else "asylum_granted"
            else:
                outcome = p["outcome_detained"]()
        else:
            role = (
                p["role_wanted"]() if ts & WANTED else "unknown" if rand() < 0.65 else "acquiesced"
            )
            if "document_denial" in ts and rand() < 0.5:
                outcome = "movement_restricted"
            else:
                outcome = p["outcome_notice"]()

        name = self.ex_name[exile]
        place: Rec = {}
        where = self.place(place, country)
        labels = "; ".join(TACTICS.label(t) for t in tactics)
        rec: Rec = {"id": self.new_id(), "title": f"{TACTICS.label(top)}: {name} ({where})"}
        rec["summary"] = (
            f"{name}, an exile from {COUNTRIES[origin]}, was targeted in {COUNTRIES[country]} "
            f"({labels})."
        )
        self._date(rec)
        rec["country"] = country
        rec.update(place)
        rec.update(origin_country=origin, proxy=False, tactics=tactics)
        rec["stage"] = max(TACTICS.get(t).stage or 1 for t in tactics)
        rec.update(host_state_role=role, legal_channel=channel, outcome=outcome)
        agencies = self.agencies.get(origin)
        if agencies and rand() < 0.5:
            security = [a for a, kind in agencies if kind in ("security", "police", "prosecutor")]
            rec["perpetrators"] = [rng.choice(security or [a for a, _ in agencies])]
        involvements: list[Rec] = [{"person": self.ex_id[exile], "role": "target"}]
        if rand() < 0.04:
            peers = self.by_origin[origin]
            other = peers[int(len(peers) * rand())]
            if other != exile:
                involvements.append({"person": self.ex_id[other], "role": "target"})
        if rand() < 0.08:
            agents = "two men who said they were from the embassy"
            involvements.append({"person": None, "role": "perpetrator", "description": agents})
        if rand() < 0.05:
            involvements.append({"person": None, "role": "witness", "description": "a neighbour"})
        rec["involvements"] = involvements
        return rec

    def _proxy(self, exile: int) -> Rec:
        rng, rand = self.rng, self.rng.random
        origin = self.ex_origin[exile]
        n = int(self.p["n_tactics"]())
        tactics = list(dict.fromkeys(self.proxy_tactic() for _ in range(n)))
        ts = set(tactics)
        name, exile_id = self.ex_name[exile], self.ex_id[exile]
        relatives = self.ex_relatives[exile]
        involvements: list[Rec] = []
        if relatives and rand() < 0.85:
            k = min(len(relatives), 1 if rand() < 0.6 else rng.randint(2, 3))
            chosen = rng.sample(relatives, k)
            for person, _ in chosen:
                involvements.append(
                    {"person": person, "role": "relative_targeted", "linked_exile": exile_id}
                )
            kin_word = chosen[0][1] if k == 1 else "relatives"
        else:  # relatives not identified by name
            kin_word = rng.choice(["family", "parents", "brothers"])
            who = f"{'his' if self.ex_male[exile] else 'her'} {kin_word}"
            involvements.append(
                {
                    "person": None,
                    "role": "relative_targeted",
                    "linked_exile": exile_id,
                    "description": who,
                }
            )
        place: Rec = {}
        home = self.ex_home[exile] if rand() < 0.7 else -1
        where = self.place(place, origin, home, exact_share=0.25)
        labels = "; ".join(TACTICS.label(t) for t in tactics)
        rec: Rec = {"id": self.new_id()}
        rec["title"] = f"{TACTICS.label(tactics[0])}: {kin_word} of {name} ({where})"
        rec["summary"] = (
            f"Authorities in {COUNTRIES[origin]} targeted the {kin_word} of {name}, "
            f"an exile in {COUNTRIES[self.ex_host[exile]]} ({labels})."
        )
        earliest = self._date(rec)
        rec["country"] = origin
        rec.update(place)
        rec.update(origin_country=origin, proxy=True, tactics=tactics, stage=1)
        rec["host_state_role"] = "not_applicable"
        rec["legal_channel"] = "none" if rand() < 0.7 else "unknown"
        if rand() < 0.25:
            event, month = rng.choice(TRIGGERS)
            rec["trigger_event"] = event
            if earliest and rand() < 0.8:
                rec["trigger_date"] = self.dates.before(earliest, 60)
            elif month and not earliest:
                rec["trigger_date"] = f"{self.dates.year()}-{month:02d}"
        if "proxy_disappearance" in ts:
            outcome = "disappeared"
        elif "proxy_assault" in ts and rand() < 0.5:
            outcome = "injured"
        elif "proxy_property_seizure" in ts and rand() < 0.6:
            outcome = "property_lost"
        elif ts & {"proxy_exit_ban", "proxy_passport_confiscation"} and rand() < 0.6:
            outcome = "movement_restricted"
        elif "proxy_detention" in ts and rand() < 0.5:
            outcome = "released" if rand() < 0.7 else "imprisoned"
        else:
            outcome = self.p["outcome_proxy"]()
        rec["outcome"] = outcome
        if ts & {"proxy_mob", "proxy_public_shaming"} and rand() < 0.5:
            rec["victims_estimated"] = rng.randint(2, 60)
        agencies = self.agencies.get(origin)
        if agencies and rand() < 0.8:
            chosen_ids = [rng.choice(agencies)[0]]
            tv = [a for a, kind in agencies if kind == "tv"]
            if "proxy_forced_denunciation" in ts and tv:
                chosen_ids.append(tv[0])
            elif rand() < 0.3:
                chosen_ids.append(rng.choice(agencies)[0])
            rec["perpetrators"] = list(dict.fromkeys(chosen_ids))
        rec["involvements"] = involvements
        return rec

    def run(self, fh: IO[str], title: str) -> dict[str, int]:
        # Ids of sources first: organizations and persons already cite them.
        self.source_ids = [self.new_id() for _ in range(self.n_sources)]
        w = Writer(fh, title)
        self.organizations(w)
        self.sources(w)
        self.persons(w)
        self.write_relationships(w)
        self.incidents(w)
        w.close()
        return w.counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a synthetic exiledb/1 interchange document with N incidents.",
        epilog="example: python bench/synth.py 100000 --out bench/out/100k.json --seed 7",
    )
    parser.add_argument("n", type=int, help="number of incidents")
    parser.add_argument("--out", default="-", help="output file ('-', the default: stdout)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--persons-ratio", type=float, default=0.3, help="persons per incident")
    parser.add_argument("--sources-ratio", type=float, default=0.2, help="sources per incident")
    parser.add_argument("--quiet", action="store_true", help="print no summary on stderr")
    args = parser.parse_args(argv)
    if args.n < 0 or args.persons_ratio <= 0 or args.sources_ratio <= 0:
        parser.error("N must be 0 or more and the ratios more than 0")
    check_codes()
    started = time.perf_counter()
    synth = Synth(args.n, args.seed, args.persons_ratio, args.sources_ratio)
    title = f"Synthetic benchmark data: {args.n} incidents, seed {args.seed} (bench/synth.py)"
    if args.out == "-":
        out = open(sys.stdout.fileno(), "w", encoding="utf-8", buffering=1 << 20, closefd=False)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        out = open(args.out, "w", encoding="utf-8", buffering=1 << 20)
    try:
        with out:
            counts = synth.run(out, title)
    except BrokenPipeError:  # the reader stopped early (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    if not args.quiet:
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        seconds = time.perf_counter() - started
        print(f"synth.py: wrote {summary} in {seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
