"""What each registry extract looks like: file, encoding, headers, date and sex coding.

Every registry exports its own way, as real ones do: the household register in GB18030,
the pension extract in UTF-8 with a byte-order mark, Excel serial dates and CRLF line
ends in the assistance list, 1/2 for sex in the pension extract, surname and given name
in two columns in the medical extract. A column's ``field`` is a canonical person field
(``linkage.schema.PERSON_FIELDS``) when it has one, else a raw attribute kept as-is.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkage.schema import PERSON_FIELDS


@dataclass(frozen=True)
class Column:
    """One column of an extract: its header and the field it carries."""

    header: str
    field: str

    @property
    def canonical(self) -> bool:
        """Whether the field is a canonical person field (mapped in project.toml)."""
        return self.field in PERSON_FIELDS


@dataclass(frozen=True)
class RegistrySpec:
    """How one registry's extract is written.

    Attributes:
        name: the source name in the project file.
        kind: the source kind.
        file: the file name in the output folder.
        encoding: the Python codec the file is written with.
        declared: the encoding the project file declares (``auto`` for most).
        trust: survivorship rank, 1 the most trusted.
        date_style: the date format (a name in ``dates.FORMAT_NAMES``).
        sex_codes: how men and women are written.
        newline: the line ending.
        columns: the columns in file order.
    """

    name: str
    kind: str
    file: str
    encoding: str
    declared: str
    trust: int
    date_style: str
    sex_codes: tuple[str, str]
    newline: str
    columns: tuple[Column, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields of the columns, in file order."""
        return tuple(column.field for column in self.columns)


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(header, field) for header, field in pairs)


HOUSEHOLD = RegistrySpec(
    name="hukou",
    kind="household_registration",
    file="hukou.csv",
    encoding="gb18030",
    declared="gb18030",
    trust=1,
    date_style="iso",
    sex_codes=("男", "女"),
    newline="\n",
    columns=_columns(
        ("记录编号", "record_id"),
        ("户号", "household_id"),
        ("户主姓名", "head_name"),
        ("与户主关系", "relation_to_head"),
        ("姓名", "name"),
        ("曾用名", "former_name"),
        ("性别", "sex"),
        ("民族", "ethnicity"),
        ("出生日期", "birth_date"),
        ("公民身份号码", "id_number"),
        ("户籍地址", "address"),
        ("联系电话", "phone"),
        ("户籍状态", "status"),
        ("注销日期", "event_date"),
    ),
)

PENSION = RegistrySpec(
    name="pension",
    kind="pension_enrollment",
    file="pension.csv",
    encoding="utf-8-sig",
    declared="auto",
    trust=4,
    date_style="compact",
    sex_codes=("1", "2"),
    newline="\n",
    columns=_columns(
        ("个人编号", "record_id"),
        ("姓名", "name"),
        ("身份证号", "id_number"),
        ("性别", "sex"),
        ("出生日期", "birth_date"),
        ("险种类型", "scheme"),
        ("参保地", "enrolled_region"),
        ("参保状态", "status"),
        ("首次参保日期", "event_date"),
        ("联系电话", "phone"),
        ("现住址", "address"),
    ),
)

MEDICAL = RegistrySpec(
    name="medical",
    kind="medical_enrollment",
    file="medical.csv",
    encoding="utf-8",
    declared="auto",
    trust=5,
    date_style="slash",
    sex_codes=("男", "女"),
    newline="\n",
    columns=_columns(
        ("参保人员编号", "record_id"),
        ("姓", "surname"),
        ("名", "given_name"),
        ("证件类型", "id_type"),
        ("证件号码", "id_number"),
        ("性别", "sex"),
        ("出生日期", "birth_date"),
        ("参保地", "enrolled_region"),
        ("险种", "scheme"),
        ("参保状态", "status"),
        ("参保日期", "event_date"),
        ("联系电话", "phone"),
        ("居住地址", "address"),
    ),
)

