"""Load, validate and index a knowledge base.

:func:`load_files` is pure: it takes the documents as bytes (from the package, a directory, or
a verified sync download) and returns a frozen :class:`KnowledgeBase`, or raises
:class:`KBValidationError` listing every problem found. :func:`load_bundled` reads the copy
shipped inside the package with :mod:`importlib.resources`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from mobile_app.domain.calculators import CALCULATORS, CalculatorSpec, spec_of
from mobile_app.domain.models import Evidence, Result, worst_evidence
from mobile_app.domain.scoring import PointScore
from mobile_app.knowledge.models import (
    Card,
    Document,
    FormulaCalc,
    Handoff,
    Manifest,
    ManifestEntry,
    PointScoreDoc,
    Reference,
    ReferenceList,
    SharedParameters,
    SynonymList,
    has_figure,
)
from mobile_app.knowledge.search import SearchDoc, SearchHit, SearchIndex

__all__ = [
    "MANIFEST",
    "CalculatorEntry",
    "KBValidationError",
    "KnowledgeBase",
    "build_manifest",
    "load_bundled",
    "load_directory",
    "load_documents",
    "load_files",
    "read_bundled_files",
    "read_directory",
]

MANIFEST = "manifest.json"
_DOCUMENT = TypeAdapter(Document)
_MANIFEST = TypeAdapter(Manifest)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Loading allocates hundreds of thousands of objects that all stay alive; generational
    collections during the load only rescan them, which made load time grow faster than the
    number of cards (×19 for ×10 cards, measured). Reference counting still frees garbage.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class KBValidationError(Exception):
    """The knowledge base is invalid; ``problems`` lists every problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:5]))
        self.problems = problems


_Binding = tuple[CalculatorSpec[Any, Any, Any], BaseModel]


