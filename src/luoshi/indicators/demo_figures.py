"""Sourced national figures for the demo (pure data; ``indicators.demo`` loads them).

Every national value below was checked against a published copy of the ministry's figures:

* 2021: 《2021年全国教育事业发展统计公报》 (教育部, published 2022-09-14).
* 2022: 《2022年全国教育事业发展统计公报》 (教育部, published 2023-07-05).
* 2023: 《2023年全国教育事业发展基本情况》 (教育部 press conference, 2024-03-01), whose figures
  the 2023 bulletin repeats.
* 2024: 《2024年全国教育事业发展统计公报》 (教育部, published 2025-06-11).

Figures we could not confirm are left out rather than guessed (e.g. the primary-school
student–teacher ratio for 2023 and 2024). The 2025 targets are those of the national 14th
five-year plan outline (《中华人民共和国国民经济和社会发展第十四个五年规划和2035年远景目标纲要》,
2021): 学前教育毛入园率 90%以上, 高中阶段教育毛入学率 92%以上, 高等教育毛入学率 60%. Every
other target (2027, 2030, 2035) is illustrative: the 2035 outlines set directions, not these numbers.
"""

from __future__ import annotations

from decimal import Decimal as D

BULLETIN = {
    2021: "《2021年全国教育事业发展统计公报》（教育部，2022-09-14）",
    2022: "《2022年全国教育事业发展统计公报》（教育部，2022年数据，2023-07-05发布）",
    2023: "《2023年全国教育事业发展基本情况》（教育部新闻发布会，2024-03-01）",
    2024: "《2024年全国教育事业发展统计公报》（教育部，2025-06-11）",
}
PLAN_14 = "《国民经济和社会发展第十四个五年规划和2035年远景目标纲要》（2021）"

# code -> national values by year (only confirmed figures)
NATIONAL = {
    "GER_PRE": {2021: D("88.1"), 2022: D("89.7"), 2023: D("91.1"), 2024: D("92.0")},
    "RET_9Y": {2021: D("95.4"), 2022: D("95.5"), 2023: D("95.7"), 2024: D("95.9")},
    "GER_HS": {2021: D("91.4"), 2022: D("91.6"), 2023: D("91.8"), 2024: D("92.0")},
    "GER_HE": {2021: D("57.8"), 2022: D("59.6"), 2023: D("60.2"), 2024: D("60.8")},
    "TEACHERS": {2021: D("1844.37"), 2022: D("1880.36"), 2023: D("1891.78"), 2024: D("1885.10")},
    "STR_PRI": {2021: D("16.33"), 2022: D("16.19")},
    "HS_ENROL": {2022: D("2713.87"), 2023: D("2803.63"), 2024: D("2922.28")},
    "HS_TEACHERS": {2023: D("221.48"), 2024: D("230.18")},
}

# The published 普通高中生师比 (12.66:1 in 2023, 12.70:1 in 2024) is what HS_ENROL / HS_TEACHERS gives:
# the demo derives it by formula instead of storing it.

# Targets: code -> [(year, value, real?)]; "real" ones name PLAN_14 as their source.
TARGETS = {
    "GER_PRE": [(2025, D("90"), True), (2027, D("93"), False), (2030, D("95"), False), (2035, D("96"), False)],
    "RET_9Y": [(2025, D("96"), False), (2030, D("97"), False), (2035, D("97.5"), False)],
    "GER_HS": [(2025, D("92"), True), (2030, D("95"), False), (2035, D("97"), False)],
    "GER_HE": [(2025, D("60"), True), (2030, D("65"), False), (2035, D("70"), False)],
    "STR_PRI": [(2030, D("15.5"), False), (2035, D("15"), False)],
}