ASSISTANCE = RegistrySpec(
    name="dibao",
    kind="low_income_assistance",
    file="dibao.csv",
    encoding="utf-8",
    declared="auto",
    trust=8,
    date_style="excel",
    sex_codes=("男", "女"),
    newline="\r\n",
    columns=_columns(
        ("序号", "record_id"),
        ("户主姓名", "head_name"),
        ("姓名", "name"),
        ("与户主关系", "relation_to_head"),
        ("身份证号码", "id_number"),
        ("性别", "sex"),
        ("出生日期", "birth_date"),
        ("家庭住址", "address"),
        ("联系电话", "phone"),
        ("保障类别", "assistance_type"),
        ("月保障金额(元)", "monthly_amount"),
        ("审批日期", "event_date"),
    ),
)

DEATH = RegistrySpec(
    name="death",
    kind="death_register",
    file="death.csv",
    encoding="utf-8",
    declared="auto",
    trust=2,
    date_style="chinese",
    sex_codes=("男", "女"),
    newline="\n",
    columns=_columns(
        ("死亡证明编号", "record_id"),
        ("死者姓名", "name"),
        ("性别", "sex"),
        ("民族", "ethnicity"),
        ("证件类型", "id_type"),
        ("证件号码", "id_number"),
        ("出生日期", "birth_date"),
        ("死亡日期", "death_date"),
        ("户籍地区划代码", "region_code"),
        ("常住地址", "address"),
        ("死亡地点", "death_place"),
        ("登记日期", "event_date"),
    ),
)

BIRTH = RegistrySpec(
    name="birth",
    kind="birth_certificate",
    file="birth.csv",
    encoding="utf-8",
    declared="auto",
    trust=6,
    date_style="dash",
    sex_codes=("男", "女"),
    newline="\n",
    columns=_columns(
        ("出生医学证明编号", "record_id"),
        ("新生儿姓名", "name"),
        ("性别", "sex"),
        ("出生日期", "birth_date"),
        ("出生地点", "birth_place"),
        ("母亲姓名", "mother_name"),
        ("母亲身份证件号码", "mother_id_number"),
        ("父亲姓名", "father_name"),
        ("父亲身份证件号码", "father_id_number"),
        ("家庭住址", "address"),
        ("签发日期", "event_date"),
    ),
)

PRISON = RegistrySpec(
    name="prison",
    kind="prison",
    file="prison.csv",
    encoding="utf-8",
    declared="auto",
    trust=7,
    date_style="dotted",
    sex_codes=("男", "女"),
    newline="\n",
    columns=_columns(
        ("罪犯编号", "record_id"),
        ("姓名", "name"),
        ("别名", "alias"),
        ("性别", "sex"),
        ("民族", "ethnicity"),
        ("出生日期", "birth_date"),
        ("身份证号码", "id_number"),
        ("户籍地", "address"),
        ("入监日期", "event_date"),
        ("刑期", "sentence"),
    ),
)

DISABILITY = RegistrySpec(
    name="disability",
    kind="disability",
    file="disability.csv",
    encoding="utf-8",
    declared="auto",
    trust=3,
    date_style="slash_padded",
    sex_codes=("男", "女"),
    newline="\n",
    columns=_columns(
        ("残疾人证号", "record_id"),
        ("姓名", "name"),
        ("性别", "sex"),
        ("出生日期", "birth_date"),
        ("身份证号", "id_number"),
        ("残疾类别", "disability_kind"),
        ("残疾等级", "disability_grade"),
        ("监护人姓名", "guardian_name"),
        ("联系电话", "phone"),
        ("户籍地址", "address"),
        ("发证日期", "event_date"),
    ),
)

SPECS: tuple[RegistrySpec, ...] = (
    HOUSEHOLD,
    PENSION,
    MEDICAL,
    ASSISTANCE,
    DEATH,
    BIRTH,
    PRISON,
    DISABILITY,
)
"""Every registry the generator writes, in the order it writes them."""
