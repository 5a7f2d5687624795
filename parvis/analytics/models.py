"""Metric history, kept without a time limit. A metric the network does not give has no row (absent),
never a zero row."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.channels.models import Channel
from parvis.organisations.models import Authority
from parvis.publishing.models import Delivery


class MetricSnapshot(models.Model):
    """One daily figure of one channel. `day` is the authority's local day the figure describes."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="metric_snapshots")
    metric = models.CharField(max_length=40)
    day = models.DateField()
    value = models.FloatField()
    collected_at = models.DateTimeField()

    class Meta:
        verbose_name = _("mesure quotidienne")
        constraints = [
            models.UniqueConstraint(fields=["channel", "metric", "day"], name="one_snapshot_per_channel_metric_day")
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.metric} {self.day} = {self.value}"


class PostMetricSnapshot(models.Model):
    """A publication's figures at one moment: hourly during its first 48 hours, then daily."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="metric_snapshots")
    metric = models.CharField(max_length=40)
    taken_at = models.DateTimeField()  # the hour (first 48 h) or the UTC day the figure belongs to
    value = models.FloatField()

    class Meta:
        verbose_name = _("mesure d'une publication")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "metric", "taken_at"], name="one_post_snapshot_per_moment")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.metric} {self.taken_at:%Y-%m-%d %H:%M} = {self.value}"


class PostStats(models.Model):
    """The latest figures of one publication on one channel, one row, so that ranking 50,000 publications
    is one indexed query. Null = the network does not give it."""

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, primary_key=True, related_name="stats")
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="post_stats")
    published_at = models.DateTimeField()
    values = models.JSONField(default=dict)  # every latest figure, by Parvis name
    interactions = models.FloatField(null=True)
    impressions = models.FloatField(null=True)
    reach = models.FloatField(null=True)
    likes = models.FloatField(null=True)
    comments = models.FloatField(null=True)
    shares = models.FloatField(null=True)
    video_views = models.FloatField(null=True)
    followers = models.FloatField(null=True)  # the channel's followers on the day of publication
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bilan d'une publication")
        indexes = [
            models.Index(fields=["channel", "published_at"], name="poststats_channel_time"),
            # Serves every read by period, and covers the dashboard's sums: a year of publications is read
            # from the index alone.
            models.Index(fields=["authority", "published_at", "channel", "interactions", "impressions", "reach",
                                 "followers"], name="poststats_period_sums"),
        ]

    def __str__(self) -> str:
        return f"stats {self.delivery_id}"


class CollectionState(models.Model):
    """Where a channel's collection stands: the night it is planned for, the last outcome."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, primary_key=True, related_name="collection")
    planned_for = models.DateField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"collecte {self.channel_id}"


class ReportSettings(models.Model):
    """Who receives the monthly report, set by the authority."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE, related_name="report_settings")
    recipients = models.JSONField(_("destinataires"), default=list, blank=True)
    enabled = models.BooleanField(_("envoi mensuel"), default=True)
    last_sent_month = models.CharField(max_length=7, blank=True)  # "YYYY-MM" of the last report sent

    class Meta:
        verbose_name = _("réglages du rapport mensuel")

    def __str__(self) -> str:
        return f"rapport {self.authority_id}"
