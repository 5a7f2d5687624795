"""Reference data of French authorities: the vendored extract, the search and the refresh script."""

import gzip
import json
import statistics
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

import pytest

from parvis.organisations import reference
from parvis.organisations.reference import RefEntry, ReferenceIndex, normalize, timezone_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "refresh_reference_data.py"


def names(results: list[RefEntry]) -> list[tuple[str, str]]:
    return [(e.kind, e.code) for e in results]


# ------------------------------------------------------------------------------- vendored data


def test_vendored_extract_stays_compact():
    files = sorted(reference.DATA_DIR.iterdir())
    assert {f.name for f in files} >= {
        "communes.csv.gz",
        "epci.csv.gz",
        "departements.csv.gz",
        "regions.csv.gz",
        "meta.json",
    }
    assert sum(f.stat().st_size for f in files) < 1_000_000


def test_counts_match_the_source():
    meta = reference.index().meta
    assert meta["version"] == "6.0.0"
    assert meta["counts"]["communes"] == 34969
    assert meta["counts"]["epci"] == 1255
    kinds = [e.kind for e in reference.index().entries]
    assert kinds.count("commune") == 34969
    assert kinds.count("epci") == 1255


def test_arras_by_code_and_by_name():
    arras = reference.get("commune", "62041")
    assert arras is not None
    assert arras.name == "Arras"
    assert arras.siren == "216200410"
    assert arras.population > 40_000
    assert (arras.departement, arras.region, arras.timezone) == ("62", "32", "Europe/Paris")
    assert "62000" in arras.postal_codes
    assert reference.search("Arras")[0] == arras
    assert reference.search("arras", kinds=["commune"])[0] == arras


def test_get_unknown_is_none():
    assert reference.get("commune", "00000") is None
    assert reference.get("epci", "62041") is None


@pytest.mark.parametrize(
    "query", ["saint etienne", "Saint-Étienne", "SAINT ETIENNE", "st etienne", "saint-etienne"]
)
def test_saint_etienne_exact_name_first(query):
    # The EPCI "Saint-Étienne Métropole" is more populous but its name is not an exact match.
    results = reference.search(query)
    assert names(results)[0] == ("commune", "42218")
    assert ("epci", "244200770") in names(results)


def test_other_matches_ranked_by_population():
    results = reference.search("saint etienne d", kinds=["commune"], limit=10)
    assert len(results) == 10
    pops = [e.population or 0 for e in results]
    assert pops == sorted(pops, reverse=True)
    assert all(normalize(e.name).startswith("saint etienne d") for e in results[:3])


def test_word_prefix_anywhere_in_the_name():
    # "rouvray" is the last word of Saint-Étienne-du-Rouvray; apostrophes are spaces.
    assert ("commune", "76575") in names(reference.search("rouvray"))
    assert names(reference.search("abergement clem"))[0] == ("commune", "01001")


def test_epci_by_name_with_members_and_summed_population():
    results = reference.search("CU d'Arras", kinds=["epci"])
    assert names(results)[0] == ("epci", "200033579")
    cu = results[0]
    assert cu.siren == "200033579"
    assert cu.nature == "CU"
    assert "62041" in cu.members
    assert len(cu.members) > 40
    member_pops = [reference.get("commune", code).population for code in cu.members]
    assert cu.population == sum(member_pops)
    assert (cu.departement, cu.region) == ("62", "32")


def test_paris_departement_population_is_the_sum_of_its_communes():
    dept = reference.get("departement", "75")
    communes = [e for e in reference.index().entries if e.kind == "commune" and e.departement == "75"]
    assert [c.code for c in communes] == ["75056"]  # arrondissements are not communes
    assert dept.population == sum(c.population for c in communes) == 2_103_778


def test_region_population_is_the_sum_of_its_communes():
    region = reference.get("region", "32")
    total = sum(
        e.population or 0 for e in reference.index().entries if e.kind == "commune" and e.region == "32"
    )
    assert region.population == total > 5_000_000


@pytest.mark.parametrize(
    "kind, code, tz",
    [
        ("commune", "97411", "Indian/Reunion"),  # Saint-Denis (La Réunion)
        ("commune", "93066", "Europe/Paris"),  # Saint-Denis (Seine-Saint-Denis)
        ("commune", "97209", "America/Martinique"),
        ("commune", "97302", "America/Cayenne"),
        ("commune", "97502", "America/Miquelon"),
        ("commune", "98735", "Pacific/Tahiti"),
        ("departement", "976", "Indian/Mayotte"),
        ("region", "01", "America/Guadeloupe"),  # région Guadeloupe…
        ("departement", "01", "Europe/Paris"),  # …but département 01 is Ain
        ("region", "04", "Indian/Reunion"),
        ("region", "988", "Pacific/Noumea"),
        ("epci", "249740119", "Indian/Reunion"),  # CINOR
    ],
)
def test_overseas_time_zones(kind, code, tz):
    entry = reference.get(kind, code)
    assert entry is not None
    assert entry.timezone == tz