@dataclass(frozen=True)
class CalculatorEntry:
    """A calculator bound to its knowledge-base parameters.

    What lists and search need (title, summary, group, evidence, hand-offs) is read when the
    knowledge base loads. The calculator's code (:attr:`spec`) and its validated parameters
    (:attr:`params`) are bound by ``bind``: at load time (then ``bind`` only returns them), or,
    for the bundled knowledge base, on first use (:func:`load_bundled`).
    """

    id: str
    title: str
    summary: str
    group: str
    keywords: tuple[str, ...]
    refs: tuple[str, ...]
    bind: Callable[[], _Binding] = field(repr=False, compare=False)
    """Returns (spec, params); raises :class:`KBValidationError` if they do not fit."""
    evidence: Evidence = "confirmed"
    handoffs: tuple[Handoff, ...] = ()
    """Next screens its results offer."""
    score: PointScore | None = field(default=None, repr=False, compare=False)
    """The score table of a point-score document (read without binding)."""

    @cached_property
    def _bound(self) -> _Binding:
        return self.bind()

    @property
    def spec(self) -> CalculatorSpec[Any, Any, Any]:
        """The calculator's code (imported on first use for the bundled knowledge base)."""
        return self._bound[0]

    @property
    def params(self) -> BaseModel:
        """The knowledge-base parameters, validated against the calculator's model."""
        return self._bound[1]

    def run(self, raw: Mapping[str, Any]) -> Result:
        """Validate the raw input and compute (raises :class:`InputError` on bad input)."""
        result: Result = self.spec.run(raw, self.params)
        return result

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the calculator's input."""
        return self.spec.input_schema()

    def prepare(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The raw input as the calculator reads it before validation (answers one field
        decides for another filled in); raises :class:`InputError` on a bad deciding value.
        """
        if self.spec.prepare is None:
            return dict(raw)
        return self.spec.prepare(raw, self.params)

    @property
    def point_score(self) -> PointScore | None:
        """The score table, for point-score calculators."""
        return self.score


@dataclass(frozen=True)
class KnowledgeBase:
    """A validated, immutable knowledge base with its search index."""

    manifest: Manifest
    cards: Mapping[str, Card]
    calculators: Mapping[str, CalculatorEntry]
    references: Mapping[str, Reference]
    synonyms: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def version(self) -> int:
        """Content version from the manifest."""
        return self.manifest.version

    @property
    def issued(self) -> date:
        """Release date of the content (the date of a signed manifest's issue time)."""
        issued = self.manifest.issued
        return issued.date() if isinstance(issued, datetime) else issued

    @cached_property
    def index(self) -> SearchIndex:
        """Search index over cards and calculators (built on first use)."""
        with _gc_paused():
            return SearchIndex(_search_docs(self), self.synonyms)

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Ranked, typo-tolerant search across cards and calculators."""
        return self.index.search(query, limit)

    def check_calculators(self) -> None:
        """Bind every calculator now (see ``defer_calculators`` of :func:`load_files`).

        Raises:
            KBValidationError: Listing every calculator problem found.
        """
        problems: list[str] = []
        for entry in self.calculators.values():
            try:
                entry.spec  # noqa: B018
            except KBValidationError as exc:
                problems += exc.problems
        if problems:
            raise KBValidationError(problems)

    def cite(self, ids: tuple[str, ...] | list[str]) -> list[Reference]:
        """The references for these ids, in order (unknown ids are impossible after loading)."""
        return [self.references[i] for i in ids]


def _search_docs(kb: KnowledgeBase) -> Iterator[SearchDoc]:
    for card in kb.cards.values():
        body: list[str] = []
        for sec in card.sections:
            body.append(sec.title)
            body.extend(n.text for n in (*sec.steps, *sec.warnings, *sec.pitfalls))
            body.extend(d.text for d in sec.doses)
        yield SearchDoc(card.id, "card", card.title, card.keywords, card.summary, " ".join(body))
    for calc in kb.calculators.values():
        extra = ""
        score = calc.point_score
        if score is not None:
            extra = " ".join(
                f"{c.label} {' '.join(o.label for o in c.options)}" for c in score.criteria
            )
        yield SearchDoc(calc.id, "calculator", calc.title, calc.keywords, calc.summary, extra)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_manifest(files: Mapping[str, bytes], version: int, issued: date) -> Manifest:
    """A manifest for these documents (``manifest.json`` itself is skipped)."""
    return Manifest(
        version=version,
        issued=issued,
        files={
            name: ManifestEntry(sha256=_sha256(data), length=len(data))
            for name, data in sorted(files.items())
            if name != MANIFEST
        },
    )


def _uncited(obj: Any, path: str, cited: bool) -> Iterator[str]:
    """Paths of figures (numbers, or texts with digits) that no enclosing block cites."""
    if isinstance(obj, dict):
        here = cited or bool(obj.get("refs"))
        for key, value in obj.items():
            if key in ("evidence", "id") or key == "refs" or key.endswith("_refs"):
                continue
            yield from _uncited(value, f"{path}.{key}", here)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _uncited(value, f"{path}[{i}]", cited)
    elif isinstance(obj, bool) or obj is None:
        return
    elif isinstance(obj, int | float) and not cited:
        yield f"{path} = {obj}"
    elif isinstance(obj, str) and not cited and has_figure(obj):
        yield f"{path} = {obj!r}"


def load_files(files: Mapping[str, bytes], *, check_manifest: bool = True,
               defer_calculators: bool = False) -> KnowledgeBase:
    """Validate every document and cross-reference, then build the knowledge base.

    Args:
        files: Relative path → raw bytes, including ``manifest.json``.
        check_manifest: Check each file's sha256 and length against the manifest (turn off
            only for content whose integrity was verified another way).
        defer_calculators: Bind each calculator to its code on first use instead of now
            (importing its module, validating its parameters and hand-off fields; a problem
            then raises :class:`KBValidationError` from that first use, or from
            :meth:`KnowledgeBase.check_calculators`). Only for content the test suite
            validates in full: the bundled knowledge base.

    Raises:
        KBValidationError: Listing every problem found.
    """
    with _gc_paused():
        return _load_files(files, check_manifest=check_manifest,
                           defer_calculators=defer_calculators)


def load_documents(documents: Mapping[str, bytes], manifest: Manifest) -> KnowledgeBase:
    """Validate documents whose bytes were already checked against ``manifest`` (a verified
    signed manifest) and build the knowledge base; hashes are not computed again.

    Args:
        documents: Relative path → raw bytes (no ``manifest.json``).
        manifest: The manifest the documents were verified against.

    Raises:
        KBValidationError: Listing every problem found.
    """
    with _gc_paused():
        return _load_files(documents, check_manifest=False, manifest=manifest)


def _load_files(files: Mapping[str, bytes], *, check_manifest: bool,
                manifest: Manifest | None = None,
                defer_calculators: bool = False) -> KnowledgeBase:
    problems: list[str] = []
    if manifest is None:
        if MANIFEST not in files:
            raise KBValidationError([f"{MANIFEST} is missing"])
        try:
            manifest = _MANIFEST.validate_json(files[MANIFEST])
        except ValidationError as exc:
            raise KBValidationError([f"{MANIFEST}: {exc}"]) from None
    docs_bytes = {k: v for k, v in files.items() if k != MANIFEST}
    if check_manifest:
        for name, entry in manifest.files.items():
            data = docs_bytes.get(name)
            if data is None:
                problems.append(f"{name}: listed in the manifest but missing")
            elif len(data) != entry.length or _sha256(data) != entry.sha256:
                problems.append(f"{name}: sha256/length differ from the manifest")
        for name in sorted(set(docs_bytes) - set(manifest.files)):
            problems.append(f"{name}: not listed in the manifest")

    cards: dict[str, Card] = {}
    raw_calcs: dict[str, tuple[str, PointScoreDoc | FormulaCalc]] = {}
    shared: dict[str, SharedParameters] = {}
    references: dict[str, Reference] = {}
    synonyms: list[tuple[str, ...]] = []
    for name, data in sorted(docs_bytes.items()):
        try:
            doc = _DOCUMENT.validate_json(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(f"{name}: {loc}: {err['msg']}")
            continue
        if isinstance(doc, ReferenceList):
            for ref in doc.references:
                if ref.id in references:
                    problems.append(f"{name}: duplicate reference id {ref.id!r}")
                references[ref.id] = ref
            continue
        if isinstance(doc, SynonymList):
            synonyms.extend(doc.groups)
            continue
        stem = Path(name).stem
        if stem != doc.id:
            problems.append(f"{name}: file name does not match id {doc.id!r}")
        if isinstance(doc, SharedParameters):
            if doc.id in shared:
                problems.append(f"{name}: duplicate shared id {doc.id!r}")
            shared[doc.id] = doc
            for path in _uncited(doc.blocks, "blocks", False):
                problems.append(f"{name}: uncited figure at {path}")
            continue
        if doc.id in cards or doc.id in raw_calcs:
            problems.append(f"{name}: duplicate id {doc.id!r}")
            continue
        if isinstance(doc, Card):
            cards[doc.id] = doc
            raw = json.loads(data)
            for path in _uncited(raw.get("sections", []), "sections", False):
                problems.append(f"{name}: uncited figure at {path}")
        else:
            raw_calcs[doc.id] = (name, doc)
            if isinstance(doc, FormulaCalc):
                for path in _uncited(doc.parameters, "parameters", False):
                    problems.append(f"{name}: uncited figure at {path}")

    calculators: dict[str, CalculatorEntry] = {}
    for calc_id in sorted(set(CALCULATORS) - set(raw_calcs)):
        problems.append(f"calculator {calc_id!r} has no knowledge-base document")
    for calc_id, (name, doc) in sorted(raw_calcs.items()):
        if calc_id not in CALCULATORS:
            problems.append(f"{name}: no calculator code for id {calc_id!r}")
            continue
        parameters: Any = None
        if isinstance(doc, PointScoreDoc):
            evidence = doc.evidence
        else:
            try:
                parameters = _resolve_shared(doc.parameters, shared, "parameters")
            except KeyError as exc:
                problems.append(f"{name}: {exc.args[0]}")
                continue
            evidence = worst_evidence(_evidences(parameters))
        calculators[calc_id] = CalculatorEntry(
            id=calc_id, title=doc.title, summary=doc.summary, group=doc.group,
            keywords=doc.keywords, refs=doc.refs, bind=_binder(calc_id, name, doc, parameters),
            evidence=evidence, handoffs=doc.handoffs,
            score=doc if isinstance(doc, PointScoreDoc) else None,
        )
    for calc in calculators.values():
        problems += _handoff_target_problems(calc, cards, calculators)
    if not defer_calculators:
        for calc_id, calc in list(calculators.items()):
            try:
                calc.spec  # noqa: B018  (bind now: code, parameters and hand-off fields)
            except KBValidationError as exc:
                problems += exc.problems
                del calculators[calc_id]

    for owner, ref_ids in _all_ref_ids(cards, raw_calcs, shared):
        for rid in ref_ids:
            if rid not in references:
                problems.append(f"{owner}: unknown reference {rid!r}")
    for card in cards.values():
        for calc_id in card.calculators:
            if calc_id not in raw_calcs:
                problems.append(f"cards/{card.id}.json: links unknown calculator {calc_id!r}")
    if not references:
        problems.append("no references document")
    if problems:
        raise KBValidationError(problems)
    return KnowledgeBase(
        manifest=manifest,
        cards=dict(sorted(cards.items(), key=lambda kv: kv[1].title)),
        calculators=calculators,
        references=references,
        synonyms=tuple(synonyms),
    )


def _binder(calc_id: str, name: str, doc: PointScoreDoc | FormulaCalc,
            parameters: Any) -> Callable[[], _Binding]:
    """Binds a calculator document to its code (:attr:`CalculatorEntry.bind`)."""

    def bind() -> _Binding:
        problems: list[str] = []
        spec = spec_of(calc_id)
        params: BaseModel
        if isinstance(doc, PointScoreDoc):
            if not issubclass(spec.params_model, PointScore):
                raise KBValidationError(
                    [f"{name}: {calc_id} is a formula calculator, not a point score"])
            params = doc
        else:
            try:
                params = spec.params_model.model_validate(parameters)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    loc = ".".join(str(p) for p in err["loc"])
                    problems.append(f"{name}: parameters.{loc}: {err['msg']}")
                raise KBValidationError(problems) from None
        problems += _handoff_field_problems(calc_id, spec, doc.handoffs)
        if problems:
            raise KBValidationError(problems)
        return spec, params

    return bind


def _handoff_target_problems(entry: CalculatorEntry, cards: Mapping[str, Card],
                             calcs: Mapping[str, CalculatorEntry]) -> list[str]:
    """Hand-offs must name an existing target (a card takes no values)."""
    where = f"calculators/{entry.id}.json: handoff"
    out: list[str] = []
    for h in entry.handoffs:
        kind, _, target = h.to.partition(":")
        if kind == "card" and target not in cards:
            out.append(f"{where} to unknown card {target!r}")
        elif kind == "calc" and target not in calcs:
            out.append(f"{where} to unknown calculator {target!r}")
        if kind == "card" and h.carry:
            out.append(f"{where} to a card cannot carry values")
    return out


def _handoff_field_problems(calc_id: str, spec: CalculatorSpec[Any, Any, Any],
                            handoffs: tuple[Handoff, ...]) -> list[str]:
    """Hand-offs carry into their target's real input fields from attributes the result
    really has (targets that exist: :func:`_handoff_target_problems`).
    """
    where = f"calculators/{calc_id}.json: handoff"
    out: list[str] = []
    if not handoffs:
        return out
    result_fields = set(_result_model(spec).model_fields)
    for h in handoffs:
        kind, _, target = h.to.partition(":")
        if kind != "calc" or target not in CALCULATORS:
            continue
        inputs = set(spec_of(target).input_model.model_fields)
        for field_name, attr in h.carry.items():
            if field_name not in inputs:
                out.append(f"{where} to {target}: no input {field_name!r}")
            own = attr.removeprefix("input:")
            if attr.startswith("input:") and own not in spec.input_model.model_fields:
                out.append(f"{where} to {target}: no input {own!r} to carry")
            elif not attr.startswith("input:") and attr not in result_fields:
                out.append(f"{where} to {target}: the result has no {attr!r}")
    return out


def _result_model(spec: CalculatorSpec[Any, Any, Any]) -> type[BaseModel]:
    hints = typing.get_type_hints(spec.compute)
    model = hints.get("return")
    return model if isinstance(model, type) and issubclass(model, BaseModel) else Result


def _resolve_shared(obj: Any, shared: Mapping[str, SharedParameters], path: str) -> Any:
    """``obj`` with every ``{"$shared": "<doc>.<block>"}`` replaced by that shared block.

    Raises:
        KeyError: A reference names no shared block (the message says which).
    """
    if isinstance(obj, dict):
        if set(obj) == {"$shared"}:
            ref = str(obj["$shared"])
            doc_id, _, block = ref.partition(".")
            doc = shared.get(doc_id)
            if doc is None or block not in doc.blocks:
                raise KeyError(f"{path}: unknown shared block {ref!r}")
            return doc.blocks[block]
        return {k: _resolve_shared(v, shared, f"{path}.{k}") for k, v in obj.items()}
    if isinstance(obj, list):
        return [_resolve_shared(v, shared, f"{path}[{i}]") for i, v in enumerate(obj)]
    return obj


def _evidences(obj: Any) -> Iterator[Evidence]:
    if isinstance(obj, dict):
        ev = obj.get("evidence")
        if ev in ("confirmed", "partial", "unverified"):
            yield ev
        for value in obj.values():
            yield from _evidences(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _evidences(value)


def _refs_in(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "refs" and isinstance(value, list | tuple):
                yield from (str(v) for v in value)
            else:
                yield from _refs_in(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from _refs_in(value)


def _all_ref_ids(
    cards: Mapping[str, Card], calcs: Mapping[str, tuple[str, PointScoreDoc | FormulaCalc]],
    shared: Mapping[str, SharedParameters],
) -> Iterator[tuple[str, list[str]]]:
    for card in cards.values():
        yield f"cards/{card.id}.json", list(card.sources)
    for name, doc in calcs.values():
        yield name, list(dict.fromkeys(_refs_in(doc.model_dump(mode="json"))))
    for sdoc in shared.values():
        yield f"shared/{sdoc.id}.json", list(dict.fromkeys(_refs_in(sdoc.blocks)))


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, rel + "/")
        elif child.name.endswith(".json"):
            yield rel, child.read_bytes()


@cache
def _bundled_files() -> tuple[tuple[str, bytes], ...]:
    return tuple(_walk(resources.files("mobile_app.knowledge") / "data", ""))


def read_bundled_files() -> dict[str, bytes]:
    """The documents shipped inside the package (read once per process; a new dict each call,
    so callers may change it).
    """
    return dict(_bundled_files())


def read_directory(path: str | Path) -> dict[str, bytes]:
    """The documents of a KB directory (same layout as the bundled one)."""
    root = Path(path)
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.json"))
        if p.is_file()
    }


@cache
def load_bundled() -> KnowledgeBase:
    """The knowledge base shipped with the app: loaded and validated once per process.

    The one entry point to the bundled content: the app, sync (``bundled_content``), the CLI
    and the tests all call this, so it is never loaded twice. Every document is validated and
    hash-checked now; calculators are bound to their code on first use
    (``defer_calculators``), so starting the app imports no calculator module. The test
    suite and ``mobile-app kb validate`` check every calculator in full.
    """
    return load_files(read_bundled_files(), defer_calculators=True)


def load_directory(path: str | Path) -> KnowledgeBase:
    """Load and validate a KB directory."""
    return load_files(read_directory(path))
