"""Logos and invoice PDFs in S3-compatible object storage (django-storages), chosen by the
environment: STORAGE_URL or the AWS_* variables, local files otherwise.

The object store here is moto's in-process S3 (nothing else can run S3 in this test process);
tests/multihost runs the real processes against moto's S3 server."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto import mock_aws

from billing.models import Business
from billora.object_storage import (
    LOCAL_BACKEND,
    S3_BACKEND,
    StorageConfigurationError,
    default_storage_config,
    options_from_environment,
    options_from_url,
)
from documents.models import InvoiceDocument
from documents.pdf import print_data_for
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.test_views_businesses import business_post, png_bytes
from tests.billing.webclient import log_in, org_url
from tests.documents.helpers import reload
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "billora-media"


# --- configuration --------------------------------------------------------------------------


def test_storage_url_gives_the_bucket_prefix_endpoint_and_credentials():
    options = options_from_url(
        "s3://AKIA:se%2Fcr%2Bet@billora-media/tenant-files?endpoint_url=http://minio:9000"
        "&region_name=eu-central-1&addressing_style=path&verify=false"
    )
    assert options == {
        "bucket_name": "billora-media",
        "location": "tenant-files",
        "access_key": "AKIA",
        "secret_key": "se/cr+et",
        "endpoint_url": "http://minio:9000",
        "region_name": "eu-central-1",
        "addressing_style": "path",
        "verify": False,
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://bucket", "must start with s3://"),
        ("s3://?endpoint_url=http://x", "names no bucket"),
        ("s3://bucket?endpoint=http://minio:9000", "unknown option 'endpoint'"),
        ("s3://bucket?verify=maybe", "verify must be true or false"),
        ("s3://key@bucket", "both the access key and the secret"),
    ],
)
def test_a_storage_url_that_cannot_be_right_is_refused_with_the_reason(url, message):
    with pytest.raises(StorageConfigurationError, match=message):
        options_from_url(url)


def test_the_aws_variables_describe_the_bucket_when_there_is_no_storage_url():
    environ = {
        "AWS_STORAGE_BUCKET_NAME": "media",
        "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
        "AWS_S3_REGION_NAME": "eu-west-1",
        "AWS_LOCATION": "/billora/",
    }
    assert options_from_environment(environ) == {
        "bucket_name": "media",
        "endpoint_url": "https://s3.example.com",
        "region_name": "eu-west-1",
        "location": "billora",
    }
    assert options_from_environment({"AWS_S3_ENDPOINT_URL": "https://s3.example.com"}) is None


def test_object_storage_is_private_never_overwrites_and_signs_urls_for_the_configured_time():
    config = default_storage_config(storage_url="s3://media", environ={}, signed_url_seconds=90)
    assert config["BACKEND"] == S3_BACKEND
    # file_overwrite=False: two organizations uploading "logo.png" the same year get two objects.
    assert config["OPTIONS"] == {
        "signature_version": "s3v4",
        "bucket_name": "media",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "querystring_expire": 90,
    }
    assert default_storage_config(storage_url="", environ={}, signed_url_seconds=90) == {"BACKEND": LOCAL_BACKEND}


def _settings_in_subprocess(expression, **environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_URL", "MEDIA_REDIRECT"))}
    env.update(environment, DJANGO_SETTINGS_MODULE="billora.settings")
    script = f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_settings_pick_object_storage_from_the_environment_and_local_files_by_default():
    expression = "s.STORAGES['default']['BACKEND']"
    by_url = _settings_in_subprocess(expression, STORAGE_URL="s3://media?endpoint_url=http://127.0.0.1:9000")
    by_aws = _settings_in_subprocess(expression, AWS_STORAGE_BUCKET_NAME="media")
    local = _settings_in_subprocess(expression)
    assert [by_url.stdout.strip(), by_aws.stdout.strip(), local.stdout.strip()] == [
        S3_BACKEND,
        S3_BACKEND,
        LOCAL_BACKEND,
    ], by_url.stderr + by_aws.stderr + local.stderr


def test_the_configured_storage_signs_version_4_urls_of_the_configured_style_and_lifetime():
    # Presigning needs no network: this is exactly what the settings give every process.
    expression = "__import__('django.core.files.storage').core.files.storage.default_storage.url('a/b.pdf', expire=45)"
    storage_url = "s3://key:secret@media?endpoint_url=http://127.0.0.1:9000&region_name=eu-west-1&addressing_style=path"
    result = _settings_in_subprocess(expression, STORAGE_URL=storage_url)
    url = urlsplit(result.stdout.strip())
    assert (url.netloc, url.path) == ("127.0.0.1:9000", "/media/a/b.pdf"), result.stderr
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["45"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"][0].startswith("key/") and "/eu-west-1/s3/" in query["X-Amz-Credential"][0]


def test_settings_refuse_signed_redirects_without_object_storage_and_a_misspelt_storage_url():
    redirect = _settings_in_subprocess("1", MEDIA_REDIRECT_SECONDS="60")
    assert redirect.returncode != 0
    assert "MEDIA_REDIRECT_SECONDS needs object storage" in redirect.stderr
    misspelt = _settings_in_subprocess("1", STORAGE_URL="s3://media?endpoint=http://127.0.0.1:9000")
    assert misspelt.returncode != 0
    assert "unknown option 'endpoint'" in misspelt.stderr


# --- the app on object storage ------------------------------------------------------------------


@pytest.fixture
def object_storage(settings):
    """The default storage is an S3 bucket (moto, in this process); MEDIA_ROOT is still set,
    and must stay empty."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": default_storage_config(
                storage_url=f"s3://test-key:test-secret@{BUCKET}?region_name=us-east-1",
                environ={},
                signed_url_seconds=300,
            ),
        }
        yield client
        assert not any(Path(settings.MEDIA_ROOT).rglob("*.*")), "a file was written to the local disk"