@pytest.mark.parametrize(
    "departement, region, tz",
    [
        ("971", "01", "America/Guadeloupe"),
        ("972", "02", "America/Martinique"),
        ("973", "03", "America/Cayenne"),
        ("974", "04", "Indian/Reunion"),
        ("975", "975", "America/Miquelon"),
        ("976", "06", "Indian/Mayotte"),
        ("977", "977", "America/St_Barthelemy"),
        ("978", "978", "America/Marigot"),
        ("986", "986", "Pacific/Wallis"),
        ("987", "987", "Pacific/Tahiti"),
        ("988", "988", "Pacific/Noumea"),
        ("01", "84", "Europe/Paris"),
        ("2A", "94", "Europe/Paris"),
        (None, "03", "America/Cayenne"),
        (None, None, "Europe/Paris"),
    ],
)
def test_timezone_for(departement, region, tz):
    assert timezone_for(departement, region) == tz
    zoneinfo.ZoneInfo(tz)  # every zone exists in the tz database


def test_every_entry_has_a_valid_time_zone():
    for tz in {e.timezone for e in reference.index().entries}:
        zoneinfo.ZoneInfo(tz)


@pytest.mark.parametrize(
    "query, expected_first",
    [
        ("62041", ("commune", "62041")),  # INSEE code
        ("216200410", ("commune", "62041")),  # SIREN of a commune
        ("200033579", ("epci", "200033579")),  # SIREN of an EPCI
        ("2a004", ("commune", "2A004")),  # Corsican INSEE code, any case
        ("2A", ("departement", "2A")),
        ("62", ("departement", "62")),  # département code before postal prefix matches
        ("62000", ("commune", "62041")),  # postal code, most populous first
        ("62 000", ("commune", "62041")),
        ("974", ("departement", "974")),
    ],
)
def test_search_by_code(query, expected_first):
    assert names(reference.search(query))[0] == expected_first


def test_postal_code_prefix():
    results = reference.search("620", kinds=["commune"], limit=50)
    assert results
    assert all(any(cp.startswith("620") for cp in e.postal_codes) for e in results)


def test_region_and_departement_share_a_code():
    assert set(names(reference.search("84"))[:2]) == {("departement", "84"), ("region", "84")}


def test_kinds_and_limit():
    results = reference.search("saint", kinds=["commune"], limit=7)
    assert len(results) == 7
    assert {e.kind for e in results} == {"commune"}
    assert reference.search("saint", limit=0) == []
    assert {e.kind for e in reference.search("réunion", kinds="region")} == {"region"}


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="inconnu"):
        reference.search("arras", kinds=["ville"])


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "-'-",
        "x" * 10_000,
        "arras " * 500,
        "'; DROP TABLE communes; --",
        '" OR 1=1 --',
        "🎉🏛️",
        "🎉 zzzz",
        "\x00\x01",
        "%_%",
    ],
)
def test_empty_or_weird_query_gives_nothing(query):
    assert reference.search(query) == []


@pytest.mark.parametrize("query", ["Arras\u202e", "\tARRAS\n", "arras 🎉", "«Arras»"])
def test_noise_around_a_name_is_ignored(query):
    assert names(reference.search(query))[0] == ("commune", "62041")


