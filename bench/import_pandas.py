#!/usr/bin/env python3
"""The roster import as an administrator would script it in Python: the baseline of
bench/import.sh.

pandas.read_excel (openpyxl) → normalise with pandas string methods (trim, lower-case
e-mails, phones to E.164, territory number) and validate (all-or-nothing) → one psycopg 3
transaction: COPY into a temporary table, upsert `coordinators` on the e-mail,
deactivate the people missing from the file, end and open `coordinator_assignments`,
bump `data_version`.

Prints one JSON object on stdout:
  {"rows": N, "timings": {"startup_ms", "read_ms", "validate_ms", "apply_ms", "total_ms"},
   "counts": {...}}
Exit codes: 0 applied, 1 rejected (problems listed on stderr), 2 usage.

    DATABASE_URL=postgres://… python bench/import_pandas.py ROSTER.xlsx
"""

import time

T_START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psycopg  # noqa: E402

T_IMPORTED = time.perf_counter()

# The columns of the HR export, as the administrator knows them.
COLUMNS = {
    "Matricule": "employee_id",
    "NOM": "last_name",
    "Prénom": "first_name",
    "Libellé emploi": "title",
    "Affectation": "territory",
    "Tél. portable": "phone",
    "Adresse mail": "email",
}
REQUIRED = ["last_name", "first_name", "email", "territory"]
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$"
TERRITORY_RE = r"^(?:territoire|t)?\s*([0-9]+)\b"


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def read(path: str) -> pd.DataFrame:
    df = pd.read_excel(path, engine="openpyxl", dtype=str)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        sys.exit(f"colonnes manquantes : {', '.join(missing)}")
    return df[list(COLUMNS)].rename(columns=COLUMNS)


