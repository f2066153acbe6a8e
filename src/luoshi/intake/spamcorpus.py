"""The training corpus of the spam model, generated deterministically (seeded) from vocabularies.

* **real**: the hand-written lines of ``data/official_lines.txt`` (the register of official
  education documents: notices, reports, headings, contact lines, signatures, and the way such
  documents speak about gambling, sport, platforms and downloads), plus sentences combined
  from official phrases (subject + modal + action + object + tail).
* **gambling, adult, ad, seo**: lines combined from category vocabularies — generic site words,
  betting and game words, tournaments, promotions, adult-site words, trade and contact words —
  with *random* brands (Han syllables, Latin letters and digits), phone numbers and web
  addresses, and with the disguises seen in real spam: look-alike and full-width characters,
  traditional script, separators between characters, keyword lists.

No brand is named anywhere: brands are random strings, so the model can only learn what ads
are made of. The evaluation set (``tests/evalset/``) is written separately by hand and is never
part of this corpus. ``python -m luoshi.intake.spamcorpus`` prints a sample.
"""

from __future__ import annotations

import random
from functools import cache

from .lexicon import DATA_DIR

SEED = 20261203
PER_CATEGORY = 900
REAL_GENERATED = 2400

# --- real: official phrases ---------------------------------------------------------------
_SUBJECTS = ("各地", "各级教育行政部门", "各高校", "各中小学校", "省级人民政府", "地方各级政府", "各有关部门",
             "学校", "教育督导部门", "各地教育部门", "职业院校", "县级教育局", "市、县两级政府", "教师发展中心")
_MODALS = ("要", "应当", "必须", "要进一步", "要切实", "要持续", "应", "需", "要加快", "要统筹")
_ACTIONS = ("完善", "健全", "落实", "推进", "加强", "深化", "优化", "规范", "建立", "强化", "提升", "扩大",
            "实施", "开展", "保障", "支持", "推动", "改进", "统筹", "组织")
_OBJECTS = ("课后服务保障机制", "教师培养培训体系", "学生资助政策", "义务教育优质均衡发展", "校园安全管理",
            "职业教育产教融合", "高校基础学科建设", "教育评价改革", "学校体育和美育工作", "家校社协同育人",
            "教育数字化转型", "县域普通高中建设", "学前教育普及普惠", "特殊教育保障水平", "思想政治理论课建设",
            "教材建设和管理", "学生心理健康工作", "劳动教育实践基地建设", "校外培训监管", "教育对外开放",
            "研究生培养质量", "继续教育和终身学习", "乡村教师队伍建设", "网络安全和信息化工作",
            "校园足球特色学校建设", "国家智慧教育平台应用", "青少年体育赛事体系", "招生考试管理")
_TAILS = ("，确保各项任务落到实处。", "，形成可复制可推广的经验。", "。", "，不断提高人民群众满意度。",
          "，切实增强工作的系统性和协同性。", "，按要求报送进展情况。", "，并将落实情况纳入督导评估。",
          "，力争到2027年取得明显成效。", "，为加快建设教育强国作出新的贡献。", "；")
_HEADING_MARKERS = ("一、", "二、", "三、", "（一）", "（二）", "（三）", "1.", "2.", "（1）", "第一条 ", "第二章 ")
_UNITS = ("教育部", "教育部办公厅", "省教育厅", "市教育局", "区教育委员会", "国务院办公厅", "省人民政府",
          "某某大学", "县教育体育局", "教育部基础教育司")
_LABELS = ("来源：", "发布时间：", "发布日期：", "作者：", "文号：", "联系电话：", "浏览次数：")

# --- spam: category vocabularies (generic words; no brand) ---------------------------------
_SITE = ("官网", "官方网站", "注册", "登录", "入口", "手机版", "app下载", "客户端", "最新网址", "备用网址",
         "官方入口", "网页版", "在线", "平台", "下载安装", "线路", "地址", "永久域名", "防屏蔽", "官方app")
_BET = ("投注", "下注", "赔率", "盘口", "让球", "大小球", "串关", "滚球", "比分预测", "竞猜", "买球",
        "押注", "开奖", "彩票", "快三", "百家乐", "老虎机", "真人", "棋牌", "捕鱼", "电子游戏", "体育博彩",
        "娱乐城", "赌场", "彩金", "网投", "盘口推荐", "即时比分", "赛事直播", "体育平台")
_EVENTS = ("世界杯", "欧洲杯", "英超", "西甲", "德甲", "意甲", "法甲", "欧冠", "亚洲杯", "美洲杯", "nba",
           "世预赛", "中超", "联赛", "杯赛", "足球", "篮球", "电竞")