@pytest.mark.parametrize(
    "raw, normalized",
    [
        ("Saint-Étienne", "saint etienne"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("Œuilly", "oeuilly"),
        ("  Île-de-France  ", "ile de france"),
        ("Provence-Alpes-Côte d’Azur", "provence alpes cote d azur"),
        ("🎉", ""),
    ],
)
def test_normalize(raw, normalized):
    assert normalize(raw) == normalized


def test_credit_names_source_version_licence_and_vintage():
    text = reference.credit()
    assert "@etalab/decoupage-administratif 6.0.0" in text
    assert "Licence Ouverte / Open Licence 2.0" in text
    assert "populations légales INSEE 2023" in text
    assert "2026" in text


def test_search_is_fast():
    ix = reference.index()
    queries = ["s", "l", "saint", "saint e", "saint etienne", "la s m", "b c", "62", "62041", "st e", "mont"]
    queries += [e.name[: 1 + i % 8] for i, e in enumerate(ix.entries[::500])]
    timings = []
    for q in queries:
        start = time.perf_counter()
        ix.search(q)
        timings.append((time.perf_counter() - start) * 1000)
    # Typically a few milliseconds at worst; a linear scan over the names would take far longer.
    assert statistics.median(timings) < 5
    assert max(timings) < 50


# ------------------------------------------------------------------------------- refresh script

FAKE_COMMUNES = [
    {
        "code": "99001",
        "nom": "Saint-Étienne-Fictive",
        "type": "commune-actuelle",
        "departement": "99",
        "region": "98",
        "siren": "219900018",
        "population": 1200,
        "codesPostaux": ["99100", "99000"],
    },
    {
        "code": "99002",
        "nom": "Bourg-Test",
        "type": "commune-actuelle",
        "departement": "99",
        "region": "98",
        "siren": "219900026",
        "population": 300,
        "codesPostaux": ["99200"],
    },
    {
        "code": "99003",
        "nom": "Ancienne",
        "type": "commune-deleguee",
        "departement": "99",
        "region": "98",
        "population": 50,
    },
    {
        "code": "97101",
        "nom": "Les Abymes",
        "type": "commune-actuelle",
        "departement": "971",
        "region": "01",
        "siren": "219710100",
        "population": 53000,
        "codesPostaux": ["97139"],
    },
]
FAKE_EPCI = [
    {
        "code": "200099999",
        "nom": "CC du Test",
        "type": "CC",
        "modeFinancement": "FPU",
        "populationTotale": 1,
        "populationMunicipale": 1,
        "membres": [
            {"code": "99002", "populationMunicipale": 1},
            {"code": "99001", "populationMunicipale": 1},
        ],
    },
]
FAKE_DEPARTEMENTS = [
    {"code": "99", "nom": "Testonie", "region": "98"},
    {"code": "971", "nom": "Guadeloupe", "region": "01"},
]
FAKE_REGIONS = [{"code": "98", "nom": "Région Test"}, {"code": "01", "nom": "Guadeloupe"}]
FAKE_README = """# paquet
| Année | Version du package | NPM |
|-------|--------------------|-----|
| 2026  | 9.9.9              | `x` |
| 2025  | 9.9.8              | `y` |
"""


@pytest.fixture
def fake_package(tmp_path):
    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    (root / "package.json").write_text(
        json.dumps({"name": "@etalab/decoupage-administratif", "version": "9.9.9", "license": "MIT"})
    )
    (root / "README.md").write_text(FAKE_README)
    for name, data in [
        ("communes", FAKE_COMMUNES),
        ("epci", FAKE_EPCI),
        ("departements", FAKE_DEPARTEMENTS),
        ("regions", FAKE_REGIONS),
    ]:
        (root / "data" / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False))
    return root


def run_refresh(source: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--from", str(source), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


def test_refresh_from_a_package_directory(fake_package, tmp_path):
    out = tmp_path / "out"
    done = run_refresh(fake_package, out)
    assert done.returncode == 0, done.stderr
    assert sorted(snapshot(out)) == [
        "communes.csv.gz",
        "departements.csv.gz",
        "epci.csv.gz",
        "meta.json",
        "regions.csv.gz",
    ]
    communes = gzip.decompress((out / "communes.csv.gz").read_bytes()).decode().splitlines()
    assert communes == [
        "code,name,departement,region,siren,population,postal_codes",
        "97101,Les Abymes,971,01,219710100,53000,97139",
        "99001,Saint-Étienne-Fictive,99,98,219900018,1200,99000 99100",
        "99002,Bourg-Test,99,98,219900026,300,99200",
    ]
    meta = json.loads((out / "meta.json").read_text())
    assert (meta["version"], meta["data_year"], meta["population_vintage"]) == ("9.9.9", "2026", "2023")
    assert meta["licence"] == "Licence Ouverte / Open Licence 2.0"

    ix = ReferenceIndex(out)
    epci = ix.get("epci", "200099999")
    assert epci.members == ("99001", "99002")
    assert epci.population == 1500  # sum of the communes, not the package's own figure
    assert ix.get("departement", "99").population == 1500
    assert ix.get("region", "01").population == 53000
    assert ix.get("commune", "99003") is None  # a commune déléguée is not kept
    assert ix.get("commune", "97101").timezone == "America/Guadeloupe"
    assert names(ix.search("st etienne"))[0] == ("commune", "99001")
    assert names(ix.search("99000")) == [("commune", "99001")]


def test_refresh_is_deterministic(fake_package, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert run_refresh(fake_package, first).returncode == 0
    before = snapshot(first)
    time.sleep(1.1)  # a timestamp in the output would now differ
    assert run_refresh(fake_package, second).returncode == 0
    assert run_refresh(fake_package, first).returncode == 0
    assert snapshot(second) == before
    assert snapshot(first) == before
    gz = before["communes.csv.gz"]
    assert gz[4:8] == b"\x00\x00\x00\x00"  # gzip mtime


def test_refresh_accepts_an_npm_prefix(fake_package, tmp_path):
    prefix = tmp_path / "prefix" / "node_modules" / "@etalab"
    prefix.mkdir(parents=True)
    fake_package.rename(prefix / "decoupage-administratif")
    done = run_refresh(tmp_path / "prefix", tmp_path / "out")
    assert done.returncode == 0, done.stderr


def test_refresh_fails_clearly_on_a_wrong_directory(tmp_path):
    done = run_refresh(tmp_path, tmp_path / "out")
    assert done.returncode == 1
    assert "data/communes.json introuvable" in done.stderr
    assert not (tmp_path / "out").exists()


def test_refresh_fails_clearly_on_a_missing_file(fake_package, tmp_path):
    (fake_package / "data" / "epci.json").unlink()
    done = run_refresh(fake_package, tmp_path / "out")
    assert done.returncode == 1
    assert "Fichier manquant" in done.stderr
