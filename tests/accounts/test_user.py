import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

User = get_user_model()


def test_the_user_model_has_no_username():
    field_names = {f.name for f in User._meta.get_fields()}
    assert "username" not in field_names
    assert User.USERNAME_FIELD == "email"


@pytest.mark.django_db
def test_email_is_stored_lower_case_and_unique_ignoring_case():
    user = User.objects.create_user("Ada.Lovelace@Example.COM", password=DEFAULT_PASSWORD)
    assert user.email == "ada.lovelace@example.com"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ADA.LOVELACE@example.com", password=DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_the_database_refuses_a_case_variant_even_when_the_app_is_bypassed():
    UserFactory(email="grace@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="GRACE@example.com")])


@pytest.mark.django_db
def test_login_by_email_ignores_case():
    UserFactory(email="linus@example.com")
    assert authenticate(email="LINUS@Example.com", password=DEFAULT_PASSWORD) is not None
    assert authenticate(email="linus@example.com", password="wrong password!") is None


@pytest.mark.django_db
def test_full_name_is_optional():
    user = User.objects.create_user("noname@example.com", password=DEFAULT_PASSWORD)
    assert user.full_name == ""
    assert user.get_full_name() == "noname@example.com"


@pytest.mark.django_db
def test_superuser_is_staff():
    admin = User.objects.create_superuser("root@example.com", password=DEFAULT_PASSWORD)
    assert admin.is_staff and admin.is_superuser
