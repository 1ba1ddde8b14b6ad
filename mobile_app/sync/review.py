"""What a reviewer approves: the per-card difference between two releases, doses first.

``mobile-app kb sign`` shows this before it asks for a signature. It is computed from the exact
document bytes the pending manifest lists (each checked against its signed sha256 first), so
what the reviewer reads is what installs. Every changed dose (added, removed, or any of drug,
amount, unit, route, frequency, note changed) and every changed calculator parameter is marked
``>>`` (and shown in bold red on a terminal).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mobile_app.sync.jsonsafe import loads
from mobile_app.sync.manifest import doc_id

__all__ = ["DiffLine", "format_diff", "release_diff"]

_DOSE_FIELDS = ("amount", "unit", "route", "frequency", "note")
_NOTE_LISTS = ("steps", "warnings", "pitfalls")
_MAX_GENERIC = 40

Kind = Literal["heading", "dose", "parameter", "text", "info"]


@dataclass(frozen=True)
class DiffLine:
    """One line of the review.

    Attributes:
        kind: ``heading`` (a document), ``dose``, ``parameter``, ``text`` or ``info``.
        text: The line.
        highlight: Whether it changes a dose or a calculator parameter.
    """

    kind: Kind
    text: str
    highlight: bool = False


def _parse(data: bytes | None, path: str) -> Any:
    if data is None:
        return None
    try:
        return loads(data, path)
    except Exception:
        return None


def _dose_text(dose: Mapping[str, Any]) -> str:
    parts = [f"{dose.get('amount', '')} {dose.get('unit', '')}".strip()]
    parts += [str(dose[k]) for k in ("route", "frequency") if dose.get(k)]
    text = " ".join(p for p in parts if p)
    return f"{text}; {dose['note']}" if dose.get("note") else text


def _keyed_doses(section: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for dose in section.get("doses", []) or []:
        if not isinstance(dose, Mapping):
            continue
        key = str(dose.get("drug", ""))
        n = 2
        while key in out:
            key = f"{dose.get('drug', '')} (#{n})"
            n += 1
        out[key] = dose
    return out


def _notes(section: Mapping[str, Any], name: str) -> list[str]:
    return [str(n.get("text", "")) for n in section.get(name, []) or [] if isinstance(n, Mapping)]


def _card_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
               ) -> Iterator[DiffLine]:
    old = old or {}
    new = new or {}
    for key in ("title", "summary", "version", "last_reviewed", "evidence"):
        if old.get(key) != new.get(key) and (key in old or key in new):
            yield DiffLine("info", f"  ~ {key}: {old.get(key, '—')} → {new.get(key, '—')}")
    old_sections = {s.get("id"): s for s in old.get("sections", []) or []
                    if isinstance(s, Mapping)}
    new_sections = {s.get("id"): s for s in new.get("sections", []) or []
                    if isinstance(s, Mapping)}
    for sid in list(dict.fromkeys([*old_sections, *new_sections])):
        before, after = old_sections.get(sid, {}), new_sections.get(sid, {})
        if before == after:
            continue
        title = after.get("title") or before.get("title") or sid
        yield DiffLine("info", f"  section {title}" + (" (new)" if not before else
                                                        " (removed)" if not after else ""))
        old_doses, new_doses = _keyed_doses(before), _keyed_doses(after)
        for drug in list(dict.fromkeys([*old_doses, *new_doses])):
            a, b = old_doses.get(drug), new_doses.get(drug)
            if a == b:
                continue
            if a is None and b is not None:
                yield DiffLine("dose", f"+ DOSE {drug}: {_dose_text(b)}", True)
            elif b is None and a is not None:
                yield DiffLine("dose", f"- DOSE {drug}: {_dose_text(a)}", True)
            elif a is not None and b is not None:
                changed = [f"{k} {a.get(k, '') or '—'} → {b.get(k, '') or '—'}"
                           for k in _DOSE_FIELDS if a.get(k) != b.get(k)]
                if changed:
                    yield DiffLine("dose", f"! DOSE {drug}: " + "; ".join(changed), True)
                if a.get("refs") != b.get("refs") or a.get("evidence") != b.get("evidence"):
                    yield DiffLine("text", f"  ~ {drug}: sources or evidence changed "
                                           f"({a.get('evidence')} → {b.get('evidence')})")
        for name in _NOTE_LISTS:
            a_notes, b_notes = _notes(before, name), _notes(after, name)
            for text in a_notes:
                if text not in b_notes:
                    yield DiffLine("text", f"  - {name[:-1]}: {text}")
            for text in b_notes:
                if text not in a_notes:
                    yield DiffLine("text", f"  + {name[:-1]}: {text}")


def _leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _leaves(value, f"{prefix}[{i}]")
    else:
        yield prefix, obj


def _generic_diff(old: Any, new: Any, parameters: bool) -> Iterator[DiffLine]:
    a, b = dict(_leaves(old)), dict(_leaves(new))
    shown = 0
    for key in list(dict.fromkeys([*a, *b])):
        if a.get(key) == b.get(key):
            continue
        shown += 1
        if shown > _MAX_GENERIC:
            yield DiffLine("info", "  … (more changes not shown)")
            return
        param = parameters and key.startswith("parameters.")
        mark = "! PARAM" if param else "  ~"
        yield DiffLine("parameter" if param else "text",
                       f"{mark} {key}: {json.dumps(a.get(key, '—'), ensure_ascii=False)} → "
                       f"{json.dumps(b.get(key, '—'), ensure_ascii=False)}", param)


def release_diff(old_docs: Mapping[str, bytes], new_docs: Mapping[str, bytes],
                 changes: Mapping[str, str]) -> list[DiffLine]:
    """The review of a release against the previous one.

    Args:
        old_docs: Document path → bytes of the previous release (or of the bundled content).
        new_docs: Document path → bytes of the release to sign.
        changes: The changelog signed into the release (id → text).

    Returns:
        Lines, grouped by document: a heading per changed document (with its changelog text),
        then its changes.
    """
    lines: list[DiffLine] = []
    for path in sorted(set(old_docs) | set(new_docs)):
        before, after = old_docs.get(path), new_docs.get(path)
        if before == after:
            continue
        old, new = _parse(before, path), _parse(after, path)
        state = "new" if before is None else "removed" if after is None else "changed"
        title = (new or old or {}).get("title", "") if isinstance(new or old, Mapping) else ""
        note = changes.get(doc_id(path), "")
        heading = f"{path} ({state})" + (f": {title}" if title else "")
        lines.append(DiffLine("heading", heading))
        if note:
            lines.append(DiffLine("info", f"  changelog: {note}"))
        kind = (new or old or {}).get("kind") if isinstance(new or old, Mapping) else None
        if kind == "card":
            lines.extend(_card_diff(old, new))
        else:
            lines.extend(_generic_diff(old, new, parameters=kind in ("formula_calc",
                                                                      "point_score")))
    return lines


def format_diff(lines: list[DiffLine], color: bool = False) -> str:
    """The review as text; dose and parameter changes are marked ``>>`` (bold red with
    ``color``).
    """
    out: list[str] = []
    for line in lines:
        text = f">> {line.text}" if line.highlight else f"   {line.text}"
        if line.highlight and color:
            text = f"\x1b[1;31m{text}\x1b[0m"
        elif line.kind == "heading" and color:
            text = f"\x1b[1m{text}\x1b[0m"
        out.append(text)
    return "\n".join(out)