def normalise(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    problems: list[str] = []
    row_numbers = df.index + 2  # the header is row 1 of the sheet
    for column in df.columns:
        df[column] = df[column].str.strip().replace("", np.nan)

    for column in REQUIRED:
        for row in row_numbers[df[column].isna()]:
            problems.append(f"ligne {row}, {column} : valeur obligatoire manquante")

    df["email"] = df["email"].str.lower()
    bad = df["email"].notna() & ~df["email"].str.match(EMAIL_RE, na=False)
    for row in row_numbers[bad]:
        problems.append(f"ligne {row}, Adresse mail : adresse invalide")

    number = (
        df["territory"].str.lower().str.extract(TERRITORY_RE, expand=False).astype("Int64")
    )
    bad = df["territory"].notna() & ~number.between(1, 7).fillna(False).astype(bool)
    for row in row_numbers[bad]:
        problems.append(f"ligne {row}, Affectation : territoire inconnu")
    df["territory"] = number

    raw = df["phone"]
    digits = raw.str.replace(r"\D", "", regex=True)
    international = raw.str.startswith("+", na=False) | raw.str.startswith("00", na=False)
    digits = digits.where(~raw.str.startswith("00", na=False), digits.str[2:])
    e164 = pd.Series(
        np.select(
            [
                international & digits.str.match(r"^33[1-9][0-9]{8}$", na=False),
                ~international & digits.str.match(r"^0[1-9][0-9]{8}$", na=False),
                ~international & digits.str.match(r"^[1-9][0-9]{8}$", na=False),
            ],
            ["+" + digits.fillna(""), "+33" + digits.str[1:].fillna(""), "+33" + digits.fillna("")],
            default="",
        ),
        index=df.index,
    )
    bad = raw.notna() & (e164 == "")
    for row in row_numbers[bad]:
        problems.append(f"ligne {row}, Tél. portable : numéro invalide")
    df["phone"] = e164.replace("", None).where(raw.notna(), None)

    # Key: matricule when present, else e-mail. Same key twice is fine for an interim
    # (two territories), not for two different identities.
    df["key"] = df["employee_id"].fillna("@" + df["email"].fillna(""))
    identity = df[["key", "last_name", "first_name", "email"]].drop_duplicates()
    for key in identity.loc[identity["key"].duplicated(), "key"].unique():
        rows = ", ".join(str(r) for r in row_numbers[df["key"] == key])
        problems.append(f"lignes {rows} : même matricule ou e-mail pour deux personnes")
    emails = df[["email", "key"]].drop_duplicates()
    for email in emails.loc[emails["email"].duplicated() & emails["email"].notna(), "email"]:
        problems.append(f"e-mail {email} : porté par deux personnes")
    duplicated_row = df.duplicated(["key", "territory"])
    for row in row_numbers[duplicated_row]:
        problems.append(f"ligne {row} : ligne en double")
    return df, problems


def apply(df: pd.DataFrame, dsn: str) -> dict:
    counts = {}
    columns = ["employee_id", "last_name", "first_name", "title", "email", "phone", "territory"]
    records = df[columns].astype(object).where(df[columns].notna(), None)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            """CREATE TEMP TABLE roster (employee_id text, last_name text, first_name text,
                 title text, email text, phone text, territory int) ON COMMIT DROP"""
        )
        with cur.copy(
            "COPY roster (employee_id, last_name, first_name, title, email, phone, territory)"
            " FROM STDIN"
        ) as copy:
            for row in records.itertuples(index=False, name=None):
                copy.write_row(row)
        cur.execute("ANALYZE roster")

        cur.execute(
            """INSERT INTO coordinators (employee_id, first_name, last_name, title, email,
                                         phone, active, created_at, updated_at)
               SELECT DISTINCT ON (email) employee_id, first_name, last_name, title, email,
                      phone, true, now(), now()
               FROM roster ORDER BY email
               ON CONFLICT (email) DO UPDATE SET
                 employee_id = EXCLUDED.employee_id, first_name = EXCLUDED.first_name,
                 last_name = EXCLUDED.last_name, title = EXCLUDED.title,
                 phone = EXCLUDED.phone, active = true, deactivated_at = NULL,
                 updated_at = now(), version = coordinators.version + 1
               WHERE (coordinators.employee_id, coordinators.first_name,
                      coordinators.last_name, coordinators.title, coordinators.phone,
                      coordinators.active)
                     IS DISTINCT FROM
                     (EXCLUDED.employee_id, EXCLUDED.first_name, EXCLUDED.last_name,
                      EXCLUDED.title, EXCLUDED.phone, true)
               RETURNING (xmax = 0) AS inserted"""
        )
        flags = [r[0] for r in cur.fetchall()]
        counts["added"] = sum(flags)
        counts["updated"] = len(flags) - counts["added"]

        cur.execute(
            """UPDATE coordinators c SET active = false, deactivated_at = now(),
                      updated_at = now(), version = c.version + 1
               WHERE c.active AND NOT EXISTS (SELECT 1 FROM roster r WHERE r.email = c.email)"""
        )
        counts["deactivated"] = cur.rowcount

        cur.execute(
            """CREATE TEMP TABLE wanted ON COMMIT DROP AS
               SELECT DISTINCT c.id AS coordinator_id, t.id AS territory_id
               FROM roster r JOIN coordinators c ON c.email = r.email
               JOIN territories t ON t.number = r.territory"""
        )
        cur.execute("ANALYZE wanted")
        cur.execute(
            """UPDATE coordinator_assignments a SET ended_at = now()
               WHERE a.ended_at IS NULL AND NOT EXISTS (
                 SELECT 1 FROM wanted w
                 WHERE w.coordinator_id = a.coordinator_id AND w.territory_id = a.territory_id)"""
        )
        counts["assignments_ended"] = cur.rowcount
        cur.execute(
            """INSERT INTO coordinator_assignments (coordinator_id, territory_id, started_at)
               SELECT w.coordinator_id, w.territory_id, now() FROM wanted w
               WHERE NOT EXISTS (
                 SELECT 1 FROM coordinator_assignments a
                 WHERE a.coordinator_id = w.coordinator_id AND a.territory_id = w.territory_id
                   AND a.ended_at IS NULL)"""
        )
        counts["assignments_started"] = cur.rowcount
        cur.execute("UPDATE data_version SET version = version + 1")
    return counts


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        print("DATABASE_URL is not set", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    df = read(sys.argv[1])
    t1 = time.perf_counter()
    df, problems = normalise(df)
    t2 = time.perf_counter()
    if problems:
        print(f"{len(problems)} problème(s), rien n'est importé :", file=sys.stderr)
        for problem in problems[:50]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    counts = apply(df, dsn)
    t3 = time.perf_counter()
    print(
        json.dumps(
            {
                "rows": len(df),
                "timings": {
                    "startup_ms": ms(T_IMPORTED - T_START),
                    "read_ms": ms(t1 - t0),
                    "validate_ms": ms(t2 - t1),
                    "apply_ms": ms(t3 - t2),
                    "total_ms": ms(t3 - T_START),
                },
                "counts": counts,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
