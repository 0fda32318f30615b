"""What the API shows of regions, dealers and users."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api_base import DescribedModelSerializer

from ..models import Dealer, Region, User


class RegionSerializer(DescribedModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name"]


class DealerSerializer(DescribedModelSerializer):
    region = serializers.CharField(source="region.name", read_only=True, help_text=_("Region name."))

    class Meta:
        model = Dealer
        fields = ["code", "name", "region", "province", "city", "city_tier", "status", "opened_on"]


class UserSerializer(DescribedModelSerializer):
    dealer = serializers.CharField(
        source="dealer.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The code of the dealer a dealer user belongs to."),
    )
    regions = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True, help_text=_("Regions a regional manager runs.")
    )
    has_token = serializers.SerializerMethodField(help_text=_("Whether the user holds an API token."))

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "dealer",
            "regions",
            "is_active",
            "has_token",
        ]
        read_only_fields = fields

    def get_has_token(self, user: User) -> bool:
        return bool(getattr(user, "has_live_token", False))


class TokenIssueSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=100,
        default="API",
        help_text=_("What the token is for, e.g. the integration that uses it."),
    )


class TokenSerializer(serializers.Serializer):
    """A token just issued (dealers.api.tokens.IssuedToken): the only answer that holds its key."""

    key = serializers.CharField(
        source="secret",
        read_only=True,
        help_text=_("The token. Send it as 'Authorization: Token <key>'. Shown once, at issue."),
    )
    id = serializers.IntegerField(source="token.pk", read_only=True, help_text=_("The token's id."))
    name = serializers.CharField(source="token.name", read_only=True, help_text=_("What the token is for."))
    user = serializers.IntegerField(
        source="token.user_id", read_only=True, help_text=_("The user the token belongs to.")
    )
    created = serializers.DateTimeField(
        source="token.created_at", read_only=True, help_text=_("When the token was issued.")
    )
    expires = serializers.DateTimeField(
        source="token.expires_at", read_only=True, help_text=_("When the token stops working.")
    )
