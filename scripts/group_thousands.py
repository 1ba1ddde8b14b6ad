"""Rewrite dose figures of 1,000 or more in knowledge-base text with grouped thousands.

Usage: python scripts/group_thousands.py FILE.json [...]   (rewrites the files in place)

Only numbers followed by a dose unit (directly or as the first end of a range such as
"1500–2000 IU") are changed, so years and identifiers stay as they are.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

UNIT = r"(?:mg|IU|mL|mcg|µg|units?|mmol|kBq|MBq|g\b)"
NUMBER = re.compile(rf"(?<![\d,.])(\d{{4,}})(?=(?:\.\d+)?(?:\s*[–-]\s*[\d,]+(?:\.\d+)?)?\s*{UNIT})")
SECOND = re.compile(rf"(?<=[–-])(\d{{4,}})(?=(?:\.\d+)?\s*{UNIT})")
SKIP = {"refs", "id", "citation", "url", "doi", "pmid"}
AMOUNT_DIGITS = re.compile(r"(?<![\d,.])(\d{4,})(?![\d,])")
"""In a dose's ``amount`` every number is a dose figure (its unit is the next field)."""


def group(text: str) -> str:
    """Group the thousands of every dose figure in ``text``."""
    def fmt(m: re.Match[str]) -> str:
        return f"{int(m.group(1)):,}"

    return SECOND.sub(fmt, NUMBER.sub(fmt, text))


def group_amount(text: str) -> str:
    """Group every number of 1,000 or more in a dose amount ("1000–4000")."""
    return AMOUNT_DIGITS.sub(lambda m: f"{int(m.group(1)):,}", text)


def walk(obj: Any) -> Any:
    """``obj`` with every text rewritten (keys in ``SKIP`` untouched)."""
    if isinstance(obj, dict):
        return {k: v if k in SKIP else group_amount(v) if k == "amount" and isinstance(v, str)
                else walk(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [walk(v) for v in obj]
    return group(obj) if isinstance(obj, str) else obj


def main(paths: list[str]) -> None:
    """Rewrite each file in place, keeping its layout: only the JSON strings change."""
    string = re.compile(r'("amount":\s*)?("(?:[^"\\]|\\.)*")')

    def fix(m: re.Match[str]) -> str:
        text = json.loads(m.group(2))
        return (m.group(1) or "") + json.dumps(
            group_amount(text) if m.group(1) else group(text), ensure_ascii=False)

    for path in map(Path, paths):
        raw = path.read_text(encoding="utf-8")
        new = string.sub(fix, raw)
        if json.loads(new) != walk(json.loads(raw)):
            raise SystemExit(f"{path}: a key or identifier would change; edit it by hand")
        path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
