import factory

from accounts.models import User

DEFAULT_PASSWORD = "a long enough passphrase 42"
# The authenticator app key of users made with two_factor=True (base32, as allauth makes them);
# codes for it: pyotp.TOTP(TOTP_SECRET).now().
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Users made by tests have a verified primary email unless ``verified=False``."""
        if not create or extracted is False:
            return
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)

    @factory.post_generation
    def two_factor(self, create, extracted, **kwargs):
        """``two_factor=True``: an authenticator app with ``TOTP_SECRET`` and recovery codes, as
        if set up through the pages. Staff have it unless ``two_factor=False`` (the admin
        requires it), so tests of admin pages need not set it up."""
        wanted = self.is_staff if extracted is None else extracted
        if not create or not wanted:
            return
        # allauth's own activation (what its setup page calls), so the stored data is exactly
        # what allauth reads back; the test suite may use its internals, application code not.
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import TOTP

        TOTP.activate(self, TOTP_SECRET)
        RecoveryCodes.activate(self)