def _object(client, key) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.fixture
def world(db, django_capture_on_commit_callbacks, object_storage):
    org = OrganizationFactory()
    member = MembershipFactory(organization=org, role=Role.MEMBER).user
    business = BusinessFactory(organization=org)
    customer = CustomerFactory(organization=org)
    with django_capture_on_commit_callbacks(execute=True):  # the render runs (eagerly) on commit
        invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    with organization_scope(org):
        document = InvoiceDocument.objects.get(invoice=invoice, status=InvoiceDocument.Status.READY)
    return {"org": org, "member": member, "invoice": reload(invoice), "document": document}


def test_a_rendered_pdf_is_an_object_in_the_bucket_and_downloads_serve_its_bytes(client, world, object_storage):
    document, invoice, org = world["document"], world["invoice"], world["org"]
    assert _keys(object_storage) == [document.file.name]
    assert document.file.name.startswith(f"invoices/{org.pk}/{invoice.pk}/v{invoice.version}-")
    stored = _object(object_storage, document.file.name)
    assert hashlib.sha256(stored).hexdigest() == document.sha256 and len(stored) == document.size

    client.force_login(world["member"])
    web = client.get(org_url("invoice_pdf", org, invoice_id=invoice.pk))
    assert web.status_code == 200 and web.content == stored
    _key, raw = make_api_key(org)
    api = client.get(f"/api/v1/invoices/{invoice.pk}/pdf/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 200 and api.content == stored


def test_with_media_redirect_seconds_downloads_redirect_to_a_short_lived_signed_url(
    client, world, object_storage, settings
):
    settings.MEDIA_REDIRECT_SECONDS = 60
    document, invoice, org = world["document"], world["invoice"], world["org"]
    client.force_login(world["member"])

    web = client.get(org_url("invoice_pdf", org, invoice_id=invoice.pk) + "?download=1")
    _key, raw = make_api_key(org)
    api = client.get(f"/api/v1/invoices/{invoice.pk}/pdf/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    for response, disposition in ((web, "attachment"), (api, "inline")):
        assert response.status_code == 302
        assert response["Cache-Control"] == "private, no-store"
        url = urlsplit(response["Location"])
        query = parse_qs(url.query)
        assert url.path == f"/{document.file.name}" and BUCKET in url.netloc + url.path
        assert query["X-Amz-Expires"] == ["60"]
        assert query["response-content-type"] == ["application/pdf"]
        assert query["response-content-disposition"] == [f'{disposition}; filename="{invoice.number}.pdf"']
    # The signed URL is the bucket's own: what it points at is the document's object.
    assert hashlib.sha256(_object(object_storage, document.file.name)).hexdigest() == document.sha256


def test_logos_are_objects_too_and_two_organizations_same_file_name_never_overwrite(client, object_storage, db):
    logos = {}
    for color in ("red", "blue"):
        org = OrganizationFactory()
        log_in(client, org, Role.OWNER)
        image = png_bytes(size=(9, 9)) if color == "red" else png_bytes(size=(7, 7))
        upload = SimpleUploadedFile("logo.png", image, content_type="image/png")
        assert client.post(org_url("business_create", org), {**business_post(), "logo": upload}).status_code == 302
        with organization_scope(org):
            business = Business.objects.get()
        logos[color] = (org, business, image)

    names = [business.logo.name for _org, business, _image in logos.values()]
    assert len(set(names)) == 2 and _keys(object_storage) == sorted(names)
    for org, business, image in logos.values():
        assert _object(object_storage, business.logo.name) == image
        log_in(client, org, Role.VIEWER)
        response = client.get(org_url("business_logo", org, business_id=business.pk))
        assert response.status_code == 200 and b"".join(response.streaming_content) == image


def test_the_pdf_reads_the_logo_from_object_storage_and_the_logo_view_can_redirect(
    client, object_storage, db, settings
):
    org = OrganizationFactory()
    member = log_in(client, org, Role.OWNER)
    image = png_bytes(size=(12, 12))
    upload = SimpleUploadedFile("brand.png", image, content_type="image/png")
    client.post(org_url("business_create", org), {**business_post(), "logo": upload})
    with organization_scope(org):
        business = Business.objects.get()
        invoice = make_invoice(
            organization=org, business=business, customer=CustomerFactory(organization=org), actor=member
        )
        assert print_data_for(reload(invoice), language="en").logo == image
    assert default_storage.exists(business.logo.name)

    settings.MEDIA_REDIRECT_SECONDS = 30
    response = client.get(org_url("business_logo", org, business_id=business.pk))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-Expires"] == ["30"] and query["response-content-type"] == ["image/png"]
