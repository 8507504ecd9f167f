"""The Chinese words the review screens use for the engine's English codes.

Codes missing here are shown as they are, so a new reason or comparison level added
to the engine still appears, in English, until a translation is added.
"""

from __future__ import annotations

from linkage.review_queue import REASONS

REASON_TEXTS: dict[str, str] = {
    "conflicting_ids": "两条记录的身份证号均有效但不同，其他信息显示可能为同一人",
    "uncertain_pair": "匹配概率介于复核阈值与匹配阈值之间",
    "family_ambiguous": "出生医学证明可对应户内多名成员（可能为双胞胎）",
}

REASON_TITLES: dict[str, str] = {
    "conflicting_ids": "身份证号冲突",
    "uncertain_pair": "匹配不确定",
    "family_ambiguous": "家庭关系不唯一",
}

DECISION_TEXTS: dict[str, str] = {
    "match": "同一人",
    "not_match": "不是同一人",
    "unsure": "不确定",
}

SOURCE_KIND_TEXTS: dict[str, str] = {
    "household_registration": "户籍登记",
    "pension_enrollment": "养老保险参保",
    "medical_enrollment": "医疗保险参保",
    "tax": "税务",
    "low_income_assistance": "低保救助",
    "death_register": "死亡登记",
    "birth_certificate": "出生医学证明",
    "prison": "监所",
    "disability": "残疾人登记",
    "school_roll": "学籍",
    "employer_registration": "用人单位登记",
    "other": "其他",
}

COMPARISON_TEXTS: dict[str, str] = {
    "id_number": "身份证号",
    "name": "姓名",
    "birth_date": "出生日期",
    "sex": "性别",
    "region": "地区",
    "phone": "电话",
    "household": "户",
}

LEVEL_TEXTS: dict[str, str] = {
    "null": "缺失（不参与比较）",
    "all other": "其他（不一致）",
    "same ID, consistent": "号码相同，且与本人出生日期、性别一致",
    "same ID, contradicted by own birth/sex": "号码相同，但与本人出生日期或性别矛盾",
    "one edit from a number failing its check": "与一个校验失败的号码只差一位",
    "masked, compatible": "脱敏号码相容",
    "both valid, different": "两个号码均有效但不同",
    "exact (after variants and traditional)": "完全相同（已统一异体字与繁体）",
    "same pinyin (homophone)": "拼音相同（同音字）",
    "similar shape or word order": "字形相近或顺序颠倒",
    "truncated, romanised, wildcard or married form": (
        "截断、拼音转写、通配符或冠姓形式"
    ),
    "pinyin Jaro-Winkler >= 0.92": "拼音高度相似（相似度 ≥ 0.92）",
    "same surname, pinyin Jaro-Winkler >= 0.8": "同姓且拼音相似（相似度 ≥ 0.8）",
    "exact": "完全相同",
    "day/month swapped or one field off": "日月颠倒或年月日中一项不同",
    "within a year": "相差一年以内",
    "same": "相同",
    "same county": "同一区县",
    "same prefecture": "同一地市",
    "same province": "同一省份",
    "same household, same role": "同户且与户主关系相同",
}

ID_CLASS_TEXTS: dict[str, str] = {
    "valid": "有效",
    "upgraded_15": "15位升级",
    "checksum_error": "校验位错误",
    "malformed": "格式错误",
    "missing": "缺失",
    "masked": "已脱敏",
    "scientific": "科学计数法损坏",
    "permit_hmt": "港澳台居住证",
    "foreign_permanent": "外国人永久居留证",
}

SEX_TEXTS: dict[str, str] = {"M": "男", "F": "女"}

EVIDENCE_TEXTS: dict[str, str] = {
    "model": "匹配模型评分",
    "family": "经母亲户籍推断（家庭关系）",
}

AGREEMENT_TEXTS: dict[str, str] = {
    "same": "一致",
    "differ": "不一致",
    "missing": "缺失",
}


def reason_text(reason: str) -> str:
    """The sentence a reviewer reads for a queue reason."""
    return REASON_TEXTS.get(reason, REASONS.get(reason, reason))


def text_for(table: dict[str, str], code: str | None) -> str:
    """The Chinese for a code, the code itself when there is none, '' for None."""
    if code is None:
        return ""
    return table.get(code, code)