_PROMO = ("首存", "返水", "送", "优惠", "秒到账", "提款", "充值", "首充", "彩金", "加赠", "日返", "无上限",
          "免费领取", "新人礼包", "注册即送", "存款", "提现秒到", "会员", "代理加盟", "高额回报", "信誉")
_ADULT = ("成人", "视频", "在线观看", "免费看", "无码", "高清", "福利", "午夜", "约", "同城", "私密",
          "直播", "激情", "美女", "主播", "一对一", "裸聊", "小电影", "影院", "网站", "av", "片", "深夜",
          "偷拍", "自拍", "嫩模", "上门", "服务", "看片", "资源", "番号", "禁播", "特殊服务", "求约")
_TRADE = ("厂家直销", "批发", "价格优惠", "咨询热线", "加微信", "包邮", "免费咨询", "代办", "代写论文",
          "办证", "发票", "贷款", "低息", "秒批", "无抵押", "专业", "诚信经营", "欢迎来电", "全国发货",
          "量大从优", "货到付款", "招商加盟", "代理", "客服", "在线客服", "点击咨询", "品质保证", "售后无忧",
          "刷单", "兼职", "日结", "月入过万", "代考", "包过", "学历提升", "文凭", "有机肥", "化肥", "种子",
          "装修", "搬家", "开锁", "保洁", "维修")
_TRAINING = ("培训", "培训机构", "培训班", "辅导", "辅导班", "补习", "家教", "网课", "题库", "真题", "答案",
             "冲刺班", "速成", "一对一", "报名", "学费", "考研", "考公", "留学", "艺考", "雅思", "托福", "考证",
             "资格证", "代报名", "保过", "押题", "提分", "名师", "课程", "机构", "学校排名", "哪家好", "多少钱")
_PLACES = ("北京", "上海", "广州", "深圳", "成都", "武汉", "西安", "杭州", "南京", "郑州", "长沙", "重庆",
           "本地", "附近", "全国", "同城")
_SLOGANS = ("信誉第一！", "诚信为本！", "品质保证！", "欢迎来电！", "专业专注！", "值得信赖！", "实力雄厚！",
            "火爆招商中！", "限时优惠！", "机不可失！")
_BRAND_HAN = "金银宝盛鑫隆发旺亿博凯豪星龙腾皇冠鼎辉汇泰恒丰华富乐天利达顺通明威尊"
_BRAND_SUFFIX = ("娱乐", "国际", "体育", "彩票", "集团", "在线", "会", "城", "平台", "网", "俱乐部", "传媒",
                 "科技", "商贸", "")
_TLDS = (".com", ".net", ".cc", ".vip", ".top", ".xyz", ".me", ".tv")
_SEPARATORS = ("、", " ", "|", "，", "/", "丨", " | ")
_SPACERS = (" ", ".", "*", "·", "_", "丨")
_FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
_LOOKALIKE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у"}


def _brand(rng: random.Random) -> str:
    kind = rng.random()
    letters = "abcdefghjkmnprstuvwxyz"
    if kind < 0.35:
        core = "".join(rng.choice(_BRAND_HAN) for _ in range(rng.randint(1, 3)))
    elif kind < 0.7:
        core = "".join(rng.choice(letters) for _ in range(rng.randint(1, 4))).upper()
        core += "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 3)))
    else:
        core = "".join(rng.choice(_BRAND_HAN) for _ in range(rng.randint(1, 2)))
        core += "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 3)))
    return core + rng.choice(_BRAND_SUFFIX)


def _domain(rng: random.Random) -> str:
    name = "".join(rng.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(rng.randint(3, 8)))
    return rng.choice(("www.", "", "https://", "m.")) + name + rng.choice(_TLDS)


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    return rng.choice(("400", "800")) + "-" + "".join(rng.choice("0123456789") for _ in range(3)) + "-" + \
        "".join(rng.choice("0123456789") for _ in range(4))


def _pick(rng: random.Random, words: tuple[str, ...], low: int, high: int) -> list[str]:
    return rng.sample(words, k=min(len(words), rng.randint(low, high)))


def _disguise(rng: random.Random, line: str) -> str:
    """The tricks spam uses against word lists, applied at random."""
    roll = rng.random()
    if roll < 0.15:
        spacer = rng.choice(_SPACERS)
        return spacer.join(line)
    if roll < 0.25:
        return "".join(_FULLWIDTH.get(c, c) if rng.random() < 0.7 else c for c in line)
    if roll < 0.35:
        return "".join(_LOOKALIKE.get(c, c) for c in line)
    if roll < 0.5:
        from .charsets import _opencc
        return str(_opencc("s2t").convert(line))
    return line


