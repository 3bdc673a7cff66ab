"""Write docs/examples/us-federal-2023-excerpt.json: five real use cases of the bundled US
federal AI use-case inventory 2023 (data/raw/us-federal/2023_consolidated_ai_inventory_raw.csv,
public domain) rearranged as a nested JSON register, the shape register APIs publish: metadata,
then the records under ``data.use_cases``, each with an ``organisation`` object, a list of
``techniques`` and a list of ``offices`` objects. Values are copied, never edited; a blank cell
is left out of its record. Run from the repository root:

    .venv/bin/python docs/examples/make_us_federal_2023_excerpt.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw" / "us-federal" / "2023_consolidated_ai_inventory_raw.csv"
OUT = Path(__file__).resolve().parent / "us-federal-2023-excerpt.json"
IDS = ["DHS-0026-2023", "DHS-0034-2023", "DOE-0003-2023", "DOE-0029-2023", "DOI-0035-2023"]


def split_list(text: str) -> list[str]:
    """A comma-separated list, split on the commas outside brackets."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    return [p for p in parts + [current.strip()] if p]


def record(row: dict[str, str]) -> dict:
    organisation = {"department": row["Department"], "code": row["Department_Code"]}
    if row["Agency"]:
        organisation["offices"] = [{"name": name} for name in split_list(row["Agency"])]
    out = {
        "id": row["Use_Case_ID"],
        "title": row["Title"],
        "summary": row["Summary"],
        "organisation": organisation,
        "techniques": split_list(row["Techniques"]),
    }
    if row["Development_Stage"]:
        out["development_stage"] = row["Development_Stage"]
    return out


def main() -> None:
    with open(RAW, encoding="utf-8", newline="") as fh:
        rows = {r["Use_Case_ID"]: r for r in csv.DictReader(fh)}
    document = {
        "meta": {
            "title": "US federal AI use-case inventory 2023: an excerpt of five use cases",
            "source": "ombegov/2024-Federal-AI-Use-Case-Inventory, "
            "data/2023_consolidated_ai_inventory_raw.csv (see data/raw/MANIFEST.tsv)",
            "licence": "US federal government work, public domain",
            "records": len(IDS),
        },
        "data": {"use_cases": [record(rows[i]) for i in IDS]},
    }
    OUT.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
