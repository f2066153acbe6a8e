"""The HTML of the main pages for every active user in both languages, one file a page, CSRF
tokens masked: run it with two versions of the code on copies of the same database and compare
the directories (``diff -r``) to show that a performance change left every page as it was.

Usage (settings from the environment, as for ``luoshi``; only GET requests, but ``force_login``
writes each user's last log-in, so use a copy of the data, and a cache directory of its own):

    LUOSHI_DATABASE_URL=postgresql://…/copy LUOSHI_CACHE_DIR=/tmp/cache-a \
        PYTHONPATH=src python bench/page_dump.py /tmp/pages-a

Pages: home, plan list, my work (pages 1, 2, 9, x), supervision (filters, page 2),
notifications, reviews, the first three plans unfiltered and filtered four ways, their first
items' pages and tree children (htmx), and the first reports."""
from __future__ import annotations

import os
import re
import sys
from collections import Counter

import django

CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value="|csrf[-_]?token["\']?\s*[:=]\s*["\']|"X-CSRFToken": ")[^"\']+')


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from luoshi.plans.models import Plan, PlanItem, ProgressReport

    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    User = get_user_model()
    users = list(User.objects.filter(is_active=True).order_by("username"))
    plans = list(Plan.objects.order_by("id").values_list("id", flat=True))[:3]
    pages = ["/", "/plans/", "/plans/my-work/", "/plans/my-work/?page=2", "/plans/my-work/?page=9", "/plans/my-work/?page=x",
             "/plans/supervision/", "/plans/supervision/?light=red", "/plans/supervision/?page=2", "/plans/supervision/?state=overdue",
             "/plans/notifications/", "/plans/reviews/"]
    for p in plans:
        pages += [f"/plans/{p}/", f"/plans/{p}/?light=red", f"/plans/{p}/?light=green", f"/plans/{p}/?q=%E5%B7%A5%E4%BD%9C",
                  f"/plans/{p}/?state=overdue"]
        top = list(PlanItem.objects.filter(plan_id=p, parent__isnull=True).order_by("id").values_list("id", flat=True)[:2])
        for i in top:
            pages += [f"/plans/{p}/children/?parent={i}", f"/plans/{p}/items/{i}/"]
        deep = list(PlanItem.objects.filter(plan_id=p, parent__isnull=False).order_by("id").values_list("id", flat=True)[:2])
        for i in deep:
            pages += [f"/plans/{p}/items/{i}/"]
    for r in ProgressReport.objects.order_by("id").values_list("id", flat=True)[:3]:
        pages.append(f"/plans/reports/{r}/")
    summary = []
    for u in users:
        for lang in ("zh-hans", "en"):
            c = Client(HTTP_ACCEPT_LANGUAGE=lang, HTTP_HOST="127.0.0.1")
            c.force_login(u)
            for n, path in enumerate(pages):
                r = c.get(path, headers={"HX-Request": "true"} if "/children/" in path else {})
                body = CSRF.sub(rb"\1MASKED", r.content)
                name = f"{u.username}.{lang}.{n:03d}"
                with open(os.path.join(out, name), "wb") as f:
                    f.write(f"{path} {r.status_code}\n".encode() + body)
                summary.append(r.status_code)
    print(len(summary), "pages", Counter(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
