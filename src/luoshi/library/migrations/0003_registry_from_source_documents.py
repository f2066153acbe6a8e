"""Every policy text already taken in through intake (``plans.SourceDocument``) becomes an issued
entry of the policy registry, with its cleaned text, segmented for search."""

from django.db import migrations


def forward(apps, schema_editor):
    from luoshi.library.search import segment
    from luoshi.library.services import policy_fields_from_source

    SourceDocument = apps.get_model("plans", "SourceDocument")
    PolicyDocument = apps.get_model("library", "PolicyDocument")
    Plan = apps.get_model("plans", "Plan")
    taken = set(PolicyDocument.objects.exclude(source_document=None).values_list("source_document_id", flat=True))
    for source in SourceDocument.objects.exclude(pk__in=taken).order_by("pk").iterator():
        fields = policy_fields_from_source(source)
        if len(fields["source_url"]) > 500:
            fields["source_url"] = ""
        doc = PolicyDocument.objects.create(
            unit_id=source.unit_id, status="issued", source_document_id=source.pk,
            search_title=segment(f"{fields['title']} {fields['doc_number']}"),
            search_body=segment(fields["full_text"]), **fields)
        # The plan drafted from the text serves it: link the plan's top-level items.
        for plan in Plan.objects.filter(source_id=source.pk):
            doc.plan_items.add(*plan.items.filter(parent=None).values_list("pk", flat=True))


class Migration(migrations.Migration):
    dependencies = [("library", "0002_search_index"), ("plans", "0003_report_item_state_index")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