def gambling_line(rng: random.Random) -> str:
    brand = _brand(rng)
    parts = [brand] + _pick(rng, _SITE, 1, 3) + _pick(rng, _BET, 1, 3)
    if rng.random() < 0.6:
        parts += _pick(rng, _EVENTS, 1, 2)
    if rng.random() < 0.6:
        parts += _pick(rng, _PROMO, 1, 2)
    rng.shuffle(parts[1:])
    if rng.random() < 0.4:
        parts.append(_domain(rng))
    glue = rng.choice(("", " ", "，", "-", "|"))
    line = glue.join(parts)
    if rng.random() < 0.3:
        line = f"{brand}{rng.choice(_EVENTS)}{rng.choice(_BET)}{rng.choice(_SITE)}，{rng.choice(_PROMO)}{rng.randint(8, 888)}元"
    return line


def adult_line(rng: random.Random) -> str:
    parts = _pick(rng, _ADULT, 3, 7)
    if rng.random() < 0.5:
        parts.insert(0, _brand(rng))
    if rng.random() < 0.3:
        parts.append(_domain(rng))
    return rng.choice(("", " ", "，", "|", "、")).join(parts)


def ad_line(rng: random.Random) -> str:
    parts = _pick(rng, _TRADE + _TRAINING, 2, 5)
    roll = rng.random()
    if roll < 0.5:
        parts.append(rng.choice(("电话", "热线", "微信", "qq", "咨询", "手机", "tel")) + rng.choice(("：", ":", "")) + _phone(rng))
    elif roll < 0.7:
        parts.append(_domain(rng))
    if rng.random() < 0.5:
        parts.insert(0, _brand(rng))
    line = rng.choice(("", "，", " ", "！")).join(parts)
    if rng.random() < 0.3:
        line += rng.choice(_SLOGANS)
    if rng.random() < 0.1:
        line = _phone(rng)
    return line


def seo_line(rng: random.Random) -> str:
    pool = _ADULT + _BET + _SITE + _EVENTS if rng.random() < 0.5 else _TRADE + _SITE + _TRAINING
    stem = rng.choice(pool)
    roll = rng.random()
    if roll < 0.25:
        subject = rng.choice(("", rng.choice(_PLACES)))
        words = [subject + rng.choice(("", rng.choice(_PLACES), "考研", "会计", "教师", "英语", "驾校", "设计"))
                 + rng.choice(_TRAINING) for _ in range(rng.randint(5, 10))]
    elif roll < 0.4:
        words = [rng.choice(pool) + stem for _ in range(rng.randint(5, 10))]
    elif roll < 0.7:
        brand = _brand(rng)
        words = [brand + w for w in _pick(rng, _SITE, 4, 8)]
    else:
        words = _pick(rng, pool, 6, 12)
    return rng.choice(_SEPARATORS).join(words)


def real_line(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        text = rng.choice(_SUBJECTS) + rng.choice(_MODALS) + rng.choice(_ACTIONS) + rng.choice(_OBJECTS)
        if rng.random() < 0.4:
            text += "，" + rng.choice(_ACTIONS) + rng.choice(_OBJECTS)
        text += rng.choice(_TAILS)
    elif roll < 0.75:
        text = rng.choice(_HEADING_MARKERS) + rng.choice(_ACTIONS) + rng.choice(_OBJECTS)
    elif roll < 0.85:
        text = rng.choice(_LABELS) + rng.choice(_UNITS + ("2024-03-05", "2023年12月1日", "1024", "010-66092000"))
    elif roll < 0.93:
        text = "、".join(rng.sample(_OBJECTS, rng.randint(3, 6))) + rng.choice(("等工作", "等方面", "。", ""))
    else:
        text = rng.choice(_UNITS) + rng.choice(("", "关于", "印发")) + rng.choice(_OBJECTS) + rng.choice(("的通知", "的意见", "工作要点", "实施方案"))
    if rng.random() < 0.2:
        from .charsets import _opencc
        text = str(_opencc("s2t").convert(text))
    return text


def _official_lines() -> list[str]:
    text = (DATA_DIR / "official_lines.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


GENERATORS = {"gambling": gambling_line, "adult": adult_line, "ad": ad_line, "seo": seo_line}


@cache
def corpus() -> tuple[tuple[str, str], ...]:
    """(label, line) pairs; label ``real`` or a spam category. Same seed, same corpus."""
    rng = random.Random(SEED)
    rows: list[tuple[str, str]] = []
    for line in _official_lines():
        rows.extend([("real", line)] * 3)
    rows.extend(("real", real_line(rng)) for _ in range(REAL_GENERATED))
    for category, make in GENERATORS.items():
        for _ in range(PER_CATEGORY):
            rows.append((category, _disguise(rng, make(rng))))
    return tuple(rows)


if __name__ == "__main__":
    sample = random.Random(1).sample(corpus(), 30)
    for label, line in sample:
        print(f"{label}\t{line}")
