#!/usr/bin/env python3
"""Writes a generated HR roster (.xlsx) for the import benchmark.

Columns as the HR export writes them: Matricule, NOM, Prénom, Libellé emploi,
Affectation ("Territoire N"), Tél. portable, Adresse mail. French-looking names, unique
matricules (typed as numbers) and e-mails, mobile phones in the usual French forms.

By default the first rows are the 7 coordinators the Département publishes (the
reference data of a fresh database, read from migration/data/coordinators.csv) with a
matricule added, so importing the file deactivates nobody: it adds ROWS - 7 people and
gives the 7 known ones their matricule. `--no-reference` leaves them out (then the import
deactivates 7 of 7 active people and the deactivation guard needs --force).

Deterministic: the same arguments write the same cells.

    python bench/gen_roster.py OUT.xlsx [--rows 20000] [--seed 92] [--no-reference]
"""

import argparse
import csv
import random
import sys
import time
import unicodedata
from pathlib import Path

from openpyxl import Workbook

HEADERS = [
    "Matricule",
    "NOM",
    "Prénom",
    "Libellé emploi",
    "Affectation",
    "Tél. portable",
    "Adresse mail",
]

FIRST_NAMES = """Adèle Agathe Alexandre Alice Amandine Amélie Anaïs André Antoine Arnaud Aurélie
Baptiste Bastien Benoît Bérénice Bertrand Brigitte Camille Capucine Céline Chantal Charles
Chloé Christophe Claire Clément Corinne Damien Daniel Delphine Denis Dominique Élise Élodie
Emma Éric Étienne Fabien Fanny Fatima Florence François Frédéric Gaëlle Gérard Guillaume
Hannan Hélène Hugo Inès Isabelle Jacques Jean Jérôme Joël Julie Julien Karima Karim Laëtitia
Laure Léa Léon Louis Lucie Madeleine Malik Manon Marc Margaux Marie Mathieu Maëlys Mélanie
Michel Mohamed Nadia Nathalie Nicolas Noémie Océane Olivier Pascal Patrick Pauline Philippe
Pierre Rachid Raphaël Renée Romain Sabine Samir Sandrine Sébastien Siham Sophie Stéphane
Sylvie Théo Thierry Thomas Valérie Vincent Virginie Yasmine Yves Zoé""".split()

LAST_NAMES = """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre
Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin
Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine
Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger
Roche Roy Noël Meyer Lucas Meunier Jean Perez Marchand Dufour Blanchard Marie Barbier Brun
Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland Caron Aubert
Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Leclercq Lacroix
Fabre Dupuis Olivier Rodriguez Da\u00a0Silva Hubert Louis Charles Guillot Rivière Le\u00a0Gall
Guillaume Adam Rey Moulin Gonzalez Berger Lecomte Ménard Fleury Deschamps Carpentier Julien
Benoît Paris Maillard Marchal Aubry Vasseur Le\u00a0Roux Renault Jacquet Collet Prévost
Poirier Charpentier Royer Huet Baron Dupuy Pons Paul Laine Carré Breton Rémy Schneider
Pereira Benali Haddad Diallo Traoré Bensaïd Cissé Kaci Mansouri Ouali Van\u00a0der\u00a0Heyden""".split()
LAST_NAMES = [n.replace("\u00a0", " ") for n in LAST_NAMES]

TITLES = [
    "Coordonnateur de territoire",
    "Coordonnatrice de territoire",
    "Chargé de mission jeunesse",
    "Chargée de mission jeunesse",
    "Médiateur éducatif",
    "Médiatrice éducative",
    "Chargé de projets éducatifs territoriaux",
    "Référent prévention et citoyenneté",
    "Assistant de coordination",
    "Assistante de coordination",
]

REFERENCE = Path(__file__).resolve().parent.parent / "migration" / "data" / "coordinators.csv"


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch if ch.isalnum() else "-" for ch in folded.lower()).strip("-")


def phone(rng: random.Random) -> str:
    digits = f"0{rng.choice('67')}{rng.randrange(10**8):08d}"
    form = rng.random()
    if form < 0.70:  # 0612345678
        return digits
    pairs = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if form < 0.90:  # 06 12 34 56 78
        return pairs
    if form < 0.96:  # 06.12.34.56.78
        return pairs.replace(" ", ".")
    return "+33 " + digits[1] + " " + " ".join(digits[i : i + 2] for i in range(2, 10, 2))


def reference_rows():
    with REFERENCE.open(encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            yield [
                90000 + i,
                row["last_name"],
                row["first_name"],
                row["title"],
                f"Territoire {row['territory']}",
                row["phone"],
                row["email"],
            ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=92)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    rng = random.Random(args.seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Effectifs")
    ws.append(HEADERS)

    rows = 0
    emails = set()
    if not args.no_reference:
        for row in reference_rows():
            ws.append(row)
            emails.add(row[6].lower())
            rows += 1

    matricule = 104200
    while rows < args.rows:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email, n = f"{local}@hauts-de-seine.fr", 1
        while email in emails:
            n += 1
            email = f"{local}{n}@hauts-de-seine.fr"
        emails.add(email)
        # What a spreadsheet really holds: some capitals and stray spaces.
        written = email if rng.random() < 0.9 else f" {email.capitalize()} "
        matricule += rng.randint(1, 9)
        ws.append(
            [
                matricule,
                last.upper(),
                first,
                rng.choice(TITLES),
                f"Territoire {rng.randint(1, 7)}",
                phone(rng),
                written,
            ]
        )
        rows += 1

    args.out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(args.out)
    print(
        f"{args.out}: {rows} rows written in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
