"""Throughput of luoshi.intake on a large, noisy, generated document.

Run: .venv/bin/python bench/bench_intake.py [--mb 10] [--json PATH] [--seed 7]

Generates a policy-like document of about ``--mb`` megabytes (UTF-8) with
every kind of noise the cleaner handles, then measures on one core:

* OpenCC t2s over the same text (the floor for one pass over the text);
  times are CPU seconds of this (single-threaded) process, best of
  ``--repeat`` runs; wall times are shown too;
* clean + parse (``parse_document`` on the decoded text);
* read + clean + parse from bytes (encoding detection included).

The target is at least 2 MB/s for clean + parse; the script exits 1 below it.
The output table has the same columns as the other benchmarks (ours / floor).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import TABLE_HEAD, Measurement  # noqa: E402

from luoshi.intake import ParsedDocument, parse_document  # noqa: E402
from luoshi.intake.charsets import to_simplified  # noqa: E402

TARGET_MB_S = 2.0
_CLAUSES = (
    "坚持把立德树人作为根本任务", "推动义务教育优质均衡发展", "完善教师培养培训体系",
    "加快建设高质量教育体系", "深化新时代教育评价改革", "扩大优质教育资源覆盖面",
    "健全学生资助制度", "推进职业教育产教融合", "加强高校基础学科建设",
    "落实课后服务保障机制", "提升县域普通高中办学水平", "推进教育数字化转型",
    "完善督导评估和问责机制", "强化学校体育和美育工作", "建立健全家校社协同育人机制",
)
_TRAD = ("堅持把立德樹人作為根本任務", "推動義務教育優質均衡發展", "完善教師培養培訓體系")
_EMOJI = ("😀", "👍🏽", "👩\u200d💻", "1️⃣", "🇨🇳", "✨", "🙋\u200d♀️", "♂")
_DECOR = ("★ღ", "✿", "❀❀", "☆")
_PINYIN = ("教(jiào)育(yù)", "工(gōng)作(zuò)", "改(gǎi)革(gé)")
_BOILER = ("首页 > 新闻中心 > 教育动态", "分享到：微信 微博 QQ空间", "责任编辑：王老师",
           "浏览次数：1024", "（下转第二版）", "【打印本页】【关闭窗口】")
_SPAM = ("澳门新葡京娱乐场 开户送彩金 www.example-bet.com", "服务热线：13912345678 加微信咨询")


def _sentence(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(2, 4)):
        clause = rng.choice(_TRAD if rng.random() < 0.1 else _CLAUSES)
        if rng.random() < 0.15:
            clause = rng.choice(_PINYIN) + clause
        parts.append(clause)
        if rng.random() < 0.3:
            parts[-1] += rng.choice(_EMOJI)
        if rng.random() < 0.15:
            parts[-1] += rng.choice(_DECOR)
    return "，".join(parts) + "。"


def _numeral(n: int) -> str:
    digits = "一二三四五六七八九"
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens - 1] + "十")
    return head + (digits[units - 1] if units else "")


def generate(megabytes: float, seed: int = 7) -> str:
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    out: list[str] = ["关于进一步加强基础教育工作的实施意见", "教基〔2024〕1号", "发布日期：2024-03-05"]
    size = 0
    section = 0
    while size < target:
        section += 1
        lines = [f"{_numeral(section % 20 + 1)}、{rng.choice(_CLAUSES)}"]
        for sub in range(1, rng.randint(3, 6)):
            lines.append(f"（{_numeral(sub)}）{_sentence(rng)}{_sentence(rng)}")
            inline = "".join(f"{_numeral(k)}是{_sentence(rng)}" for k in range(1, rng.randint(3, 5)))
            lines.append(f"会议强调，要做好以下工作：{inline}")
            for point in range(1, rng.randint(2, 4)):
                lines.append(f"{point}.{_sentence(rng)}")
        if rng.random() < 0.5:
            lines.insert(rng.randrange(len(lines)), rng.choice(_BOILER))
        if rng.random() < 0.1:
            lines.insert(rng.randrange(len(lines)), rng.choice(_SPAM))
        block = "\n".join(lines) + "\n"
        out.append(block)
        size += len(block.encode("utf-8"))
    return "\n".join(out)


def _best_seconds(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) over ``repeat`` runs.

    CPU time of this single-threaded process is the "one core" figure: the
    machine is shared, so wall time also counts other people's work.
    """
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        function()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall


def run(megabytes: float, seed: int, repeat: int) -> tuple[list[Measurement], dict[str, object]]:
    text = generate(megabytes, seed)
    data = text.encode("utf-8")
    size_mb = len(data) / 1_000_000
    to_simplified("预热")  # load OpenCC and the lexicons before timing
    parse_document("一、预热\n二、预热", filename="warm-up")

    opencc_s, opencc_wall = _best_seconds(lambda: to_simplified(text), repeat)
    held: dict[str, ParsedDocument] = {}

    def parse_text() -> None:
        held["doc"] = parse_document(text, filename="bench.txt")

    parse_s, parse_wall = _best_seconds(parse_text, repeat)
    document = held.pop("doc")
    bytes_s, bytes_wall = _best_seconds(lambda: parse_document(data, filename="bench.txt"), repeat)
    floor_ms = opencc_s * 1000
    results = [
        Measurement("OpenCC t2s, one pass (the floor)", floor_ms, floor_ms,
                    note=f"{size_mb / opencc_s:.1f} MB/s; wall {opencc_wall:.2f} s"),
        Measurement("clean + parse (decoded text)", parse_s * 1000, floor_ms,
                    note=f"{size_mb / parse_s:.2f} MB/s (target ≥ {TARGET_MB_S:g}); wall {parse_wall:.2f} s"),
        Measurement("read + clean + parse (bytes)", bytes_s * 1000, floor_ms,
                    note=f"{size_mb / bytes_s:.2f} MB/s; wall {bytes_wall:.2f} s"),
    ]
    meta: dict[str, object] = {
        "megabytes": round(size_mb, 3),
        "characters": len(text),
        "removals": len(document.removed),
        "flags": len(document.flags),
        "top_level_items": len(document.items),
        "clean_parse_mb_per_s": round(size_mb / parse_s, 3),
        "clean_parse_wall_mb_per_s": round(size_mb / parse_wall, 3),
        "target_mb_per_s": TARGET_MB_S,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "repeat": repeat,
    }
    return results, meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=10.0, help="document size in MB (default 10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement; the best is kept")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    results, meta = run(args.mb, args.seed, args.repeat)
    print(f"intake benchmark: {meta['megabytes']} MB, {meta['characters']:,} characters, "
          f"{meta['removals']:,} removals, {meta['flags']:,} flags; CPU time of one core")
    print(TABLE_HEAD)
    for measurement in results:
        print(measurement.row())
    throughput = float(str(meta["clean_parse_mb_per_s"]))
    verdict = "meets" if throughput >= TARGET_MB_S else "is BELOW"
    print(f"clean + parse: {throughput:.2f} MB/s, which {verdict} the {TARGET_MB_S:g} MB/s target")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"meta": meta, "results": [m.__dict__ for m in results]}, ensure_ascii=False, indent=1))
    return 0 if throughput >= TARGET_MB_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
