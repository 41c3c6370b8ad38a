"""Last-owner protection holds under concurrency: two owners demoting each other at the same
moment cannot leave the organization without an owner (row locks; PostgreSQL only)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from organizations import services
from organizations.models import Membership
from organizations.permissions import Role
from organizations.tenancy import all_tenants
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_owners_demoting_each_other_leave_one_owner():
    organization = OrganizationFactory()
    first = MembershipFactory(organization=organization, role=Role.OWNER)
    second = MembershipFactory(organization=organization, role=Role.OWNER)
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor, target):
        try:
            barrier.wait(timeout=10)
            services.membership_change_role(
                organization=organization, actor=actor.user, membership_id=target.pk, role=Role.ADMIN
            )
            outcomes.append("ok")
        except (ValidationError, PermissionDenied):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with all_tenants():
        owners = Membership.objects.filter(organization=organization, role=Role.OWNER).count()
    assert owners == 1
    # Exactly one wins; the other is refused cleanly (no deadlock, no error page).
    assert sorted(outcomes) == ["ok", "refused"]
