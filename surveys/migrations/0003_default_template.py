"""Ship a published default survey template, so invitations work on a new installation."""

from django.db import migrations

QUESTIONS = [
    {"field": "reception", "required": False,
     "text_zh": "您对服务顾问的接待满意吗？",
     "text_en": "How satisfied were you with the reception by your service advisor?"},
    {"field": "diagnosis", "required": False,
     "text_zh": "您对故障诊断的准确性满意吗？",
     "text_en": "How satisfied were you with how the fault was diagnosed?"},
    {"field": "repair_quality", "required": False,
     "text_zh": "您对维修质量满意吗？",
     "text_en": "How satisfied were you with the quality of the repair?"},
    {"field": "attitude", "required": False,
     "text_zh": "您对服务人员的态度满意吗？",
     "text_en": "How satisfied were you with the staff's attitude?"},
    {"field": "timeliness", "required": False,
     "text_zh": "您对维修的及时性（等待与交车时间）满意吗？",
     "text_en": "How satisfied were you with the timeliness (waiting and delivery time)?"},
    {"field": "overall", "required": True,
     "text_zh": "总体而言，您对本次售后服务满意吗？",
     "text_en": "Overall, how satisfied were you with this service visit?"},
    {"field": "nps", "required": True,
     "text_zh": "您有多大可能向亲友推荐本经销商？",
     "text_en": "How likely are you to recommend this dealer to a friend or relative?"},
    {"field": "comment", "required": False,
     "text_zh": "还有什么想告诉我们的吗？",
     "text_en": "Is there anything else you would like to tell us?"},
]


def create_default(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    from django.utils import timezone

    SurveyTemplate.objects.get_or_create(
        code="CSAT-STD",
        version=1,
        defaults={
            "status": "published",
            "published_at": timezone.now(),
            "title_zh": "售后服务满意度调查",
            "title_en": "After-sales service satisfaction survey",
            "intro_zh": "感谢您近期到店保养维修。请花一分钟告诉我们您的感受。",
            "intro_en": "Thank you for your recent service visit. Please take one minute to tell us how it went.",
            "questions": QUESTIONS,
        },
    )


def remove_default(apps, schema_editor):
    apps.get_model("surveys", "SurveyTemplate").objects.filter(
        code="CSAT-STD", version=1, invitations__isnull=True
    ).delete()


class Migration(migrations.Migration):

    dependencies = [("surveys", "0002_customer_voice")]

    operations = [migrations.RunPython(create_default, remove_default)]
