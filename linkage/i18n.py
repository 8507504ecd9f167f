"""The words of yidang's HTML reports, in Chinese (the default) and English.

One table of report strings keyed by a short name, each with its Chinese and English
text; strings with ``{name}`` slots are filled by :func:`text`. Quality-flag reasons,
review reasons and person flags get Chinese renderings here too; their English text
stays beside the code that raises them (:data:`linkage.prepare.FLAG_REASONS`,
:data:`linkage.review_queue.REASONS`), so a new code shows in English until it is
translated, never as a blank.
"""

from __future__ import annotations

from linkage.errors import YidangError
from linkage.prepare import FLAG_REASONS
from linkage.review_queue import REASONS

__all__ = [
    "LANGUAGES",
    "check_language",
    "flag_reason",
    "html_lang",
    "person_flag",
    "review_reason",
    "text",
]

LANGUAGES: tuple[str, ...] = ("zh", "en")
"""Report languages: ``zh`` (simplified Chinese, the default) and ``en``."""

_HTML_LANG = {"zh": "zh-CN", "en": "en"}


def check_language(lang: str) -> str:
    """Return ``lang`` if reports can be written in it.

    Raises:
        YidangError: The language is not one of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES:
        raise YidangError(
            f"no report language {lang!r}: choose {' or '.join(LANGUAGES)}"
        )
    return lang


def html_lang(lang: str) -> str:
    """The value of ``<html lang>`` for a report language, e.g. ``zh-CN``."""
    return _HTML_LANG[check_language(lang)]


def text(lang: str, key: str, **values: object) -> str:
    """The report string ``key`` in ``lang``, with its ``{slots}`` filled."""
    zh, en = _TEXT[key]
    template = zh if check_language(lang) == "zh" else en
    return template.format(**values) if values else template


def flag_reason(code: str, lang: str) -> str:
    """The readable reason of a quality-flag code, or the code if none is known."""
    if check_language(lang) == "zh" and code in _FLAG_REASONS_ZH:
        return _FLAG_REASONS_ZH[code]
    return FLAG_REASONS.get(code, code)


def review_reason(code: str, lang: str) -> str:
    """The sentence a reviewer sees for a review-queue reason code."""
    if check_language(lang) == "zh" and code in _REVIEW_REASONS_ZH:
        return _REVIEW_REASONS_ZH[code]
    return REASONS.get(code, code)


def person_flag(code: str, lang: str) -> str:
    """What a golden-record flag (``duplicate_enrollment`` ...) means."""
    zh, en = _PERSON_FLAGS.get(code, (code, code))
    return zh if check_language(lang) == "zh" else en


_PERSON_FLAGS: dict[str, tuple[str, str]] = {
    "duplicate_enrollment": (
        "在两个以上地区同时参加同一险种（重复参保）",
        "enrolled in one scheme in more than one region",
    ),
    "deceased_still_enrolled": (
        "已有死亡记录但仍在参保",
        "a death is on record but an enrollment is still active",
    ),
    "conflicting_ids": (
        "一人对应两个以上有效身份证号",
        "more than one valid ID number for one person",
    ),
    "not_enrolled": (
        "在世但未参加养老或医疗保险",
        "alive but in no pension or medical scheme",
    ),
}

_REVIEW_REASONS_ZH: dict[str, str] = {
    "conflicting_ids": "两个不同的有效身份证号，但其他证据表明是同一人",
    "uncertain_pair": "匹配概率介于复核阈值与匹配阈值之间",
    "family_ambiguous": "多名家庭成员都符合同一出生证明（双胞胎？）",
}

_FLAG_REASONS_ZH: dict[str, str] = {
    "id_missing": "无值，或只有空白和分隔符",
    "id_null_token": "以 NULL、NaN、无、不详等占位符代替取值",
    "id_unicode_normalised": "NFKC 规范化改变了文本（如全角数字、全角 Ｘ）",
    "id_invisible_chars": "已删除零宽、BOM 或不换行字符",
    "id_separators": "已删除号码中的空格或连字符",
    "id_leading_apostrophe": "已删除 Excel 的文本前导符",
    "id_lowercase_x": "小写 x 已改为大写",
    "id_lowercase": "除 x 外的小写字母已改为大写",
    "id_int_input": "取值以整数而非文本传入",
    "id_float_input": "取值以浮点数传入",
    "id_float_text": "文本以 .0 结尾，是浮点数的痕迹",
    "id_scientific": "文本为科学计数法，如 1.10105E+17",
    "id_unrecoverable": "数字因浮点精度丢失，视为缺失",
    "id_checksum": "校验码不符（ISO 7064 MOD 11-2）",
    "id_repaired": "恰有一种单字错误或相邻换位的修复与记录相符",
    "id_repair_ambiguous": "有多种修复与记录相符，均未采用",
    "id_no_repair": "没有单字错误或相邻换位的修复与记录相符",
    "id_repair_unconfirmed": "修复未经记录的出生日期或性别确认",
    "id_possible_truncation": "以 000 结尾，可能被 Excel 截断为 15 位有效数字",
    "id_bad_date": "号码中的出生日期不是真实的过去日期",
    "id_unknown_region": "地区码不在 1980-2024 年任何 GB/T 2260 表中（提示）",
    "id_birth_mismatch": "号码中的出生日期与记录不一致",
    "id_sex_mismatch": "性别位与记录的性别不一致",
    "id_masked_length": "脱敏号码的长度无法确定数字位置",
    "id_fully_masked": "所有字符均已脱敏",
    "id_looks_like_date": "8 位通行证号码同时可读作日期",
    "id_is_birth_date": "这 8 位数字是记录本人的出生日期，而非证件号",
    "id_wrong_length": "全为数字，但长度不符合任何证件",
    "id_malformed": "不符合任何已知证件号码的格式",
    "name_empty": "无姓名：缺失、空白或清理后为空",
    "name_wildcard": "有字写成 ?、* 或方框，或名字写作“某”（王某）：通配符",
    "name_traditional": "繁体字已转为简体",
    "name_variant": "异体字已换为规范字",
    "name_fullwidth": "全角字母、数字、符号或空格（NFKC）",
    "name_invisible": "已删除不可见字符或控制字符",
    "name_inner_space": "已删除汉字姓名中的空格",
    "name_separator_variant": "少数民族姓名分隔符不是 U+00B7",
    "name_private_use": "私用区字符（本地自造字）",
    "name_latin": "姓名为拉丁字母（拼音或外文）",
    "name_mixed_script": "汉字与其他文字混用",
    "name_other_script": "既非汉字也非拉丁字母",
    "date_missing": "未填日期",
    "date_unparsed": "日期无法识别",
    "date_impossible": "日期不存在（如 2 月 30 日）",
    "date_two_digit_year": "两位数年份：已推定世纪",
    "date_excel_serial": "日期为 Excel 序列号",
    "phone_excel_float": "电话号码在 Excel 中存为数值",
    "phone_scientific_notation": "电话号码为科学计数法：数字已丢失",
    "phone_extension": "电话号码带分机号",
    "phone_multiple": "一个字段中有多个电话号码：采用第一个",
    "phone_unknown_prefix": "手机号码号段尚未分配",
    "phone_placeholder": "电话号码疑似占位符",
    "phone_invalid": "电话号码无效",
    "address_missing": "未填地址",
    "address_unmatched": "地址中找不到地区名称",
    "address_ambiguous": "县名为多个地区共有，未作选择",
    "born_after_death": "出生日期晚于死亡日期",
    "born_in_future": "出生日期晚于参考日期",
    "pension_under_age": "未满 16 周岁参加养老保险",
    "birth_certificate_too_old": "出生证明对应的人已超过 7 岁",
    "too_little_to_link": "既无姓名也无身份证号",
}

_TEXT: dict[str, tuple[str, str]] = {
    # shared
    "none": ("无", "none"),
    "not_mapped": ("该来源无此字段", "the source has no such field"),
    "source": ("来源", "source"),
    "records": ("记录数", "records"),
    "persons": ("人数", "persons"),
    "pairs": ("记录对", "pairs"),
    "reason": ("原因", "reason"),
    "code": ("代码", "code"),
    "meaning": ("含义", "meaning"),
    "contents": ("目录", "Contents"),
    "footer": (
        "本报告为独立文件：样式与图表均内嵌，无需联网即可打开。",
        "This report is self-contained: styles and charts are inline; it opens "
        "without a network.",
    ),
    # run report
    "run_title": ("yidang 一档：运行报告", "yidang: run report"),
    "run_subtitle": (
        "数据装载于 {loaded}。报告只含计数与代码，不含个人信息。",
        "Data loaded {loaded}. The report holds counts and codes only, no personal "
        "data.",
    ),
    "overview": ("概览", "Overview"),
    "overview_intro": (
        "本次运行读入、链接和拒收的记录，以及形成的人员档案。",
        "What this run read, linked and rejected, and the persons it formed.",
    ),
    "records_read": ("读入记录", "records read"),
    "records_linked": ("参与聚类记录", "records clustered"),
    "records_rejected": ("拒收记录", "records rejected"),
    "scored_pairs": ("评分记录对", "scored pairs"),
    "review_items": ("待复核事项", "items for review"),
    "run_log": ("运行摘要（原文）", "Run summary (as logged)"),
    "sources": ("各来源记录", "Records per source"),
    "sources_intro": (
        "每个登记数据文件读入的行数、保留的记录、拒收的行、识别出的编码和用时。",
        "Rows read from each registry extract, records kept, rows rejected, the "
        "encoding detected, and the seconds taken.",
    ),
    "kind": ("类型", "kind"),
    "encoding": ("编码", "encoding"),
    "rows_read": ("读入行数", "rows read"),
    "rejected": ("拒收", "rejected"),
    "seconds": ("用时（秒）", "seconds"),
    "records_per_source": ("各来源记录数", "Records per source"),
    "rejects": ("拒收原因", "Rejected rows by reason"),
    "rejects_intro": (
        "无法读入的行，按来源、字段和原因归类；原因中的数字以 N 代替，以便合并计数。"
        "逐行明细见 rejects.csv。",
        "Rows that could not be read, by source, field and reason; numbers in the "
        "reasons are replaced by N so that alike reasons count together. Each row "
        "is listed in rejects.csv.",
    ),
    "field": ("字段", "field"),
    "rows": ("行数", "rows"),
    "no_rejects": ("没有拒收的行。", "No row was rejected."),
    "rejects_chart": ("拒收行数（按原因）", "Rejected rows by reason"),
    "quality": ("各来源数据质量", "Data quality per source and field"),
    "quality_intro": (
        "每个来源中有可用值的记录占比：姓名可清理、身份证号可识别、出生日期与性别可读、"
        "电话号码有效、地址可解析到县。“—”表示该来源没有此字段。",
        "Share of each source's records with a usable value: a name that cleans, an "
        "ID number that reads, a readable birth date and sex, a valid phone number, "
        "an address parsed down to the county. A dash means the source has no such "
        "field.",
    ),
    "f_name": ("姓名", "name"),
    "f_id_number": ("身份证号", "ID number"),
    "f_birth_date": ("出生日期", "birth date"),
    "f_sex": ("性别", "sex"),
    "f_phone": ("电话", "phone"),
    "f_address": ("地址（到县）", "address (county)"),
    "flags_heading": ("质量标记", "Quality flags"),
    "flags_intro": (
        "标准化时发现的问题，按来源列出记录数（每条记录每个问题计一次）；"
        "鼠标悬停可见占该来源记录的比例。",
        "Problems found while standardising: records per source, each record counted "
        "once per problem; hover over a count for its share of the source.",
    ),
    "no_flags": ("没有质量标记。", "No quality flag was raised."),
    "flags_chart": ("最常见的质量标记", "The most frequent quality flags"),
    "total": ("合计", "total"),
    "of_source": ("占该来源记录的 {share}", "{share} of the source's records"),
    "weights": ("记录对匹配权重", "Match weights of scored pairs"),
    "weights_intro": (
        "模型为每个候选记录对给出的匹配权重（对数几率，以 2 为底）的分布。"
        "只保留概率不低于复核阈值的记录对；竖线标出匹配阈值与复核阈值。",
        "How the model weighed the candidate pairs (log-odds, base 2). Only pairs "
        "at or above the review threshold are kept; the vertical lines mark the "
        "match and review thresholds.",
    ),
    "weights_family": (
        "另有 {count} 个经出生证明家庭关系链接的记录对没有权重，未计入图中。",
        "A further {count} pairs linked through birth-certificate family ties carry "
        "no weight and are not drawn.",
    ),
    "weights_no_thresholds": (
        "本报告未获得本次运行的阈值，图中未标出阈值线。",
        "The run's thresholds were not given to the report, so no threshold lines "
        "are drawn.",
    ),
    "no_pairs": ("没有评分记录对。", "No pair was scored."),
    "weights_chart": ("匹配权重分布", "Distribution of match weights"),
    "match_weight": ("匹配权重", "match weight"),
    "match_threshold": ("匹配阈值 {p}", "match {p}"),
    "review_threshold": ("复核阈值 {p}", "review {p}"),
    "clusters": ("聚类规模", "Cluster sizes"),
    "clusters_intro": (
        "每个人员档案（聚类）包含的记录数。一人通常在几个登记中各有一条记录；"
        "过大的聚类值得抽查。",
        "How many records each person (cluster) holds. A person usually has one "
        "record in each of a few registries; unusually large clusters deserve a "
        "look.",
    ),
    "cluster_size": ("聚类规模（记录数）", "cluster size (records)"),
    "clusters_chart": ("各规模的人员档案数", "Persons by cluster size"),
    "largest_cluster": (
        "共 {persons} 人，最大聚类含 {largest} 条记录。",
        "{persons} persons; the largest cluster holds {largest} records.",
    ),
    "review": ("复核队列", "Review queue by reason"),
    "review_intro": (
        "等待人工复核的记录对与聚类，按原因统计；优先级 0 至 100，越高越先处理。",
        "Pairs and clusters waiting for a person to decide, by reason; priorities "
        "run from 0 to 100, highest first.",
    ),
    "items": ("事项数", "items"),
    "top_priority": ("最高优先级", "top priority"),
    "review_empty": ("复核队列为空。", "The review queue is empty."),
    "review_chart": ("复核事项（按原因）", "Review items by reason"),
    "person_flags": ("人员标记", "Person flags"),
    "person_flags_intro": (
        "人员档案上的标记，是参保扩面工作据以行动的名单。",
        "Flags on the golden records: the lists the enrollment drive acts on.",
    ),
    "flag": ("标记", "flag"),
    "share_of_persons": ("占人员", "share of persons"),
    "person_flags_chart": ("带各标记的人数", "Persons with each flag"),
    "duplicates": ("重复参保地区", "Duplicate enrollments by region pair"),
    "duplicates_intro": (
        "被标为重复参保的人员，按险种和两个参保地区统计（前 {limit} 个地区组合）。",
        "Persons flagged as enrolled twice, by scheme and pair of enrollment "
        "regions (the top {limit} pairs).",
    ),
    "scheme": ("险种", "scheme"),
    "region_a": ("地区甲", "region A"),
    "region_b": ("地区乙", "region B"),
    "no_duplicates": ("没有重复参保的人员。", "No person is enrolled twice."),
    "pension_enrollment": ("养老保险", "pension"),
    "medical_enrollment": ("医疗保险", "medical insurance"),
    # evaluation report
    "eval_title": ("yidang 一档：链接质量评估", "yidang: linkage evaluation"),
    "eval_subtitle": (
        "将聚类结果与真值对照。身份证号与姓名均已脱敏。",
        "The clusters measured against the truth. ID numbers and names are masked.",
    ),
    "headline": ("主要指标", "Headline figures"),
    "headline_intro": (
        "成对指标按“被放在一起的记录对”计算；B-cubed 指标对每条记录计算其所在聚类的"
        "正确程度后取平均。只统计两个文件中都有的记录。",
        "Pairwise figures count pairs of records placed together; B-cubed figures "
        "average, over records, how right each record's cluster is. Only records "
        "present in both files are scored.",
    ),
    "measure": ("指标", "measure"),
    "precision": ("精确率", "precision"),
    "recall": ("召回率", "recall"),
    "f1": ("F1", "F1"),
    "pairwise": ("成对", "pairwise"),
    "bcubed": ("B-cubed", "B-cubed"),
    "records_scored": ("参与评估的记录", "records scored"),
    "missing_records": ("缺失记录", "missing records"),
    "true_pairs": ("真实记录对", "true pairs"),
    "predicted_pairs": ("预测记录对", "predicted pairs"),
    "correct_pairs": ("正确记录对", "correct pairs"),
    "missing_heading": ("缺失记录", "Missing records"),
    "missing_intro": (
        "只出现在一个文件中的记录，共 {count} 条；以下列出前 {shown} 条。",
        "Records found in one file only: {count} in all; the first {shown} are listed.",
    ),
    "missing_none": (
        "两个文件的记录完全一致，没有缺失。",
        "Both files hold the same records: none is missing.",
    ),
    "record_id": ("记录编号", "record id"),
    "where": ("所在文件", "found in"),
    "only_truth": ("仅在真值中", "the truth only"),
    "only_clusters": ("仅在聚类结果中", "the clusters only"),
    "cluster_errors": ("聚类错误", "Cluster errors"),
    "cluster_errors_intro": (
        "错误合并：一个聚类含有不止一个真实人员的记录；错误拆分：一个真实人员的记录"
        "分散在多个聚类中。",
        "A wrong merge is a cluster holding records of more than one true person; a "
        "wrong split is a true person whose records lie in more than one cluster.",
    ),
    "predicted_clusters": ("预测聚类", "predicted clusters"),
    "true_persons": ("真实人员", "true persons"),
    "exact_clusters": ("完全正确的聚类", "exactly right clusters"),
    "wrong_merges": ("错误合并的聚类", "wrongly merged clusters"),
    "merged_extra": ("多并入的人员", "extra persons merged in"),
    "wrong_splits": ("被拆分的人员", "wrongly split persons"),
    "split_extra": ("多出的聚类", "extra clusters split off"),
    "count": ("数量", "count"),
    "by_source": ("按来源组合", "By source pair"),
    "by_source_intro": (
        "按两条记录所属来源统计的成对指标；同一来源内的组合即该登记内部的重复。",
        "Pairwise figures by the sources of the two records; a source paired with "
        "itself holds the duplicates inside that registry.",
    ),
    "source_pair": ("来源组合", "source pair"),
    "by_source_chart": ("各来源组合的 F1", "F1 by source pair"),
    "by_region": ("按地区", "By region"),
    "by_region_intro": (
        "按记录所在省份统计的成对指标（地址所在县，否则取身份证号的地区码）；"
        "两条记录分属不同省份的记录对计入“跨地区”。",
        "Pairwise figures by the province of the records (the county of the "
        "address, else the region of the ID number); pairs whose records lie in "
        "different provinces count as cross-region.",
    ),
    "by_region_none": (
        "没有地区信息：评估时请提供本次运行的数据库（store）。",
        "No regions are known: give the run's store to the evaluation.",
    ),
    "region": ("地区", "region"),
    "cross_region": ("跨地区", "cross-region"),
    "unknown_region": ("未知地区", "unknown region"),
    "thresholds": ("阈值与精确率-召回率", "Thresholds, precision and recall"),
    "thresholds_intro": (
        "对评分记录对逐一取阈值：概率不低于阈值即视为匹配。召回率以全部真实记录对为"
        "分母，因此分块未提出或低于复核阈值未保存的记录对在任何阈值下都算漏配。",
        "Each threshold predicts the scored pairs at or above it. Recall counts "
        "against every true pair, so pairs that blocking never proposed, or that "
        "scored below the review threshold and were not kept, are missed at every "
        "threshold.",
    ),
    "thresholds_none": (
        "没有评分记录对，无法绘制精确率-召回率曲线。请将 clusters.csv 与本次运行的"
        "数据库（.duckdb）放在同一目录，或以 store 参数指定数据库。",
        "No scored pairs were given, so there is no precision-recall curve. Keep "
        "clusters.csv beside the run's store (.duckdb), or name the store.",
    ),
    "target_met": (
        "精确率达到 {target} 的最低阈值为 {threshold}（匹配权重 {weight}），"
        "此时精确率 {precision}，召回率 {recall}。",
        "The lowest threshold whose precision reaches {target} is {threshold} (match "
        "weight {weight}): precision {precision}, recall {recall}.",
    ),
    "target_missed": (
        "没有任何阈值的精确率达到 {target}。",
        "No threshold reaches a precision of {target}.",
    ),
    "threshold": ("阈值", "threshold"),
    "pr_chart": ("精确率-召回率曲线", "Precision-recall curve"),
    "pr_vs_weight": ("不同阈值下的精确率与召回率", "Precision and recall by threshold"),
    "target_label": ("目标 {target}", "target {target}"),
    "examples": ("错误示例", "Examples of errors"),
    "examples_intro": (
        "几个错误合并与错误拆分的聚类及其记录。只显示不能识别个人的信息："
        "姓名只留姓，身份证号隐去中间八位，出生只显示年份。",
        "A few wrongly merged and wrongly split clusters with their records. Only "
        "information that identifies no one is shown: names keep the surname only, "
        "ID numbers hide their middle eight characters, births show the year.",
    ),
    "examples_keys_only": (
        "未提供本次运行的数据库，只显示记录的来源与编号。",
        "The run's store was not given, so records are shown by source and id only.",
    ),
    "merge_example": ("错误合并：聚类 {cluster}", "Wrong merge: cluster {cluster}"),
    "split_example": (
        "错误拆分：真实人员 {person}",
        "Wrong split: true person {person}",
    ),
    "true_person": ("真实人员", "true person"),
    "cluster": ("聚类", "cluster"),
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "ID number"),
    "sex": ("性别", "sex"),
    "birth_year": ("出生年份", "birth year"),
    "sex_M": ("男", "male"),
    "sex_F": ("女", "female"),
    "no_errors": ("没有错误合并或错误拆分。", "No wrong merge and no wrong split."),
    "more_records": ("另有 {count} 条记录未列出。", "{count} more records not shown."),
    "store_used": (
        "评分记录对与记录信息取自 {store}。",
        "Scored pairs and record details from {store}.",
    ),
}
