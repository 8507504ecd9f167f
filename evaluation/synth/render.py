"""Turn a registry's records into the text of its columns, garbling as the model says.

Person fields (name, identity number, sex, birth date, phone, and a birth certificate's
parents) are taken from the population and passed through the error model; the other
fields come from the registry's selector. Each field draws from its own random stream in
column order, so the output depends only on the seed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evaluation.synth import corrupt, dates
from evaluation.synth.error_model import FAMILIES, ErrorRates
from evaluation.synth.population import Population
from evaluation.synth.registries import Records
from evaluation.synth.specs import RegistrySpec

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

PARENT_FIELDS: dict[str, tuple[str, str]] = {
    "mother_name": ("mother", "name"),
    "mother_id_number": ("mother", "id"),
    "father_name": ("father", "name"),
    "father_id_number": ("father", "id"),
}
"""Birth-certificate fields about a parent: which parent, and which error family."""


@dataclass(frozen=True)
class RateRow:
    """How often one error was possible and applied in one field of one registry."""

    field: str
    error: str
    rate: float
    eligible: int
    injected: int


@dataclass
class Rendered:
    """A registry extract as text, with its truth and the errors put into it."""

    spec: RegistrySpec
    record_id: list[str]
    person_key: list[str]
    columns: dict[str, list[str]] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)
    rates: list[RateRow] = field(default_factory=list)

    def log(self, field_name: str, chosen: corrupt.Chosen, rates: ErrorRates) -> None:
        """Record the errors chosen for one field and the rates they met."""
        for row, error in zip(chosen.rows.tolist(), chosen.errors, strict=True):
            self.errors.append((self.record_id[row], field_name, error))
        injected = Counter(chosen.errors)
        for error, eligible in chosen.eligible.items():
            rate = rates.rate(error)
            self.rates.append(
                RateRow(field_name, error, rate, eligible, injected[error])
            )

    def rows(self) -> list[list[str]]:
        """The columns in file order (each a list of cell texts)."""
        return [self.columns[column.field] for column in self.spec.columns]


def _eligible(
    traits: dict[str, BoolArray], family: str, persons: IntArray, present: BoolArray
) -> dict[str, BoolArray]:
    safe = np.maximum(persons, 0)
    return {kind: traits[kind][safe] & present for kind in FAMILIES[family]}


def _person_text(
    source: list[str], persons: IntArray, present: BoolArray | None = None
) -> list[str]:
    if present is None:
        return [source[p] for p in persons.tolist()]
    return [
        source[p] if ok else ""
        for p, ok in zip(persons.tolist(), present.tolist(), strict=True)
    ]


class Renderer:
    """Renders one registry's records; one instance per extract."""

    def __init__(
        self,
        spec: RegistrySpec,
        records: Records,
        people: Population,
        traits: dict[str, BoolArray],
        rates: ErrorRates,
        rng: np.random.Generator,
    ) -> None:
        self.spec = spec
        self.records = records
        self.people = people
        self.traits = traits
        self.rates = rates
        self.rng = rng
        self.rnd = random.Random(int(rng.integers(2**63)))
        person = records.person
        self.out = Rendered(spec, records.record_id, _person_text(people.keys, person))

    def render(self) -> Rendered:
        """Every column of the extract, in file order."""
        wanted = set(self.spec.fields)
        for column in self.spec.columns:
            if column.field not in self.out.columns:
                self._fill(column.field, wanted)
        return self.out

    def _fill(self, name: str, wanted: set[str]) -> None:
        people, person = self.people, self.records.person
        if name in ("name", "surname", "given_name"):
            self._names(split="surname" in wanted)
        elif name == "id_number":
            self._garble_text(name, "id", person, people.id_number)
        elif name in PARENT_FIELDS:
            self._parent(name)
        elif name == "birth_date":
            self._birth_dates()
        elif name == "sex":
            self._sexes()
        elif name == "phone":
            self._garble_text(name, "phone", person, people.phone)
        elif name == "id_type":
            self.out.columns[name] = corrupt.id_types(people, person)
        elif name in ("ethnicity", "former_name") and name not in self.records.text:
            self.out.columns[name] = _person_text(getattr(people, name), person)
        elif name == "record_id":
            self.out.columns[name] = self.records.record_id
        elif name in self.records.days:
            self.out.columns[name] = dates.format_days(
                self.records.days[name], self.spec.date_style
            )
        else:
            self.out.columns[name] = self.records.text[name]

    def _garble_text(
        self,
        name: str,
        family: str,
        persons: IntArray,
        source: list[str],
        present: BoolArray | None = None,
    ) -> list[str]:
        values = _person_text(source, persons, present)
        if family == "phone":
            has = np.array([bool(value) for value in values], dtype=bool)
            eligible = {"phone_missing": has, "phone_changed": has}
        else:
            mask = np.ones(persons.size, dtype=bool) if present is None else present
            eligible = _eligible(self.traits, family, persons, mask)
        subject = name not in PARENT_FIELDS
        chosen = corrupt.choose(self.rng, self.rates, family, eligible, subject=subject)
        if family == "name":
            corrupt.garble_names(values, persons, chosen, self.people, self.rnd)
        elif family == "id":
            corrupt.garble_ids(values, persons, chosen, self.people, self.rnd)
        else:
            corrupt.garble_phones(values, chosen, self.rng)
        self.out.log(name, chosen, self.rates)
        self.out.columns[name] = values
        return values

    def _names(self, *, split: bool) -> None:
        person = self.records.person
        values = self._garble_text("name", "name", person, self.people.name)
        if not split:
            return
        parts = [
            self._split(value, p)
            for value, p in zip(values, person.tolist(), strict=True)
        ]
        self.out.columns["surname"] = [surname for surname, _ in parts]
        self.out.columns["given_name"] = [given for _, given in parts]

    def _split(self, value: str, person: int) -> tuple[str, str]:
        """Surname and given name of a (perhaps garbled) name, as a clerk splits it."""
        surname = self.people.surname[person]
        if value == self.people.name[person]:
            return surname, self.people.given[person]
        length = len(surname)
        text = value.strip()
        if length and text.isascii() and " " in text:
            first, _, rest = text.partition(" ")
            return first, rest
        return value[:length], value[length:]

    def _parent(self, name: str) -> None:
        which, family = PARENT_FIELDS[name]
        parents = self.records.mother if which == "mother" else self.records.father
        if parents is None:
            parents = np.full(len(self.records), -1, dtype=np.int64)
        source = self.people.name if family == "name" else self.people.id_number
        self._garble_text(name, family, parents, source, parents >= 0)

    def _birth_dates(self) -> None:
        birth = self.people.birth[self.records.person]
        eligible = corrupt.birth_eligibility(birth)
        chosen = corrupt.choose(self.rng, self.rates, "birth", eligible)
        text = corrupt.garble_births(birth, chosen, self.spec.date_style, self.rnd)
        self.out.log("birth_date", chosen, self.rates)
        self.out.columns["birth_date"] = text

    def _sexes(self) -> None:
        male = self.people.male[self.records.person].copy()
        eligible = {"sex_wrong": np.ones(male.size, dtype=bool)}
        chosen = corrupt.choose(self.rng, self.rates, "sex", eligible)
        male[chosen.rows] = ~male[chosen.rows]
        self.out.log("sex", chosen, self.rates)
        codes = self.spec.sex_codes
        self.out.columns["sex"] = [codes[0] if m else codes[1] for m in male.tolist()]
