"""The subject collections of bioRxiv and medRxiv, as categories `biorxiv:genomics`.

Each collection is written as its server's name, a colon and the slug the server itself uses
in its collection URLs (`https://www.medrxiv.org/collection/infectious-diseases`); the server's
name alone (`medrxiv`) stands for every collection. Names and slugs are those the two sites
list (bioRxiv's 27 collections, medRxiv's 51), kept as static data like arXiv's taxonomy so a
category is validated without a network call. api.biorxiv.org's records spell the collection
as a name in any case, sometimes with the parenthesis of the site's title
(`Infectious Diseases (except HIV/AIDS)`) and stray spaces; `slug` maps every such spelling to
the slug. A record in a collection not listed here keeps the slug of its own spelling.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

SERVERS: dict[str, str] = {"biorxiv": "bioRxiv", "medrxiv": "medRxiv"}

_BIORXIV = (
    "Animal Behavior and Cognition", "Biochemistry", "Bioengineering", "Bioinformatics",
    "Biophysics", "Cancer Biology", "Cell Biology", "Clinical Trials", "Developmental Biology",
    "Ecology", "Epidemiology", "Evolutionary Biology", "Genetics", "Genomics", "Immunology",
    "Microbiology", "Molecular Biology", "Neuroscience", "Paleontology", "Pathology",
    "Pharmacology and Toxicology", "Physiology", "Plant Biology",
    "Scientific Communication and Education", "Synthetic Biology", "Systems Biology", "Zoology",
)
_MEDRXIV = (
    "Addiction Medicine", "Allergy and Immunology", "Anesthesia", "Cardiovascular Medicine",
    "Dentistry and Oral Medicine", "Dermatology", "Emergency Medicine",
    "Endocrinology (including Diabetes Mellitus and Metabolic Disease)", "Epidemiology",
    "Forensic Medicine", "Gastroenterology", "Genetic and Genomic Medicine", "Geriatric Medicine",
    "Health Economics", "Health Informatics", "Health Policy",
    "Health Systems and Quality Improvement", "Hematology", "HIV/AIDS",
    "Infectious Diseases (except HIV/AIDS)", "Intensive Care and Critical Care Medicine",
    "Medical Education", "Medical Ethics", "Nephrology", "Neurology", "Nursing", "Nutrition",
    "Obstetrics and Gynecology", "Occupational and Environmental Health", "Oncology",
    "Ophthalmology", "Orthopedics", "Otolaryngology", "Pain Medicine", "Palliative Medicine",
    "Pathology", "Pediatrics", "Pharmacology and Therapeutics", "Primary Care Research",
    "Psychiatry and Clinical Psychology", "Public and Global Health", "Radiology and Imaging",
    "Rehabilitation Medicine and Physical Therapy", "Respiratory Medicine", "Rheumatology",
    "Sexual and Reproductive Health", "Sports Medicine", "Surgery", "Toxicology",
    "Transplantation", "Urology",
)

_PAREN = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """The collection slug of a name as the sites write it: `Infectious Diseases (except
    HIV/AIDS)` -> `infectious-diseases`, `HIV/AIDS` -> `hiv-aids`, `Genomics ` -> `genomics`."""
    text = _PAREN.sub(" ", name.lower()).replace("&", " and ")
    return _NON_WORD.sub("-", text).strip("-")


def _table(server: str, names: tuple[str, ...]) -> dict[str, str]:
    return {f"{server}:{slug(name)}": name for name in names}


# Every collection, `server:slug` -> its name, in each site's own (alphabetical) order.
COLLECTIONS: dict[str, dict[str, str]] = {
    "biorxiv": _table("biorxiv", _BIORXIV),
    "medrxiv": _table("medrxiv", _MEDRXIV),
}


def category_of(server: str, collection: str) -> str:
    """The category of a record's `category` field (`"Genomics "` -> `biorxiv:genomics`)."""
    return f"{server}:{slug(collection)}"


def normalize(value: str) -> str | None:
    """`MedRxiv:Infectious Diseases`, `medrxiv:infectious-diseases` -> `medrxiv:infectious-diseases`;
    `bioRxiv` -> `biorxiv`; None if neither server has such a collection."""
    if not isinstance(value, str):
        return None
    server, colon, rest = value.strip().partition(":")
    server = server.strip().lower()
    if server not in SERVERS:
        return None
    if not colon:
        return server
    category = f"{server}:{slug(rest)}"
    return category if category in COLLECTIONS[server] else None


def name(category: str) -> str:
    """`medrxiv:hiv-aids` -> `HIV/AIDS`, `biorxiv` -> `bioRxiv`; `category` itself if unknown."""
    code = normalize(category)
    if code is None:
        return category
    if code in SERVERS:
        return SERVERS[code]
    return COLLECTIONS[code.partition(":")[0]][code]


def categories(server: str) -> Mapping[str, str]:
    return COLLECTIONS[server]


def members(category: str) -> list[str]:
    """Every collection of a server for its bare name; the collection itself otherwise."""
    code = normalize(category) or category
    return list(COLLECTIONS[code]) if code in COLLECTIONS else [code]


def contains(category: str, wanted: frozenset[str] | set[str]) -> bool:
    """Whether `category` (`medrxiv:oncology`) is in `wanted` itself or through its server (`medrxiv`)."""
    return category in wanted or category.partition(":")[0] in wanted


def closest(value: str, limit: int = 3) -> list[str]:
    """The valid categories nearest to an unknown one, for the message of a 400: by slug within
    the server it names (or both), and by name (`medrxiv:infectious` -> `medrxiv:infectious-diseases`)."""
    server, colon, rest = value.strip().partition(":")
    servers = [server.lower()] if server.lower() in SERVERS else list(SERVERS)
    wanted = slug(rest if colon else value)
    if not colon and server.lower() in SERVERS:
        return [server.lower()]
    found: list[str] = []
    for code in servers:
        table = COLLECTIONS[code]
        by_slug = {key.partition(":")[2]: key for key in table}
        by_name = {slug(title): key for key, title in table.items()}
        hits = [key for key in table if wanted and wanted in key.partition(":")[2]]
        hits += [by_slug[s] for s in difflib.get_close_matches(wanted, by_slug, n=limit, cutoff=0.6)]
        hits += [by_name[s] for s in difflib.get_close_matches(wanted, by_name, n=limit, cutoff=0.6)]
        found += [hit for hit in dict.fromkeys(hits) if hit not in found]
    return found[:limit]
